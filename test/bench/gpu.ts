/**
 * The GPU check: which adapter Dawn offers, whether the trainer's numbers hold on it, and how fast
 * it trains. `npm run gpu:bundle` packs this file (as gpu-check.mjs) with Dawn's binding and the
 * reference values into one folder for a machine with a GPU and no network:
 *
 *   node <folder>/gpu-check.mjs [--backend webgpu|cpu] [--steps N] [--warmup N] [--peak-tflops T]
 *                               [--fidelity-only [--quick]] [--skip-124m]
 *   npm run bench:gpu -- …      (the same from the repository, reference from test/bench/gpu-reference.ts)
 *
 * 1. Backend: WebGPU on the first hardware adapter (Vulkan on NVIDIA); with none, the software
 *    renderer, and it says so (its figures measure this CPU, not a GPU). --backend cpu runs the CPU
 *    path instead, for a side-by-side figure.
 * 2. Fidelity: the stored CPU-path reference (gpu-reference.ts) recomputed here; exit 1 if off
 *    (--quick: the small cases only, not the GPU-scale one).
 * 3. Speed: config B (test/bench/trainer-configs.ts) and a GPT-2-small-sized model (12 layers, d_model 768,
 *    context 256, vocab 50,257) trained for a few steps. MFU = tokens/s × model FLOPs per token /
 *    peak FLOPS (fp32: WebGPU has no tensor cores).
 * Last line: adapter=… tokens_per_s_b=… ms_per_step_b=… tokens_per_s_124m=… ms_per_step_124m=… mfu_124m=…
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendInfo } from '../../runner/backend';
import { parseModelConfig } from '../../runner/model';
import { checkReference, computeReference, type ReferenceFile } from './gpu-reference';
import { GPT2_124M, largestTensorBytes, measureTraining, peakFor } from './gpu-train';
import { CONFIGS } from './trainer-configs';

/**
 * 1e-3 of the tensor's largest entry. On the CPU path and on llvmpipe the worst is ~6e-6; a GPU's
 * WGSL exp/log/tanh may be a few ulp off and its matmuls sum in other orders, so allow more than
 * test/compat's 1e-4, still far below what a wrong op gives (O(1)).
 */
const TOLERANCE = 1e-3;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const flag = (name: string) => process.argv.includes(`--${name}`);
const say = (line: string) => process.stdout.write(`${line}\n`);

async function selectBackend(): Promise<BackendInfo> {
  const wanted = arg('backend') ?? 'webgpu';
  if (wanted !== 'webgpu' && wanted !== 'cpu')
    throw new Error(`--backend must be webgpu or cpu, not ${wanted}`);
  let line = '';
  const info = await initBackend({ prefer: wanted, log: (l) => (line = l) });
  say(`backend: ${line}`);
  return info;
}

async function loadReference(): Promise<ReferenceFile> {
  const beside = join(dirname(fileURLToPath(import.meta.url)), 'reference.json');
  if (existsSync(beside)) return JSON.parse(readFileSync(beside, 'utf8')) as ReferenceFile;
  // From the repository: compute it now on the CPU path, then come back.
  const active = tf.getBackend();
  await tf.setBackend('cpu');
  const ref = await computeReference(`computed now on the cpu backend`);
  await tf.setBackend(active);
  return ref;
}

async function fidelity(): Promise<boolean> {
  const ref = await loadReference();
  say(
    `fidelity: ${ref.cases.length} cases against the CPU path (${ref.createdWith}); tolerance ${TOLERANCE}`,
  );
  let ok = true;
  for (const r of await checkReference(ref, { quick: flag('quick') })) {
    const pass =
      r.init <= 1e-6 && r.logits <= TOLERANCE && r.loss <= TOLERANCE && r.worstGrad[1] <= TOLERANCE;
    ok &&= pass;
    say(
      `  ${pass ? 'ok  ' : 'FAIL'} ${r.name}: logits ${r.logits.toExponential(1)}, loss ${r.loss.toExponential(1)}, ` +
        `worst gradient ${r.worstGrad[1].toExponential(1)} (${r.worstGrad[0]}), init ${r.init.toExponential(1)}, ${r.seconds.toFixed(1)} s`,
    );
  }
  return ok;
}

function limits(): Record<string, number> | undefined {
  const b = tf.backend() as unknown as { device?: { limits: Record<string, number> } };
  return b.device?.limits;
}

async function main(): Promise<number> {
  const info = await selectBackend();
  const software = info.adapter?.software ?? false;
  const adapter = info.adapter
    ? `${info.adapter.backend}:${(info.adapter.device || info.adapter.description).replace(/\s+/g, '_')}${software ? '(software)' : ''}`
    : `cpu-path`;
  if (software)
    say(
      'note: no hardware GPU adapter; this runs on a software renderer (Mesa llvmpipe) on the CPU. ' +
        'Its figures measure this CPU, not a GPU; fewer steps are run.',
    );

  if (!(await fidelity())) {
    say(`adapter=${adapter} fidelity=FAIL`);
    return 1;
  }
  if (flag('fidelity-only')) {
    say(`adapter=${adapter} fidelity=ok`);
    return 0;
  }

  const slow = software || info.backend === 'cpu';
  const warmup = Number(arg('warmup') ?? (slow ? 1 : 3));
  const steps = Number(arg('steps') ?? (slow ? 2 : 10));
  const { model: configB, batch: BATCH, seq: SEQ } = CONFIGS.B;
  const b = await measureTraining({ config: configB, batch: BATCH, seq: SEQ }, { warmup, steps });
  say(
    `config B (GPT-2, ${(b.params / 1e6).toFixed(1)}M parameters, batch ${BATCH} × ${SEQ}): ` +
      `${b.tokensPerSecond.toFixed(1)} tokens/s, ${b.msPerStep.toFixed(0)} ms/step, losses ${b.losses.map((l) => l.toFixed(3)).join(' ')}`,
  );

  let tokens124 = NaN;
  let ms124 = NaN;
  let mfu124 = NaN;
  if (!flag('skip-124m')) {
    const config = parseModelConfig(GPT2_124M);
    const lim = limits();
    const maxBinding = lim ? Math.min(lim.maxStorageBufferBindingSize, lim.maxBufferSize) : Infinity;
    let batch = slow ? 1 : 8;
    while (batch > 1 && largestTensorBytes(config, batch, 256) > maxBinding) batch /= 2;
    if (largestTensorBytes(config, batch, 256) > maxBinding) {
      say(
        `124M: skipped, its largest tensor (${(largestTensorBytes(config, batch, 256) / 2 ** 20).toFixed(0)} MiB) ` +
          `exceeds this adapter's buffer binding limit (${(maxBinding / 2 ** 20).toFixed(0)} MiB)`,
      );
    } else {
      const r = await measureTraining(
        { config: GPT2_124M, batch, seq: 256 },
        { warmup: slow ? 1 : 2, steps: Number(arg('steps-124m') ?? (slow ? 1 : 5)) },
      );
      tokens124 = r.tokensPerSecond;
      ms124 = r.msPerStep;
      const peak = peakFor(
        info.adapter?.device || info.adapter?.description || '',
        software || info.backend === 'cpu',
        Number(arg('peak-tflops') ?? process.env.TUNEPLANE_PEAK_TFLOPS ?? 0),
      );
      if (peak) mfu124 = (r.tokensPerSecond * r.flopsPerToken) / (peak.tflops * 1e12);
      say(
        `124M (${(r.params / 1e6).toFixed(1)}M parameters, batch ${batch} × 256): ${r.tokensPerSecond.toFixed(1)} tokens/s, ` +
          `${r.msPerStep.toFixed(0)} ms/step, ${(r.flopsPerToken / 1e9).toFixed(2)} GFLOP/token, ` +
          (peak
            ? `MFU ${(mfu124 * 100).toFixed(2)}% of ${peak.tflops.toFixed(2)} TFLOPS (${peak.source})`
            : 'MFU unknown: pass --peak-tflops for this device'),
      );
    }
  }
  const fmt = (x: number, digits: number) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
  say(
    `adapter=${adapter} tokens_per_s_b=${fmt(b.tokensPerSecond, 1)} ms_per_step_b=${fmt(b.msPerStep, 0)} ` +
      `tokens_per_s_124m=${fmt(tokens124, 1)} ms_per_step_124m=${fmt(ms124, 0)} mfu_124m=${fmt(mfu124, 4)}`,
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    say(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
