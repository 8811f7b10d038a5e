/**
 * score_model: a judge model reads the rendered messages and answers with a number. OpenAI asks its
 * judges for `{"result": number, "steps": [...]}` through structured outputs; the models served here
 * have no structured outputs, so the reply's `result` is used when it is that JSON and otherwise the
 * first number in the reply. The score is clipped into `range`; a reply without a number scores 0
 * (clipped), as OpenAI's non-numeric outputs do, and is reported as a parse error.
 */
import type { ScoreModelGrader } from '../../../../openapi/schemas/eval-graders';
import { askJudge, renderMessages, structuredResult } from './judge';
import type { Grader } from './types';

export function parseScore(text: string): number | null {
  const structured = structuredResult(text);
  if (typeof structured === 'number' && Number.isFinite(structured)) return structured;
  const m = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text);
  return m ? Number(m[0]) : null;
}

export function scoreModelGrader(def: ScoreModelGrader): Grader {
  const [lo, hi] = def.range ?? [0, 1];
  const threshold = def.pass_threshold ?? (lo + hi) / 2;
  return {
    type: def.type,
    name: def.name,
    async grade(ctx) {
      const messages = renderMessages(def.input, ctx.vars);
      const p = def.sampling_params ?? {};
      const { reply, usage } = await askJudge(ctx, def.model, messages, {
        temperature: p.temperature,
        top_p: p.top_p,
        seed: p.seed,
        max_tokens: p.max_completions_tokens,
      });
      const parsed = parseScore(reply.text);
      const score = Math.min(hi, Math.max(lo, parsed ?? 0));
      return {
        score,
        passed: score >= threshold,
        subScores: { [def.name]: score },
        usage,
        sampledModel: reply.model,
        detail: { input: messages, output: reply.text, parse_error: parsed === null },
      };
    },
  };
}
