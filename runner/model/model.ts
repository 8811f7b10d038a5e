/**
 * The decoder-only model: weights as tf.Variables keyed by their Hugging Face names, a forward pass
 * to logits and a sequence-classification head. Architecture specifics live in gpt2.ts / llama.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError, ModelError } from '../errors';
import type { ModelConfig } from './config';
import { checkpointed } from './checkpoint';
import type { BlockContext, Family, WeightSpec } from './family';
import { gpt2Family } from './gpt2';
import { gatherRows } from './layers';
import { dense } from './ops';
import { llamaFamily } from './llama';
import { loadBalancingLoss, moeOf, type Moe } from './moe';
import { deriveSeed } from './seed';

export interface ForwardOptions {
  training?: boolean;
  /** Overrides the config's dropout probabilities at every site (training only). */
  dropout?: number;
  /** recompute each block in backward */
  checkpointing?: boolean;
  /** seed for dropout masks; same seed ⇒ same masks. Pass a different seed per step. */
  seed?: number;
  /** A mixture-of-experts model puts its load-balancing loss here (moe.ts), over the mask's real positions. */
  routing?: RoutingSink;
}

export interface RoutingSink {
  /** [batch, seq], 1 for real positions (HF's attention_mask); every position counts when absent. */
  attentionMask?: tf.Tensor2D;
  /** Set by the forward pass (kept: the caller disposes it). */
  auxLoss?: tf.Scalar;
}

export interface DecoderModel {
  readonly config: ModelConfig;
  readonly contextLength: number;
  readonly vocabSize: number;
  readonly hiddenSize: number;
  /** All trainable weights by HF name (classification head included when num_labels is set). */
  readonly weights: Map<string, tf.Variable>;
  /** Weights that were freshly initialised although pretrained weights were given (e.g. a new score head). */
  readonly initialized: readonly string[];
  /** The mixture-of-experts settings, when the feed-forward is one. */
  readonly moe?: Moe;
  /** ids [batch, seq] int32 → logits [batch, seq, vocab] */
  logits(ids: tf.Tensor2D, opts?: ForwardOptions): tf.Tensor3D;
  /** ids [batch, seq] + index of each row's last real token → [batch, num_labels] */
  classify(ids: tf.Tensor2D, lastIndex: tf.Tensor1D, opts?: ForwardOptions): tf.Tensor2D;
  dispose(): void;
}

/** A weight on the host, as read from a safetensors file (float32, row-major). */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

export interface CreateModelOptions {
  seed: number;
  /** Pretrained weights by HF name; GPT-2 names with or without the "transformer." prefix. */
  weights?: ReadonlyMap<string, HostTensor>;
}

export function createModel(config: ModelConfig, opts: CreateModelOptions): DecoderModel {
  const family = config.model_type === 'gpt2' ? gpt2Family(config) : llamaFamily(config);
  const specs = [...family.specs];
  if (config.num_labels !== undefined) {
    specs.push({
      name: 'score.weight',
      shape: [config.num_labels, family.dims.hidden],
      init: { kind: 'normal', std: config.initializer_range },
    });
  }
  const given = opts.weights ? canonicalWeights(config, specs, opts.weights) : undefined;
  const weights = new Map<string, tf.Variable>();
  const initialized: string[] = [];
  for (const spec of specs) {
    const host = given?.get(spec.name);
    if (given && !host) initialized.push(spec.name);
    // Variables stay unnamed: tfjs names are global, and a process may hold two models.
    const value = host ? tf.tensor(host.data, spec.shape, 'float32') : initialValue(spec, opts.seed);
    weights.set(spec.name, tf.variable(value, true));
    value.dispose();
  }
  return new TransformerModel(config, family, weights, initialized);
}

function initialValue(spec: WeightSpec, seed: number): tf.Tensor {
  switch (spec.init.kind) {
    case 'ones':
      return tf.ones(spec.shape);
    case 'zeros':
      return tf.zeros(spec.shape);
    case 'normal':
      return tf.randomNormal(spec.shape, 0, spec.init.std, 'float32', deriveSeed(seed, 'init', spec.name));
  }
}

/** Non-trainable buffers some HF files carry, and heads other architectures of the same body use. */
const IGNORED = [
  /\.attn\.(bias|masked_bias)$/,
  /rotary_emb\.inv_freq$/,
  /^lm_head\.weight$/,
  /^score\.weight$/,
];

/**
 * Maps file names to ours (old GPT-2 files omit "transformer."), checks shapes, and requires every
 * weight except a classification head, which HF also initialises fresh when fine-tuning a base model.
 */
function canonicalWeights(
  config: ModelConfig,
  specs: WeightSpec[],
  given: ReadonlyMap<string, HostTensor>,
): Map<string, HostTensor> {
  const wanted = new Map(specs.map((s) => [s.name, s]));
  const out = new Map<string, HostTensor>();
  const unexpected: string[] = [];
  for (const [rawName, tensor] of given) {
    const name =
      config.model_type === 'gpt2' && !wanted.has(rawName) && wanted.has(`transformer.${rawName}`)
        ? `transformer.${rawName}`
        : rawName;
    const spec = wanted.get(name);
    if (!spec) {
      if (!IGNORED.some((re) => re.test(name))) unexpected.push(rawName);
      continue;
    }
    if (spec.shape.length !== tensor.shape.length || spec.shape.some((n, i) => n !== tensor.shape[i])) {
      throw new ModelError(
        `Weight "${rawName}" has shape [${tensor.shape}] but the config needs [${spec.shape}].`,
        'model.weights',
        'invalid_model_weights',
      );
    }
    out.set(name, tensor);
  }
  if (unexpected.length > 0) {
    throw new ModelError(
      `Weights not used by a ${config.model_type} model: ${unexpected.slice(0, 5).join(', ')}` +
        (unexpected.length > 5 ? ` and ${unexpected.length - 5} more` : ''),
      'model.weights',
      'invalid_model_weights',
    );
  }
  const missing = specs.map((s) => s.name).filter((n) => !out.has(n) && n !== 'score.weight');
  if (missing.length > 0) {
    throw new ModelError(
      `Missing weights: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`,
      'model.weights',
      'invalid_model_weights',
    );
  }
  return out;
}

class TransformerModel implements DecoderModel {
  constructor(
    readonly config: ModelConfig,
    private readonly family: Family,
    readonly weights: Map<string, tf.Variable>,
    readonly initialized: readonly string[],
  ) {
    this.moe = moeOf(config);
  }

  readonly moe?: Moe;

  get contextLength(): number {
    return this.family.dims.context;
  }
  get vocabSize(): number {
    return this.family.dims.vocab;
  }
  get hiddenSize(): number {
    return this.family.dims.hidden;
  }

  logits(ids: tf.Tensor2D, opts: ForwardOptions = {}): tf.Tensor3D {
    const head = this.weights.get(this.family.lmHeadName);
    if (!head) throw new Error('This classification model has no language-model head (lm_head.weight).');
    return tf.tidy(() => dense(this.hidden(ids, opts), head, true) as tf.Tensor3D);
  }

  classify(ids: tf.Tensor2D, lastIndex: tf.Tensor1D, opts: ForwardOptions = {}): tf.Tensor2D {
    const score = this.weights.get('score.weight');
    if (!score) throw new Error('classify() needs a model created with num_labels in its config.');
    if (lastIndex.dtype !== 'int32' || lastIndex.shape[0] !== ids.shape[0]) {
      throw new Error(
        `lastIndex must be int32 [${ids.shape[0]}], got ${lastIndex.dtype} [${lastIndex.shape}]`,
      );
    }
    return tf.tidy(() => {
      const [batch, seq] = ids.shape;
      const hidden = tf.reshape(this.hidden(ids, opts), [batch * seq, this.hiddenSize]);
      // Pool first, then project: HF scores every position and picks the last real one; same numbers, less work.
      const rows = tf.add(tf.mul(tf.range(0, batch, 1, 'int32'), tf.scalar(seq, 'int32')), lastIndex);
      return tf.matMul(
        gatherRows(hidden as tf.Tensor2D, rows as tf.Tensor1D),
        score,
        false,
        true,
      ) as tf.Tensor2D;
    });
  }

  /** Final-normalised hidden states [batch, seq, hidden]. */
  private hidden(ids: tf.Tensor2D, opts: ForwardOptions): tf.Tensor3D {
    if (ids.rank !== 2 || ids.dtype !== 'int32')
      throw new Error(`ids must be int32 [batch, seq], got ${ids.dtype} [${ids.shape}]`);
    const [batch, seq] = ids.shape;
    if (seq > this.contextLength)
      throw new Error(`Sequence length ${seq} exceeds the model context ${this.contextLength}.`);
    const training = opts.training ?? false;
    const seed = opts.seed ?? 0;
    // Outside training every rate is zero, so the blocks pick the dropout-free (fused) paths.
    const rates = training
      ? this.family.dropoutRates(opts.dropout)
      : { embedding: 0, attention: 0, residual: 0 };
    const dropFor =
      (layer: number) =>
      (x: tf.Tensor, site: string, rate: number): tf.Tensor =>
        training && rate > 0 ? tf.dropout(x, rate, undefined, deriveSeed(seed, 'dropout', layer, site)) : x;
    const weight = (name: string) => this.weights.get(name) as tf.Tensor;
    // The router logits leave the blocks through their context; a checkpointed block's cannot.
    if (this.moe && opts.checkpointing)
      throw new ConfigError(
        'gradient_checkpointing does not support a mixture-of-experts feed-forward (num_local_experts) yet',
        'hyperparameters.gradient_checkpointing',
      );
    const routerLogits: tf.Tensor2D[] | undefined = this.moe ? [] : undefined;
    let x = this.family.embed(ids, weight, { batch, seq, rates, drop: dropFor(-1) });
    const mask = this.family.attentionBias(seq, rates.attention);
    for (let layer = 0; layer < this.family.dims.nLayer; layer++) {
      const ctx: BlockContext = { layer, batch, seq, rates, drop: dropFor(layer), routerLogits };
      const block = (input: tf.Tensor3D, ws: tf.Tensor[], [m]: tf.Tensor[]) =>
        this.family.block(input, ws, { mask: m }, ctx);
      const ws = this.family.blockWeightNames(layer).map(weight);
      x = (opts.checkpointing ? checkpointed(block) : block)(x, ws, [mask]);
    }
    if (this.moe && routerLogits && opts.routing)
      opts.routing.auxLoss = tf.keep(loadBalancingLoss(routerLogits, this.moe, opts.routing.attentionMask));
    return this.family.finalNorm(x, weight);
  }

  dispose(): void {
    for (const v of this.weights.values()) v.dispose();
    this.weights.clear();
    this.family.dispose();
  }
}
