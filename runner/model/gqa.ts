/**
 * Converting a pretrained multi-head (or grouped) attention checkpoint to fewer key/value heads, as
 * the GQA paper does before up-training (Ainslie et al. 2023, §2.1): each new key and value head is
 * the mean of the heads it replaces, adjacent heads grouped together so query head h keeps reading
 * the group floor(h / g) HF's repeat_kv gives it. Works on host tensors (a loaded model.safetensors)
 * so the result is saved and trained like any checkpoint.
 */
import { ModelError } from '../errors';
import { dims, parseModelConfig, type LlamaConfig, type ModelConfig } from './config';
import type { HostTensor } from './model';

export interface GroupedQueryModel {
  config: LlamaConfig;
  weights: Map<string, HostTensor>;
}

export function toGroupedQuery(
  config: ModelConfig,
  weights: ReadonlyMap<string, HostTensor>,
  numKeyValueHeads: number,
): GroupedQueryModel {
  if (config.model_type !== 'llama') {
    throw new ModelError(
      'Grouped-query conversion needs a model with num_key_value_heads (the llama family); GPT-2 has none.',
      'config.model_type',
      'invalid_model_config',
    );
  }
  const d = dims(config);
  if (!Number.isInteger(numKeyValueHeads) || numKeyValueHeads < 1 || d.nKvHead % numKeyValueHeads !== 0) {
    throw new ModelError(
      `num_key_value_heads must divide the model's current ${d.nKvHead} key/value heads, got ${numKeyValueHeads}.`,
      'num_key_value_heads',
      'invalid_model_config',
    );
  }
  const group = d.nKvHead / numKeyValueHeads;
  const out = new Map(weights);
  for (let layer = 0; layer < d.nLayer; layer++) {
    for (const proj of ['k_proj', 'v_proj']) {
      const name = `model.layers.${layer}.self_attn.${proj}.weight`;
      const w = weights.get(name);
      if (!w) throw new ModelError(`Missing weight ${name}.`, 'model.weights', 'invalid_model_weights');
      out.set(name, meanPoolHeads(w, d.headDim, group));
    }
  }
  const converted = parseModelConfig({ ...config, num_key_value_heads: numKeyValueHeads }) as LlamaConfig;
  return { config: converted, weights: out };
}

/** Rows [nkv·hd, in] → [(nkv/g)·hd, in]: head j of the result is the mean of heads j·g … j·g + g − 1. */
function meanPoolHeads(w: HostTensor, headDim: number, group: number): HostTensor {
  const [rows, cols] = w.shape;
  const outHeads = rows / headDim / group;
  const data = new Float32Array(outHeads * headDim * cols);
  const rowLen = headDim * cols;
  for (let j = 0; j < outHeads; j++) {
    const dst = data.subarray(j * rowLen, (j + 1) * rowLen);
    for (let m = 0; m < group; m++) {
      const src = w.data.subarray((j * group + m) * rowLen, (j * group + m + 1) * rowLen);
      for (let i = 0; i < rowLen; i++) dst[i] += src[i];
    }
    for (let i = 0; i < rowLen; i++) dst[i] /= group;
  }
  return { shape: [outHeads * headDim, cols], data };
}
