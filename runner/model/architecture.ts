/**
 * Architectural options both families share, read from config.json (config.ts holds the keys and
 * their rules): which attention (full causal softmax, a sliding window, or linear attention) and
 * which position embedding (learned absolute, RoPE, ALiBi or none). The families keep their own
 * fused fast path for their default architecture (GPT-2: full + absolute, Llama: full + RoPE) and
 * run every other combination through the composed attention in attention-variants.ts.
 */
import * as tf from '@tensorflow/tfjs';
import {
  attentionType,
  positionType,
  type AttentionType,
  type ModelConfig,
  type PositionType,
} from './config';

export interface Architecture {
  attention: AttentionType;
  /** Keys each query sees (itself included) with sliding-window attention. */
  window?: number;
  position: PositionType;
}

export function architectureOf(config: ModelConfig): Architecture {
  const attention = attentionType(config);
  return {
    attention,
    window: attention === 'sliding_window' ? (config.sliding_window ?? undefined) : undefined,
    position: positionType(config),
  };
}

/** Whether the family's own (fused) attention path computes this architecture. */
export function isFamilyDefault(config: ModelConfig, arch: Architecture): boolean {
  return arch.attention === 'full' && arch.position === (config.model_type === 'gpt2' ? 'absolute' : 'rope');
}

/**
 * ALiBi head slopes as the paper's reference code (and HF BLOOM's build_alibi_tensor) computes them:
 * a geometric sequence starting at 2^(-8/n) for n a power of two; otherwise the sequence for the
 * closest smaller power of two followed by every other slope of the next power of two.
 */
export function alibiSlopes(nHead: number): Float64Array {
  const pow2 = 2 ** Math.floor(Math.log2(nHead));
  const geometric = (n: number) => Array.from({ length: n }, (_, i) => 2 ** ((-8 * (i + 1)) / n));
  const slopes = geometric(pow2);
  if (pow2 < nHead)
    slopes.push(
      ...geometric(2 * pow2)
        .filter((_, i) => i % 2 === 0)
        .slice(0, nHead - pow2),
    );
  return Float64Array.from(slopes);
}

const MASKED = -1e9;

/**
 * The additive attention bias for sequences of `seq`: [T, T] (0 where query i may attend key j, a
 * large negative elsewhere: j > i, or j ≤ i − window), or [nh, T, T] with ALiBi's −slope·(i − j)
 * added per head. Built on the host once per forward pass (see causalMaskBias in layers.ts).
 */
export function attentionBias(arch: Architecture, seq: number, nHead: number): tf.Tensor {
  const base = new Float32Array(seq * seq);
  for (let i = 0; i < seq; i++) {
    for (let j = 0; j < seq; j++) {
      const visible = j <= i && (arch.window === undefined || i - j < arch.window);
      if (!visible) base[i * seq + j] = MASKED;
    }
  }
  if (arch.position !== 'alibi') return tf.tensor2d(base, [seq, seq]);
  const slopes = alibiSlopes(nHead);
  const data = new Float32Array(nHead * seq * seq);
  for (let h = 0; h < nHead; h++) {
    const off = h * seq * seq;
    for (let i = 0; i < seq; i++) {
      for (let j = 0; j < seq; j++) {
        const b = base[i * seq + j];
        data[off + i * seq + j] = b === 0 ? -slopes[h] * (i - j) : b;
      }
    }
  }
  return tf.tensor3d(data, [nHead, seq, seq]);
}

/**
 * Why incremental (KV-cache) decoding cannot run this model yet, or undefined when it can. The
 * decoder implements the families' default architectures only; it refuses the others by name
 * rather than decode them as if they were the default.
 */
export function decodingUnsupported(config: ModelConfig): string | undefined {
  const arch = architectureOf(config);
  if (arch.attention !== 'full')
    return `decoding does not support attention_type "${arch.attention}" yet (the model trains and evaluates)`;
  if (!isFamilyDefault(config, arch))
    return `decoding does not support position_embedding_type "${arch.position}" on ${config.model_type} yet`;
  return undefined;
}
