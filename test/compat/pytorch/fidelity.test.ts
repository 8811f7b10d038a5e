/**
 * Fidelity against PyTorch: the same weights and batch through our tfjs model and through a plain
 * PyTorch transcription of HF's GPT-2 / Llama modelling code (reference.py). Compared: logits,
 * cross-entropy loss and the gradient of every weight, float32.
 *
 * Relative error of a tensor = max|ours - torch| / max|torch| (elementwise over the whole tensor;
 * normalising by the tensor's largest magnitude keeps near-zero entries from dominating).
 *
 * Needs python3 with torch (Debian: apt-get install python3-torch libopenblas0-openmp). Without it
 * the suite is skipped with the reason printed; CI installs it.
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors, savePretrained } from '../../../runner/io';
import { createModel, parseModelConfig, type DecoderModel } from '../../../runner/model';
import { buildCharTokenizer } from '../../../runner/tokenizer';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'reference.py');
const TOLERANCE = 1e-4;

/** Debian's torch lives in the system python; a pyenv/venv `python3` on PATH may not see it. */
function findTorchPython(): string | undefined {
  const candidates = [process.env.TUNEPLANE_PYTHON, '/usr/bin/python3', 'python3'].filter(
    (c): c is string => !!c,
  );
  return candidates.find(
    (py) => spawnSync(py, ['-c', 'import torch, numpy'], { stdio: 'ignore' }).status === 0,
  );
}
const python = findTorchPython();
if (!python)
  console.warn(
    'SKIPPED test/compat/pytorch: no python3 with torch found (apt-get install python3-torch libopenblas0-openmp).',
  );

function relErr(ours: Float32Array | number[], ref: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    diff = Math.max(diff, Math.abs(ours[i] - ref[i]));
    scale = Math.max(scale, Math.abs(ref[i]));
  }
  return diff / Math.max(scale, 1e-30);
}

interface Batch {
  ids: number[][];
  task: 'lm' | 'classify';
  last_index?: number[];
  labels?: number[];
}

function ourLossAndGrads(model: DecoderModel, batch: Batch, checkpointing: boolean) {
  const ids = tf.tensor2d(batch.ids, undefined, 'int32');
  const [B, T] = ids.shape;
  let logits: tf.Tensor | undefined;
  const { value, grads } = tf.variableGrads(() => {
    let loss: tf.Scalar;
    if (batch.task === 'classify') {
      const out = model.classify(ids, tf.tensor1d(batch.last_index!, 'int32'), { checkpointing });
      const labels = tf.oneHot(tf.tensor1d(batch.labels!, 'int32'), out.shape[1]);
      loss = tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(out), labels), -1))) as tf.Scalar;
      logits = tf.keep(out);
    } else {
      const out = model.logits(ids, { checkpointing });
      const V = out.shape[2];
      const targets = tf.oneHot(tf.reshape(tf.slice(ids, [0, 1], [B, T - 1]), [-1]), V);
      const lp = tf.logSoftmax(tf.reshape(tf.slice(out, [0, 0, 0], [B, T - 1, V]), [-1, V]));
      loss = tf.neg(tf.mean(tf.sum(tf.mul(lp, targets), -1))) as tf.Scalar;
      logits = tf.keep(out);
    }
    return loss;
  }, [...model.weights.values()]);
  const byName = new Map([...model.weights].map(([name, v]) => [name, grads[v.name]]));
  return { loss: value, logits: logits!, grads: byName };
}

const dirs: string[] = [];
beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const IDS = [
  [3, 17, 5, 9, 22, 1, 14, 8, 30, 2],
  [11, 4, 27, 6, 0, 19, 25, 7, 13, 28],
];

const CASES: { name: string; config: Record<string, unknown>; batch: Batch; checkpointing?: boolean }[] = [
  {
    name: 'GPT-2 causal LM (tied head, gelu_new)',
    config: { model_type: 'gpt2', vocab_size: 31, n_positions: 16, n_embd: 32, n_layer: 2, n_head: 4 },
    batch: { ids: IDS, task: 'lm' },
  },
  {
    name: 'GPT-2 causal LM with gradient checkpointing',
    config: { model_type: 'gpt2', vocab_size: 31, n_positions: 16, n_embd: 32, n_layer: 2, n_head: 4 },
    batch: { ids: IDS, task: 'lm' },
    checkpointing: true,
  },
  {
    name: 'Llama causal LM (GQA 4:2, RoPE, SwiGLU, untied head)',
    config: {
      model_type: 'llama',
      vocab_size: 31,
      hidden_size: 32,
      intermediate_size: 56,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      max_position_embeddings: 16,
      rms_norm_eps: 1e-5,
    },
    batch: { ids: IDS, task: 'lm' },
  },
  {
    name: 'Llama causal LM (tied, MQA 4:1, llama3 rope scaling, checkpointing)',
    config: {
      model_type: 'llama',
      vocab_size: 31,
      hidden_size: 32,
      intermediate_size: 40,
      num_hidden_layers: 3,
      num_attention_heads: 4,
      num_key_value_heads: 1,
      max_position_embeddings: 16,
      tie_word_embeddings: true,
      rope_theta: 500000,
      rope_scaling: {
        rope_type: 'llama3',
        factor: 8,
        low_freq_factor: 1,
        high_freq_factor: 4,
        original_max_position_embeddings: 64,
      },
    },
    batch: { ids: IDS, task: 'lm' },
    checkpointing: true,
  },
  {
    name: 'GPT-2 sequence classification (right padding)',
    config: {
      model_type: 'gpt2',
      vocab_size: 31,
      n_positions: 16,
      n_embd: 32,
      n_layer: 2,
      n_head: 4,
      num_labels: 3,
    },
    batch: { ids: IDS, task: 'classify', last_index: [6, 9], labels: [2, 0] },
  },
  {
    name: 'Llama sequence classification',
    config: {
      model_type: 'llama',
      vocab_size: 31,
      hidden_size: 32,
      intermediate_size: 56,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      max_position_embeddings: 16,
      num_labels: 2,
    },
    batch: { ids: IDS, task: 'classify', last_index: [9, 4], labels: [1, 0] },
  },
];

describe.skipIf(!python)('fidelity against PyTorch (float32, rel err = max|a-b|/max|b| ≤ 1e-4)', () => {
  it.each(CASES)(
    '$name: logits, loss and every weight gradient match',
    async ({ config, batch, checkpointing }) => {
      const dir = await mkdtemp(join(tmpdir(), 'tuneplane-fidelity-'));
      dirs.push(dir);
      // Weights larger than HF's 0.02 init, so attention is far from uniform and errors would show.
      const model = createModel(parseModelConfig({ ...config, initializer_range: 0.3 }), { seed: 42 });
      await savePretrained(dir, model, buildCharTokenizer('abc'));
      await writeFile(join(dir, 'batch.json'), JSON.stringify(batch));
      const run = spawnSync(python!, [SCRIPT, dir], { encoding: 'utf8', timeout: 120_000 });
      expect(run.status, run.stderr).toBe(0);
      const ref = readSafetensors(new Uint8Array(await readFile(join(dir, 'out.safetensors')))).tensors;

      const ours = ourLossAndGrads(model, batch, checkpointing ?? false);
      expect(ours.logits.shape).toEqual(ref.get('logits')!.shape);
      expect(relErr(ours.logits.dataSync() as Float32Array, ref.get('logits')!.data)).toBeLessThanOrEqual(
        TOLERANCE,
      );
      expect(relErr(ours.loss.dataSync() as Float32Array, ref.get('loss')!.data)).toBeLessThanOrEqual(
        TOLERANCE,
      );
      const refGrads = [...ref.keys()].filter((k) => k.startsWith('grad/'));
      expect(refGrads.map((k) => k.slice(5)).sort()).toEqual([...model.weights.keys()].sort());
      const errors: Record<string, number> = {};
      for (const [name, g] of ours.grads)
        errors[name] = relErr(g.dataSync() as Float32Array, ref.get(`grad/${name}`)!.data);
      const worst = Object.entries(errors).sort((a, b) => b[1] - a[1])[0];
      expect(worst[1], `worst gradient: ${worst[0]}`).toBeLessThanOrEqual(TOLERANCE);
      tf.dispose([ours.loss, ours.logits, ...ours.grads.values()]);
      model.dispose();
    },
  );
});
