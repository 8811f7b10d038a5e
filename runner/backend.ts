/**
 * Chooses the TensorFlow.js backend once at start: the CUDA build (`@tensorflow/tfjs-node-gpu`, what
 * the GPU image installs), else the native CPU build (`@tensorflow/tfjs-node`), else pure JS
 * `@tensorflow/tfjs` on its 'cpu' backend (all this workplace and the local stack can install).
 * The native packages are optional and deliberately not dependencies: they are imported by a name
 * held in a variable, so neither TypeScript nor esbuild tries to resolve them at build time.
 * Both native packages register the backend 'tensorflow' on the same tfjs-core engine we import,
 * which requires them to be the same version as @tensorflow/tfjs (4.22).
 */
import * as tf from '@tensorflow/tfjs';
import { installFastCpuKernels } from './cpu-kernels';
import { registerNativeKernels } from './native';

export type BackendChoice = 'auto' | 'gpu' | 'node' | 'cpu';

export interface BackendInfo {
  /** tfjs backend name now active ('tensorflow' for both native builds, 'cpu' for pure JS). */
  backend: string;
  /** Which package runs it, for logs and job events. */
  description: string;
}

export interface InitBackendOptions {
  /** 'auto' tries gpu → node → cpu; any other value requires that one. */
  prefer?: BackendChoice;
  /** Where the one JSON log line goes; stderr by default. */
  log?: (line: string) => void;
  /** Module loader, replaceable in tests; defaults to dynamic import. */
  importModule?: (name: string) => Promise<unknown>;
}

const NATIVE: { choice: 'gpu' | 'node'; pkg: string; description: string }[] = [
  {
    choice: 'gpu',
    pkg: '@tensorflow/tfjs-node-gpu',
    description: 'TensorFlow C library with CUDA (@tensorflow/tfjs-node-gpu)',
  },
  {
    choice: 'node',
    pkg: '@tensorflow/tfjs-node',
    description: 'TensorFlow C library on CPU (@tensorflow/tfjs-node)',
  },
];

export async function initBackend(opts: InitBackendOptions = {}): Promise<BackendInfo> {
  const prefer = opts.prefer ?? 'auto';
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const load = opts.importModule ?? ((name: string) => import(/* @vite-ignore */ name));
  const skipped: { pkg: string; reason: string }[] = [];

  for (const candidate of NATIVE) {
    if (prefer !== 'auto' && prefer !== candidate.choice) continue;
    try {
      await load(candidate.pkg);
      if (!(await tf.setBackend('tensorflow'))) throw new Error('backend "tensorflow" did not initialise');
      await tf.ready();
      return report({ backend: tf.getBackend(), description: candidate.description }, skipped, log);
    } catch (err) {
      if (prefer !== 'auto')
        throw new Error(`Backend "${prefer}" is not available: ${message(err)}`, { cause: err });
      skipped.push({ pkg: candidate.pkg, reason: message(err) });
    }
  }

  if (!(await tf.setBackend('cpu'))) throw new Error('The pure-JS cpu backend failed to initialise.');
  await tf.ready();
  // Accelerated kernels for the pure-JS cpu backend: runner/native's (OpenBLAS) where the addon
  // loads, and a linear-time embedding gradient where it does not. Their status goes into the one
  // selection line rather than a log line of its own.
  const native = registerNativeKernels({ log: () => {} });
  installFastCpuKernels();
  const description =
    'pure JavaScript (@tensorflow/tfjs cpu backend)' +
    (native.active
      ? ` + native kernels via ${native.blas}, ${native.threads} threads: ${native.kernels.join(', ')}`
      : `; native kernels off: ${native.reason}`);
  return report({ backend: tf.getBackend(), description }, skipped, log);
}

function report(
  info: BackendInfo,
  skipped: { pkg: string; reason: string }[],
  log: (line: string) => void,
): BackendInfo {
  log(JSON.stringify({ level: 'info', msg: 'tensorflow backend selected', ...info, skipped }));
  return info;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0] : String(err);
}
