/**
 * What evals need from a model: one chat completion. The composition root provides it: our own
 * models through the inference service, OpenAI's models through the OpenAI adapter when an OpenAI
 * key is configured. Eval sampling (`completions` data sources) and the model graders
 * (score_model, label_model) are its only users.
 */
import type { TenantId } from '../domain/records';

export interface SampleMessage {
  role: 'system' | 'developer' | 'user' | 'assistant';
  content: string;
}

export interface SampleRequest {
  /** Whose models may be named (another tenant's `ft:` model is not found). */
  tenantId: TenantId;
  model: string;
  messages: SampleMessage[];
  temperature?: number;
  top_p?: number;
  max_completion_tokens?: number;
  seed?: number;
  signal?: AbortSignal;
}

export interface SampleUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cached_tokens: number;
}

export interface SampleResult {
  text: string;
  finish_reason: string;
  /** The model that answered (as the provider names it). */
  model: string;
  usage: SampleUsage;
}

export interface ModelSampler {
  /**
   * Whether this sampler can serve `model` to `tenantId`. Asynchronous and per tenant because our
   * own models are looked up: another tenant's `ft:` model, a deleted one or an unknown checkpoint
   * is not served, and the caller reports the field that named it.
   */
  serves(tenantId: TenantId, model: string): Promise<boolean>;
  complete(req: SampleRequest): Promise<SampleResult>;
}
