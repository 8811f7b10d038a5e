/**
 * Validates a fine-tune file by streaming it line by line (a 1 GB upload is never held in memory):
 * every line one JSON example of one format, at least MIN_EXAMPLES of them. Problems name the
 * line and the rule; the first few are collected, then the scan stops.
 */
import type { FileFormat } from '../records';
import { checkExample } from './examples';
import { LineTooLongError, readLines, type ByteSource } from './lines';

export const MIN_EXAMPLES = 10;
const MAX_PROBLEMS = 5;
/** Distinct labels beyond this are not a classification task any more. */
const MAX_LABELS = 1000;
/** Rough tokens per character for the estimate (≈4 characters per BPE token in English). */
const CHARS_PER_TOKEN = 4;

export interface LineProblem {
  line: number | null;
  rule: string;
}

export interface TrainingFileReport {
  valid: boolean;
  format: FileFormat | null;
  exampleCount: number;
  tokenCount: number;
  labels: string[] | null;
  problems: LineProblem[];
}

export function describeProblems(problems: LineProblem[]): string {
  return problems.map((p) => (p.line === null ? p.rule : `line ${p.line}: ${p.rule}`)).join('; ');
}

const PLAIN_TEXT_RULE =
  'not JSONL: a fine-tune file holds one JSON object per line (chat "messages", "prompt"/"completion", or "text"/"label"); plain text is not accepted, wrap each document as {"text": "…"}';

export async function validateTrainingFile(source: ByteSource): Promise<TrainingFileReport> {
  const problems: LineProblem[] = [];
  let format: FileFormat | null = null;
  let formatLine = 0;
  let examples = 0;
  let chars = 0;
  const labels = new Set<string>();
  let tooManyLabels = false;

  try {
    for await (const [line, text] of readLines(source)) {
      if (problems.length >= MAX_PROBLEMS) break;
      if (text.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (e) {
        const first = examples === 0 && problems.length === 0 && !/^\s*[{[]/.test(text);
        problems.push({ line, rule: first ? PLAIN_TEXT_RULE : `not valid JSON (${(e as Error).message})` });
        continue;
      }
      const check = checkExample(value);
      if (!check.ok) {
        problems.push({ line, rule: check.rule });
        continue;
      }
      if (format === null) {
        format = check.format;
        formatLine = line;
      } else if (check.format !== format) {
        problems.push({
          line,
          rule: `example is ${check.format} but line ${formatLine} is ${format}; one file holds one format`,
        });
        continue;
      }
      examples++;
      chars += check.chars;
      if (check.label !== undefined && !tooManyLabels) {
        labels.add(check.label);
        if (labels.size > MAX_LABELS) tooManyLabels = true;
      }
    }
  } catch (e) {
    if (e instanceof LineTooLongError)
      problems.push({ line: e.line, rule: `longer than ${e.limit} characters` });
    else if (e instanceof TypeError) problems.push({ line: null, rule: 'the file is not valid UTF-8 text' });
    else throw e;
  }

  if (problems.length === 0) {
    if (examples < MIN_EXAMPLES) {
      problems.push({
        line: null,
        rule: `the file has ${examples} example(s); fine-tuning needs at least ${MIN_EXAMPLES}`,
      });
    } else if (format === 'classification' && labels.size < 2) {
      problems.push({
        line: null,
        rule: `classification needs at least 2 distinct labels (found ${labels.size})`,
      });
    } else if (tooManyLabels) {
      problems.push({ line: null, rule: `classification supports at most ${MAX_LABELS} distinct labels` });
    }
  }
  return {
    valid: problems.length === 0,
    format,
    exampleCount: examples,
    tokenCount: Math.ceil(chars / CHARS_PER_TOKEN),
    labels: format === 'classification' ? [...labels].sort() : null,
    problems,
  };
}

/** Whether every example carries `field` as a non-negative number (for weighted sampling). */
export async function everyExampleHasWeight(source: ByteSource, field: string): Promise<boolean> {
  let seen = 0;
  for await (const [, text] of readLines(source)) {
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return false;
    }
    const w = (value as Record<string, unknown> | null)?.[field];
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) return false;
    seen++;
  }
  return seen > 0;
}
