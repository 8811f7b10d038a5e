import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { buildCharTokenizer, CHAR_EOS, loadTokenizer } from '../../../../runner/tokenizer';
import { GPT2_MERGES, gpt2StyleTokenizer, llama3StyleTokenizer, llamaStyleTokenizer } from './bpe-fixtures';

const SAMPLES = ['the cat sat', ' leading space', 'héllo wörld 😀\n\ttabs  and  spaces', '', 'ÿ\u0000\u00ff'];

describe('byte-level BPE (GPT-2 style tokenizer.json)', () => {
  const { tokenizerJson, tokenizerConfig } = gpt2StyleTokenizer();
  const tok = loadTokenizer(tokenizerJson, tokenizerConfig);
  const vocab = (tokenizerJson.model as { vocab: Record<string, number> }).vocab;

  it('applies merges in rank order', () => {
    // "the" → t h e → (h e) → (t he); " cat" → Ġ c a t → (a t) → (c at); "Ġ c" never fires: c is gone.
    expect(tok.encode('the cat sat')).toEqual([
      vocab['the'],
      vocab['Ġ'],
      vocab['cat'],
      vocab['Ġ'],
      vocab['s'],
      vocab['at'],
    ]);
    expect(tok.encode(' the')).toEqual([vocab['Ġthe']]);
  });

  it('round-trips any text, including bytes outside the merges', () => {
    for (const s of SAMPLES) expect(tok.decode(tok.encode(s))).toBe(s);
  });

  it('finds EOS from tokenizer_config, pads with EOS when there is no pad token, and counts added tokens', () => {
    expect(tok.eosId).toBe(256 + GPT2_MERGES.length); // every merge adds one token
    expect(tok.padId).toBe(tok.eosId);
    expect(tok.bosId).toBe(tok.eosId);
    expect(tok.vocabSize).toBe(265);
    expect(tok.specialTokens).toEqual([{ id: 264, content: '<|endoftext|>' }]);
    expect(tok.encode('a<|endoftext|>')).toEqual([vocab['a'], 264]);
    expect(tok.decode([vocab['a'], 264], { skipSpecialTokens: true })).toBe('a');
  });
});

describe('SentencePiece-style BPE with byte fallback (Llama-2 style tokenizer.json)', () => {
  const { tokenizerJson, tokenizerConfig } = llamaStyleTokenizer();
  const tok = loadTokenizer(tokenizerJson, tokenizerConfig);
  const vocab = (tokenizerJson.model as { vocab: Record<string, number> }).vocab;

  it('merges, falls back to bytes for unknown characters and adds BOS only when asked', () => {
    expect(tok.encode('hello world')).toEqual([
      vocab['▁hello'],
      vocab['▁w'],
      vocab['or'],
      vocab['l'],
      vocab['d'],
    ]);
    expect(tok.encode('é')).toEqual([vocab['▁'], vocab['<0xC3>'], vocab['<0xA9>']]);
    expect(tok.encode('hello', { addSpecialTokens: true })).toEqual([1, vocab['▁hello']]);
    expect(tok.bosId).toBe(1);
    expect(tok.eosId).toBe(2);
    expect(tok.padId).toBe(2);
  });

  it('round-trips text through byte fallback', () => {
    for (const s of ['hello world', 'héllo wörld 😀', 'a  b']) expect(tok.decode(tok.encode(s))).toBe(s);
  });
});

describe('byte-level BPE behind a regex Split (Llama 3 style tokenizer.json)', () => {
  const { tokenizerJson, tokenizerConfig } = llama3StyleTokenizer();
  const tok = loadTokenizer(tokenizerJson, tokenizerConfig);
  const vocab = (tokenizerJson.model as { vocab: Record<string, number> }).vocab;

  it('splits with the regex (contractions, 3-digit number groups), then takes whole words found in the vocabulary', () => {
    const pieces = (s: string) => tok.encode(s).map((id) => Object.keys(vocab).find((k) => vocab[k] === id));
    // ignore_merges (Llama 3): "Ġcat" is a vocabulary entry, so it is used as is; the GPT-2 style
    // tokenizer above, which applies merges in rank order, ends with ["Ġ", "cat"] for the same word.
    expect(pieces("the cat's 12345")).toEqual(['the', 'Ġcat', "'", 's', 'Ġ', '1', '2', '3', '4', '5']);
    expect(tok.encode('the', { addSpecialTokens: true })).toEqual([tok.bosId, vocab['the']]);
    expect(tok.eosId).toBe(tok.bosId! + 1);
  });

  it('round-trips text', () => {
    for (const s of SAMPLES) expect(tok.decode(tok.encode(s))).toBe(s);
  });
});

describe('character tokenizer', () => {
  const tok = buildCharTokenizer(['hello world\n', 'héllo 😀']);

  it('gives every character of the corpus its own id and round-trips text made of them', () => {
    const text = 'hello 😀\nwörld'.replace('ö', 'o');
    const ids = tok.encode(text);
    expect(ids).toHaveLength([...text].length);
    expect(tok.decode(ids)).toBe(text);
    expect(tok.vocabSize).toBe(2 + new Set([...'hello world\nhéllo 😀']).size);
  });

  it('maps unseen characters to <unk> and has EOS doubling as pad', () => {
    expect(tok.decode(tok.encode('hz'))).toBe('h<unk>');
    expect(tok.eosId).toBe(0);
    expect(tok.padId).toBe(0);
    expect(tok.decode([...tok.encode('he'), tok.eosId])).toBe(`he${CHAR_EOS}`);
  });

  it('is described by a tokenizer.json that loads back to the same tokenizer', () => {
    const files = JSON.parse(JSON.stringify(tok.files()));
    const again = loadTokenizer(files['tokenizer.json'], files['tokenizer_config.json']);
    expect(again.encode('hello 😀')).toEqual(tok.encode('hello 😀'));
    expect(files['tokenizer.json'].model).toMatchObject({ type: 'BPE', merges: [], unk_token: '<unk>' });
    expect(files['tokenizer.json'].decoder).toEqual({ type: 'Fuse' });
  });
});

describe('character-level tokenizers encode directly, exactly as tokenizers.js does', () => {
  const dir = path.resolve(import.meta.dirname, '../../../../runner/base-models/tuneplane-tiny-char');
  const builtIn = {
    json: JSON.parse(readFileSync(path.join(dir, 'tokenizer.json'), 'utf8')) as Record<string, unknown>,
    config: JSON.parse(readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8')) as Record<
      string,
      unknown
    >,
  };
  const built = JSON.parse(JSON.stringify(buildCharTokenizer(['hello world\n', 'héllo 😀']).files()));
  // Known characters, unknown ones (accents, CJK, emoji), lone surrogates, the added tokens' text.
  const alphabet = [...'abc XYZ\n\t{}":,.éöß中😀🎉', '\ud800', '\udc00', '<|endoftext|>', '<unk>', '<', '|'];
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const texts = Array.from({ length: 400 }, () =>
    Array.from(
      { length: Math.floor(rand() * 40) },
      () => alphabet[Math.floor(rand() * alphabet.length)],
    ).join(''),
  );

  for (const [name, files] of [
    ['the built-in base model', builtIn],
    ['a built char tokenizer', { json: built['tokenizer.json'], config: built['tokenizer_config.json'] }],
  ] as const) {
    it(`${name}: the same ids for ${texts.length} random texts`, () => {
      const ours = loadTokenizer(files.json, files.config);
      const reference = new Tokenizer(files.json, files.config);
      for (const text of texts)
        expect(ours.encode(text), JSON.stringify(text)).toEqual(
          reference.encode(text, { add_special_tokens: false }).ids,
        );
    });
  }
});

describe('loadTokenizer', () => {
  it('rejects files that are not tokenizers, naming what is wrong', () => {
    expect(() => loadTokenizer({ vocab: {} })).toThrow(/"model" section/);
    const { tokenizerJson } = gpt2StyleTokenizer();
    expect(() => loadTokenizer(tokenizerJson, { eos_token: '<nope>' })).toThrow(
      /eos_token "<nope>" is not in the vocabulary/,
    );
  });
});
