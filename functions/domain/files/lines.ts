/** Lines of a byte stream, decoded as UTF-8, without holding more than one line in memory. */
import { TuneplaneError } from '../../../openapi/errors';

/** A line longer than the reader holds: file validation reports it as a problem of that line. */
export class LineTooLongError extends TuneplaneError {
  constructor(
    readonly line: number,
    readonly limit: number,
  ) {
    super(`line ${line} is longer than ${limit} bytes`, { code: 'line_too_long' });
  }
}

export type ByteSource = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | Uint8Array;

async function* chunks(source: ByteSource): AsyncGenerator<Uint8Array> {
  if (source instanceof Uint8Array) {
    yield source;
    return;
  }
  if (Symbol.asyncIterator in source) {
    yield* source as AsyncIterable<Uint8Array>;
    return;
  }
  const reader = (source as ReadableStream<Uint8Array>).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/** Yields `[lineNumber, text]` (1-based; `\r\n` endings accepted). */
export async function* readLines(
  source: ByteSource,
  maxLineChars = 4 * 1024 * 1024,
): AsyncGenerator<[number, string]> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let pending = '';
  let lineNo = 0;
  for await (const chunk of chunks(source)) {
    pending += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      lineNo++;
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      // Whole lines are checked too: a chunk can hold a long line entire (a direct upload is one chunk).
      if (line.length > maxLineChars) throw new LineTooLongError(lineNo, maxLineChars);
      yield [lineNo, line.endsWith('\r') ? line.slice(0, -1) : line];
    }
    if (pending.length > maxLineChars) throw new LineTooLongError(lineNo + 1, maxLineChars);
  }
  pending += decoder.decode();
  if (pending.length > maxLineChars) throw new LineTooLongError(lineNo + 1, maxLineChars);
  if (pending.length > 0) yield [lineNo + 1, pending.endsWith('\r') ? pending.slice(0, -1) : pending];
}
