/** Public surface of the tokenizer package. */
export { loadTokenizer } from './tokenizer';
export type { TextTokenizer, SpecialToken } from './tokenizer';
export { buildCharTokenizer, CHAR_EOS, CHAR_UNK } from './char';
export { buildWordTokenizerFiles } from './word';
