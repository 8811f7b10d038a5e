/** text_similarity: one of the metrics in ./metrics (each says which reference implementation it follows). */
import type { TextSimilarityGrader, TextSimilarityMetric } from '../../../../openapi/schemas/eval-graders';
import { bleu } from './metrics/bleu';
import { fuzzyMatch } from './metrics/fuzzy';
import { gleu } from './metrics/gleu';
import { meteor } from './metrics/meteor';
import { rouge } from './metrics/rouge';
import { renderTemplate } from './render';
import type { Grader } from './types';

export function similarity(
  metric: Exclude<TextSimilarityMetric, 'cosine'>,
  input: string,
  reference: string,
): number {
  switch (metric) {
    case 'fuzzy_match':
      return fuzzyMatch(input, reference);
    case 'bleu':
      return bleu(input, reference);
    case 'gleu':
      return gleu(input, reference);
    case 'meteor':
      return meteor(input, reference);
    default:
      return rouge(metric, input, reference);
  }
}

export function textSimilarityGrader(def: TextSimilarityGrader): Grader {
  const metric = def.evaluation_metric;
  if (metric === 'cosine') throw new Error('cosine is refused by the contract');
  return {
    type: def.type,
    name: def.name,
    async grade(ctx) {
      const score = similarity(
        metric,
        renderTemplate(def.input, ctx.vars),
        renderTemplate(def.reference, ctx.vars),
      );
      return {
        score,
        passed: score >= (def.pass_threshold ?? 1),
        subScores: { [def.name]: score },
        usage: {},
        sampledModel: null,
        detail: null,
      };
    },
  };
}
