/** GPT-2 family (HF GPT2LMHeadModel / GPT2ForSequenceClassification layout, "transformer." prefix). */
import * as tf from '@tensorflow/tfjs';
import { architectureOf, attentionBias, isFamilyDefault } from './architecture';
import { variantAttention, variantReadsBias } from './attention-variants';
import { dims, type Gpt2Config } from './config';
import type { BlockContext, DropoutRates, Family, WeightSpec } from './family';
import { causalMaskBias, ropeTables } from './layers';
import { ropeInverseFrequencies } from './llama';
import {
  causalSelfAttention,
  dense,
  embedTokens,
  fusedAttentionAvailable,
  layerNorm,
  type Activation,
} from './ops';

const P = 'transformer.';

export function gpt2Family(config: Gpt2Config): Family {
  const d = dims(config);
  const { hidden: H, nLayer, mlp, nHead, headDim } = d;
  const std = config.initializer_range;
  // HF scales the residual projections' init by 1/sqrt(2 * n_layer) (GPT-2 paper §2.3).
  const projStd = std / Math.sqrt(2 * nLayer);
  const eps = config.layer_norm_epsilon;
  const act = activation(config.activation_function);
  const arch = architectureOf(config);
  const plain = isFamilyDefault(config, arch);
  const learnedPositions = arch.position === 'absolute';
  const rope =
    arch.position === 'rope'
      ? ropeTables(d.context, ropeInverseFrequencies({ rope_theta: config.rope_theta ?? 10000 }, headDim))
      : undefined;
  if (rope) {
    tf.keep(rope.cos);
    tf.keep(rope.sin);
  }

  const blockNames = (i: number) =>
    [
      'ln_1.weight',
      'ln_1.bias',
      'attn.c_attn.weight',
      'attn.c_attn.bias',
      'attn.c_proj.weight',
      'attn.c_proj.bias',
      'ln_2.weight',
      'ln_2.bias',
      'mlp.c_fc.weight',
      'mlp.c_fc.bias',
      'mlp.c_proj.weight',
      'mlp.c_proj.bias',
    ].map((n) => `${P}h.${i}.${n}`);

  const specs: WeightSpec[] = [
    { name: `${P}wte.weight`, shape: [d.vocab, H], init: { kind: 'normal', std } },
  ];
  if (learnedPositions)
    specs.push({ name: `${P}wpe.weight`, shape: [d.context, H], init: { kind: 'normal', std } });
  for (let i = 0; i < nLayer; i++) {
    const [ln1w, ln1b, attnW, attnB, projW, projB, ln2w, ln2b, fcW, fcB, mlpProjW, mlpProjB] = blockNames(i);
    specs.push(
      { name: ln1w, shape: [H], init: { kind: 'ones' } },
      { name: ln1b, shape: [H], init: { kind: 'zeros' } },
      { name: attnW, shape: [H, 3 * H], init: { kind: 'normal', std } },
      { name: attnB, shape: [3 * H], init: { kind: 'zeros' } },
      { name: projW, shape: [H, H], init: { kind: 'normal', std: projStd } },
      { name: projB, shape: [H], init: { kind: 'zeros' } },
      { name: ln2w, shape: [H], init: { kind: 'ones' } },
      { name: ln2b, shape: [H], init: { kind: 'zeros' } },
      { name: fcW, shape: [H, mlp], init: { kind: 'normal', std } },
      { name: fcB, shape: [mlp], init: { kind: 'zeros' } },
      { name: mlpProjW, shape: [mlp, H], init: { kind: 'normal', std: projStd } },
      { name: mlpProjB, shape: [H], init: { kind: 'zeros' } },
    );
  }
  specs.push(
    { name: `${P}ln_f.weight`, shape: [H], init: { kind: 'ones' } },
    { name: `${P}ln_f.bias`, shape: [H], init: { kind: 'zeros' } },
  );
  const untiedHead = !d.tied && config.num_labels === undefined;
  if (untiedHead) specs.push({ name: 'lm_head.weight', shape: [d.vocab, H], init: { kind: 'normal', std } });

  return {
    dims: d,
    specs,
    lmHeadName: untiedHead ? 'lm_head.weight' : `${P}wte.weight`,
    blockWeightNames: blockNames,
    dropoutRates(override): DropoutRates {
      if (override !== undefined) return { embedding: override, attention: override, residual: override };
      return { embedding: config.embd_pdrop, attention: config.attn_pdrop, residual: config.resid_pdrop };
    },
    embed(ids, w, ctx) {
      const wte = w(`${P}wte.weight`) as tf.Tensor2D;
      const x = learnedPositions
        ? embedTokens(ids, wte, w(`${P}wpe.weight`) as tf.Tensor2D)
        : embedTokens(ids, wte);
      return ctx.drop(x, 'embedding', ctx.rates.embedding) as tf.Tensor3D;
    },
    block(x, ws, { mask }, ctx: BlockContext) {
      const [ln1w, ln1b, attnW, attnB, projW, projB, ln2w, ln2b, fcW, fcB, mlpProjW, mlpProjB] = ws;
      const { batch: B, seq: T, rates } = ctx;
      // The output projections add the residual stream in the same kernel unless dropout sits between.
      const project = (input: tf.Tensor, w: tf.Tensor, b: tf.Tensor, residual: tf.Tensor, site: string) =>
        rates.residual === 0
          ? dense(input, w, false, b, { residual })
          : tf.add(residual, ctx.drop(dense(input, w, false, b), site, rates.residual));
      const qkv = dense(layerNorm(x, ln1w, ln1b, eps), attnW, false, attnB) as tf.Tensor3D;
      const shape = { batch: B, seq: T, nHead, nKvHead: nHead, headDim };
      const dropProbs = (p: tf.Tensor) => ctx.drop(p, 'attn_probs', rates.attention);
      let attn: tf.Tensor3D;
      if (plain) {
        attn = causalSelfAttention(qkv, shape, { mask, dropoutRate: rates.attention, dropProbs });
      } else {
        const [q, k, v] = tf.split(qkv, 3, 2);
        attn = variantAttention(q, k, v, shape, {
          arch,
          bias: mask,
          rope,
          dropProbs,
          dropoutRate: rates.attention,
        });
      }
      const h = project(attn, projW, projB, x, 'attn_out');
      const m = dense(layerNorm(h, ln2w, ln2b, eps), fcW, false, fcB, { activation: act });
      return project(m, mlpProjW, mlpProjB, h, 'mlp_out') as tf.Tensor3D;
    },
    finalNorm(x, w) {
      return layerNorm(x, w(`${P}ln_f.weight`), w(`${P}ln_f.bias`), eps) as tf.Tensor3D;
    },
    attentionBias(seq, dropout) {
      if (plain ? fusedAttentionAvailable(dropout) : !variantReadsBias(arch, dropout)) return tf.zeros([0]);
      return plain ? causalMaskBias(seq) : attentionBias(arch, seq, nHead);
    },
    dispose() {
      if (rope) tf.dispose([rope.cos, rope.sin]);
    },
  };
}

export function activation(name: Gpt2Config['activation_function']): Activation {
  switch (name) {
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
      return 'gelu_tanh';
    case 'gelu':
      return 'gelu_erf';
    case 'relu':
    case 'silu':
      return name;
  }
}
