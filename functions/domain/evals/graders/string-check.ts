/** string_check: eq / ne (case-sensitive), like (input contains reference), ilike (the same, case-insensitive); 1 or 0. */
import type { StringCheckGrader } from '../../../../openapi/schemas/eval-graders';
import { renderTemplate } from './render';
import type { Grader } from './types';

export function stringCheckGrader(def: StringCheckGrader): Grader {
  return {
    type: def.type,
    name: def.name,
    async grade(ctx) {
      const input = renderTemplate(def.input, ctx.vars);
      const reference = renderTemplate(def.reference, ctx.vars);
      const ok =
        def.operation === 'eq'
          ? input === reference
          : def.operation === 'ne'
            ? input !== reference
            : def.operation === 'like'
              ? input.includes(reference)
              : input.toLowerCase().includes(reference.toLowerCase());
      const score = ok ? 1 : 0;
      return {
        score,
        passed: ok,
        subScores: { [def.name]: score },
        usage: {},
        sampledModel: null,
        detail: null,
      };
    },
  };
}
