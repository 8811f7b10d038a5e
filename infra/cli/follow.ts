/**
 * `jobs follow`: a progress bar (step, epoch, loss, ETA) fed by polling the job and its events,
 * until the job ends. New event messages are printed above the bar as they arrive; a DPO job's
 * metrics too (its reward accuracy and margin say more than the loss), and the bar shows its
 * newest reward accuracy.
 */
import cliProgress from 'cli-progress';
import { isTerminalJobStatus } from '../../openapi/enums';
import type { Client } from '../../openapi/sdk/client';
import { listFineTuningJobEvents, retrieveFineTuningJob } from '../../openapi/sdk/sdk.gen';
import { unwrap } from './client';

export interface FollowOptions {
  intervalMs: number;
  /** Where to write; the bar is drawn only on a TTY. */
  out: NodeJS.WriteStream;
  sleep?: (ms: number) => Promise<void>;
}

function eta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s % 60).padStart(2, '0')}s`;
}

export async function followJob(client: Client, jobId: string, opts: FollowOptions): Promise<string> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const bar = new cliProgress.SingleBar(
    {
      stream: opts.out,
      format: '{status} |{bar}| step {value}/{total} · epoch {epoch} · loss {loss}{rewards} · ETA {eta}',
      noTTYOutput: false,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const seen = new Set<string>();
  let started = false;
  let firstStep: { step: number; at: number } | null = null;
  let rewards = '';

  for (;;) {
    const job = unwrap(await retrieveFineTuningJob({ client, path: { fine_tuning_job_id: jobId } }));
    const events = unwrap(
      await listFineTuningJobEvents({ client, path: { fine_tuning_job_id: jobId }, query: { limit: 100 } }),
    );
    const fresh = events.data.filter((e) => !seen.has(e.id)).reverse();
    for (const e of fresh) {
      seen.add(e.id);
      const data = (e.data ?? {}) as Record<string, unknown>;
      const preference = e.type === 'metrics' && typeof data.train_rewards_accuracy === 'number';
      if (preference) rewards = ` · reward acc ${(data.train_rewards_accuracy as number).toFixed(2)}`;
      if (e.type !== 'metrics' || preference) {
        const line = `${new Date(e.created_at * 1000).toISOString()}  ${e.message}\n`;
        // Erase the bar's line; it is redrawn on the next update.
        if (started && opts.out.isTTY) opts.out.write('\r\x1b[K');
        opts.out.write(line);
      }
    }
    const p = job.progress;
    const total = p?.total_steps ?? 0;
    const step = p?.step ?? 0;
    const now = Date.now();
    if (step > 0 && (!firstStep || step < firstStep.step)) firstStep = { step, at: now };
    const rate =
      firstStep && step > firstStep.step ? (step - firstStep.step) / ((now - firstStep.at) / 1000) : null;
    const payload = {
      status: job.status.padEnd(9),
      epoch: p?.epoch ?? 0,
      loss: p?.loss != null ? p.loss.toFixed(4) : '--',
      rewards,
      eta: rate ? eta((total - step) / rate) : '--',
    };
    if (!started && total > 0) {
      bar.start(total, step, payload);
      started = true;
    } else if (started) {
      bar.update(step, payload);
    }
    if (isTerminalJobStatus(job.status)) {
      if (started) bar.stop();
      const result =
        job.status === 'succeeded' ? `model ${job.fine_tuned_model}` : (job.error?.message ?? '');
      opts.out.write(`Job ${job.id} ${job.status}${result ? `: ${result}` : ''}\n`);
      return job.status;
    }
    await sleep(opts.intervalMs);
  }
}
