/** Option values the commands share: integers, and JSON given inline or as `@file.json`. */
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError } from 'commander';
import { CliError } from './client';

export function intArg(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('must be an integer');
  return n;
}

/** `--<option> '{"n_epochs":3}'` or `--<option> @file.json`, as an object. */
export async function jsonArg(option: string, v: string): Promise<Record<string, unknown>> {
  const text = v.startsWith('@') ? await readFile(v.slice(1), 'utf8') : v;
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new CliError(`--${option} is not valid JSON: ${(err as Error).message}`);
  }
}
