/**
 * multi: grades with each sub-grader, then combines their scores with `calculate_output` (./formula).
 * Sub-graders are named by their key in `graders` (OpenAI's guide), or by `name` when `graders` is
 * a single grader (the shape of OpenAI's published schema).
 */
import type { MultiGrader, SimpleGrader } from '../../../../openapi/schemas/eval-graders';
import { evaluateFormula, type Formula } from './formula';
import { mergeUsage, type Grader, type UsageByModel } from './types';

export function subGradersOf(def: MultiGrader): [string, SimpleGrader][] {
  const g = def.graders;
  if (typeof (g as { type?: unknown }).type === 'string')
    return [[(g as SimpleGrader).name ?? 'grader', g as SimpleGrader]];
  return Object.entries(g as Record<string, SimpleGrader>);
}

export function multiGrader(def: MultiGrader, subs: [string, Grader][], formula: Formula): Grader {
  return {
    type: def.type,
    name: def.name,
    async grade(ctx) {
      const scores: Record<string, number> = {};
      let usage: UsageByModel = {};
      let sampledModel: string | null = null;
      for (const [key, grader] of subs) {
        const r = await grader.grade(ctx);
        scores[key] = r.score;
        usage = mergeUsage(usage, r.usage);
        sampledModel ??= r.sampledModel;
      }
      const score = evaluateFormula(formula, scores);
      return {
        score,
        passed: Number.isFinite(score) && score >= (def.pass_threshold ?? 1),
        subScores: scores,
        usage,
        sampledModel,
        detail: null,
      };
    },
  };
}
