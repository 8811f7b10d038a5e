/**
 * Generation requests and their events as the API hands them to an inference worker and gets them
 * back: the facts both sides share (functions/ports/inference.ts, runner/serve). Plain data, so it
 * crosses a process boundary (the embedded stack's worker) or none (the AWS inference function).
 */

/** Where a model's files are: a Hugging Face folder, and for a checkpoint the weights that replace its own. */
export interface ModelLocation {
  /** The name the request used (base model, ft:…, ft:…:ckpt-step-N). */
  name: string;
  /** Blob prefix of the folder with config.json, tokenizer.json, tokenizer_config.json (and weights). */
  folder: string;
  /** Blob key of the checkpoint's model.safetensors, when the name is a checkpoint. */
  weights?: string;
}

export type GenerationInput =
  | { kind: 'chat'; messages: { role: string; content: string }[] }
  | { kind: 'text'; prompt: string | number[] };

export interface GenerationParams {
  n: number;
  /** New tokens per choice at most; undefined = what the context leaves after the prompt. */
  maxTokens?: number;
  /** The field max tokens came from, named in errors (max_tokens or max_completion_tokens). */
  maxTokensParam: string;
  temperature: number;
  topP: number;
  presencePenalty: number;
  frequencyPenalty: number;
  /** Token id → bias. */
  logitBias: Record<string, number>;
  seed?: number;
  stop: string[];
  /** Alternatives per token; undefined = no logprobs. */
  logprobs?: number;
}

export interface GenerationJob {
  model: ModelLocation;
  input: GenerationInput;
  params: GenerationParams;
  /** Whose request it is: the worker queues tenants fairly. */
  tenantId: string;
}

export interface GeneratedTokenLogprob {
  token: string;
  logprob: number;
  top: { token: string; logprob: number }[];
}

export type GenerationStreamEvent =
  | { type: 'start'; promptTokens: number }
  | { type: 'delta'; index: number; text: string; logprobs?: GeneratedTokenLogprob[] }
  | { type: 'finish'; index: number; reason: 'stop' | 'length' }
  | { type: 'done'; usage: { promptTokens: number; completionTokens: number } };

/** Why a worker refused or failed a request, for the API's error envelope. */
export interface GenerationFailure {
  /** 400 bad request (e.g. context exceeded), 404, 413 (model too large), 503 (busy), 500. */
  status: number;
  code: string;
  message: string;
  param: string | null;
}
