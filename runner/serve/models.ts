/**
 * Models loaded for serving, on first use, kept in a least-recently-used cache bounded by memory.
 * A model in use by a generation is pinned (never evicted under it); a model whose weights alone
 * exceed the budget is refused with a 400 before anything is loaded.
 */
import type { GenerationFailure, ModelLocation } from '../../openapi/inference';
import { chatFormatFor, type ChatFormat } from '../data/chat-format';
import { memoryModelFolder, loadPretrained } from '../io';
import { createDecoder, type Decoder } from '../model';
import type { TextTokenizer } from '../tokenizer';

/** The blob operations serving needs (the service's BlobStore port has them; S3 in production). */
export interface ServeBlobs {
  get(key: string): Promise<Uint8Array>;
  head(key: string): Promise<{ bytes: number } | undefined>;
  list(prefix: string): Promise<string[]>;
}

export interface ServedModel {
  key: string;
  decoder: Decoder;
  tokenizer: TextTokenizer;
  chat: ChatFormat;
  /** Tokens that end a choice: end of turn, end of sequence (config.json / generation_config.json). */
  stopTokenIds: ReadonlySet<number>;
  contextLength: number;
  /** Weights in memory (float32). */
  bytes: number;
}

export class ServeFailure extends Error {
  constructor(readonly failure: GenerationFailure) {
    super(failure.message);
  }
}

const fail = (status: number, code: string, message: string, param: string | null = 'model') =>
  new ServeFailure({ status, code, message, param });

interface Entry {
  model?: ServedModel;
  loading?: Promise<ServedModel>;
  pins: number;
  lastUsed: number;
}

export class ModelCache {
  private readonly entries = new Map<string, Entry>();
  private clock = 0;

  constructor(
    private readonly blobs: ServeBlobs,
    /** Bytes of weights the cache may hold. */
    readonly budgetBytes: number,
  ) {}

  /** Bytes of the loaded models. */
  get bytes(): number {
    let n = 0;
    for (const e of this.entries.values()) n += e.model?.bytes ?? 0;
    return n;
  }

  loaded(): string[] {
    return [...this.entries].filter(([, e]) => e.model).map(([k]) => k);
  }

  /** The model, loaded if needed, pinned until release() is called. */
  async acquire(at: ModelLocation): Promise<ServedModel> {
    const key = at.weights ? `${at.folder}|${at.weights}` : at.folder;
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { pins: 0, lastUsed: 0 };
      this.entries.set(key, entry);
      const e = entry;
      e.loading = this.load(key, at).then(
        (model) => {
          e.model = model;
          e.loading = undefined;
          return model;
        },
        (err: unknown) => {
          this.entries.delete(key);
          throw err;
        },
      );
    }
    entry.pins++;
    entry.lastUsed = ++this.clock;
    try {
      const model = entry.model ?? (await entry.loading!);
      this.evict();
      return model;
    } catch (err) {
      entry.pins--;
      throw err;
    }
  }

  release(model: ServedModel): void {
    const e = this.entries.get(model.key);
    if (e) e.pins = Math.max(0, e.pins - 1);
    this.evict();
  }

  /** Least recently used unpinned models go until the loaded ones fit the budget. */
  private evict(): void {
    while (this.bytes > this.budgetBytes) {
      const victim = [...this.entries]
        .filter(([, e]) => e.model && e.pins === 0)
        .sort((a, b) => a[1].lastUsed - b[1].lastUsed)[0];
      if (!victim) return;
      const [key, e] = victim;
      this.entries.delete(key);
      e.model!.decoder.dispose();
      e.model!.decoder.model.dispose();
    }
  }

  private async load(key: string, at: ModelLocation): Promise<ServedModel> {
    const prefix = at.folder.endsWith('/') ? at.folder : `${at.folder}/`;
    const keys = await this.blobs.list(prefix);
    if (!keys.includes(`${prefix}config.json`))
      throw fail(404, 'model_not_found', `The model '${at.name}' has no files to serve.`);
    const weightsKey = at.weights ?? `${prefix}model.safetensors`;
    const size = (await this.blobs.head(weightsKey))?.bytes;
    if (size === undefined) throw fail(404, 'model_not_found', `The weights of '${at.name}' are gone.`);
    if (size > this.budgetBytes)
      throw fail(
        400,
        'model_too_large',
        `The model '${at.name}' needs ${mib(size)} of weights but this server serves models up to ${mib(this.budgetBytes)}.`,
      );
    const files = new Map<string, Uint8Array>();
    for (const k of keys) {
      const name = k.slice(prefix.length);
      if (name.includes('/') || name === 'model.safetensors') continue;
      files.set(name, await this.blobs.get(k));
    }
    files.set('model.safetensors', await this.blobs.get(weightsKey));
    let loaded;
    try {
      loaded = await loadPretrained(memoryModelFolder(files));
    } catch (err) {
      throw fail(
        400,
        'model_not_servable',
        `The model '${at.name}' cannot be served: ${(err as Error).message}`,
      );
    }
    const { model, tokenizer, config } = loaded;
    if (config.num_labels !== undefined) {
      model.dispose();
      throw fail(
        400,
        'model_not_generative',
        `The model '${at.name}' is a classifier: it has no text to generate.`,
      );
    }
    const chat = chatFormatFor(tokenizer);
    const stop = new Set<number>([...chat.stopTokenIds, tokenizer.eosId]);
    const eosIds = (v: unknown) => (Array.isArray(v) ? v : typeof v === 'number' ? [v] : []) as number[];
    for (const id of eosIds(config.eos_token_id)) stop.add(id);
    const generation = files.get('generation_config.json');
    if (generation) {
      try {
        for (const id of eosIds(JSON.parse(new TextDecoder().decode(generation)).eos_token_id)) stop.add(id);
      } catch {
        // An unreadable generation_config.json adds nothing.
      }
    }
    return {
      key,
      decoder: createDecoder(model),
      tokenizer,
      chat,
      stopTokenIds: stop,
      contextLength: model.contextLength,
      bytes: size,
    };
  }
}

export function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
