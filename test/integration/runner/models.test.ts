/**
 * The trainer with runner/model's real GPT-2 and Llama decoders (tiny sizes): hyperparameters that
 * act through the model (gradient checkpointing, dropout) and a leak check over a whole run.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CheckpointManager, localStorage } from '../../../runner/checkpoint';
import { exampleRange, ExampleList, loadDataset } from '../../../runner/data';
import { createModel, parseModelConfig } from '../../../runner/model';
import { buildCharTokenizer } from '../../../runner/tokenizer';
import { Trainer } from '../../../runner/train';
import { config, maxAbsDiff, snapshotWeights } from '../../unit/runner/train/helpers';
import { shakespeare } from './fixtures';

const text = shakespeare().slice(0, 6000);
const tok = buildCharTokenizer(text);
const ds = loadDataset(text, tok, { maxLength: 24 });
const configs = {
  gpt2: { model_type: 'gpt2', n_positions: 32, n_embd: 16, n_layer: 2, n_head: 2, vocab_size: tok.vocabSize },
  llama: {
    model_type: 'llama',
    hidden_size: 16,
    intermediate_size: 32,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: 32,
    vocab_size: tok.vocabSize,
  },
};

describe.each(Object.entries(configs))('%s', (_name, cfg) => {
  it('gradient checkpointing gives the same gradients', async () => {
    const model = createModel(parseModelConfig(cfg), { seed: 3 });
    const plain = new Trainer({
      config: config({ gradient_checkpointing: false, dropout: 0.1 }),
      model,
      train: ds,
      padId: tok.padId,
    });
    const ckpt = new Trainer({
      config: config({ gradient_checkpointing: true, dropout: 0.1 }),
      model,
      train: ds,
      padId: tok.padId,
    });
    const a = await plain.gradients([0, 1, 2, 3], 4, 5);
    const b = await ckpt.gradients([0, 1, 2, 3], 4, 5);
    expect(b.result.loss).toBeCloseTo(a.result.loss, 5);
    let diff = 0;
    for (const [k, g] of a.grads)
      diff = Math.max(diff, tf.max(tf.abs(tf.sub(g, b.grads.get(k)!))).dataSync()[0]);
    expect(diff).toBeLessThan(1e-5);
    tf.dispose([...a.grads.values(), ...b.grads.values()]);
    model.dispose();
  });

  it('dropout changes training losses (per step) but not evaluation', async () => {
    const model = createModel(parseModelConfig(cfg), { seed: 3 });
    const drop = new Trainer({ config: config({ dropout: 0.3 }), model, train: ds, padId: tok.padId });
    const none = new Trainer({ config: config({ dropout: 0 }), model, train: ds, padId: tok.padId });
    const l = async (t: Trainer, step: number) => {
      const r = await t.gradients([0, 1], 2, step);
      tf.dispose([...r.grads.values()]);
      return r.result.loss;
    };
    expect(await l(drop, 0)).not.toBeCloseTo(await l(none, 0), 4);
    expect(await l(drop, 0)).not.toBeCloseTo(await l(drop, 1), 4);
    expect(await l(drop, 0)).toBe(await l(drop, 0));
    expect((await drop.evaluate(ds, 8, 2)).loss).toBe((await none.evaluate(ds, 8, 2)).loss);
    model.dispose();
  });

  it('trains without leaking tensors', async () => {
    const model = createModel(parseModelConfig(cfg), { seed: 3 });
    const counts: number[] = [];
    const r = await new Trainer({
      config: config({
        n_epochs: 1,
        batch_size: 8,
        learning_rate: 1e-2,
        metrics_interval_steps: 1,
        eval_interval_steps: 1000,
        gradient_accumulation_steps: 2,
        gradient_checkpointing: true,
      }),
      model,
      train: { ...ds, examples: new ExampleList(exampleRange(ds.examples, 0, 96)) },
      padId: tok.padId,
      sink: { metrics: () => void counts.push(tf.memory().numTensors) },
    }).run();
    expect(r.steps).toBe(6);
    expect(new Set(counts.slice(1)).size).toBe(1);
    model.dispose();
  });

  it('an interrupted and resumed run ends with the weights of an uninterrupted one', async () => {
    const hp = config({
      n_epochs: 2,
      batch_size: 4,
      learning_rate: 1e-2,
      dropout: 0.1,
      gradient_accumulation_steps: 2,
      warmup_steps: 2,
      lr_scheduler: 'cosine',
      seed: 5,
    });
    const small = { ...ds, examples: new ExampleList(exampleRange(ds.examples, 0, 40)) };
    const full = createModel(parseModelConfig(cfg), { seed: 3 });
    const r0 = await new Trainer({ config: hp, model: full, train: small, padId: tok.padId }).run();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tp-resume-'));
    const ckpts = new CheckpointManager(localStorage(dir), 1);
    const stopAt = 1 + Math.floor(Math.random() * (r0.totalSteps - 1));
    const a = createModel(parseModelConfig(cfg), { seed: 3 });
    expect(
      (
        await new Trainer({
          config: hp,
          model: a,
          train: small,
          padId: tok.padId,
          checkpointer: ckpts,
          shouldStop: (s) => s === stopAt,
        }).run()
      ).status,
    ).toBe('interrupted');
    const b = createModel(parseModelConfig(cfg), { seed: 99 });
    await new Trainer({ config: hp, model: b, train: small, padId: tok.padId, checkpointer: ckpts }).run();
    expect(maxAbsDiff(snapshotWeights(b), snapshotWeights(full))).toBeLessThanOrEqual(1e-6);
    [full, a, b].forEach((m) => m.dispose());
    await rm(dir, { recursive: true, force: true });
  });
});
