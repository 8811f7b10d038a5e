/**
 * What the API needs from its composition root (infra/local, the Lambda handler, tests), the
 * optional route groups' parts included. A leaf: it names ports and domain types only, so the
 * route modules can import it without the wiring importing them back.
 */
import type { RouteGroupName } from '../../openapi/routes';
import type { Clock, IdGenerator } from '../ports/clock';
import type { BlobStore } from '../ports/blobs';
import type { Dispatcher } from '../ports/dispatcher';
import type { Inference } from '../ports/inference';
import type { ModelSampler } from '../ports/sampler';
import type { Stores } from '../ports/store';
import type { SweepStore } from '../ports/sweeps';
import type { EvalRunRecord, EvalStore } from '../ports/evals';
import type { SecretBox, WebhookStores } from '../ports/webhooks';
import type { Provider } from '../domain/records';
import type { BaseModelCatalog } from '../domain/models';
import type { ProviderMirror } from '../domain/dispatch';
import type { EndpointServiceDeps } from '../domain/webhooks';

export interface ApiConfig {
  /** Provider of jobs that do not name one. */
  defaultProvider: Provider;
  /** Largest multipart body POST /v1/files takes; larger files go through /v1/uploads (Lambda caps bodies at 6 MB on AWS). */
  maxDirectUploadBytes: number;
  /** Largest file /v1/uploads accepts. */
  maxUploadBytes: number;
  /** Largest JSON body any other POST takes. */
  maxJsonBodyBytes: number;
  /** Smallest part size of a presigned multipart upload (S3's minimum is 5 MiB). */
  uploadPartBytes: number;
  /** Lifetime of presigned part URLs. */
  presignExpiresSeconds: number;
  /** A pending upload expires after this long. */
  uploadTtlSeconds: number;
  /** Idempotency records are kept at least this long (≥ 24 h: docs/ARCHITECTURE.md, "The contract"). */
  idempotencyTtlSeconds: number;
  /** Shown as `organization_id` on jobs. */
  organizationId: string;
}

export const DEFAULT_API_CONFIG: ApiConfig = {
  defaultProvider: 'local',
  maxDirectUploadBytes: 8 * 1024 * 1024,
  maxUploadBytes: 1024 * 1024 * 1024,
  maxJsonBodyBytes: 1024 * 1024,
  uploadPartBytes: 8 * 1024 * 1024,
  presignExpiresSeconds: 3600,
  uploadTtlSeconds: 24 * 3600,
  idempotencyTtlSeconds: 24 * 3600,
  organizationId: 'org-tuneplane',
};

export interface AppLogger {
  error(message: string, detail?: Record<string, unknown>): void;
  warn(message: string, detail?: Record<string, unknown>): void;
  /** The access log (one line per request) and other routine lines. */
  info(message: string, detail?: Record<string, unknown>): void;
}

export interface AppDeps {
  stores: Stores;
  blobs: BlobStore;
  clock: Clock;
  ids: IdGenerator;
  /** Where queued jobs go, by provider. Without one, jobs wait in `queued`. */
  dispatchers?: Partial<Record<Provider, Dispatcher>>;
  /** Base model metadata; by default read from the model store and each model's config.json. */
  models?: BaseModelCatalog;
  config?: Partial<ApiConfig>;
  logger?: AppLogger;
  /** Mounts /v1/webhook_endpoints when given. */
  webhooks?: WebhookApiDeps;
  /** Mounts /v1/fine_tuning/sweeps when given. */
  sweeps?: SweepApiDeps;
  /** Mounts /v1/evals (and the run reports under /v1/eval_reports) when given. */
  evals?: EvalApiDeps;
  /**
   * Calls models for the model graders (score_model, label_model) and eval sampling: ours through
   * the inference service, OpenAI's when configured. Without one, those graders report that no
   * such model can be called.
   */
  sampler?: ModelSampler;
  /** Mounts /v1/providers/<provider>/webhook for the providers given (their own signatures). */
  providers?: ProviderWebhookDeps;
  /** Mounts /v1/chat/completions and /v1/completions when given (functions/ports/inference.ts). */
  inference?: Inference;
  /**
   * Groups of the contract another function serves on the same base URL, listed in /openapi.json
   * all the same: on AWS the inference Lambda answers /v1/chat/completions and /v1/completions
   * (CloudFront and the HTTP API route them there), while this app serves the document.
   */
  servedElsewhere?: RouteGroupName[];
}

/** What the composition root gives the webhook routes (AppDeps.webhooks). */
export interface WebhookApiDeps {
  stores: WebhookStores;
  secrets: SecretBox;
  /** Why a URL may never be a target, or null (functions/adapters/http `webhookUrlChecker`). */
  checkUrl: EndpointServiceDeps['checkUrl'];
  /** Nudges the delivery worker after a redelivery (the local stack's `worker.kick`). */
  onWork?: () => void;
}

/** What the composition root gives the sweep routes (AppDeps.sweeps). */
export interface SweepApiDeps {
  store: SweepStore;
  /** A sweep was created or changed: run a controller pass for it (the local stack's worker kick). */
  onChange?: (sweepId: string) => void;
}

/** What the composition root gives the eval routes (AppDeps.evals). */
export interface EvalApiDeps {
  store: EvalStore;
  /** A run was queued: execute it (the local worker's kick; a Batch submission on AWS). */
  onRunQueued?: (run: EvalRunRecord) => Promise<void> | void;
  /** A run was cancelled (the record as it was before): stop what executes it (its Batch job on AWS). */
  onRunCanceled?: (run: EvalRunRecord) => Promise<void> | void;
  /** An outbox entry was written (a run was cancelled): nudge the webhook worker. */
  onOutbox?: () => void;
}

/** What the provider webhook routes need, by provider (AppDeps.providers). */
export interface ProviderWebhookDeps {
  openai?: { verify: ProviderWebhookVerifier; mirror: ProviderMirror };
}

/**
 * Checks a provider's webhook signature and returns the provider job id the event is about, or
 * null for events we do not mirror; throws when the signature does not verify. The composition
 * root builds it (with the provider's SDK and secret), so the API never imports an adapter.
 */
export type ProviderWebhookVerifier = (
  rawBody: string,
  headers: Record<string, string>,
) => Promise<string | null>;

export const consoleLogger: AppLogger = {
  error: (message, detail) => console.error(JSON.stringify({ level: 'error', message, ...detail })),
  warn: (message, detail) => console.warn(JSON.stringify({ level: 'warn', message, ...detail })),
  info: (message, detail) => console.log(JSON.stringify({ level: 'info', message, ...detail })),
};
