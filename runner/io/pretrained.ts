/**
 * Hugging Face model folders: config.json + model.safetensors (or sharded model-0000x-of-0000n
 * files with model.safetensors.index.json) + tokenizer.json (+ tokenizer_config.json). What we save
 * loads in transformers (AutoModelForCausalLM / AutoModelForSequenceClassification) and in serving
 * stacks that read that layout.
 */
import { ModelError } from '../errors';
import {
  createModel,
  parseModelConfig,
  type DecoderModel,
  type HostTensor,
  type ModelConfig,
} from '../model';
import { TUNEPLANE_CHAT_TEMPLATE } from '../data/chat-format';
import { loadTokenizer, type TextTokenizer } from '../tokenizer';
import { localModelFolder, type ModelFolderReader, type ModelFolderWriter } from './folder';
import { encodeSafetensorsHeader, readSafetensorsFrom } from './safetensors';

export interface Pretrained {
  model: DecoderModel;
  tokenizer: TextTokenizer;
  config: ModelConfig;
}

export interface LoadOptions {
  /** Seed for weights the folder does not hold (a new classification head). */
  seed?: number;
  /** Fields merged over config.json before validation, e.g. {num_labels: 3} to fine-tune a classifier. */
  configOverrides?: Record<string, unknown>;
}

function missing(file: string, hint = ''): ModelError {
  return new ModelError(`The model folder has no ${file}.${hint}`, `model.${file}`, 'invalid_model_folder');
}

async function readJson(folder: ModelFolderReader, name: string): Promise<unknown | undefined> {
  const text = await folder.readText(name);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ModelError(
      `${name} is not valid JSON: ${(err as Error).message}`,
      `model.${name}`,
      'invalid_model_folder',
    );
  }
}

async function readWeights(folder: ModelFolderReader): Promise<Map<string, HostTensor>> {
  const single = await folder.openBytes('model.safetensors');
  const shardFiles: string[] = [];
  if (single) {
    await single.close();
    shardFiles.push('model.safetensors');
  } else {
    const index = (await readJson(folder, 'model.safetensors.index.json')) as
      { weight_map?: Record<string, string> } | undefined;
    if (!index?.weight_map) {
      const hasBin =
        (await folder.openBytes('pytorch_model.bin').then(async (b) => (await b?.close(), b))) !== undefined;
      throw missing(
        'model.safetensors',
        hasBin ? ' Only safetensors weights are supported; convert pytorch_model.bin first.' : '',
      );
    }
    shardFiles.push(...new Set(Object.values(index.weight_map)));
  }
  const weights = new Map<string, HostTensor>();
  for (const file of shardFiles) {
    const source = await folder.openBytes(file);
    if (!source) throw missing(file);
    try {
      for (const [name, t] of (await readSafetensorsFrom(source)).tensors) weights.set(name, t);
    } finally {
      await source.close();
    }
  }
  return weights;
}

/** Loads a model folder (a local path or any ModelFolderReader, e.g. one backed by S3). */
export async function loadPretrained(
  folder: string | ModelFolderReader,
  opts: LoadOptions = {},
): Promise<Pretrained> {
  const dir = typeof folder === 'string' ? localModelFolder(folder) : folder;
  const rawConfig = await readJson(dir, 'config.json');
  if (rawConfig === undefined) throw missing('config.json');
  const config = parseModelConfig({ ...(rawConfig as object), ...opts.configOverrides });
  const tokenizerJson = await readJson(dir, 'tokenizer.json');
  if (tokenizerJson === undefined) throw missing('tokenizer.json');
  const tokenizerConfig = ((await readJson(dir, 'tokenizer_config.json')) ?? {}) as Record<string, unknown>;
  const tokenizer = loadTokenizer(tokenizerJson, tokenizerConfig);
  if (tokenizer.vocabSize > config.vocab_size) {
    throw new ModelError(
      `The tokenizer has ${tokenizer.vocabSize} tokens but the model's vocab_size is ${config.vocab_size}.`,
      'model.config.vocab_size',
      'invalid_model_folder',
    );
  }
  const model = createModel(config, { seed: opts.seed ?? 0, weights: await readWeights(dir) });
  return { model, tokenizer, config };
}

/** The config.json HF expects for this model: its architecture class and, for classifiers, id2label. */
export function hfConfigJson(model: DecoderModel, tokenizer?: TextTokenizer): Record<string, unknown> {
  const { num_labels: numLabels, ...config } = model.config as ModelConfig & Record<string, unknown>;
  // A Llama body with a mixture-of-experts feed-forward is HF's Mixtral (same weight names).
  const mixtral = config.model_type === 'llama' && config.num_local_experts != null;
  const family = config.model_type === 'gpt2' ? 'GPT2' : mixtral ? 'Mixtral' : 'Llama';
  const head =
    numLabels !== undefined
      ? 'ForSequenceClassification'
      : config.model_type === 'gpt2'
        ? 'LMHeadModel'
        : 'ForCausalLM';
  const out: Record<string, unknown> = {
    ...config,
    ...(mixtral ? { model_type: 'mixtral' } : {}),
    architectures: [`${family}${head}`],
    torch_dtype: 'float32',
  };
  // Generation stops at eos_token_id; a model trained from scratch with our tokenizer has none yet.
  if (tokenizer && config.eos_token_id == null) out.eos_token_id = tokenizer.eosId;
  if (tokenizer?.bosId !== undefined && config.bos_token_id == null) out.bos_token_id = tokenizer.bosId;
  if (numLabels !== undefined) {
    const known =
      config.id2label && Object.keys(config.id2label).length === numLabels ? config.id2label : undefined;
    const id2label =
      known ?? Object.fromEntries(Array.from({ length: numLabels }, (_, i) => [String(i), `LABEL_${i}`]));
    out.id2label = id2label;
    out.label2id = Object.fromEntries(Object.entries(id2label).map(([id, label]) => [label, Number(id)]));
    // HF classifiers find each row's last real token through pad_token_id; without it batches fail.
    if (config.pad_token_id == null && tokenizer) out.pad_token_id = tokenizer.padId;
  }
  return out;
}

/**
 * Saves a model folder. Weights are copied off the device one at a time while the file is written,
 * so host memory holds the header and a single tensor, not the whole model.
 */
export async function savePretrained(
  folder: string | ModelFolderWriter,
  model: DecoderModel,
  tokenizer: TextTokenizer,
): Promise<void> {
  const dir = typeof folder === 'string' ? localModelFolder(folder) : folder;
  const weights = [...model.weights];
  async function* chunks(): AsyncIterable<Uint8Array> {
    yield encodeSafetensorsHeader(weights.map(([name, v]) => [name, v.shape]));
    for (const [, v] of weights) {
      const data = (await v.data()) as Float32Array;
      yield new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    }
  }
  await dir.write('model.safetensors', chunks());
  const files = tokenizer.files();
  await dir.write('tokenizer.json', JSON.stringify(files['tokenizer.json']));
  // A language model is served with the chat template it was trained with: the folder's own, or ours
  // written out in Jinja so Hugging Face's apply_chat_template renders the same text.
  const tokenizerConfig = { ...files['tokenizer_config.json'] };
  if (model.config.num_labels === undefined && tokenizerConfig.chat_template == null)
    tokenizerConfig.chat_template = TUNEPLANE_CHAT_TEMPLATE;
  await dir.write('tokenizer_config.json', JSON.stringify(tokenizerConfig, null, 2));
  // config.json last: a folder with a config is complete.
  await dir.write('config.json', JSON.stringify(hfConfigJson(model, tokenizer), null, 2));
}

/** Copies host tensors of a model (tests and tools that compare weights). */
export function hostWeights(model: DecoderModel): Map<string, HostTensor> {
  return new Map(
    [...model.weights].map(([name, v]) => [
      name,
      { shape: v.shape, data: (v.dataSync() as Float32Array).slice() },
    ]),
  );
}
