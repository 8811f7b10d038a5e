/** Record builders for tests: a valid record with overrides, so tests state only what matters. */
import type { FileRecord, JobRecord } from '../../functions/domain/records';

export function jobRecord(over: Partial<JobRecord> & { id: string }): JobRecord {
  return {
    tenantId: 'tenant-a',
    status: 'queued',
    version: 1,
    provider: 'local',
    model: 'base-model',
    trainingFile: 'file-train',
    validationFile: null,
    method: { type: 'supervised', hyperparameters: {} },
    resolvedHyperparameters: {},
    suffix: null,
    seed: 42,
    metadata: {},
    createdAt: 1_700_000_000,
    finishedAt: null,
    estimatedFinish: null,
    fineTunedModel: null,
    trainedTokens: null,
    resultFiles: [],
    error: null,
    ...over,
  };
}

export function fileRecord(over: Partial<FileRecord> & { id: string }): FileRecord {
  return {
    tenantId: 'tenant-a',
    filename: 'train.jsonl',
    bytes: 10,
    purpose: 'fine-tune',
    createdAt: 1_700_000_000,
    status: 'processed',
    blobKey: `files/tenant-a/${over.id}`,
    ...over,
  };
}

/** A clock tests can move. */
export function manualClock(startMs = 1_700_000_000_000): {
  nowMs(): number;
  set(ms: number): void;
  advance(ms: number): void;
} {
  let now = startMs;
  return {
    nowMs: () => now,
    set: (ms) => void (now = ms),
    advance: (ms) => void (now += ms),
  };
}
