/**
 * label_model: a judge model reads the rendered messages and answers with one of `labels`; the
 * sample passes when that label is one of `passing_labels`. The reply's label is its `result` when
 * it is OpenAI's structured form, else the reply itself when it equals a label (ignoring case and
 * surrounding punctuation), else the label named earliest in the reply. No label is a parse error.
 */
import type { LabelModelGrader } from '../../../../openapi/schemas/eval-graders';
import { askJudge, renderMessages, structuredResult } from './judge';
import type { Grader } from './types';

export function parseLabel(text: string, labels: readonly string[]): string | null {
  const structured = structuredResult(text);
  const candidates = typeof structured === 'string' ? [structured, text] : [text];
  for (const c of candidates) {
    const clean = c.trim().replace(/^["'`*\s]+|["'`*.!\s]+$/g, '');
    const exact =
      labels.find((l) => l === clean) ?? labels.find((l) => l.toLowerCase() === clean.toLowerCase());
    if (exact) return exact;
  }
  const lower = text.toLowerCase();
  let best: { label: string; at: number } | null = null;
  for (const l of labels) {
    const at = lower.search(
      new RegExp(
        `(^|[^\\p{L}\\p{N}])${l.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\p{L}\\p{N}])`,
        'u',
      ),
    );
    if (at >= 0 && (!best || at < best.at)) best = { label: l, at };
  }
  return best?.label ?? null;
}

export function labelModelGrader(def: LabelModelGrader): Grader {
  return {
    type: def.type,
    name: def.name,
    async grade(ctx) {
      const messages = renderMessages(def.input, ctx.vars);
      const { reply, usage } = await askJudge(ctx, def.model, messages, { temperature: 0 });
      const label = parseLabel(reply.text, def.labels);
      const passed = label !== null && def.passing_labels.includes(label);
      const score = passed ? 1 : 0;
      return {
        score,
        passed,
        subScores: { [def.name]: score },
        usage,
        sampledModel: reply.model,
        detail: { input: messages, output: reply.text, label, parse_error: label === null },
      };
    },
  };
}
