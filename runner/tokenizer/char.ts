/**
 * A character-level tokenizer for tiny models, written as an ordinary HF tokenizer.json: a BPE
 * model whose vocabulary is the special tokens plus single characters and whose merge list is empty
 * (so BPE never joins characters), no pre-tokenizer (spaces and newlines are characters like any
 * other) and the Fuse decoder (concatenate tokens; without a decoder HF would join them with
 * spaces). Characters outside the vocabulary map to <unk>.
 */
import { BUILT_EOS, BUILT_UNK, mergelessBpeFiles } from './hf-json';
import { loadTokenizer, type TextTokenizer } from './tokenizer';

export const CHAR_EOS = BUILT_EOS;
export const CHAR_UNK = BUILT_UNK;

export function buildCharTokenizer(
  corpus: string | Iterable<string>,
  opts: { modelMaxLength?: number } = {},
): TextTokenizer {
  const chars = new Set<string>();
  for (const text of typeof corpus === 'string' ? [corpus] : corpus) for (const ch of text) chars.add(ch);
  const specials = [CHAR_EOS, CHAR_UNK];
  const sorted = [...chars]
    .filter((c) => !specials.includes(c))
    .sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  const vocab: Record<string, number> = {};
  [...specials, ...sorted].forEach((token, id) => (vocab[token] = id));
  const { json, config } = mergelessBpeFiles({
    vocab,
    normalizer: null,
    preTokenizer: null,
    decoder: { type: 'Fuse' },
    ignoreMerges: false,
    config: {
      clean_up_tokenization_spaces: false,
      ...(opts.modelMaxLength ? { model_max_length: opts.modelMaxLength } : {}),
    },
  });
  return loadTokenizer(json, config);
}
