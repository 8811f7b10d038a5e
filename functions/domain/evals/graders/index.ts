/**
 * Graders: `buildGrader` turns a definition (the contract's shape) into a Grader after the checks
 * the schema cannot make — template references, the multi formula — each failure a 400 naming the
 * field (`param` is where the definition sits in the request, e.g. `testing_criteria[1]`).
 */
import {
  PYTHON_REFUSED,
  type GraderDefinition,
  type SimpleGrader,
} from '../../../../openapi/schemas/eval-graders';
import { ValidationError } from '../../../errors';
import { TemplateError, referencesOf, type Reference } from '../template';
import { FormulaError, parseFormula } from './formula';
import { labelModelGrader } from './label-model';
import { multiGrader, subGradersOf } from './multi';
import { scoreModelGrader } from './score-model';
import { stringCheckGrader } from './string-check';
import { textSimilarityGrader } from './text-similarity';
import type { Grader } from './types';

export * from './types';
export { parseFormula, evaluateFormula, FormulaError } from './formula';
export { similarity } from './text-similarity';
export { subGradersOf } from './multi';

/** Every template a grader holds, with the param path of the field holding it. */
export function templatesOf(def: GraderDefinition, param: string): [string, string][] {
  switch (def.type) {
    case 'string_check':
    case 'text_similarity':
      return [
        [`${param}.input`, def.input],
        [`${param}.reference`, def.reference],
      ];
    case 'score_model':
    case 'label_model':
      return def.input.flatMap((m, i) => {
        const at = `${param}.input[${i}].content`;
        if (typeof m.content === 'string') return [[at, m.content]] as [string, string][];
        const parts = Array.isArray(m.content) ? m.content : [m.content];
        return parts.flatMap((p, j) => {
          const where = Array.isArray(m.content) ? `${at}[${j}]` : at;
          if (typeof p === 'string') return [[where, p]] as [string, string][];
          return 'text' in p ? ([[`${where}.text`, String(p.text)]] as [string, string][]) : [];
        });
      });
    case 'multi':
      return subGradersOf(def).flatMap(([key, g]) =>
        templatesOf(
          g,
          Array.isArray(def.graders) || 'type' in def.graders
            ? `${param}.graders`
            : `${param}.graders.${key}`,
        ),
      );
    case 'python':
      return [];
  }
}

/** The references in a grader's templates, each with its field; a malformed one is a 400 naming the field. */
export function referencesIn(def: GraderDefinition, param: string): { param: string; ref: Reference }[] {
  const out: { param: string; ref: Reference }[] = [];
  for (const [at, template] of templatesOf(def, param)) {
    try {
      for (const ref of referencesOf(template)) out.push({ param: at, ref });
    } catch (err) {
      if (err instanceof TemplateError)
        throw new ValidationError(`${at}: ${err.message}`, at, 'invalid_template');
      throw err;
    }
  }
  return out;
}

function buildSimple(def: SimpleGrader, param: string): Grader {
  switch (def.type) {
    case 'string_check':
      return stringCheckGrader(def);
    case 'text_similarity':
      return textSimilarityGrader(def);
    case 'score_model':
      return scoreModelGrader(def);
    case 'label_model':
      return labelModelGrader(def);
    case 'python':
      throw new ValidationError(`${param}.type: ${PYTHON_REFUSED}`, `${param}.type`, 'unsupported_grader');
  }
}

export function buildGrader(def: GraderDefinition, param = 'grader'): Grader {
  referencesIn(def, param);
  if (def.type !== 'multi') return buildSimple(def, param);
  const subs = subGradersOf(def).map(([key, g]): [string, Grader] => {
    if ((g as { type: string }).type === 'multi')
      throw new ValidationError(
        `${param}.graders: a multi grader cannot hold another multi grader`,
        `${param}.graders`,
      );
    return [key, buildSimple(g, `${param}.graders`)];
  });
  try {
    const formula = parseFormula(
      def.calculate_output,
      subs.map(([k]) => k),
    );
    return multiGrader(def, subs, formula);
  } catch (err) {
    if (err instanceof FormulaError)
      throw new ValidationError(
        `${param}.calculate_output: ${err.message}`,
        `${param}.calculate_output`,
        'invalid_formula',
      );
    throw err;
  }
}
