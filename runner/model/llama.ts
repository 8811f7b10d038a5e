/** Llama family (HF LlamaForCausalLM / LlamaForSequenceClassification layout, "model." prefix). */
import * as tf from '@tensorflow/tfjs';
import { architectureOf, attentionBias, isFamilyDefault } from './architecture';
import { variantAttention, variantReadsBias } from './attention-variants';
import { dims, type LlamaConfig } from './config';
import { moeFeedForward, moeOf, moeSpecs, moeWeightNames } from './moe';
import type { BlockContext, DropoutRates, Family, WeightSpec } from './family';
import { causalAttention, causalMaskBias, ropeHalves, ropeTables, splitHeads } from './layers';
import {
  causalSelfAttention,
  dense,
  embedTokens,
  FUSED,
  fusedAttentionAvailable,
  hasKernel,
  rmsNorm,
  ropePacked,
  swiGlu,
} from './ops';

export function llamaFamily(config: LlamaConfig): Family {
  const d = dims(config);
  const { hidden: H, nLayer, mlp, nHead, nKvHead, headDim } = d;
  const std = config.initializer_range;
  const eps = config.rms_norm_eps;
  const { cos, sin } = ropeTables(d.context, ropeInverseFrequencies(config, headDim));
  tf.keep(cos);
  tf.keep(sin);
  const arch = architectureOf(config);
  const plain = isFamilyDefault(config, arch);
  const learnedPositions = arch.position === 'absolute';
  const qDim = nHead * headDim;
  const kvDim = nKvHead * headDim;
  // The default architecture's fast path: packed projections through the fused kernels.
  const packedPath = (dropout: number) =>
    hasKernel(FUSED.Dense) && hasKernel(FUSED.Rope) && fusedAttentionAvailable(dropout);
  const moe = moeOf(config);

  // A mixture of experts replaces the three mlp.* weights with Mixtral's router and experts.
  const blockNames = (i: number) =>
    [
      'input_layernorm.weight',
      'self_attn.q_proj.weight',
      'self_attn.k_proj.weight',
      'self_attn.v_proj.weight',
      'self_attn.o_proj.weight',
      'post_attention_layernorm.weight',
      'mlp.gate_proj.weight',
      'mlp.up_proj.weight',
      'mlp.down_proj.weight',
    ]
      .slice(0, moe ? 6 : 9)
      .map((n) => `model.layers.${i}.${n}`)
      .concat(moe ? moeWeightNames(i, moe) : []);

  const specs: WeightSpec[] = [
    { name: 'model.embed_tokens.weight', shape: [d.vocab, H], init: { kind: 'normal', std } },
  ];
  // Learned absolute positions on a Llama body: our key name, after OPT's "embed_positions".
  if (learnedPositions)
    specs.push({
      name: 'model.embed_positions.weight',
      shape: [d.context, H],
      init: { kind: 'normal', std },
    });
  for (let i = 0; i < nLayer; i++) {
    const [inNorm, q, k, v, o, postNorm, gate, up, down] = blockNames(i);
    specs.push(
      { name: inNorm, shape: [H], init: { kind: 'ones' } },
      { name: q, shape: [qDim, H], init: { kind: 'normal', std } },
      { name: k, shape: [kvDim, H], init: { kind: 'normal', std } },
      { name: v, shape: [kvDim, H], init: { kind: 'normal', std } },
      { name: o, shape: [H, qDim], init: { kind: 'normal', std } },
      { name: postNorm, shape: [H], init: { kind: 'ones' } },
      ...(moe
        ? moeSpecs(i, moe, H, mlp, std)
        : ([
            { name: gate, shape: [mlp, H], init: { kind: 'normal', std } },
            { name: up, shape: [mlp, H], init: { kind: 'normal', std } },
            { name: down, shape: [H, mlp], init: { kind: 'normal', std } },
          ] satisfies WeightSpec[])),
    );
  }
  specs.push({ name: 'model.norm.weight', shape: [H], init: { kind: 'ones' } });
  const untiedHead = !d.tied && config.num_labels === undefined;
  if (untiedHead) specs.push({ name: 'lm_head.weight', shape: [d.vocab, H], init: { kind: 'normal', std } });

  return {
    dims: d,
    specs,
    lmHeadName: untiedHead ? 'lm_head.weight' : 'model.embed_tokens.weight',
    blockWeightNames: blockNames,
    dropoutRates(override): DropoutRates {
      // HF Llama only drops attention probabilities; a caller-chosen rate also regularises the
      // residual branches as GPT-2 does, so one `dropout` hyperparameter means the same in both families.
      if (override !== undefined) return { embedding: 0, attention: override, residual: override };
      return { embedding: 0, attention: config.attention_dropout, residual: 0 };
    },
    embed(ids, w) {
      const wte = w('model.embed_tokens.weight') as tf.Tensor2D;
      return learnedPositions
        ? embedTokens(ids, wte, w('model.embed_positions.weight') as tf.Tensor2D)
        : embedTokens(ids, wte);
    },
    block(x, ws, { mask }, ctx: BlockContext) {
      const [inNorm, wq, wk, wv, wo, postNorm, ...ffn] = ws;
      const { batch: B, seq: T, rates } = ctx;
      const shape = { batch: B, seq: T, nHead, nKvHead, headDim };
      const heads = { nHead, nKvHead, headDim };
      const a = rmsNorm(x, inNorm, eps);
      let attn: tf.Tensor3D;
      const dropProbs = (p: tf.Tensor) => ctx.drop(p, 'attn_probs', rates.attention);
      if (!plain) {
        attn = variantAttention(dense(a, wq, true), dense(a, wk, true), dense(a, wv, true), shape, {
          arch,
          bias: mask,
          rope: arch.position === 'rope' ? { cos, sin } : undefined,
          dropProbs,
          dropoutRate: rates.attention,
        });
      } else if (packedPath(rates.attention)) {
        // One projection on the stacked weights gives the packed layout the fused kernels read:
        // stacking copies the weights (cheap next to the activations) and its gradient is a split
        // into contiguous blocks (free).
        const qkv = dense(a, tf.concat([wq, wk, wv], 0), true) as tf.Tensor3D;
        attn = causalSelfAttention(ropePacked(qkv, cos, sin, heads), shape, {
          mask,
          dropoutRate: 0,
          dropProbs: (p) => p,
        });
      } else {
        // Separate projections: on the composed path stacking and splitting costs more than it saves.
        const c = tf.slice(cos, [0, 0], [T, headDim / 2]);
        const s = tf.slice(sin, [0, 0], [T, headDim / 2]);
        attn = causalAttention(
          ropeHalves(dense(a, wq, true), B, T, nHead, headDim, c, s),
          ropeHalves(dense(a, wk, true), B, T, nKvHead, headDim, c, s),
          splitHeads(dense(a, wv, true), B, T, nKvHead, headDim),
          mask,
          shape,
          dropProbs,
        );
      }
      const project = (input: tf.Tensor, w: tf.Tensor, residual: tf.Tensor, site: string) =>
        rates.residual === 0
          ? dense(input, w, true, undefined, { residual })
          : tf.add(residual, ctx.drop(dense(input, w, true), site, rates.residual));
      const h = project(attn, wo, x, 'attn_out');
      const mIn = rmsNorm(h, postNorm, eps);
      if (moe) {
        const { out, routerLogits } = moeFeedForward(mIn as tf.Tensor3D, ffn, moe);
        ctx.routerLogits?.push(routerLogits);
        return tf.add(
          h,
          rates.residual === 0 ? out : ctx.drop(out, 'mlp_out', rates.residual),
        ) as tf.Tensor3D;
      }
      const [wGate, wUp, wDown] = ffn;
      const m = swiGlu(dense(mIn, wGate, true), dense(mIn, wUp, true));
      return project(m, wDown, h, 'mlp_out') as tf.Tensor3D;
    },
    finalNorm(x, w) {
      return rmsNorm(x, w('model.norm.weight'), eps) as tf.Tensor3D;
    },
    attentionBias(seq, dropout) {
      if (plain ? packedPath(dropout) : !variantReadsBias(arch, dropout)) return tf.zeros([0]);
      return plain ? causalMaskBias(seq) : attentionBias(arch, seq, nHead);
    },
    dispose() {
      cos.dispose();
      sin.dispose();
    },
  };
}

/** inv_freq as HF's rope init functions compute it ("default", "linear", "llama3"). */
export function ropeInverseFrequencies(
  config: Pick<LlamaConfig, 'rope_theta'> & Partial<Pick<LlamaConfig, 'rope_scaling'>>,
  headDim: number,
): Float64Array {
  const half = headDim / 2;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / Math.pow(config.rope_theta, (2 * i) / headDim);
  const scaling = config.rope_scaling;
  const type = scaling?.rope_type ?? scaling?.type ?? 'default';
  if (!scaling || type === 'default') return inv;
  const factor = scaling.factor ?? 1;
  if (type === 'linear') return inv.map((f) => f / factor);
  // llama3: long wavelengths are slowed by `factor`, short ones kept, the band between interpolated.
  const low = scaling.low_freq_factor ?? 1;
  const high = scaling.high_freq_factor ?? 4;
  const oldContext = scaling.original_max_position_embeddings ?? 8192;
  const lowWavelen = oldContext / low;
  const highWavelen = oldContext / high;
  return inv.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < highWavelen) return f;
    if (wavelen > lowWavelen) return f / factor;
    const smooth = (oldContext / wavelen - low) / (high - low);
    return (1 - smooth) * (f / factor) + smooth * f;
  });
}
