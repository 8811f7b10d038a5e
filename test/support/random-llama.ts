/**
 * A Llama model folder with random weights, larger than the built-in tiny one, written without
 * TensorFlow.js (a test that runs a bundled engine in-process must not load a second copy): the
 * built-in `tuneplane-tiny-char` folder's tokenizer and tensor names, with the sizes asked for.
 * Decoding it takes long enough to see whether a generation keeps running.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { concatChunks, encodeSafetensors } from '../../runner/io/safetensors';
import { ROOT } from './npm-start';

export interface RandomLlama {
  hidden: number;
  intermediate: number;
  layers: number;
  heads: number;
  kvHeads: number;
  context: number;
}

const TINY = path.join(ROOT, 'runner/base-models/tuneplane-tiny-char');

export function randomLlamaFolder(size: RandomLlama, seed = 1): Map<string, Uint8Array> {
  const base = JSON.parse(readFileSync(path.join(TINY, 'config.json'), 'utf8')) as Record<string, unknown>;
  const vocab = base.vocab_size as number;
  const headDim = size.hidden / size.heads;
  const kv = headDim * size.kvHeads;
  let state = seed >>> 0;
  // Uniform in ±0.05, from a 32-bit LCG: deterministic and dependency-free.
  const random = (shape: number[], fill?: number) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) {
      if (fill !== undefined) data[i] = fill;
      else {
        state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
        data[i] = (state / 2 ** 32 - 0.5) * 0.1;
      }
    }
    return { shape, data };
  };
  const tensors: [string, ReturnType<typeof random>][] = [
    ['model.embed_tokens.weight', random([vocab, size.hidden])],
  ];
  for (let l = 0; l < size.layers; l++) {
    const p = `model.layers.${l}`;
    tensors.push(
      [`${p}.input_layernorm.weight`, random([size.hidden], 1)],
      [`${p}.self_attn.q_proj.weight`, random([size.hidden, size.hidden])],
      [`${p}.self_attn.k_proj.weight`, random([kv, size.hidden])],
      [`${p}.self_attn.v_proj.weight`, random([kv, size.hidden])],
      [`${p}.self_attn.o_proj.weight`, random([size.hidden, size.hidden])],
      [`${p}.post_attention_layernorm.weight`, random([size.hidden], 1)],
      [`${p}.mlp.gate_proj.weight`, random([size.intermediate, size.hidden])],
      [`${p}.mlp.up_proj.weight`, random([size.intermediate, size.hidden])],
      [`${p}.mlp.down_proj.weight`, random([size.hidden, size.intermediate])],
    );
  }
  tensors.push(
    ['model.norm.weight', random([size.hidden], 1)],
    ['lm_head.weight', random([vocab, size.hidden])],
  );
  const config = {
    ...base,
    hidden_size: size.hidden,
    intermediate_size: size.intermediate,
    num_hidden_layers: size.layers,
    num_attention_heads: size.heads,
    num_key_value_heads: size.kvHeads,
    max_position_embeddings: size.context,
  };
  return new Map<string, Uint8Array>([
    ['config.json', new TextEncoder().encode(JSON.stringify(config))],
    ['tokenizer.json', readFileSync(path.join(TINY, 'tokenizer.json'))],
    ['tokenizer_config.json', readFileSync(path.join(TINY, 'tokenizer_config.json'))],
    ['model.safetensors', concatChunks(encodeSafetensors(tensors))],
  ]);
}
