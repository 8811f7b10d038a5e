/**
 * A stand-in for the AWS Batch control plane on loopback (the one part of AWS that cannot run
 * here). It speaks the REST-JSON protocol the real `@aws-sdk/client-batch` uses, keeps jobs in
 * memory, and lets a test move them through Batch's states and produce the EventBridge
 * "Batch Job State Change" events Batch would emit.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';

export type BatchStatus =
  'SUBMITTED' | 'PENDING' | 'RUNNABLE' | 'STARTING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';

export interface StandinAttempt {
  container: { exitCode?: number; reason?: string; logStreamName?: string };
  startedAt?: number;
  stoppedAt?: number;
  statusReason?: string;
}

export interface StandinJob {
  jobId: string;
  jobArn: string;
  jobName: string;
  jobQueue: string;
  jobDefinition: string;
  status: BatchStatus;
  statusReason?: string;
  createdAt: number;
  attempts: StandinAttempt[];
  environment: { name: string; value: string }[];
  tags: Record<string, string>;
}

export interface BatchCall {
  action: string;
  body: Record<string, unknown>;
}

export interface BatchStandin {
  endpoint: string;
  jobs: Map<string, StandinJob>;
  calls: BatchCall[];
  setStatus(
    jobId: string,
    status: BatchStatus,
    extra?: { statusReason?: string; attempt?: StandinAttempt },
  ): StandinJob;
  /** The next SubmitJob answers with a ClientException carrying this message. */
  rejectNextSubmit(message: string): void;
  /** The EventBridge event Batch would emit for the job's current state. */
  event(jobId: string): BatchStateChangeEvent;
  close(): Promise<void>;
}

export interface BatchStateChangeEvent {
  version: '0';
  id: string;
  'detail-type': 'Batch Job State Change';
  source: 'aws.batch';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

export async function startBatchStandin(): Promise<BatchStandin> {
  const jobs = new Map<string, StandinJob>();
  const calls: BatchCall[] = [];
  let rejectSubmit: string | null = null;

  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const action = (req.url ?? '').replace(/^\/v1\//, '');
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      calls.push({ action, body });
      const send = (status: number, payload: unknown, errorType?: string) => {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (errorType) headers['x-amzn-errortype'] = errorType;
        res.writeHead(status, headers).end(JSON.stringify(payload));
      };
      const clientError = (message: string) => send(400, { message }, 'ClientException');
      switch (action) {
        case 'submitjob': {
          if (rejectSubmit) {
            const message = rejectSubmit;
            rejectSubmit = null;
            return clientError(message);
          }
          const jobId = randomUUID();
          const overrides = (body.containerOverrides ?? {}) as { environment?: StandinJob['environment'] };
          const job: StandinJob = {
            jobId,
            jobArn: `arn:aws:batch:us-east-1:123456789012:job/${jobId}`,
            jobName: String(body.jobName),
            jobQueue: String(body.jobQueue),
            jobDefinition: String(body.jobDefinition),
            status: 'SUBMITTED',
            createdAt: Date.now(),
            attempts: [],
            environment: overrides.environment ?? [],
            tags: (body.tags ?? {}) as Record<string, string>,
          };
          jobs.set(jobId, job);
          return send(200, { jobArn: job.jobArn, jobName: job.jobName, jobId });
        }
        case 'canceljob':
        case 'terminatejob': {
          const job = jobs.get(String(body.jobId));
          if (!job) return clientError(`Job ${String(body.jobId)} not found`);
          const started = ['STARTING', 'RUNNING'].includes(job.status);
          // Real Batch: CancelJob does nothing to a job that has started.
          if (action === 'canceljob' && started) return send(200, {});
          if (job.status !== 'SUCCEEDED' && job.status !== 'FAILED') {
            job.status = 'FAILED';
            job.statusReason = String(body.reason ?? '');
          }
          return send(200, {});
        }
        case 'describejobs': {
          const ids = (body.jobs ?? []) as string[];
          const found = ids.map((id) => jobs.get(id)).filter((j): j is StandinJob => !!j);
          return send(200, { jobs: found.map(detail) });
        }
        default:
          return send(404, { message: `Unknown action ${action}` }, 'ClientException');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  function detail(job: StandinJob): Record<string, unknown> {
    return {
      jobArn: job.jobArn,
      jobName: job.jobName,
      jobId: job.jobId,
      jobQueue: job.jobQueue,
      status: job.status,
      statusReason: job.statusReason,
      attempts: job.attempts,
      createdAt: job.createdAt,
      jobDefinition: job.jobDefinition,
      container: { environment: job.environment },
      tags: job.tags,
      retryStrategy: { attempts: 5 },
      dependsOn: [],
      parameters: {},
    };
  }

  return {
    endpoint: `http://127.0.0.1:${port}`,
    jobs,
    calls,
    rejectNextSubmit(message) {
      rejectSubmit = message;
    },
    setStatus(jobId, status, extra = {}) {
      const job = jobs.get(jobId);
      if (!job) throw new Error(`no stand-in job ${jobId}`);
      job.status = status;
      if (extra.statusReason !== undefined) job.statusReason = extra.statusReason;
      if (extra.attempt) job.attempts.push(extra.attempt);
      return job;
    },
    event(jobId) {
      const job = jobs.get(jobId);
      if (!job) throw new Error(`no stand-in job ${jobId}`);
      return {
        version: '0',
        id: randomUUID(),
        'detail-type': 'Batch Job State Change',
        source: 'aws.batch',
        account: '123456789012',
        time: new Date().toISOString(),
        region: 'us-east-1',
        resources: [job.jobArn],
        detail: structuredClone(detail(job)),
      };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
