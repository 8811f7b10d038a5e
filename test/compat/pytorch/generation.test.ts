/**
 * Greedy decoding against PyTorch on the same weights: our engine (runner/generate on the KV-cache
 * decoder, prompt prefilled in one pass) must pick the same token as a plain PyTorch forward over
 * the whole sequence (generate_reference.py) at each of 64 steps, and the logits of every step must
 * agree within 1e-4 (max|ours − torch| / max|torch|, as the training fidelity suite measures).
 * GPT-2 and Llama with grouped-query attention, on both CPU paths (native kernels, composed ops).
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate, GREEDY } from '../../../runner/generate';
import { readSafetensors, savePretrained } from '../../../runner/io';
import { createDecoder, createModel, parseModelConfig } from '../../../runner/model';
import { FUSED, hasKernel } from '../../../runner/model/ops';
import { loadAddon, registerNativeKernels, unregisterNativeKernels } from '../../../runner/native';
import { buildCharTokenizer } from '../../../runner/tokenizer';
import { findTorchPython, relErr } from './harness';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'generate_reference.py');
const STEPS = 64;
const TOLERANCE = 1e-4;
const PROMPT = [3, 17, 5, 9, 22, 1, 14, 8, 30, 2, 41, 57];

const CASES = [
  {
    name: 'GPT-2',
    config: { model_type: 'gpt2', vocab_size: 64, n_positions: 96, n_embd: 48, n_layer: 2, n_head: 4 },
  },
  {
    name: 'Llama (GQA 6:2, RoPE, untied head)',
    config: {
      model_type: 'llama',
      vocab_size: 64,
      hidden_size: 48,
      intermediate_size: 80,
      num_hidden_layers: 2,
      num_attention_heads: 6,
      num_key_value_heads: 2,
      max_position_embeddings: 96,
      rms_norm_eps: 1e-5,
    },
  },
];

const python = findTorchPython();
if (!python) console.warn('SKIPPED greedy decoding vs PyTorch: no python3 with torch found.');

const NATIVE = 'native kernels (cache filled in place)';
const PATHS = loadAddon().ok
  ? [NATIVE, 'composed tfjs ops (cache grown by concatenation)']
  : ['composed tfjs ops'];

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => unregisterNativeKernels());

describe.skipIf(!python).each(PATHS)('greedy decoding vs PyTorch on %s', (path) => {
  beforeAll(() => {
    if (path === NATIVE) registerNativeKernels({ log: () => {} });
    else unregisterNativeKernels();
  });

  it.each(CASES)('$name: the same 64 tokens, and every step’s logits within 1e-4', async (c) => {
    expect(hasKernel(FUSED.CachedAttention)).toBe(path === NATIVE);
    const dir = await mkdtemp(join(tmpdir(), 'tuneplane-generation-'));
    try {
      // Weights larger than HF's init (0.02) so the model is far from uniform and choices are clear.
      const model = createModel(parseModelConfig({ ...c.config, initializer_range: 0.25 }), { seed: 11 });
      await savePretrained(dir, model, buildCharTokenizer('abc'));
      await writeFile(join(dir, 'prompt.json'), JSON.stringify({ prompt: PROMPT, steps: STEPS }));
      const run = spawnSync(python!, [SCRIPT, dir], { encoding: 'utf8', timeout: 300_000 });
      if (run.status !== 0) throw new Error(`generate_reference.py failed (${run.status}): ${run.stderr}`);
      const torchTokens = JSON.parse(await readFile(join(dir, 'generated.json'), 'utf8')).tokens as number[];
      const torchLogits = readSafetensors(
        new Uint8Array(await readFile(join(dir, 'generated.safetensors'))),
      ).tensors.get('logits')!;
      const vocab = torchLogits.shape[1];

      const decoder = createDecoder(model);
      // Tokens: the engine itself, greedy, with no stop token so it runs all 64 steps.
      const tokens: number[] = [];
      const detok = {
        decode: (ids: readonly number[]) => ids.map((i) => String.fromCharCode(65 + i)).join(''),
      };
      const gen = generate(
        { decoder, tokenizer: detok },
        {
          prompt: PROMPT,
          n: 1,
          maxTokens: STEPS,
          sampling: GREEDY,
          stop: [],
          stopTokenIds: new Set(),
          logprobs: 0,
        },
      );
      let r = await gen.next();
      while (!r.done) {
        for (const e of r.value) if (e.type === 'delta') tokens.push(...e.tokens.map((t) => t.id));
        r = await gen.next();
      }
      expect(r.value.completionTokens).toBe(STEPS);
      expect(tokens).toEqual(torchTokens);
      expect(new Set(tokens).size, 'a varied sequence, not one token repeated').toBeGreaterThan(8);

      // Logits: the same decoder stepped along the same tokens, compared step by step.
      const cache = decoder.createCache(1, PROMPT.length + STEPS);
      let worst = 0;
      let input = [PROMPT];
      for (let s = 0; s < STEPS; s++) {
        const logits = decoder.step(tf.tensor2d(input, undefined, 'int32'), cache);
        const ours = (await logits.data()) as Float32Array;
        logits.dispose();
        const err = relErr(ours, torchLogits.data.subarray(s * vocab, (s + 1) * vocab));
        worst = Math.max(worst, err);
        input = [[torchTokens[s]]];
      }
      cache.dispose();
      decoder.dispose();
      model.dispose();
      console.log(`${c.name} on ${path}: worst per-step logits rel err ${worst.toExponential(2)}`);
      expect(worst).toBeLessThanOrEqual(TOLERANCE);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
