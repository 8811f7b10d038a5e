/**
 * Test helpers: a tiny model with runner/model's DecoderModel surface (embedding → dropout →
 * linear head; a bigram LM), a char tokenizer, and a config builder. Real models are tested with
 * T1a's GPT-2/Llama in the integration tests.
 */
import * as tf from '@tensorflow/tfjs';
import { resolveTrainerConfig, type TrainerConfig } from '../../../../runner/config';
import type { ForwardOptions, TrainableModel } from '../../../../runner/train/model';
import type { Hyperparameters } from '../../../../openapi/schemas/hyperparameters';

export class TinyModel implements TrainableModel {
  readonly weights = new Map<string, tf.Variable>();

  constructor(
    readonly vocabSize: number,
    readonly hidden = 8,
    numLabels = 0,
    seed = 1,
  ) {
    this.weights.set(
      'wte.weight',
      tf.variable(tf.randomNormal([vocabSize, hidden], 0, 0.5, 'float32', seed)),
    );
    this.weights.set(
      'lm_head.weight',
      tf.variable(tf.randomNormal([hidden, vocabSize], 0, 0.5, 'float32', seed + 1)),
    );
    this.weights.set('lm_head.bias', tf.variable(tf.zeros([vocabSize])));
    if (numLabels)
      this.weights.set(
        'score.weight',
        tf.variable(tf.randomNormal([hidden, numLabels], 0, 0.5, 'float32', seed + 2)),
      );
  }

  private hiddenStates(ids: tf.Tensor2D, opts?: ForwardOptions): tf.Tensor3D {
    const h = tf.gather(this.weights.get('wte.weight')!, ids) as tf.Tensor3D;
    if (opts?.training && opts.dropout)
      return tf.dropout(h, opts.dropout, undefined, opts.seed) as tf.Tensor3D;
    return h;
  }

  logits(ids: tf.Tensor2D, opts?: ForwardOptions): tf.Tensor3D {
    return tf.tidy(() => {
      const h = this.hiddenStates(ids, opts);
      const [b, s] = ids.shape;
      const out = tf
        .matMul(h.reshape([b * s, this.hidden]), this.weights.get('lm_head.weight')!)
        .add(this.weights.get('lm_head.bias')!);
      return out.reshape([b, s, this.vocabSize]) as tf.Tensor3D;
    });
  }

  classify(ids: tf.Tensor2D, lastIndex: tf.Tensor1D, opts?: ForwardOptions): tf.Tensor2D {
    return tf.tidy(() => {
      const h = this.hiddenStates(ids, opts);
      // Mean of the sequence's embeddings (a bag of characters), gathered by the mask up to lastIndex.
      const [, s] = ids.shape;
      const pos = tf.range(0, s, 1, 'int32').expandDims(0);
      const mask = tf.lessEqual(pos, lastIndex.expandDims(1)).cast('float32').expandDims(2);
      const pooled = h.mul(mask).sum(1).div(mask.sum(1));
      return tf.matMul(pooled, this.weights.get('score.weight')!) as tf.Tensor2D;
    });
  }

  dispose(): void {
    for (const v of this.weights.values()) v.dispose();
  }
}

/** Characters 'a'..'z', ' ', '.', plus eos (28) and pad (29). */
export const charTokenizer = {
  eosId: 28,
  padId: 29,
  vocabSize: 30,
  encode(text: string): number[] {
    return [...text.toLowerCase()].map((c) =>
      c === ' ' ? 26 : c === '.' ? 27 : Math.max(0, Math.min(25, c.charCodeAt(0) - 97)),
    );
  },
};

export function config(
  h: Hyperparameters & { seed?: number },
  extra: Partial<TrainerConfig> = {},
): TrainerConfig {
  return { ...resolveTrainerConfig(h), ...extra };
}

export function snapshotWeights(m: TrainableModel): Map<string, Float32Array> {
  return new Map([...m.weights].map(([k, v]) => [k, v.dataSync() as Float32Array]));
}

export function maxAbsDiff(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  let d = 0;
  for (const [k, x] of a) {
    const y = b.get(k)!;
    for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i] - y[i]));
  }
  return d;
}

export function textLines(n: number, seed = 0): string {
  const words = ['the', 'cat', 'sat', 'on', 'a', 'mat', 'dog', 'ran', 'far', 'away'];
  const out: string[] = [];
  let x = seed + 1;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out.push(`${words[x % 10]} ${words[(x >> 8) % 10]} ${words[(x >> 16) % 10]}.`);
  }
  return out.join(' ');
}
