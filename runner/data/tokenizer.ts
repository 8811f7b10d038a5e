/** What the data pipeline needs from a tokenizer (runner/tokenizer's tokenizers satisfy it). */
export interface TextTokenizer {
  encode(text: string): number[];
  readonly eosId: number;
  readonly padId: number;
  /** One more than the largest id it gives (sizes a disk store's ids); unknown → the widest ids. */
  readonly vocabSize?: number;
}
