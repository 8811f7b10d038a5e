/**
 * The tokenizer every part of the trainer uses, whatever the model: HF tokenizer.json semantics run
 * by @huggingface/tokenizers (tokenizers.js). That library is pure JS with no dependencies (~20 kB)
 * and implements the byte-level BPE (GPT-2, Llama 3) and SentencePiece-style BPE with byte fallback
 * (Llama 2) pipelines; @huggingface/transformers carries the same tokenizer code but pulls in
 * onnxruntime and ~2 MB of model code we do not need.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { ModelError } from '../errors';
import { charLevelEncoder } from './char-level';

export interface SpecialToken {
  id: number;
  content: string;
}

export interface TextTokenizer {
  /** Token ids of `text`; special tokens (e.g. Llama's BOS) only when addSpecialTokens is set. */
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
  decode(ids: readonly number[], opts?: { skipSpecialTokens?: boolean }): string;
  /** One more than the largest id, added tokens included (the model's vocab_size may be larger). */
  readonly vocabSize: number;
  readonly eosId: number;
  /** The pad token, or EOS when the tokenizer has none (usual for GPT-2/Llama fine-tuning). */
  readonly padId: number;
  readonly bosId?: number;
  readonly specialTokens: readonly SpecialToken[];
  /** The JSON files that describe this tokenizer in a Hugging Face model folder. */
  files(): { 'tokenizer.json': unknown; 'tokenizer_config.json': Record<string, unknown> };
}

const EOS_CANDIDATES = ['<|endoftext|>', '</s>', '<|end_of_text|>', '<|im_end|>', '<eos>'];
const BOS_CANDIDATES = ['<s>', '<|begin_of_text|>', '<bos>'];

interface AddedTokenJson {
  id: number;
  content: string;
  special?: boolean;
}

/** tokenizer_config.json names tokens either as strings or as AddedToken objects. */
function tokenName(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return undefined;
}

export function loadTokenizer(
  tokenizerJson: unknown,
  tokenizerConfig: Record<string, unknown> = {},
): TextTokenizer {
  if (!tokenizerJson || typeof tokenizerJson !== 'object' || !('model' in tokenizerJson)) {
    throw new ModelError(
      'tokenizer.json must be a Hugging Face tokenizer with a "model" section.',
      'tokenizer',
      'invalid_tokenizer',
    );
  }
  let inner: Tokenizer;
  try {
    inner = new Tokenizer(tokenizerJson, tokenizerConfig);
  } catch (err) {
    throw new ModelError(
      `tokenizer.json could not be loaded: ${(err as Error).message}`,
      'tokenizer',
      'invalid_tokenizer',
      err,
    );
  }
  const vocab = inner.get_vocab(true);
  let vocabSize = 0;
  for (const id of vocab.values()) vocabSize = Math.max(vocabSize, id + 1);

  const find = (configKey: string, candidates: string[]): number | undefined => {
    const named = tokenName(tokenizerConfig[configKey]);
    if (named !== undefined) {
      const id = inner.token_to_id(named);
      if (id === undefined) {
        throw new ModelError(
          `tokenizer_config.json ${configKey} "${named}" is not in the vocabulary.`,
          `tokenizer.${configKey}`,
          'invalid_tokenizer',
        );
      }
      return id;
    }
    for (const c of candidates) {
      const id = inner.token_to_id(c);
      if (id !== undefined) return id;
    }
    return undefined;
  };
  const eosId = find('eos_token', EOS_CANDIDATES);
  if (eosId === undefined) {
    throw new ModelError(
      'The tokenizer has no end-of-sequence token (set eos_token in tokenizer_config.json).',
      'tokenizer.eos_token',
      'invalid_tokenizer',
    );
  }
  const bosId = find('bos_token', BOS_CANDIDATES);
  const padId = find('pad_token', []) ?? eosId;
  const added = ((tokenizerJson as { added_tokens?: AddedTokenJson[] }).added_tokens ?? []).filter(
    (t) => t.special,
  );
  const specialTokens = added.map((t) => ({ id: t.id, content: t.content }));
  const general = (text: string, addSpecialTokens: boolean) =>
    inner.encode(text, { add_special_tokens: addSpecialTokens }).ids;
  const direct = charLevelEncoder(
    tokenizerJson,
    tokenizerConfig,
    (t) => inner.token_to_id(t),
    (text) => general(text, false),
  );

  return {
    vocabSize,
    eosId,
    padId,
    bosId,
    specialTokens,
    encode: (text, opts) =>
      direct && !opts?.addSpecialTokens ? direct(text) : general(text, opts?.addSpecialTokens ?? false),
    // tokenizers.js rejects an empty id list; an empty sequence decodes to the empty string.
    decode: (ids, opts) =>
      ids.length === 0
        ? ''
        : inner.decode([...ids], { skip_special_tokens: opts?.skipSpecialTokens ?? false }),
    files: () => ({ 'tokenizer.json': tokenizerJson, 'tokenizer_config.json': tokenizerConfig }),
  };
}
