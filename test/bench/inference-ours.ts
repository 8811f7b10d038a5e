/** Our side of bench:inference (child process): runner/generate on the KV-cache decoder. */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate, GREEDY } from '../../runner/generate';
import { loadPretrained } from '../../runner/io';
import { createDecoder } from '../../runner/model';
import { nativeStatus, registerNativeKernels } from '../../runner/native';
import type { InferenceResult, InferenceSpec } from './inference';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(dir: string): Promise<void> {
  const spec = JSON.parse(readFileSync(join(dir, 'spec.json'), 'utf8')) as InferenceSpec;
  await tf.setBackend('cpu');
  if (spec.native) registerNativeKernels({ threads: spec.threads, log: () => {} });
  const { model, tokenizer } = await loadPretrained(dir);
  const decoder = createDecoder(model);
  const ttft: number[] = [];
  const tps: number[] = [];
  let tokens: number[] = [];
  for (let round = 0; round <= spec.rounds; round++) {
    const ids: number[] = [];
    const t0 = performance.now();
    let first = 0;
    const gen = generate(
      { decoder, tokenizer },
      {
        prompt: spec.prompt,
        n: 1,
        maxTokens: spec.newTokens,
        sampling: GREEDY,
        stop: [],
        stopTokenIds: new Set(),
        logprobs: 0,
      },
    );
    for await (const events of gen) {
      if (first === 0) first = performance.now();
      for (const e of events) if (e.type === 'delta') ids.push(...e.tokens.map((t) => t.id));
    }
    const end = performance.now();
    if (round === 0) continue; // warm-up
    ttft.push(first - t0);
    tps.push(((spec.newTokens - 1) / (end - first)) * 1000);
    tokens = ids;
  }
  const native = nativeStatus();
  const result: InferenceResult = {
    engine: 'ours',
    detail: native.active
      ? `tfjs cpu backend + runner/native (${native.blas}, ${native.threads} threads)`
      : `tfjs cpu backend, pure JS (${native.reason})`,
    ttftMs: median(ttft),
    decodeTokensPerSecond: median(tps),
    tokens,
  };
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

void main(process.argv[2]);
