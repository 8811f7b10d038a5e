/**
 * Bounded memory for large files, end to end on the embedded stack (`npm start` in a child process):
 *
 *  1. generates a chat JSONL of about BENCH_BYTES (default 1 GiB, the upload limit) on disk, a few
 *     MiB at a time from a seeded generator (test/support/chat-data.ts);
 *  2. sends it through `/v1/uploads`: presigned part URLs, each part PUT straight to S3 (s3rver, in
 *     the stack's process), four at a time; then `complete`, which assembles the parts and validates
 *     the file by streaming it;
 *  3. starts a `provider: local` job on the built-in base model: its runner downloads the file,
 *     tokenizes all of it and trains BENCH_STEPS steps (`max_steps`);
 *  4. reads the peak resident set (VmHWM, /proc/<pid>/status) of the API process (API, dynalite and
 *     s3rver) and of the runner process.
 *
 * Goal: both peaks under 512 MiB. Rates are MB/s (10^6 bytes per second): upload = bytes / time to
 * PUT every part; validate = bytes / time `complete` took (assembly plus the streaming validation).
 * Last line: `bytes=… upload_mb_s=… validate_mb_s=… api_peak_rss_mb=… runner_peak_rss_mb=…`.
 *
 * Run: npm run bench:upload   (BENCH_BYTES=100000000 for a shorter run, BENCH_STEPS=n)
 * Linux only (reads /proc).
 */
import { mkdtemp, open, readdir, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { writeChatJsonl } from '../support/chat-data';
import { freePort, start, stop, type Running } from '../support/npm-start';

const TARGET_BYTES = Number(process.env.BENCH_BYTES ?? 1024 ** 3);
const STEPS = Number(process.env.BENCH_STEPS ?? 5);
const PARALLEL_PARTS = 4;
const GOAL_MIB = 512;
const MiB = 1024 * 1024;

const log = (msg: string) => process.stderr.write(`${msg}\n`);
const mb = (bytes: number) => bytes / 1e6;

// ---------------------------------------------------------------------------------------------
// Processes: the API is `node … infra/local/main.ts` under npm; a runner is its child whose
// environment names a job.

async function parentOf(pid: number): Promise<number | undefined> {
  const s = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  return s ? Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]) : undefined;
}

async function descendants(root: number): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((d) => /^\d+$/.test(d)).map(Number);
  const parent = new Map<number, number | undefined>();
  await Promise.all(pids.map(async (p) => parent.set(p, await parentOf(p))));
  const isBelow = (p: number): boolean => {
    for (let q = parent.get(p); q !== undefined && q > 1; q = parent.get(q)) if (q === root) return true;
    return false;
  };
  return pids.filter(isBelow);
}

const cmdline = (pid: number) =>
  readFile(`/proc/${pid}/cmdline`, 'utf8')
    .then((s) => s.split('\0').join(' '))
    .catch(() => '');

const environ = (pid: number) => readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');

/** Peak resident set in bytes (VmHWM), or undefined once the process is gone. */
async function peakRss(pid: number): Promise<number | undefined> {
  const s = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
  const m = s && /VmHWM:\s+(\d+) kB/.exec(s);
  return m ? Number(m[1]) * 1024 : undefined;
}

async function apiPid(stack: Running): Promise<number> {
  for (const p of await descendants(stack.child.pid!)) {
    // npm runs it through a shell, whose command line names main.ts too.
    const argv = (await cmdline(p)).split(' ');
    if (path.basename(argv[0]) === 'node' && argv.includes('infra/local/main.ts')) return p;
  }
  throw new Error('no API process (node … infra/local/main.ts) under npm start');
}

/** Follows runner processes (children whose environment names a job) and keeps their highest peak. */
function watchRunners(api: number): { stop(): Promise<number>; seen(): number } {
  let peak = 0;
  const runners = new Set<number>();
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const p of await descendants(api)) {
        if (!runners.has(p) && (await environ(p)).includes('TUNEPLANE_JOB_ID=')) runners.add(p);
      }
      for (const p of runners) peak = Math.max(peak, (await peakRss(p)) ?? 0);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    seen: () => runners.size,
    async stop() {
      running = false;
      await loop;
      return peak;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The API, as a client uses it.

interface Api {
  call<T>(method: string, route: string, body?: unknown): Promise<T>;
}

function api(stack: Running): Api {
  return {
    async call<T>(method: string, route: string, body?: unknown): Promise<T> {
      const res = await fetch(`${stack.baseUrl.replace(/\/v1$/, '')}${route}`, {
        method,
        headers: { Authorization: `Bearer ${stack.apiKey}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text}`);
      return JSON.parse(text) as T;
    },
  };
}

interface Upload {
  id: string;
  part_size: number;
  part_count: number;
  parts: { part_number: number; url: string }[];
  file: { id: string; status: string; status_details?: string | null } | null;
}

async function putParts(file: string, upload: Upload): Promise<void> {
  const fh = await open(file, 'r');
  try {
    const queue = [...upload.parts];
    const worker = async () => {
      for (let part = queue.shift(); part; part = queue.shift()) {
        const body = Buffer.alloc(upload.part_size);
        const { bytesRead } = await fh.read(body, 0, body.length, (part.part_number - 1) * upload.part_size);
        const res = await fetch(part.url, { method: 'PUT', body: body.subarray(0, bytesRead) });
        if (!res.ok) throw new Error(`part ${part.part_number}: ${res.status} ${await res.text()}`);
      }
    };
    await Promise.all(Array.from({ length: PARALLEL_PARTS }, worker));
  } finally {
    await fh.close();
  }
}

interface Job {
  id: string;
  status: string;
  error: { message: string } | null;
  progress: { step: number; total_steps: number } | null;
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(tmpdir(), 'tuneplane-bench-upload-'));
  let stack: Running | undefined;
  try {
    const file = path.join(work, 'chat.jsonl');
    let t = performance.now();
    const gen = await writeChatJsonl(file, TARGET_BYTES);
    log(
      `generated ${gen.bytes} bytes, ${gen.lines} chat examples in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );

    stack = await start({
      PORT: String(await freePort()),
      TUNEPLANE_DATA_DIR: path.join(work, 'data'),
      TUNEPLANE_API_KEY: 'tp_bench_upload_0123456789',
    });
    const pid = await apiPid(stack);
    const client = api(stack);
    log(`stack up (API pid ${pid}, peak RSS so far ${((await peakRss(pid))! / MiB).toFixed(0)} MiB)`);

    const upload = await client.call<Upload>('POST', '/v1/uploads', {
      filename: 'chat.jsonl',
      purpose: 'fine-tune',
      bytes: gen.bytes,
      mime_type: 'application/jsonl',
    });
    t = performance.now();
    await putParts(file, upload);
    const uploadS = (performance.now() - t) / 1000;
    log(`uploaded ${upload.part_count} parts of ${upload.part_size} bytes in ${uploadS.toFixed(1)} s`);

    t = performance.now();
    const done = await client.call<Upload>('POST', `/v1/uploads/${upload.id}/complete`, {});
    const validateS = (performance.now() - t) / 1000;
    if (done.file?.status !== 'processed')
      throw new Error(`the file was not accepted: ${JSON.stringify(done.file)}`);
    log(`completed and validated in ${validateS.toFixed(1)} s (${done.file.id})`);
    await rm(file);

    const runners = watchRunners(pid);
    const job = await client.call<Job>('POST', '/v1/fine_tuning/jobs', {
      model: 'tuneplane-tiny-char',
      training_file: done.file.id,
      provider: 'local',
      seed: 7,
      method: {
        type: 'supervised',
        supervised: {
          hyperparameters: {
            n_epochs: 1,
            batch_size: 8,
            metrics_interval_steps: 1,
            max_steps: STEPS,
          },
        },
      },
    });
    t = performance.now();
    let last: Job = job;
    let stepAt: number | undefined;
    for (;;) {
      await new Promise((r) => setTimeout(r, 500));
      last = await client.call<Job>('GET', `/v1/fine_tuning/jobs/${job.id}`);
      const step = last.progress?.step ?? 0;
      if (step > 0 && stepAt === undefined) {
        stepAt = performance.now();
        log(`first step after ${((stepAt - t) / 1000).toFixed(1)} s (download and tokenization included)`);
      }
      if (['succeeded', 'failed', 'cancelled'].includes(last.status)) break;
    }
    if (last.status !== 'succeeded') throw new Error(`the job ${last.status}: ${last.error?.message}`);
    // The runner exits after the job's final status; let the watcher see it to its end.
    await new Promise((r) => setTimeout(r, 1000));
    const runnerPeak = await runners.stop();
    if (runners.seen() === 0) throw new Error('never saw a runner process');
    log(
      `job ${last.status} after ${last.progress?.step ?? 0} steps, ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
    const apiPeak = (await peakRss(pid))!;
    const [l1, l5, l15] = loadavg();
    log(`load average ${l1.toFixed(1)} ${l5.toFixed(1)} ${l15.toFixed(1)} on this machine`);
    const line = [
      `bytes=${gen.bytes}`,
      `upload_mb_s=${(mb(gen.bytes) / uploadS).toFixed(1)}`,
      `validate_mb_s=${(mb(gen.bytes) / validateS).toFixed(1)}`,
      `api_peak_rss_mb=${(apiPeak / MiB).toFixed(0)}`,
      `runner_peak_rss_mb=${(runnerPeak / MiB).toFixed(0)}`,
    ].join(' ');
    log(
      apiPeak < GOAL_MIB * MiB && runnerPeak < GOAL_MIB * MiB
        ? `both under ${GOAL_MIB} MiB`
        : `GOAL MISSED: a peak is not under ${GOAL_MIB} MiB`,
    );
    process.stdout.write(`${line}\n`);
  } finally {
    if (stack) await stop(stack).catch((e) => log(String(e)));
    await rm(work, { recursive: true, force: true });
  }
}

await main();
