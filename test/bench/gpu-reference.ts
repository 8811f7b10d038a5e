/**
 * The GPU check's fidelity test without PyTorch: reference values computed on the CPU path (pure
 * tfjs + runner/native's kernels, itself held to PyTorch by test/compat/pytorch) are stored in the
 * GPU folder, and the GPU recomputes them. Compared, as in test/compat/pytorch: logits, loss and
 * the gradient of every weight, as max|gpu - cpu| / max|cpu| over the stored entries.
 *
 * Cases: the PyTorch fidelity cases (tiny GPT-2 and Llama), plus one at GPU scale (GPT-2 with a
 * 4,096-token vocabulary, d_model 256, 128 positions, batch 4) whose shapes take tfjs's tiled matmul
 * and large-reduction paths. Weights come from the seeded initialiser (plain JS, identical on every
 * backend; a checksum per weight proves it); at most SAMPLE entries per tensor are stored, evenly spaced.
 */
import * as tf from '@tensorflow/tfjs';
import { createModel, parseModelConfig } from '../../runner/model';
import { CASES, type FidelityCase } from '../compat/pytorch/cases';
import { lossAndGrads } from '../compat/pytorch/harness';

const SAMPLE = 1024;

export interface StoredTensor {
  /** max |x| over the whole tensor: the error's scale. */
  scale: number;
  /** Entries kept (flat indices) and their values. */
  index: number[];
  value: number[];
}

export interface ReferenceCase {
  case: FidelityCase;
  /** Σx² of each weight after the seeded init: proves both sides start from the same weights. */
  weightChecksums: Record<string, number>;
  logits: StoredTensor;
  loss: number;
  grads: Record<string, StoredTensor>;
}

export interface ReferenceFile {
  createdWith: string;
  cases: ReferenceCase[];
}

const IDS_GPU_SCALE = Array.from({ length: 4 }, (_, r) =>
  Array.from({ length: 128 }, (_, i) => (Math.imul(r * 131 + i, 2654435761) >>> 20) % 4096),
);

export const GPU_SCALE_CASE: FidelityCase = {
  name: 'GPT-2 at GPU scale (vocab 4096, d_model 256, 2 layers, batch 4 × 128)',
  config: { model_type: 'gpt2', vocab_size: 4096, n_positions: 128, n_embd: 256, n_layer: 2, n_head: 4 },
  batch: { ids: IDS_GPU_SCALE, task: 'lm' },
};

export const REFERENCE_CASES: FidelityCase[] = [...CASES, GPU_SCALE_CASE];

function store(data: Float32Array): StoredTensor {
  const step = Math.max(1, Math.floor(data.length / SAMPLE));
  const index: number[] = [];
  for (let i = 0; i < data.length && index.length < SAMPLE; i += step) index.push(i);
  let scale = 0;
  for (let i = 0; i < data.length; i++) scale = Math.max(scale, Math.abs(data[i]));
  return { scale, index, value: index.map((i) => data[i]) };
}

function errorOf(data: Float32Array, ref: StoredTensor): number {
  let diff = 0;
  ref.index.forEach((i, k) => (diff = Math.max(diff, Math.abs(data[i] - ref.value[k]))));
  return diff / Math.max(ref.scale, 1e-30);
}

async function checksums(weights: Map<string, tf.Variable>): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [name, v] of weights) {
    const s = tf.sum(tf.square(v));
    out[name] = (await s.data())[0];
    s.dispose();
  }
  return out;
}

/** Same weights as test/compat/pytorch (initializer_range 0.3: attention far from uniform). */
function buildModel(c: FidelityCase) {
  return createModel(parseModelConfig({ ...c.config, initializer_range: 0.3 }), { seed: 42 });
}

/** Runs every case on the active backend and keeps what the GPU check compares. */
export async function computeReference(createdWith: string): Promise<ReferenceFile> {
  const cases: ReferenceCase[] = [];
  for (const c of REFERENCE_CASES) {
    const model = buildModel(c);
    const weightChecksums = await checksums(model.weights);
    const r = await lossAndGrads(model, c.batch, c.checkpointing ?? false);
    model.dispose();
    cases.push({
      case: c,
      weightChecksums,
      logits: store(r.logits.data),
      loss: r.loss,
      grads: Object.fromEntries([...r.grads].map(([name, g]) => [name, store(g)])),
    });
  }
  return { createdWith, cases };
}

export interface CaseResult {
  name: string;
  /** Worst relative checksum difference of the initial weights (must be ~1e-7). */
  init: number;
  logits: number;
  loss: number;
  worstGrad: [string, number];
  seconds: number;
}

/** Recomputes each stored case on the active backend; relative errors as in test/compat/pytorch. */
export async function checkReference(
  ref: ReferenceFile,
  opts: { quick?: boolean } = {},
): Promise<CaseResult[]> {
  const out: CaseResult[] = [];
  for (const stored of ref.cases) {
    if (opts.quick && stored.case.name === GPU_SCALE_CASE.name) continue;
    const t0 = performance.now();
    const model = buildModel(stored.case);
    const sums = await checksums(model.weights);
    const init = Math.max(
      ...Object.entries(stored.weightChecksums).map(
        ([name, s]) => Math.abs((sums[name] ?? NaN) - s) / Math.max(Math.abs(s), 1e-30),
      ),
    );
    const r = await lossAndGrads(model, stored.case.batch, stored.case.checkpointing ?? false);
    model.dispose();
    const grads = Object.entries(stored.grads).map(([name, g]): [string, number] => [
      name,
      r.grads.has(name) ? errorOf(r.grads.get(name)!, g) : Infinity,
    ]);
    out.push({
      name: stored.case.name,
      init,
      logits: errorOf(r.logits.data, stored.logits),
      loss: Math.abs(r.loss - stored.loss) / Math.max(Math.abs(stored.loss), 1e-30),
      worstGrad: grads.sort((a, b) => b[1] - a[1])[0],
      seconds: (performance.now() - t0) / 1000,
    });
  }
  return out;
}
