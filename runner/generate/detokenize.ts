/**
 * Streaming detokenization: token ids in, text deltas out. Decoding each token alone is wrong for
 * byte-level BPE (a character may span tokens) and for tokenizers whose decoder drops or adds
 * spaces by context, so each step decodes a short window of recent tokens and emits what it adds
 * to the window's text; while the tail decodes to an incomplete character (U+FFFD) it waits.
 */
export interface Detokenizer {
  decode(ids: readonly number[], opts?: { skipSpecialTokens?: boolean }): string;
}

export class IncrementalText {
  private readonly ids: number[] = [];
  /** Tokens before prefixOffset are done; [prefixOffset, readOffset) is context for the next delta. */
  private prefixOffset = 0;
  private readOffset = 0;

  constructor(private readonly tok: Detokenizer) {}

  /** The text this token adds (possibly empty while a character is incomplete). */
  push(id: number): string {
    this.ids.push(id);
    const decode = (from: number, to: number) =>
      this.tok.decode(this.ids.slice(from, to), { skipSpecialTokens: true });
    const prefix = decode(this.prefixOffset, this.readOffset);
    const text = decode(this.prefixOffset, this.ids.length);
    if (text.length > prefix.length && !text.endsWith('\uFFFD')) {
      const delta = text.slice(prefix.length);
      this.prefixOffset = this.readOffset;
      this.readOffset = this.ids.length;
      return delta;
    }
    return '';
  }
}
