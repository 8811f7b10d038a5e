/**
 * Stop sequences over streamed text. A stop sequence may span several tokens, and a token may hold
 * the end of one stop and the start of the next word, so matching runs on the text: text that could
 * still be the start of a stop sequence is held back until the next token decides it, and the text
 * from the first complete stop sequence on is never emitted (OpenAI's behaviour: the stop sequence
 * is not part of the output).
 */
export class StopMatcher {
  private pending = '';

  constructor(private readonly stops: readonly string[]) {}

  /** Adds generated text; returns the text that is now safe to emit, and whether a stop sequence completed. */
  push(delta: string): { text: string; stopped: boolean } {
    if (this.stops.length === 0) return { text: delta, stopped: false };
    this.pending += delta;
    let first = -1;
    for (const s of this.stops) {
      const at = this.pending.indexOf(s);
      if (at >= 0 && (first < 0 || at < first)) first = at;
    }
    if (first >= 0) {
      const text = this.pending.slice(0, first);
      this.pending = '';
      return { text, stopped: true };
    }
    const hold = this.heldSuffix();
    const text = this.pending.slice(0, this.pending.length - hold);
    this.pending = this.pending.slice(this.pending.length - hold);
    return { text, stopped: false };
  }

  /** What was held back, once generation ended for another reason. */
  flush(): string {
    const text = this.pending;
    this.pending = '';
    return text;
  }

  /** Length of the longest suffix of the pending text that is a proper prefix of a stop sequence. */
  private heldSuffix(): number {
    let hold = 0;
    for (const s of this.stops) {
      for (let n = Math.min(s.length - 1, this.pending.length); n > hold; n--) {
        if (this.pending.endsWith(s.slice(0, n))) {
          hold = n;
          break;
        }
      }
    }
    return hold;
  }
}
