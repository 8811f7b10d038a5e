/**
 * One training session from inputs a user gives (a model folder or a bare config, training data,
 * requested hyperparameters) to a trained model in memory. Shared by the CLI and the container entry.
 *
 * Order matters: the training file's first line decides the task (and a classification file's
 * labels, one pass over it, decide the model's head), then the model is loaded, then examples are
 * tokenized with the model's tokenizer. Data given as a file is read as a stream and its examples
 * kept on disk (runner/data/store.ts) for the session's length; data given as a string stays in
 * memory. Both train alike.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { resolveTrainerConfig, type TrainerConfig } from '../config';
import type { Checkpointer } from '../checkpoint/state';
import {
  chatFormatFor,
  encodeSource,
  ExampleStore,
  sourceCharacters,
  sourceLabels,
  sourceTask,
  type DataSource,
  type Dataset,
} from '../data';
import { ConfigError, DataError } from '../errors';
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
  /** The data's text, or a file (streamed; its examples are kept on disk while training). */
  train: DataSource;
  validation?: DataSource;
  /** Where a file's examples are kept while training (default: a new temporary folder, removed after). */
  dataDir?: string;
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
  /** After the session a file's examples are gone from disk; their counts remain. */
  train: Dataset;
  validation?: Dataset;
}

export async function runSession(input: SessionInput): Promise<Session> {
  const fromFile = typeof input.train !== 'string' || typeof input.validation === 'object';
  const ownDir = fromFile && !input.dataDir;
  const dataDir = ownDir ? await mkdtemp(path.join(tmpdir(), 'tuneplane-examples-')) : input.dataDir;
  const datasets: Dataset[] = [];
  try {
    return await train(input, dataDir, datasets);
  } finally {
    for (const d of datasets) if (d.examples instanceof ExampleStore) d.examples.close();
    if (ownDir) await rm(dataDir!, { recursive: true, force: true });
  }
}

async function train(
  input: SessionInput,
  dataDir: string | undefined,
  datasets: Dataset[],
): Promise<Session> {
  const requested = (input.hyperparameters ?? {}) as Record<string, unknown>;
  const config = resolveTrainerConfig(requested, { memoryBudgetBytes: input.memoryBudgetBytes });
  const h = config.hyperparameters;

  // 1. The task and, for classification, the labels.
  const task = await sourceTask(input.train);
  const labels = task === 'classification' ? await sourceLabels(input.train) : undefined;
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
      : buildCharTokenizer(await sourceCharacters([input.train, input.validation ?? '']));
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
  // Chat examples are rendered with the model's chat_template when its folder has one (and the
  // tuned model keeps it: savePretrained writes it back), else with ours.
  const chat = task === 'chat' ? chatFormatFor(tokenizer) : undefined;
  const opts = { task, maxLength, weightField: h.sampling.weight_field, labels, chat };
  const store = (name: string) => (dataDir ? path.join(dataDir, `${name}.examples`) : undefined);
  const train = await encodeSource(input.train, tokenizer, { ...opts, storePath: store('train') });
  datasets.push(train);
  const validation =
    input.validation === undefined
      ? undefined
      : await encodeSource(input.validation, tokenizer, { ...opts, storePath: store('validation') });
  if (validation) datasets.push(validation);
  config.task = train.task;
  if (config.dpoRequested && train.task !== 'preference') {
    throw new ConfigError(
      `beta and label_smoothing apply to DPO on preference data; the training data is ${train.task}`,
      'hyperparameters.beta',
    );
  }
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
