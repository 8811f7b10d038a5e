/**
 * A training file read as text a piece at a time, never whole: its lines (for JSONL) or its text
 * in large pieces that end at a line break (for plain text). Decoded as UTF-8 the way the whole
 * file would be (invalid bytes become U+FFFD), and split on `\n` only, like `content.split('\n')`:
 * a `\r` stays at the end of its line, where JSON.parse and trim() ignore it.
 */
import { createReadStream } from 'node:fs';

const READ_BYTES = 1024 * 1024;

async function* decoded(path: string): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  for await (const chunk of createReadStream(path, { highWaterMark: READ_BYTES }))
    yield decoder.decode(chunk as Buffer, { stream: true });
  const rest = decoder.decode();
  if (rest) yield rest;
}

/** Every line of the file in order (blank ones included), as `content.split('\n')` would give them. */
export async function* fileLines(path: string): AsyncGenerator<string> {
  let carry = '';
  for await (const text of decoded(path)) {
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      yield carry + text.slice(start, nl);
      carry = '';
      start = nl + 1;
    }
    carry += text.slice(start);
  }
  yield carry;
}

/**
 * The file's text in pieces of at least `minChars` characters that end just after a line break
 * (the last piece ends where the file does). A file shorter than `minChars` is one piece.
 */
export async function* filePieces(path: string, minChars: number): AsyncGenerator<string> {
  let pending = '';
  for await (const text of decoded(path)) {
    pending += text;
    if (pending.length < minChars) continue;
    const cut = pending.lastIndexOf('\n');
    if (cut < 0) continue;
    yield pending.slice(0, cut + 1);
    pending = pending.slice(cut + 1);
  }
  if (pending) yield pending;
}

/** The first line that is not blank, read without reading further (undefined for a blank file). */
export async function firstLine(path: string): Promise<string | undefined> {
  for await (const line of fileLines(path)) if (line.trim() !== '') return line;
  return undefined;
}
