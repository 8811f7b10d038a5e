/**
 * Chooses the TensorFlow.js backend once at start, in this order unless one is forced:
 *  1. gpu: the CUDA build (`@tensorflow/tfjs-node-gpu`, what the GPU image installs);
 *  2. webgpu: `@tensorflow/tfjs-backend-webgpu` on Dawn (the `webgpu` package) when Dawn finds a
 *     hardware adapter (Vulkan on NVIDIA); a software renderer (Mesa llvmpipe, SwiftShader) is
 *     never chosen automatically, the CPU path below is far faster, but it can be forced;
 *  3. node: the native CPU build (`@tensorflow/tfjs-node`);
 *  4. cpu: pure JS `@tensorflow/tfjs` with runner/native's OpenBLAS kernels where they load.
 * The tfjs-node packages are optional and deliberately not dependencies: they are imported by a
 * name held in a variable, so neither TypeScript nor esbuild tries to resolve them at build time.
 * Both register the backend 'tensorflow' on the same tfjs-core engine we import, which requires
 * them to be the same version as @tensorflow/tfjs (4.22); so must tfjs-backend-webgpu.
 */
import { readdirSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { installFastCpuKernels } from './cpu-kernels';
import { registerNativeKernels } from './native';
import type { AdapterReport, FoundAdapter, ProbeResult } from './webgpu/adapters';

export const BackendChoiceSchema = z.enum(['auto', 'gpu', 'webgpu', 'node', 'cpu']);
export type BackendChoice = z.infer<typeof BackendChoiceSchema>;

export interface BackendInfo {
  /** tfjs backend name now active ('tensorflow' for both native builds, 'webgpu', 'cpu' for pure JS). */
  backend: string;
  /** Which package runs it, for logs and job events. */
  description: string;
  /** The WebGPU adapter in use, when backend is 'webgpu'. */
  adapter?: AdapterReport;
}

export interface InitBackendOptions {
  /** 'auto' tries gpu → webgpu (hardware adapters only) → node → cpu; any other value requires that one. */
  prefer?: BackendChoice;
  /** Where the one JSON log line goes; stderr by default. */
  log?: (line: string) => void;
  /** Module loader for the tfjs-node packages, replaceable in tests; defaults to dynamic import. */
  importModule?: (name: string) => Promise<unknown>;
  /** Dawn's adapter probe, replaceable in tests (no hardware GPU here); defaults to runner/webgpu's. */
  probeWebGpu?: () => Promise<ProbeResult>;
  /** GPU device nodes of this machine; auto mode only asks Dawn where there are some. */
  gpuDeviceNodes?: () => string[];
  /**
   * runner/native's OpenBLAS kernels on the pure-JS cpu backend: 'off' runs the fallback a machine
   * without OpenBLAS gets (CI tests it so). Defaults to TUNEPLANE_NATIVE, read when called, so the
   * tests that init the backend themselves follow the variable too; the entries pass it parsed.
   */
  nativeKernels?: 'on' | 'off';
}

const NATIVE = {
  gpu: {
    pkg: '@tensorflow/tfjs-node-gpu',
    description: 'TensorFlow C library with CUDA (@tensorflow/tfjs-node-gpu)',
  },
  node: {
    pkg: '@tensorflow/tfjs-node',
    description: 'TensorFlow C library on CPU (@tensorflow/tfjs-node)',
  },
} as const;

type Skipped = { pkg: string; reason: string };

export async function initBackend(opts: InitBackendOptions = {}): Promise<BackendInfo> {
  const prefer = opts.prefer ?? 'auto';
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const load = opts.importModule ?? ((name: string) => import(/* @vite-ignore */ name));
  const skipped: Skipped[] = [];
  const wants = (choice: BackendChoice) => prefer === 'auto' || prefer === choice;
  const fail = (err: unknown): never => {
    throw new Error(`Backend "${prefer}" is not available: ${message(err)}`, { cause: err });
  };

  const native = async (choice: 'gpu' | 'node'): Promise<BackendInfo | undefined> => {
    const { pkg, description } = NATIVE[choice];
    try {
      await load(pkg);
      if (!(await tf.setBackend('tensorflow'))) throw new Error('backend "tensorflow" did not initialise');
      await tf.ready();
      return { backend: tf.getBackend(), description };
    } catch (err) {
      if (prefer !== 'auto') fail(err);
      skipped.push({ pkg, reason: message(err) });
      return undefined;
    }
  };

  if (wants('gpu')) {
    const info = await native('gpu');
    if (info) return report(info, skipped, log);
  }

  if (wants('webgpu')) {
    const nodes = (opts.gpuDeviceNodes ?? gpuDeviceNodes)();
    if (prefer === 'auto' && nodes.length === 0) {
      skipped.push({
        pkg: 'webgpu',
        reason:
          'no GPU device node (/dev/nvidia*, /dev/dri/renderD*): Dawn could only offer a software renderer',
      });
    } else {
      try {
        const webgpu = await import('./webgpu');
        const probe = await (opts.probeWebGpu ?? webgpu.probeAdapters)();
        const pick = chooseAdapter(probe, prefer === 'webgpu');
        if (!pick.chosen) throw new Error(pick.why);
        await webgpu.initWebGpuBackend(pick.chosen, log);
        const a = pick.chosen.report;
        const info: BackendInfo = {
          backend: tf.getBackend(),
          description:
            `WebGPU on Dawn (${a.backend}, ${a.featureLevel}): ${a.device || a.description}` +
            (a.software ? ' — a software renderer on the CPU, forced; the cpu backend is faster' : ''),
          adapter: a,
        };
        if (pick.why) skipped.push({ pkg: 'webgpu', reason: `other adapters: ${pick.why}` });
        return report(info, skipped, log);
      } catch (err) {
        if (prefer !== 'auto') fail(err);
        skipped.push({ pkg: 'webgpu', reason: message(err) });
      }
    }
  }

  if (wants('node')) {
    const info = await native('node');
    if (info) return report(info, skipped, log);
  }

  if (!(await tf.setBackend('cpu'))) throw new Error('The pure-JS cpu backend failed to initialise.');
  await tf.ready();
  // Accelerated kernels for the pure-JS cpu backend: runner/native's (OpenBLAS) where the addon
  // loads, and a linear-time embedding gradient where it does not. Their status goes into the one
  // selection line rather than a log line of its own.
  const nativeKernels = opts.nativeKernels ?? (process.env.TUNEPLANE_NATIVE === 'off' ? 'off' : 'on');
  const kernels = registerNativeKernels({ log: () => {}, disabled: nativeKernels === 'off' });
  installFastCpuKernels();
  const description =
    'pure JavaScript (@tensorflow/tfjs cpu backend)' +
    (kernels.active
      ? ` + native kernels via ${kernels.blas}, ${kernels.threads} threads: ${kernels.kernels.join(', ')}`
      : `; native kernels off: ${kernels.reason}`);
  return report({ backend: tf.getBackend(), description }, skipped, log);
}

/**
 * The first hardware adapter (probe order: vulkan, then opengles), else, when software is allowed,
 * the first software one. `why` says, per backend, why the others were not taken.
 */
export function chooseAdapter(
  probe: ProbeResult,
  allowSoftware: boolean,
): { chosen?: FoundAdapter; why: string } {
  const chosen = probe.found.find((f) => !f.report.software) ?? (allowSoftware ? probe.found[0] : undefined);
  const reasons = [
    ...probe.found
      .filter((f) => f !== chosen)
      .map(
        (f) =>
          `${f.report.backend}: ${f.report.device || f.report.description} is ` +
          (f.report.software
            ? 'a software renderer, not chosen automatically (TUNEPLANE_BACKEND=webgpu forces it)'
            : 'not the first hardware adapter'),
      ),
    ...probe.missing.map((m) => `${m.backend}: ${m.reason}`),
  ];
  return { chosen, why: reasons.join('; ') || (chosen ? '' : 'Dawn found no adapter') };
}

/** Device nodes a GPU driver creates on Linux; elsewhere Dawn is simply asked. */
function gpuDeviceNodes(): string[] {
  if (process.platform !== 'linux') return [process.platform];
  const list = (dir: string, re: RegExp) => {
    try {
      return readdirSync(dir)
        .filter((n) => re.test(n))
        .map((n) => `${dir}/${n}`);
    } catch {
      return [];
    }
  };
  return [...list('/dev', /^nvidia\d+$/), ...list('/dev/dri', /^renderD\d+$/)];
}

function report(info: BackendInfo, skipped: Skipped[], log: (line: string) => void): BackendInfo {
  log(JSON.stringify({ level: 'info', msg: 'tensorflow backend selected', ...info, skipped }));
  return info;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0] : String(err);
}
