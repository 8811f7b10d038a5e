/** Predictions of a trained classifier on raw texts (the same encoding as training: text + <eos>). */
import * as tf from '@tensorflow/tfjs';
import { collate } from '../data/batch';
import type { TextTokenizer } from '../data/tokenizer';
import type { TrainableModel } from './model';

export async function predictLabels(
  model: TrainableModel,
  tok: TextTokenizer,
  texts: string[],
  labels: string[],
  maxLength: number,
  batchSize = 64,
): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < texts.length; i += batchSize) {
    const examples = texts.slice(i, i + batchSize).map((t) => {
      const ids = [...tok.encode(t).slice(0, maxLength - 1), tok.eosId];
      return { ids, target: ids.map(() => 0), weight: 1 };
    });
    const b = collate(examples, 'classification', tok.padId);
    const argmax = tf.tidy(() => {
      const logits = model.classify(
        tf.tensor2d(b.ids, [b.size, b.length], 'int32'),
        tf.tensor1d(b.lastIndex!, 'int32'),
        { training: false },
      );
      return tf.argMax(logits, -1);
    });
    const pred = [...((await argmax.data()) as Int32Array)];
    argmax.dispose();
    out.push(...pred.map((p) => labels[p]));
  }
  return out;
}

export async function heldOutAccuracy(
  model: TrainableModel,
  tok: TextTokenizer,
  rows: { text: string; label: string }[],
  labels: string[],
  maxLength: number,
): Promise<number> {
  const pred = await predictLabels(
    model,
    tok,
    rows.map((r) => r.text),
    labels,
    maxLength,
  );
  return pred.filter((p, i) => p === rows[i].label).length / rows.length;
}
