/**
 * A `provider: local` job as a user runs it, against the trainer bench's step on the same shape.
 *
 * `npm start` (the embedded stack, a child process as in test/support/npm-start) serves a base
 * model of config B's shape (test/bench/trainer.ts: GPT-2, vocab 512, 4 layers, d_model 256,
 * batch 8, 128 positions per row), written here with runner/io's savePretrained and the built-in
 * model's character tokenizer. The model has 129 positions: the trainer predicts each row's
 * tokens after the first, so rows of 129 tokens train on 128 positions, config B's step. Through
 * the generated SDK the bench uploads prompt/completion examples long enough to be cut to 129
 * tokens, creates a job (batch 8, max_steps, a metrics event every step) and polls it.
 *
 * Figures:
 *  - queued → first step: from sending the create request (the job is `queued` when it answers)
 *    to the first metrics event (step 1 done), split at the job turning `running`;
 *  - ms per step inside the job: each metrics event's tokens_per_second covers the steps since the
 *    previous one (here one step, plus any wait for the previous report's writes, which overlap the step);
 *    the median over the steps after the warm-up. Cross-checked by the wall clock: the time between
 *    the bench first seeing the first step after the warm-up and the last step, per step (polled
 *    every 50 ms);
 *  - ms per step in the bench: test/bench/trainer-ours.ts on the same shape, run before and after
 *    the job (the stack stopped): the mean of their seconds per timed step;
 *  - CPU per step while the job trains (Linux /proc, the stack's process group): the runner's and
 *    the rest of the stack's (API, embedded stores, workers). On 2 cores the runner's kernels use
 *    both, so whatever the stack spends comes out of the job's steps.
 *
 * The bench polls every 50 ms until the first step (to time it), then every --poll-ms (1,000 by
 * default, a client's usual pace): polling 20 times a second is itself load on the stack.
 *
 * Last line: queued_to_first_step_s=… queued_to_running_s=… job_ms_per_step=… bench_ms_per_step=… step_ratio=…
 *   job_cpu_ms_per_step=… bench_cpu_ms_per_step=… stack_cpu_ms_per_step=…
 *
 *   npm run bench:job -- [--steps N] [--bench-steps N] [--metrics-interval N] [--poll-ms N]
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '../../openapi/sdk/client';
import {
  createFile,
  createFineTuningJob,
  listFineTuningJobEvents,
  retrieveFineTuningJob,
} from '../../openapi/sdk/sdk.gen';
import { initBackend } from '../../runner/backend';
import { loadPretrained, savePretrained } from '../../runner/io';
import { createModel, parseModelConfig } from '../../runner/model';
import { freePort, ROOT, start, stop } from '../support/npm-start';
import { CONFIGS, makeTokens, runChild, TRAIN, type EngineResult, type RunSpec } from './trainer';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : undefined;
};
const STEPS = arg('steps') ?? 40;
/** Steps per metrics event (1: the first step is seen as soon as it ends). */
const METRICS_EVERY = arg('metrics-interval') ?? 1;
/** Timed steps of each bench run (0: no bench runs, the job alone). */
const BENCH_STEPS = arg('bench-steps') ?? 20;
/** Poll interval once the first step is seen. */
const POLL_MS = arg('poll-ms') ?? 1000;
const WARMUP = 3;
const B = CONFIGS.B;
const MODEL = { ...B.model, n_positions: B.seq + 1 };
const ROW_TOKENS = B.seq + 1;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

interface GroupCpu {
  runner: number;
  rest: number;
  /** The rest by process, named by the script it runs. */
  byProcess: Record<string, number>;
}

/** The script a process runs (the first argument naming a .ts/.mjs/.js file), for the breakdown. */
function processName(cmdline: string): string {
  const script = cmdline
    .split('\0')
    .find((a) => /\.(ts|mjs|js)$/.test(a) && !a.includes('node_modules/.bin'));
  return script ? script.split('/').slice(-2).join('/') : (cmdline.split('\0')[0] ?? '?');
}

/** CPU seconds so far of the processes in one process group: the runner's and the others'. */
function groupCpu(pgid: number): GroupCpu | undefined {
  if (!existsSync('/proc/self/stat')) return undefined;
  const tick = 100; // USER_HZ on Linux
  const out: GroupCpu = { runner: 0, rest: 0, byProcess: {} };
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      // Fields after the parenthesised command name: state is field 3, pgrp 5, utime 14, stime 15.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[2]) !== pgid) continue;
      const cpu = (Number(f[11]) + Number(f[12])) / tick;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmd.includes('runner/dist/job.mjs') || cmd.includes('runner/entry/job')) out.runner += cpu;
      else {
        out.rest += cpu;
        const name = processName(cmd);
        out.byProcess[name] = (out.byProcess[name] ?? 0) + cpu;
      }
    } catch {
      // The process ended between listing and reading.
    }
  }
  return out;
}

/** trainer-ours.ts on the job's shape: its seconds per timed step. */
function benchStep(): EngineResult {
  const dir = mkdtempSync(join(tmpdir(), 'tuneplane-jobbench-'));
  try {
    const steps = BENCH_STEPS;
    writeFileSync(join(dir, 'tokens.bin'), makeTokens(B.batch * (WARMUP + steps), B.seq, MODEL.vocab_size));
    const spec: RunSpec = {
      config: MODEL,
      batch: B.batch,
      seq: B.seq,
      train: TRAIN,
      warmup: WARMUP,
      steps,
      leakSteps: 0,
      native: true,
      profile: false,
      threads: 0,
    };
    writeFileSync(join(dir, 'run.json'), JSON.stringify(spec));
    const here = fileURLToPath(new URL('.', import.meta.url));
    return runChild(process.execPath, [...process.execArgv, join(here, 'trainer-ours.ts'), dir]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A base-models folder holding one model of the job's shape. */
async function baseModels(): Promise<{ dir: string; id: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'tuneplane-jobbench-models-'));
  const id = 'bench-gpt2-config-b';
  await initBackend({ prefer: 'cpu', log: () => {} });
  const { tokenizer } = await loadPretrained(join(ROOT, 'runner/base-models/tuneplane-tiny-char'));
  const model = createModel(parseModelConfig(MODEL), { seed: TRAIN.seed });
  await mkdir(join(dir, id));
  await savePretrained(join(dir, id), model, tokenizer);
  return { dir, id };
}

/** Deterministic English-like text from the tokenizer's alphabet. */
function text(i: number, chars: number): string {
  const words = [
    'the',
    'model',
    'learns',
    'a',
    'small',
    'shape',
    'of',
    'text',
    'quickly',
    'and',
    'then',
    'more',
  ];
  let s = i * 7919 + 17;
  let out = '';
  while (out.length < chars) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out += `${words[(s >>> 8) % words.length]} `;
  }
  return out;
}

async function main(): Promise<void> {
  const before = BENCH_STEPS > 0 ? benchStep() : undefined;
  if (before)
    console.log(`bench (before): ${(before.secondsPerStep * 1000).toFixed(1)} ms/step; ${before.detail}`);

  const models = await baseModels();
  const dataDir = mkdtempSync(join(tmpdir(), 'tuneplane-jobbench-data-'));
  const stack = await start({
    PORT: String(await freePort()),
    TUNEPLANE_DATA_DIR: dataDir,
    TUNEPLANE_BASE_MODELS_DIR: models.dir,
    TUNEPLANE_API_KEY: 'tp_bench_job_start_0123456789',
  });
  const runnerLine = stack
    .output()
    .split('\n')
    .find((l) => l.includes('local jobs run the runner'));
  console.log(runnerLine ?? 'no runner line in the stack output');
  let job: {
    queuedToRunning: number;
    queuedToFirst: number;
    msPerStep: number[];
    wallMsPerStep: number;
    cpuPerStep?: { runner: number; rest: number; byProcess: Record<string, number> };
  };
  try {
    const client = createClient({
      baseUrl: stack.baseUrl.replace(/\/v1$/, ''),
      headers: { Authorization: `Bearer ${stack.apiKey}` },
    });
    const rows = B.batch * (STEPS + 2);
    const lines = Array.from({ length: rows }, (_, i) =>
      JSON.stringify({ prompt: `doc ${i}:`, completion: ` ${text(i, ROW_TOKENS * 2)}` }),
    );
    const upload = await createFile({
      client,
      body: {
        purpose: 'fine-tune',
        file: new File([lines.join('\n')], 'bench.jsonl', { type: 'application/jsonl' }),
      },
    });
    const file = upload.data;
    if (file?.status !== 'processed')
      throw new Error(`file not processed: ${JSON.stringify(upload.error ?? file)}`);

    const t0 = performance.now();
    const created = await createFineTuningJob({
      client,
      body: {
        model: models.id,
        training_file: file.id,
        provider: 'local',
        seed: 3,
        method: {
          type: 'supervised',
          supervised: {
            hyperparameters: {
              batch_size: B.batch,
              max_steps: STEPS,
              max_sequence_length: ROW_TOKENS,
              metrics_interval_steps: METRICS_EVERY,
            },
          },
        },
      },
    });
    if (!created.data) throw new Error(`job not created: ${JSON.stringify(created.error)}`);
    const id = created.data.id;
    let running: number | undefined;
    let first: number | undefined;
    // The newest step seen and when it was first seen: the wall clock's cross-check of the events.
    const seen: { step: number; at: number; cpu?: GroupCpu }[] = [];
    let status = created.data.status;
    for (;;) {
      const now = performance.now();
      if (now - t0 > 600_000)
        throw new Error(`job ${id} did not finish in 10 min:\n${stack.output().slice(-3000)}`);
      status = (await retrieveFineTuningJob({ client, path: { fine_tuning_job_id: id } })).data!.status;
      if (running === undefined && status !== 'queued') running = now;
      const ev = (
        await listFineTuningJobEvents({ client, path: { fine_tuning_job_id: id }, query: { limit: 5 } })
      ).data!.data;
      const steps = ev.filter((e) => e.type === 'metrics').map((e) => (e.data as { step: number }).step);
      if (steps.length > 0) {
        const at = performance.now();
        first ??= at;
        const newest = Math.max(...steps);
        if (newest > (seen.at(-1)?.step ?? 0))
          seen.push({ step: newest, at, cpu: groupCpu(stack.child.pid!) });
      }
      if (['succeeded', 'failed', 'cancelled'].includes(status)) break;
      await new Promise((r) => setTimeout(r, first === undefined ? 50 : POLL_MS));
    }
    if (status !== 'succeeded') throw new Error(`job ${id} ${status}:\n${stack.output().slice(-3000)}`);
    const events = (
      await listFineTuningJobEvents({ client, path: { fine_tuning_job_id: id }, query: { limit: 1000 } })
    ).data!.data;
    const metrics = events
      .filter((e) => e.type === 'metrics')
      .map((e) => e.data as { step: number; tokens_per_second: number; batch_size: number })
      .sort((a, b) => a.step - b.step);
    if (metrics.length !== Math.ceil(STEPS / METRICS_EVERY))
      throw new Error(`expected ${Math.ceil(STEPS / METRICS_EVERY)} metrics events, got ${metrics.length}`);
    const perStep = metrics
      .filter((m) => m.step > Math.max(WARMUP, METRICS_EVERY))
      .map((m) => ((m.batch_size * B.seq) / m.tokens_per_second) * 1000);
    const from = seen.find((x) => x.step > WARMUP)!;
    const to = seen.at(-1)!;
    const steps = to.step - from.step;
    // The newest sample taken while the runner still ran: once it exits its CPU leaves the group.
    const cpuTo = seen.findLast(
      (x) => x.step > from.step && x.cpu && x.cpu.runner >= (from.cpu?.runner ?? 0),
    );
    const cpuSteps = cpuTo ? cpuTo.step - from.step : 0;
    job = {
      cpuPerStep:
        from.cpu && cpuTo?.cpu && cpuSteps > 0
          ? {
              runner: (cpuTo.cpu.runner - from.cpu.runner) / cpuSteps,
              rest: (cpuTo.cpu.rest - from.cpu.rest) / cpuSteps,
              byProcess: Object.fromEntries(
                Object.entries(cpuTo.cpu.byProcess).map(([name, cpu]) => [
                  name,
                  (cpu - (from.cpu!.byProcess[name] ?? 0)) / cpuSteps,
                ]),
              ),
            }
          : undefined,
      queuedToRunning: (running! - t0) / 1000,
      queuedToFirst: (first! - t0) / 1000,
      msPerStep: perStep,
      wallMsPerStep: steps > 0 ? (to.at - from.at) / steps : NaN,
    };
  } finally {
    await stop(stack);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(models.dir, { recursive: true, force: true });
  }

  const after = BENCH_STEPS > 0 ? benchStep() : undefined;
  if (after) console.log(`bench (after):  ${(after.secondsPerStep * 1000).toFixed(1)} ms/step`);
  const benchMs = before && after ? ((before.secondsPerStep + after.secondsPerStep) / 2) * 1000 : NaN;
  const benchCpuMs = before && after ? ((before.cpuMsPerStep ?? NaN) + (after.cpuMsPerStep ?? NaN)) / 2 : NaN;
  const jobMs = median(job.msPerStep);
  console.log(
    `job: queued → running ${job.queuedToRunning.toFixed(2)} s, queued → first step ${job.queuedToFirst.toFixed(2)} s; ` +
      `ms/step over steps ${Math.max(WARMUP, METRICS_EVERY) + 1}–${STEPS}: median ${jobMs.toFixed(1)}, min ${Math.min(...job.msPerStep).toFixed(1)}, max ${Math.max(...job.msPerStep).toFixed(1)}; ` +
      `by the wall clock between the events seen ${job.wallMsPerStep.toFixed(1)}`,
  );
  if (job.cpuPerStep)
    console.log(
      `CPU per step while training: runner ${(job.cpuPerStep.runner * 1000).toFixed(0)} ms, ` +
        `rest of the stack ${(job.cpuPerStep.rest * 1000).toFixed(0)} ms (polling every ${POLL_MS} ms); ` +
        `the bench's trainer ${benchCpuMs.toFixed(0)} ms`,
    );
  if (job.cpuPerStep)
    console.log(
      'the rest by process: ' +
        Object.entries(job.cpuPerStep.byProcess)
          .filter(([, cpu]) => cpu >= 0.0005)
          .sort((a, b) => b[1] - a[1])
          .map(([name, cpu]) => `${name} ${(cpu * 1000).toFixed(1)} ms`)
          .join(', '),
    );
  console.log(
    `queued_to_first_step_s=${job.queuedToFirst.toFixed(2)} queued_to_running_s=${job.queuedToRunning.toFixed(2)} ` +
      `job_ms_per_step=${jobMs.toFixed(1)} bench_ms_per_step=${benchMs.toFixed(1)} step_ratio=${(jobMs / benchMs).toFixed(3)} ` +
      `job_cpu_ms_per_step=${((job.cpuPerStep?.runner ?? NaN) * 1000).toFixed(0)} bench_cpu_ms_per_step=${benchCpuMs.toFixed(0)} ` +
      `stack_cpu_ms_per_step=${((job.cpuPerStep?.rest ?? NaN) * 1000).toFixed(0)}`,
  );
}

await main();
