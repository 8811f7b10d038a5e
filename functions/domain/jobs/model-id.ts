/**
 * The fine-tuned model's id, OpenAI's shape: `ft:<base>:<org>:<suffix>:<job id without ftjob->`.
 * The suffix is whatever the user gave (OpenAI takes any 1–64 characters; the job shows it as
 * `user_provided_suffix`), so in the id it is reduced to characters an id and a storage path can
 * hold: runs of anything but letters, digits, `_`, `.` and `-` become one `-`. The fields stay
 * separable by `:` and the id works as a URL path segment and an S3 key.
 */
import type { JobRecord } from '../records';

export function modelIdSuffix(suffix: string | null): string {
  return (suffix ?? '')
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
}

/**
 * A model tuned from a fine-tuned one names the base model at the root of its lineage, as OpenAI
 * does (its record lists the whole chain).
 */
export function fineTunedModelId(job: Pick<JobRecord, 'id' | 'model' | 'tenantId' | 'suffix'>): string {
  const base = job.model.startsWith('ft:') ? job.model.split(':')[1] : job.model;
  return `ft:${base}:${job.tenantId}:${modelIdSuffix(job.suffix)}:${job.id.replace(/^ftjob-/, '')}`;
}
