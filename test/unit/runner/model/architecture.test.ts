import * as tf from '@tensorflow/tfjs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { savePretrained } from '../../../../runner/io';
import { createDecoder, createModel, parseModelConfig } from '../../../../runner/model';
import { alibiSlopes, decodingUnsupported } from '../../../../runner/model/architecture';
import { buildCharTokenizer } from '../../../../runner/tokenizer';

const GPT2 = { model_type: 'gpt2', vocab_size: 20, n_positions: 16, n_embd: 16, n_layer: 2, n_head: 2 };
const LLAMA = {
  model_type: 'llama',
  vocab_size: 20,
  hidden_size: 16,
  intermediate_size: 24,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 16,
};

describe('architecture options in config.json', () => {
  it.each([
    [{ attention_type: 'sliding_window' }, 'config.sliding_window', /needs sliding_window/],
    [{ attention_type: 'linear', sliding_window: 4 }, 'config.sliding_window', /only to attention_type/],
    [
      { attention_type: 'linear', position_embedding_type: 'alibi' },
      'config.position_embedding_type',
      /alibi/,
    ],
    [{ attention_type: 'sparse' }, 'config.attention_type', /full|sliding_window|linear/],
    [
      { position_embedding_type: 'relative_key' },
      'config.position_embedding_type',
      /absolute|rope|alibi|none/,
    ],
    [{ sliding_window: 0 }, 'config.sliding_window', /./],
  ])('refuses %j naming the field and the rule', (over, param, message) => {
    for (const base of [GPT2, LLAMA]) {
      let err: { param?: string; message: string } | undefined;
      try {
        parseModelConfig({ ...base, ...over });
      } catch (e) {
        err = e as { param?: string; message: string };
      }
      expect(err?.param).toBe(param);
      expect(err?.message).toMatch(message);
    }
  });

  it('drops the learned position table when another position embedding is chosen, and adds one to Llama', () => {
    const names = (config: object) => [...createModel(parseModelConfig(config), { seed: 1 }).weights.keys()];
    expect(names(GPT2)).toContain('transformer.wpe.weight');
    expect(names({ ...GPT2, position_embedding_type: 'rope' })).not.toContain('transformer.wpe.weight');
    expect(names(LLAMA)).not.toContain('model.embed_positions.weight');
    expect(names({ ...LLAMA, position_embedding_type: 'absolute' })).toContain(
      'model.embed_positions.weight',
    );
  });

  it('writes the options back to config.json as given, and nothing for a default model', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'arch-'));
    try {
      const save = async (config: object) => {
        const m = createModel(parseModelConfig(config), { seed: 1 });
        await savePretrained(dir, m, buildCharTokenizer('ab'));
        m.dispose();
        return JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
      };
      const saved = await save({ ...LLAMA, sliding_window: 4, position_embedding_type: 'alibi' });
      expect(saved).toMatchObject({ sliding_window: 4, position_embedding_type: 'alibi' });
      expect(parseModelConfig(saved)).toMatchObject({ sliding_window: 4, position_embedding_type: 'alibi' });
      const plain = await save(GPT2);
      expect(plain).not.toHaveProperty('attention_type');
      expect(plain).not.toHaveProperty('position_embedding_type');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a sliding window bounds what a position can see: window − 1 positions back per layer', () => {
    // 2 layers, window 2: position 5 sees positions 3..5, never 0..2.
    const m = createModel(parseModelConfig({ ...LLAMA, sliding_window: 2 }), { seed: 3 });
    const a = m.logits(tf.tensor2d([[1, 2, 3, 4, 5, 6]], undefined, 'int32'));
    const b = m.logits(tf.tensor2d([[9, 9, 9, 4, 5, 6]], undefined, 'int32'));
    const last = (t: tf.Tensor3D) => t.slice([0, 5, 0], [1, 1, 20]).dataSync();
    const near = (t: tf.Tensor3D) => t.slice([0, 4, 0], [1, 1, 20]).dataSync();
    expect(Array.from(last(a))).toEqual(Array.from(last(b)));
    expect(Array.from(near(a))).not.toEqual(Array.from(near(b)));
    tf.dispose([a, b]);
    m.dispose();
  });

  it('ALiBi slopes follow the paper: 2^(-8i/n), interleaved for a head count that is not a power of two', () => {
    expect(Array.from(alibiSlopes(8))).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((i) => 2 ** -i));
    expect(Array.from(alibiSlopes(6))).toEqual([2 ** -2, 2 ** -4, 2 ** -6, 2 ** -8, 2 ** -1, 2 ** -3]);
  });

  it('says which options incremental decoding does not support yet', () => {
    expect(decodingUnsupported(parseModelConfig(GPT2))).toBeUndefined();
    expect(decodingUnsupported(parseModelConfig(LLAMA))).toBeUndefined();
    expect(decodingUnsupported(parseModelConfig({ ...LLAMA, attention_type: 'linear' }))).toMatch(/linear/);
    const linear = createModel(parseModelConfig({ ...LLAMA, attention_type: 'linear' }), { seed: 1 });
    expect(() => createDecoder(linear)).toThrow(/cannot be decoded: .*attention_type "linear"/);
    linear.dispose();
    expect(decodingUnsupported(parseModelConfig({ ...GPT2, position_embedding_type: 'alibi' }))).toMatch(
      /alibi/,
    );
  });
});
