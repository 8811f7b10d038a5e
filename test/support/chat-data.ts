/**
 * Generated chat training data of any size: ordinary English-like words from a seeded generator,
 * one system, user and assistant message per example (300–1,500 bytes a line), ASCII only, so the
 * built-in model's character vocabulary holds all of it. Written to disk a few MiB at a time.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

const WORDS = (
  'the a of to and in is it you that he was for on are with as his they be at one have this from ' +
  'or had by hot word but what some we can out other were all there when up use your how said an ' +
  'each she which do their time if will way about many then them write would like so these her long ' +
  'make thing see him two has look more day could go come did number sound no most people my over ' +
  'know water than call first who may down side been now find any new work part take get place made ' +
  'live where after back little only round man year came show every good me give our under name very'
).split(' ');

/** mulberry32: floats in [0, 1) from a seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sentence(rand: () => number): string {
  const words = Array.from(
    { length: 4 + Math.floor(rand() * 12) },
    () => WORDS[Math.floor(rand() * WORDS.length)],
  ).join(' ');
  return `${words[0].toUpperCase()}${words.slice(1)}.`;
}

/** Sentences are drawn from a seeded pool: a gigabyte is written in seconds rather than minutes. */
const POOL_SIZE = 4096;

/** A seeded source of chat examples, each a JSONL line (newline included). */
export function chatLines(seed: number): () => string {
  const rand = seededRandom(seed);
  const pool = Array.from({ length: POOL_SIZE }, () => sentence(rand));
  const paragraph = (n: number) =>
    Array.from({ length: n }, () => pool[Math.floor(rand() * POOL_SIZE)]).join(' ');
  return () =>
    `${JSON.stringify({
      messages: [
        { role: 'system', content: 'You answer briefly and kindly.' },
        { role: 'user', content: paragraph(1 + Math.floor(rand() * 4)) },
        { role: 'assistant', content: paragraph(2 + Math.floor(rand() * 10)) },
      ],
    })}\n`;
}

/** Writes chat lines to `file` until the next would pass `maxBytes`; the bytes and lines written. */
export async function writeChatJsonl(
  file: string,
  maxBytes: number,
  seed = 20_240_601,
): Promise<{ bytes: number; lines: number }> {
  const next = chatLines(seed);
  const out = createWriteStream(file);
  let bytes = 0;
  let lines = 0;
  let batch: string[] = [];
  let batchBytes = 0;
  for (;;) {
    const line = next();
    const n = Buffer.byteLength(line);
    if (bytes + batchBytes + n > maxBytes) break;
    batch.push(line);
    batchBytes += n;
    lines++;
    if (batchBytes >= 4 * 1024 * 1024) {
      bytes += batchBytes;
      if (!out.write(batch.join(''))) await once(out, 'drain');
      batch = [];
      batchBytes = 0;
    }
  }
  bytes += batchBytes;
  out.end(batch.join(''));
  await once(out, 'finish');
  return { bytes, lines };
}
