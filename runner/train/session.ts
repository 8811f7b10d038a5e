/**
 * One training session from inputs a user gives (a model folder or a bare config, file contents,
 * requested hyperparameters) to a trained model in memory. Shared by the CLI and the container entry.
 *
 * Order matters: the training file is parsed first (its format decides the task, and a
 * classification file's labels decide the model's head), then the model is loaded, then examples
 * are tokenized with the model's tokenizer.
 */
import { resolveTrainerConfig, type TrainerConfig } from '../config';
import type { Checkpointer } from '../checkpoint/state';
import { encodeRecords, isJsonl, labelIndex, parseJsonl, textBlocks, type Dataset } from '../data';
import { DataError } from '../errors';
import { loadPretrained } from '../io';
import type { ModelFolderReader } from '../io';
import { createModel, parseModelConfig, type DecoderModel } from '../model';
import { buildCharTokenizer, loadTokenizer, type TextTokenizer } from '../tokenizer';
import type { ProgressSink } from './sink';
import { Trainer, type TrainResult } from './trainer';

export type ModelSource =
  /** A Hugging Face folder (config.json, model.safetensors, tokenizer.json). */
  | { folder: string | ModelFolderReader }
  /** A bare config.json: fresh weights from the seed; a char tokenizer built from the data unless one is given. */
  | { config: Record<string, unknown>; tokenizer?: { json: unknown; config?: Record<string, unknown> } };

export interface SessionInput {
  model: ModelSource;
  train: string;
  validation?: string;
  /** Requested (with `auto`) or resolved hyperparameters, `seed` included. */
  hyperparameters: unknown;
  memoryBudgetBytes?: number;
  checkpointer?: Checkpointer;
  sink?: ProgressSink;
  shouldStop?: (nextStep: number) => boolean;
}

export interface Session {
  result: TrainResult;
  model: DecoderModel;
  tokenizer: TextTokenizer;
  config: TrainerConfig;
  train: Dataset;
  validation?: Dataset;
}

export async function runSession(input: SessionInput): Promise<Session> {
  const requested = (input.hyperparameters ?? {}) as Record<string, unknown>;
  const config = resolveTrainerConfig(requested, { memoryBudgetBytes: input.memoryBudgetBytes });
  const h = config.hyperparameters;

  // 1. The task and, for classification, the labels.
  const jsonl = isJsonl(input.train);
  const rawTrain = jsonl ? parseJsonl(input.train) : undefined;
  const task = rawTrain ? rawTrain[0].format : 'text';
  const rawValid =
    input.validation !== undefined && jsonl ? parseJsonl(input.validation, rawTrain![0].format) : undefined;
  const labels =
    task === 'classification'
      ? labelIndex(rawTrain!.map((r) => (r.format === 'classification' ? r.label : '')))
      : undefined;
  const head = labels
    ? {
        num_labels: labels.length,
        id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])),
        label2id: Object.fromEntries(labels.map((l, i) => [l, i])),
      }
    : {};

  // 2. The model and its tokenizer.
  let model: DecoderModel;
  let tokenizer: TextTokenizer;
  if ('folder' in input.model) {
    ({ model, tokenizer } = await loadPretrained(input.model.folder, {
      seed: h.seed,
      configOverrides: head,
    }));
  } else {
    tokenizer = input.model.tokenizer
      ? loadTokenizer(input.model.tokenizer.json, input.model.tokenizer.config ?? {})
      : buildCharTokenizer([input.train, input.validation ?? '']);
    // A char tokenizer built here sets the vocabulary; a given tokenizer does when the config leaves it out.
    const vocab = input.model.tokenizer
      ? (input.model.config.vocab_size ?? tokenizer.vocabSize)
      : tokenizer.vocabSize;
    const cfg = parseModelConfig({ ...input.model.config, ...head, vocab_size: vocab });
    model = createModel(cfg, { seed: h.seed });
  }
  if (tokenizer.vocabSize > model.vocabSize) {
    throw new DataError(
      `the tokenizer has ${tokenizer.vocabSize} tokens but the model's vocab_size is ${model.vocabSize}`,
      null,
      'model',
    );
  }

  // 3. Examples, truncated to max_sequence_length (auto or omitted = the model's context length).
  const autoLength = requested.max_sequence_length === undefined || requested.max_sequence_length === 'auto';
  const maxLength = autoLength ? model.contextLength : Math.min(h.max_sequence_length, model.contextLength);
  config.hyperparameters = { ...h, max_sequence_length: maxLength };
  const opts = { maxLength, weightField: h.sampling.weight_field, labels };
  const train = rawTrain
    ? encodeRecords(rawTrain, tokenizer, opts)
    : textBlocks(input.train, tokenizer, maxLength);
  const validation =
    input.validation === undefined
      ? undefined
      : rawValid
        ? encodeRecords(rawValid, tokenizer, opts)
        : textBlocks(input.validation, tokenizer, maxLength);
  config.task = train.task;
  if (train.dropped || train.truncated) {
    await input.sink?.message?.(
      'warn',
      `Truncation to ${maxLength} tokens cut ${train.truncated} training examples and left ${train.dropped} with nothing to learn (dropped).`,
      { truncated: train.truncated, dropped: train.dropped },
    );
  }
  await input.sink?.message?.(
    'info',
    `Training on ${train.examples.length} ${train.task} examples${validation ? `, validating on ${validation.examples.length}` : ''}.`,
    {
      task: train.task,
      train_examples: train.examples.length,
      validation_examples: validation?.examples.length ?? 0,
      max_sequence_length: maxLength,
      ...(labels ? { labels } : {}),
    },
  );

  const trainer = new Trainer({
    config,
    model,
    train,
    validation,
    padId: tokenizer.padId,
    sink: input.sink,
    checkpointer: input.checkpointer,
    shouldStop: input.shouldStop,
  });
  try {
    const result = await trainer.run();
    return { result, model, tokenizer, config, train, validation };
  } finally {
    trainer.dispose();
  }
}
