/**
 * npm run gpu:bundle [-- --out <folder>]   (default dist/gpu-check)
 *
 * Writes one folder that a Linux x64 machine with a GPU and no network runs with plain Node:
 *   gpu-check.mjs   the GPU check (test/bench/gpu.ts) with the trainer, tfjs and every dependency
 *   train.mjs       the trainer's CLI (runner/cli/train.ts), same bundling
 *   dawn.node       Dawn's WebGPU binding from the `webgpu` package (the one native file)
 *   reference.json  fidelity reference values, computed here on the CPU path
 *   README.txt      how to run it and what it needs
 * No node_modules. Fails if the folder exceeds 60 MB.
 */
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { build } from 'esbuild';
import { initBackend } from '../../runner/backend';
import { dawnBindingPath } from '../../runner/webgpu';
import { computeReference } from './gpu-reference';

export const GPU_BUNDLE_LIMIT_BYTES = 60 * 1024 * 1024;

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const README = `Tuneplane GPU check (built ${new Date().toISOString().slice(0, 10)} from the repository by npm run gpu:bundle)

  node gpu-check.mjs                 adapter, fidelity on the GPU, training speed; the last line is
                                     adapter=… tokens_per_s_b=… ms_per_step_b=… tokens_per_s_124m=… ms_per_step_124m=… mfu_124m=…
  node gpu-check.mjs --fidelity-only
  node gpu-check.mjs --backend cpu   the same on the CPU path (pure JavaScript here: no OpenBLAS kernels)
  node gpu-check.mjs --peak-tflops 31.2   the GPU's fp32 peak for MFU, when it is not a known NVIDIA model
  node train.mjs --model <HF folder or config.json> --train <data> --out <folder> [--backend webgpu]

Needs: Linux x64 with glibc >= 2.34 (Ubuntu 22.04+, Debian 12+, Amazon Linux 2023), Node.js >= 20.
On NVIDIA: the driver with its Vulkan part and the Vulkan loader (libvulkan1); in a container, the
NVIDIA runtime with NVIDIA_DRIVER_CAPABILITIES including graphics.
Without a GPU it runs on Mesa's software renderer (apt-get install libegl-dev libegl-mesa0
libgl1-mesa-dri) and says so: those figures measure the CPU.
`;

async function bundle(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [join(root, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    logLevel: 'error',
    // CommonJS dependencies (tfjs) call require for Node built-ins; an ESM bundle must define it.
    banner: {
      js:
        "import { createRequire as __tuneplaneCreateRequire } from 'node:module';" +
        'const require = __tuneplaneCreateRequire(import.meta.url);',
    },
  });
}

function folderBytes(dir: string): { bytes: number; files: [string, number][] } {
  const files: [string, number][] = [];
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const s = statSync(join(dir, name));
    if (s.isFile()) files.push([name, s.size]);
  }
  return { bytes: files.reduce((a, [, n]) => a + n, 0), files };
}

export async function buildGpuBundle(
  out: string,
  log: (line: string) => void = console.log,
): Promise<number> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });

  let selected = '';
  await initBackend({ prefer: 'cpu', log: (l) => (selected = l) });
  // The backend's name and its BLAS, without the list of kernels.
  const described = (JSON.parse(selected) as { description: string }).description.split(': ')[0];
  const reference = await computeReference(`tfjs ${tf.version.tfjs} on ${described}`);
  writeFileSync(join(out, 'reference.json'), JSON.stringify(reference));

  await bundle('test/bench/gpu.ts', join(out, 'gpu-check.mjs'));
  await bundle('runner/cli/train.ts', join(out, 'train.mjs'));
  copyFileSync(dawnBindingPath(), join(out, 'dawn.node'));
  writeFileSync(join(out, 'README.txt'), README);

  const { bytes, files } = folderBytes(out);
  log(
    `gpu bundle: ${out} ${(bytes / 2 ** 20).toFixed(1)} MiB: ` +
      files.map(([name, n]) => `${name} ${(n / 2 ** 20).toFixed(1)} MiB`).join(', '),
  );
  if (bytes > GPU_BUNDLE_LIMIT_BYTES)
    throw new Error(`the GPU bundle is ${bytes} bytes, over the limit of ${GPU_BUNDLE_LIMIT_BYTES}`);
  return bytes;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  const out = resolve(i >= 0 ? process.argv[i + 1] : join(root, 'dist/gpu-check'));
  buildGpuBundle(out).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
