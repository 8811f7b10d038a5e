/** Template rendering for graders: a missing variable becomes a GradeError the caller can report. */
import { TemplateError, render, type TemplateVariables } from '../template';
import { GradeError } from './types';

export function renderTemplate(template: string, vars: TemplateVariables): string {
  try {
    return render(template, vars);
  } catch (err) {
    if (err instanceof TemplateError) throw new GradeError('invalid_variable', err.message);
    throw err;
  }
}
