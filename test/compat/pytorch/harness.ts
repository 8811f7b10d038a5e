/**
 * The PyTorch fidelity check, shared by the CPU suite (fidelity.test.ts) and the WebGPU suite
 * (test/compat/webgpu): the same weights and batch through our tfjs model, on whatever backend is
 * active, and through a plain PyTorch transcription of HF's GPT-2 / Llama code (reference.py).
 * Compared: logits, the loss (cross-entropy, or DPO's on preference pairs through the trainer's own
 * loss, runner/train/loss.ts) and the gradient of every weight, float32.
 *
 * Relative error of a tensor = max|ours - torch| / max|torch| (elementwise over the whole tensor;
 * normalising by the tensor's largest magnitude keeps near-zero entries from dominating).
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSafetensors, savePretrained } from '../../../runner/io';
import { createModel, parseModelConfig, type DecoderModel } from '../../../runner/model';
import type { RoutingSink } from '../../../runner/model/model';
import { softmaxCrossEntropy } from '../../../runner/model/ops';
import { lossSum } from '../../../runner/train/loss';
import { sequenceLogps } from '../../../runner/train/dpo';
import { buildCharTokenizer } from '../../../runner/tokenizer';
import type { Batch, FidelityCase } from './cases';

export { ARCHITECTURE_CASES, CASES, DPO_CASES, MOE_CASES, type Batch, type FidelityCase } from './cases';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'reference.py');

/** Debian's torch lives in the system python; a pyenv/venv `python3` on PATH may not see it. */
export function findTorchPython(): string | undefined {
  const candidates = [process.env.TUNEPLANE_PYTHON, '/usr/bin/python3', 'python3'].filter(
    (c): c is string => !!c,
  );
  return candidates.find(
    (py) => spawnSync(py, ['-c', 'import torch, numpy'], { stdio: 'ignore' }).status === 0,
  );
}

export function relErr(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    diff = Math.max(diff, Math.abs(ours[i] - ref[i]));
    scale = Math.max(scale, Math.abs(ref[i]));
  }
  return diff / Math.max(scale, 1e-30);
}

export interface HostResult {
  logits: { shape: number[]; data: Float32Array };
  loss: number;
  grads: Map<string, Float32Array>;
  /** A mixture of experts: the load-balancing loss before weighting. */
  aux?: number;
}

/** Logits, mean cross-entropy and every weight's gradient on the active backend, read asynchronously. */
export async function lossAndGrads(
  model: DecoderModel,
  batch: Batch,
  checkpointing: boolean,
): Promise<HostResult> {
  const ids = tf.tensor2d(batch.ids, undefined, 'int32');
  const [B, T] = ids.shape;
  let logits: tf.Tensor | undefined;
  let aux: tf.Scalar | undefined;
  const { value, grads } = tf.variableGrads(() => {
    let loss: tf.Scalar;
    // runner/model/ops' cross-entropy: the fused kernel where the backend has it, else composed ops
    if (batch.task === 'dpo') {
      // The trainer's loss on a collated batch of pairs, as a mean over pairs (TRL's).
      const t = {
        ids,
        targets: tf.tensor2d(batch.targets!, undefined, 'int32'),
        mask: tf.tensor2d(batch.mask!),
        reference: tf.tensor1d(batch.reference!),
      };
      const dpo = { beta: batch.beta!, label_smoothing: batch.label_smoothing! };
      loss = tf.div(lossSum(model, t, { checkpointing }, dpo).loss, B / 2) as tf.Scalar;
      logits = tf.keep(model.logits(ids, { checkpointing }));
    } else if (batch.task === 'classify') {
      const out = model.classify(ids, tf.tensor1d(batch.last_index!, 'int32'), { checkpointing });
      const labels = tf.tensor1d(batch.labels!, 'int32');
      loss = tf.div(softmaxCrossEntropy(out, labels, tf.ones([B])).loss, B) as tf.Scalar;
      logits = tf.keep(out);
    } else {
      // A mixture of experts adds its load-balancing loss as MixtralForCausalLM does.
      const routing: RoutingSink | undefined = model.moe
        ? { attentionMask: batch.attention_mask ? tf.tensor2d(batch.attention_mask) : undefined }
        : undefined;
      const out = model.logits(ids, { checkpointing, routing });
      const V = out.shape[2];
      const targets = tf.slice(ids, [0, 1], [B, T - 1]);
      const nll = softmaxCrossEntropy(tf.slice(out, [0, 0, 0], [B, T - 1, V]), targets, tf.ones([B, T - 1]));
      loss = tf.div(nll.loss, B * (T - 1)) as tf.Scalar;
      aux = routing?.auxLoss;
      if (aux && model.moe!.auxInLoss) loss = tf.add(loss, tf.mul(aux, model.moe!.auxCoef));
      logits = tf.keep(out);
    }
    return loss;
  }, [...model.weights.values()]);
  const host: HostResult = {
    logits: { shape: logits!.shape, data: (await logits!.data()) as Float32Array },
    loss: (await value.data())[0],
    grads: new Map(),
    ...(aux ? { aux: (await aux.data())[0] } : {}),
  };
  // An expert no token chose is not on the tape: its gradient is zero (PyTorch's is None; reference.py writes zeros).
  for (const [name, v] of model.weights)
    host.grads.set(
      name,
      grads[v.name] ? ((await grads[v.name].data()) as Float32Array) : new Float32Array(v.size),
    );
  tf.dispose([value, logits!, ids, ...Object.values(grads), ...(aux ? [aux] : [])]);
  return host;
}

export interface Comparison {
  logitsShape: { ours: number[]; torch: number[] };
  logits: number;
  loss: number;
  /** A mixture of experts' load-balancing loss alone. */
  aux?: number;
  /** Gradient names on each side, sorted. */
  gradNames: { ours: string[]; torch: string[] };
  grads: Record<string, number>;
  worstGrad: [string, number];
}

/**
 * Builds the case's model on the active backend (weights larger than HF's 0.02 init, so attention is
 * far from uniform and errors would show), runs reference.py on the same weights and batch, and
 * returns the relative error of each compared tensor.
 */
export async function compareWithPyTorch(python: string, c: FidelityCase): Promise<Comparison> {
  const dir = await mkdtemp(join(tmpdir(), 'tuneplane-fidelity-'));
  try {
    const model = createModel(parseModelConfig({ ...c.config, initializer_range: 0.3 }), { seed: 42 });
    await savePretrained(dir, model, buildCharTokenizer('abc'));
    const batch =
      c.batch.task === 'dpo' ? { ...c.batch, reference: await referenceNear(model, c.batch) } : c.batch;
    await writeFile(join(dir, 'batch.json'), JSON.stringify(batch));
    const run = spawnSync(python, [SCRIPT, dir], { encoding: 'utf8', timeout: 120_000 });
    if (run.status !== 0) throw new Error(`reference.py failed (${run.status}): ${run.stderr}`);
    const ref = readSafetensors(new Uint8Array(await readFile(join(dir, 'out.safetensors')))).tensors;
    const ours = await lossAndGrads(model, batch, c.checkpointing ?? false);
    model.dispose();
    const torchGrads = [...ref.keys()].filter((k) => k.startsWith('grad/')).map((k) => k.slice(5));
    const grads: Record<string, number> = {};
    for (const [name, g] of ours.grads) {
      const r = ref.get(`grad/${name}`);
      grads[name] = r ? relErr(g, r.data) : Infinity;
    }
    const worstGrad = Object.entries(grads).sort((a, b) => b[1] - a[1])[0];
    return {
      logitsShape: { ours: ours.logits.shape, torch: ref.get('logits')!.shape },
      logits: relErr(ours.logits.data, ref.get('logits')!.data),
      loss: relErr([ours.loss], ref.get('loss')!.data),
      ...(ours.aux !== undefined || ref.has('aux')
        ? {
            aux:
              ref.has('aux') && ours.aux !== undefined ? relErr([ours.aux], ref.get('aux')!.data) : Infinity,
          }
        : {}),
      gradNames: { ours: [...ours.grads.keys()].sort(), torch: torchGrads.sort() },
      grads,
      worstGrad,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Reference log-probabilities a little off the model's own (as after some training): the rows'
 * log-probabilities under these weights, moved by ±0.3…0.8 nats, so margins are neither zero nor
 * saturated and every gradient term counts.
 */
async function referenceNear(model: DecoderModel, b: Batch): Promise<number[]> {
  const ids = tf.tensor2d(b.ids, undefined, 'int32');
  const t = { ids, targets: tf.tensor2d(b.targets!, undefined, 'int32'), mask: tf.tensor2d(b.mask!) };
  const logps = tf.tidy(() => sequenceLogps(model.logits(t.ids), t.targets, t.mask).logps);
  const v = [...(await logps.data())];
  tf.dispose([logps, ...Object.values(t)]);
  const offsets = [0.5, -0.3, -0.8, 0.6];
  return v.map((x, i) => x + offsets[i % offsets.length]);
}
