import * as tf from '@tensorflow/tfjs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  concatChunks,
  encodeSafetensors,
  hostWeights,
  loadPretrained,
  readSafetensors,
  savePretrained,
} from '../../../../runner/io';
import { createModel, parseModelConfig } from '../../../../runner/model';
import { buildCharTokenizer, loadTokenizer } from '../../../../runner/tokenizer';
import { gpt2StyleTokenizer } from '../tokenizer/bpe-fixtures';

const dirs: string[] = [];
const tempDir = async () => {
  const d = await mkdtemp(join(tmpdir(), 'tuneplane-io-'));
  dirs.push(d);
  return d;
};
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});
beforeAll(async () => {
  await tf.setBackend('cpu');
});

const tinyGpt2 = { model_type: 'gpt2', vocab_size: 300, n_positions: 8, n_embd: 16, n_layer: 2, n_head: 2 };
const tinyLlama = {
  model_type: 'llama',
  vocab_size: 30,
  hidden_size: 16,
  intermediate_size: 24,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 8,
};
const ids = tf.tensor2d([[1, 2, 3, 4, 5]], undefined, 'int32');

describe('savePretrained / loadPretrained', () => {
  it.each([
    ['gpt2', tinyGpt2, 'GPT2LMHeadModel'],
    ['llama', tinyLlama, 'LlamaForCausalLM'],
  ])('round-trips a %s model folder in HF layout with identical logits', async (_n, raw, arch) => {
    const dir = await tempDir();
    const model = createModel(parseModelConfig(raw), { seed: 1 });
    const tokenizer = buildCharTokenizer('abcdefghijklmnopqrstuvwxyz ');
    await savePretrained(dir, model, tokenizer);
    expect((await readdir(dir)).sort()).toEqual([
      'config.json',
      'model.safetensors',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      ...raw,
      architectures: [arch],
      torch_dtype: 'float32',
      eos_token_id: tokenizer.eosId,
    });
    const file = readSafetensors(new Uint8Array(await readFile(join(dir, 'model.safetensors'))));
    expect([...file.tensors.keys()].sort()).toEqual([...model.weights.keys()].sort());

    const loaded = await loadPretrained(dir);
    expect(loaded.tokenizer.encode('hello world')).toEqual(tokenizer.encode('hello world'));
    const [a, b] = [model.logits(ids), loaded.model.logits(ids)];
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([a, b]);
    model.dispose();
    loaded.model.dispose();
  });

  it('writes HF classifier configs (id2label, pad_token_id) and reads num_labels back from them', async () => {
    const dir = await tempDir();
    const model = createModel(parseModelConfig({ ...tinyGpt2, num_labels: 3 }), { seed: 1 });
    const { tokenizerJson, tokenizerConfig } = gpt2StyleTokenizer();
    const tokenizer = loadTokenizer(tokenizerJson, tokenizerConfig);
    await savePretrained(dir, model, tokenizer);
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    expect(config.architectures).toEqual(['GPT2ForSequenceClassification']);
    expect(config.id2label).toEqual({ 0: 'LABEL_0', 1: 'LABEL_1', 2: 'LABEL_2' });
    expect(config.pad_token_id).toBe(tokenizer.padId);
    expect(config.num_labels).toBeUndefined();
    const loaded = await loadPretrained(dir);
    expect(loaded.config.num_labels).toBe(3);
    expect(loaded.model.initialized).toEqual([]);
    expect(Array.from(loaded.model.weights.get('score.weight')!.dataSync())).toEqual(
      Array.from(model.weights.get('score.weight')!.dataSync()),
    );
    model.dispose();
    loaded.model.dispose();
  });

  it('loads GPT-2 files whose names lack "transformer.", sharded files, and turns a causal LM into a classifier', async () => {
    const dir = await tempDir();
    const src = createModel(parseModelConfig(tinyGpt2), { seed: 5 });
    const entries = [...hostWeights(src)].map(
      ([n, t]) => [n.replace(/^transformer\./, ''), t] as [string, typeof t],
    );
    const half = Math.ceil(entries.length / 2);
    const shards = [entries.slice(0, half), entries.slice(half)];
    const weightMap: Record<string, string> = {};
    for (const [i, shard] of shards.entries()) {
      const name = `model-0000${i + 1}-of-00002.safetensors`;
      await writeFile(join(dir, name), concatChunks(encodeSafetensors(shard)));
      for (const [n] of shard) weightMap[n] = name;
    }
    await writeFile(
      join(dir, 'model.safetensors.index.json'),
      JSON.stringify({ metadata: {}, weight_map: weightMap }),
    );
    await writeFile(join(dir, 'config.json'), JSON.stringify(tinyGpt2));
    const { tokenizerJson, tokenizerConfig } = gpt2StyleTokenizer();
    await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson));
    await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig));

    const lm = await loadPretrained(dir);
    const [a, b] = [src.logits(ids), lm.model.logits(ids)];
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    const clf = await loadPretrained(dir, { configOverrides: { num_labels: 2 }, seed: 3 });
    expect(clf.model.initialized).toEqual(['score.weight']);
    expect(clf.model.classify(ids, tf.tensor1d([4], 'int32')).shape).toEqual([1, 2]);
    tf.dispose([a, b]);
    [src, lm.model, clf.model].forEach((m) => m.dispose());
  });

  it('says which file is missing or unsupported', async () => {
    const dir = await tempDir();
    await expect(loadPretrained(dir)).rejects.toThrow(/no config.json/);
    await writeFile(join(dir, 'config.json'), JSON.stringify(tinyGpt2));
    await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(gpt2StyleTokenizer().tokenizerJson));
    await writeFile(join(dir, 'pytorch_model.bin'), 'x');
    await expect(loadPretrained(dir)).rejects.toThrow(
      /no model.safetensors. Only safetensors weights are supported/,
    );
    await writeFile(join(dir, 'config.json'), JSON.stringify({ ...tinyGpt2, n_layer: 0 }));
    await expect(loadPretrained(dir)).rejects.toThrow(/field "n_layer"/);
    await writeFile(join(dir, 'config.json'), JSON.stringify({ ...tinyGpt2, vocab_size: 30 }));
    await writeFile(join(dir, 'model.safetensors'), concatChunks(encodeSafetensors([])));
    await expect(loadPretrained(dir)).rejects.toThrow(
      /tokenizer has 265 tokens but the model's vocab_size is 30/,
    );
  });
});
