/**
 * A direct encoder for character-level tokenizers: a BPE model without merges and without a
 * normalizer or pre-tokenizer (what buildCharTokenizer writes, and the built-in base model's
 * tokenizer). tokenizers.js gives each character its id too, but through its general BPE (a linked
 * list and a priority queue over the whole text), at a few hundred thousand characters a second:
 * tokenizing a 1 GB training file took most of an hour. This looks each character up instead,
 * with the same result: ids of the text's code points, `unk` for those outside the vocabulary.
 * Texts that contain an added token's content (which tokenizers.js splits out first) are left to
 * tokenizers.js.
 */

interface BpeJson {
  type?: string;
  merges?: unknown[];
  unk_token?: string | null;
  byte_fallback?: boolean;
  fuse_unk?: boolean;
  ignore_merges?: boolean;
  continuing_subword_prefix?: string | null;
  continuing_subword_suffix?: string | null;
  end_of_word_suffix?: string | null;
  dropout?: number | null;
}

interface TokenizerJson {
  normalizer?: unknown;
  pre_tokenizer?: unknown;
  model?: BpeJson;
  added_tokens?: { content: string }[];
}

/**
 * The direct encoder when the tokenizer is character-level; undefined otherwise. `slow` is the
 * general encoder, `tokenToId` the vocabulary lookup (added tokens included).
 */
export function charLevelEncoder(
  json: unknown,
  config: Record<string, unknown>,
  tokenToId: (token: string) => number | undefined,
  slow: (text: string) => number[],
): ((text: string) => number[]) | undefined {
  const t = json as TokenizerJson;
  const m = t.model;
  if (
    !m ||
    m.type !== 'BPE' ||
    !Array.isArray(m.merges) ||
    m.merges.length > 0 ||
    t.normalizer != null ||
    t.pre_tokenizer != null ||
    m.byte_fallback ||
    m.fuse_unk ||
    m.ignore_merges ||
    m.continuing_subword_prefix ||
    m.continuing_subword_suffix ||
    m.end_of_word_suffix ||
    m.dropout != null ||
    config.remove_space === true ||
    config.do_lowercase_and_remove_accent
  )
    return undefined;
  // A character outside the vocabulary becomes the unk token, or nothing without one.
  const unk = m.unk_token == null ? null : tokenToId(m.unk_token);
  if (unk === undefined) return undefined;
  const added = (t.added_tokens ?? []).map((a) => a.content).filter((c) => c.length > 0);
  const ascii = new Int32Array(128).fill(-2);
  const other = new Map<string, number>();
  const lookup = (ch: string): number => {
    const id = tokenToId(ch);
    return id ?? (unk === null ? -1 : unk);
  };
  return (text) => {
    for (const a of added) if (text.includes(a)) return slow(text);
    const ids: number[] = [];
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      let id: number;
      if (c < 128) {
        id = ascii[c];
        if (id === -2) id = ascii[c] = lookup(text[i]);
      } else {
        // One code point: a surrogate pair is one character, a lone surrogate another.
        const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < text.length;
        const next = pair ? text.charCodeAt(i + 1) : 0;
        const ch = pair && next >= 0xdc00 && next <= 0xdfff ? text.slice(i, ++i + 1) : text[i];
        const known = other.get(ch);
        if (known === undefined) other.set(ch, (id = lookup(ch)));
        else id = known;
      }
      if (id >= 0) ids.push(id);
    }
    return ids;
  };
}
