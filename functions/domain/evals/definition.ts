/**
 * The checks an eval's definition and a run's data source need beyond their schemas: graders that
 * build, template references that the item schema and the sample namespace can satisfy, items that
 * match the item schema. Each failure is a 400 naming the field.
 */
import { Validator } from '@cfworker/json-schema';
import type { TestingCriterion } from '../../../openapi/schemas/eval';
import type { EvalMessage } from '../../../openapi/schemas/eval-graders';
import { ValidationError } from '../../errors';
import { buildGrader, referencesIn, type Grader } from './graders';
import { SAMPLE_VARIABLES, TemplateError, referencesOf, type Reference } from './template';

/** The item schema's declared top-level properties, or null when it does not restrict them. */
function declaredProperties(schema: Record<string, unknown>): string[] | null {
  const props = schema.properties;
  if (!props || typeof props !== 'object') return null;
  return Object.keys(props);
}

/** A reference the item schema or the sample namespace cannot satisfy, or null. */
function problemWith(
  ref: Reference,
  itemSchema: Record<string, unknown>,
  sampleAllowed: boolean,
): string | null {
  if (ref.namespace === 'sample') {
    if (!sampleAllowed) return `{{${ref.raw}}}: there is no sample here (only {{item.…}} can be used)`;
    const v = String(ref.path[0]);
    if (!(SAMPLE_VARIABLES as readonly string[]).includes(v))
      return `{{${ref.raw}}}: the sample has no "${v}" (it has ${SAMPLE_VARIABLES.join(', ')})`;
    return null;
  }
  const props = declaredProperties(itemSchema);
  const key = String(ref.path[0]);
  if (props && !props.includes(key) && itemSchema.additionalProperties === false)
    return `{{${ref.raw}}}: the item schema has no property "${key}" (it has ${props.join(', ') || 'none'})`;
  if (props && !props.includes(key) && itemSchema.additionalProperties === undefined)
    return `{{${ref.raw}}}: the item schema declares no property "${key}" (it declares ${props.join(', ') || 'none'})`;
  return null;
}

export function checkItemSchema(schema: Record<string, unknown>, param: string): Validator {
  if (schema.type !== undefined && schema.type !== 'object')
    throw new ValidationError(
      `${param}.type: an item is an object, so the schema's type must be "object"`,
      `${param}.type`,
    );
  try {
    return new Validator(schema as never, '2020-12', false);
  } catch (err) {
    throw new ValidationError(`${param}: not a usable JSON schema (${(err as Error).message})`, param);
  }
}

/** Builds each criterion's grader, checking every reference against the item schema. */
export function buildCriteria(
  criteria: readonly TestingCriterion[],
  itemSchema: Record<string, unknown>,
): Grader[] {
  return criteria.map((c, i) => {
    const param = `testing_criteria[${i}]`;
    const grader = buildGrader(c, param);
    for (const { param: at, ref } of referencesIn(c, param)) {
      const problem = problemWith(ref, itemSchema, true);
      if (problem) throw new ValidationError(`${at}: ${problem}`, at, 'invalid_template');
    }
    return grader;
  });
}

/** The labels of per_testing_criteria_results: the criteria's names, a repeated one suffixed with its position. */
export function criterionLabels(criteria: readonly { name?: string; type: string }[]): string[] {
  const names = criteria.map((c) => c.name ?? c.type);
  return names.map((n, i) => (names.indexOf(n) === i && names.lastIndexOf(n) === i ? n : `${n}-${i}`));
}

/** A completions template may use the item only (the sample does not exist before sampling). */
export function checkInputTemplate(
  template: readonly EvalMessage[],
  itemSchema: Record<string, unknown>,
  param: string,
): void {
  template.forEach((m, i) => {
    const texts =
      typeof m.content === 'string'
        ? [m.content]
        : (Array.isArray(m.content) ? m.content : [m.content]).map((p) =>
            typeof p === 'string' ? p : 'text' in p ? String(p.text) : '',
          );
    const at = `${param}[${i}].content`;
    for (const text of texts) {
      let refs: Reference[];
      try {
        refs = referencesOf(text);
      } catch (err) {
        if (err instanceof TemplateError)
          throw new ValidationError(`${at}: ${err.message}`, at, 'invalid_template');
        throw err;
      }
      for (const ref of refs) {
        const problem = problemWith(ref, itemSchema, false);
        if (problem) throw new ValidationError(`${at}: ${problem}`, at, 'invalid_template');
      }
    }
  });
}

/** The first way `item` breaks the schema, in words, or null. */
export function itemProblem(validator: Validator, item: unknown): string | null {
  const r = validator.validate(item);
  if (r.valid) return null;
  const e = r.errors.at(-1)!;
  return `${e.instanceLocation.replace(/^#/, 'item') || 'item'}: ${e.error}`;
}

/** Whether any criterion reads the sample namespace. */
export function criteriaUseSample(criteria: readonly TestingCriterion[]): boolean {
  return criteria.some((c, i) =>
    referencesIn(c, `testing_criteria[${i}]`).some(({ ref }) => ref.namespace === 'sample'),
  );
}
