/**
 * Incremental decoding: the forward pass of a DecoderModel over new tokens only, with the keys and
 * values of earlier positions read from a KvCache. The training forward (model.ts and the families)
 * is left as it is; this one reads the same weights by their Hugging Face names and computes the
 * same function (test/compat/pytorch checks both against PyTorch), one position offset at a time:
 * GPT-2's learned positions and Llama's rotary angles start at the cache's length.
 *
 * A prompt goes through in one call (batched prefill); each decoding step then feeds one token per
 * row. Only the last position's logits are computed: the LM head is the widest matrix of a small model.
 */
import * as tf from '@tensorflow/tfjs';
import { ModelError } from '../errors';
import { decodingUnsupported } from './architecture';
import { dims, type Gpt2Config, type LlamaConfig, type ModelDims } from './config';
import { activation } from './gpt2';
import { KvCache, kvCacheBytes } from './kv-cache';
import { ropeTables } from './layers';
import { ropeInverseFrequencies } from './llama';
import type { DecoderModel } from './model';
import { moeFeedForward, moeOf, moeWeightNames } from './moe';
import { cachedAttention, dense, embedTokens, layerNorm, rmsNorm, swiGlu, type Rotary } from './ops';

export interface Decoder {
  readonly model: DecoderModel;
  readonly dims: ModelDims;
  /** A cache for `rows` sequences of up to `capacity` positions (prompt plus new tokens). */
  createCache(rows: number, capacity: number): KvCache;
  /** Bytes createCache(rows, capacity) will hold. */
  cacheBytes(rows: number, capacity: number): number;
  /**
   * Feeds the next t tokens of every row (ids [rows, t] int32) at the cache's length, stores their
   * keys and values, advances the cache, and returns each row's logits at its last new position
   * [rows, vocab].
   */
  step(ids: tf.Tensor2D, cache: KvCache): tf.Tensor2D;
  /** Releases the decoder's own tables (not the model's weights). */
  dispose(): void;
}

type Weight = (name: string) => tf.Tensor;
type Block = (x: tf.Tensor3D, layer: number, cache: KvCache) => tf.Tensor3D;

interface Parts {
  embed(ids: tf.Tensor2D, position: number): tf.Tensor3D;
  block: Block;
  finalNorm(x: tf.Tensor): tf.Tensor;
  lmHead: string;
  dispose(): void;
}

export function createDecoder(model: DecoderModel): Decoder {
  if (model.config.num_labels !== undefined)
    throw new Error('A sequence-classification model has no language-model head to decode with.');
  // The cached forward implements the families' default architectures only: refuse the rest by name.
  const unsupported = decodingUnsupported(model.config);
  if (unsupported)
    throw new ModelError(
      `This model cannot be decoded: ${unsupported}.`,
      'model',
      'unsupported_for_decoding',
    );
  const d = dims(model.config);
  const weight: Weight = (name) => {
    const w = model.weights.get(name);
    if (!w) throw new Error(`The model has no weight ${name}.`);
    return w;
  };
  const parts =
    model.config.model_type === 'gpt2'
      ? gpt2Parts(model.config, d, weight)
      : llamaParts(model.config, d, weight);
  const shape = { layers: d.nLayer, kvHeads: d.nKvHead, headDim: d.headDim };
  return {
    model,
    dims: d,
    createCache: (rows, capacity) => {
      if (capacity > d.context)
        throw new Error(`A cache of ${capacity} positions exceeds the model context ${d.context}.`);
      return KvCache.create(shape, rows, capacity);
    },
    cacheBytes: (rows, capacity) => kvCacheBytes(shape, rows, capacity),
    step(ids, cache) {
      const [rows, t] = ids.shape;
      if (rows !== cache.rows) throw new Error(`ids has ${rows} rows but the cache ${cache.rows}.`);
      cache.reserve(t);
      const logits = tf.tidy(() => {
        let x = parts.embed(ids, cache.length);
        for (let layer = 0; layer < d.nLayer; layer++) x = parts.block(x, layer, cache);
        const last = t === 1 ? x : tf.slice(x, [0, t - 1, 0], [rows, 1, d.hidden]);
        return tf.matMul(
          tf.reshape(parts.finalNorm(last), [rows, d.hidden]) as tf.Tensor2D,
          weight(parts.lmHead) as tf.Tensor2D,
          false,
          true,
        ) as tf.Tensor2D;
      });
      cache.length += t;
      return logits;
    },
    dispose: () => parts.dispose(),
  };
}

function gpt2Parts(config: Gpt2Config, d: ModelDims, w: Weight): Parts {
  const P = 'transformer.';
  const eps = config.layer_norm_epsilon;
  const act = activation(config.activation_function);
  const heads = { nHead: d.nHead, nKvHead: d.nHead, headDim: d.headDim };
  const H = d.hidden;
  return {
    embed: (ids, position) =>
      embedTokens(
        ids,
        w(`${P}wte.weight`) as tf.Tensor2D,
        tf.slice(w(`${P}wpe.weight`), [position, 0], [ids.shape[1], H]) as tf.Tensor2D,
      ),
    block(x, layer, cache) {
      const p = `${P}h.${layer}.`;
      const qkv = dense(
        layerNorm(x, w(`${p}ln_1.weight`), w(`${p}ln_1.bias`), eps),
        w(`${p}attn.c_attn.weight`),
        false,
        w(`${p}attn.c_attn.bias`),
      ) as tf.Tensor3D;
      const attn = cachedAttention(
        { q: qkv, k: qkv, v: qkv, qOffset: 0, kOffset: H, vOffset: 2 * H },
        cache.layers[layer],
        cache,
        heads,
      );
      const h = dense(attn, w(`${p}attn.c_proj.weight`), false, w(`${p}attn.c_proj.bias`), { residual: x });
      const m = dense(
        layerNorm(h, w(`${p}ln_2.weight`), w(`${p}ln_2.bias`), eps),
        w(`${p}mlp.c_fc.weight`),
        false,
        w(`${p}mlp.c_fc.bias`),
        {
          activation: act,
        },
      );
      return dense(m, w(`${p}mlp.c_proj.weight`), false, w(`${p}mlp.c_proj.bias`), {
        residual: h,
      }) as tf.Tensor3D;
    },
    finalNorm: (x) => layerNorm(x, w(`${P}ln_f.weight`), w(`${P}ln_f.bias`), eps),
    lmHead: `${P}wte.weight`,
    dispose() {},
  };
}

function llamaParts(config: LlamaConfig, d: ModelDims, w: Weight): Parts {
  const eps = config.rms_norm_eps;
  const heads = { nHead: d.nHead, nKvHead: d.nKvHead, headDim: d.headDim };
  const rotary: Rotary = ropeTables(d.context, ropeInverseFrequencies(config, d.headDim));
  const moe = moeOf(config);
  return {
    embed: (ids) => embedTokens(ids, w('model.embed_tokens.weight') as tf.Tensor2D),
    block(x, layer, cache) {
      const p = `model.layers.${layer}.`;
      const a = rmsNorm(x, w(`${p}input_layernorm.weight`), eps);
      const attn = cachedAttention(
        {
          q: dense(a, w(`${p}self_attn.q_proj.weight`), true) as tf.Tensor3D,
          k: dense(a, w(`${p}self_attn.k_proj.weight`), true) as tf.Tensor3D,
          v: dense(a, w(`${p}self_attn.v_proj.weight`), true) as tf.Tensor3D,
        },
        cache.layers[layer],
        cache,
        heads,
        rotary,
      );
      const h = dense(attn, w(`${p}self_attn.o_proj.weight`), true, undefined, { residual: x });
      const mIn = rmsNorm(h, w(`${p}post_attention_layernorm.weight`), eps);
      // Routing is per token, so the new positions alone route as they did in the full forward.
      if (moe)
        return tf.add(
          h,
          moeFeedForward(mIn as tf.Tensor3D, moeWeightNames(layer, moe).map(w), moe).out,
        ) as tf.Tensor3D;
      const m = swiGlu(
        dense(mIn, w(`${p}mlp.gate_proj.weight`), true),
        dense(mIn, w(`${p}mlp.up_proj.weight`), true),
      );
      return dense(m, w(`${p}mlp.down_proj.weight`), true, undefined, { residual: h }) as tf.Tensor3D;
    },
    finalNorm: (x) => rmsNorm(x, w('model.norm.weight'), eps),
    lmHead: d.tied ? 'model.embed_tokens.weight' : 'lm_head.weight',
    dispose() {
      rotary.cos.dispose();
      rotary.sin.dispose();
    },
  };
}
