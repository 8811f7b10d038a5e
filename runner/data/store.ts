/**
 * Encoded examples on disk, so that a training file of any size costs the trainer a few bytes of
 * memory per example instead of its text and a JS array per token.
 *
 * The file holds one record per example, back to back: its token ids (uint16 when every id of the
 * vocabulary fits, else uint32), then one byte per token (1 = learned). In memory stay only what
 * random access and sampling need: where each record starts (8 bytes an example), and the class id
 * (classification) and sampling weight (with a weight field) that the sampling orders read. A
 * preference pair is two records in a row, the preferred answer's sequence, then the other's.
 * Examples are read back with positioned reads (the page cache keeps a hot file in memory without
 * counting against the process).
 */
import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import type { Example, Examples } from './examples';

const WRITE_BUFFER_BYTES = 4 * 1024 * 1024;

/** A typed array that grows by doubling while written, trimmed once complete. */
class Column<A extends Float64Array | Int32Array> {
  length = 0;
  constructor(
    private data: A,
    private readonly make: (n: number) => A,
  ) {}

  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = this.make(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }

  at(i: number): number {
    return this.data[i];
  }

  /** The values, in an array of exactly their length (the spare capacity is freed). */
  trim(): A {
    if (this.data.length !== this.length) this.data = this.data.slice(0, this.length) as A;
    return this.data;
  }
}

export interface ExampleStoreOptions {
  /** One more than the largest token id (the tokenizer's vocabulary size). */
  vocabSize: number;
  /** Keep class ids (classification data). */
  labels?: boolean;
  /** Keep sampling weights (a weight field is configured); otherwise every weight is 1. */
  weights?: boolean;
  /** Preference pairs: every example has a `rejected` sequence. */
  pairs?: boolean;
}

export class ExampleStore implements Examples {
  readonly storage: { kind: 'disk'; path: string };
  private readonly fd: number;
  private readonly idBytes: 2 | 4;
  /** Byte offset of each record, and of the end of the last. */
  private offsets = new Column(new Float64Array(1024), (n) => new Float64Array(n));
  private labels?: Column<Int32Array>;
  private weightColumn?: Column<Float64Array>;
  private buffer = new Uint8Array(WRITE_BUFFER_BYTES);
  private buffered = 0;
  private written = 0;
  private scratch = new ArrayBuffer(4096);
  private sealed = false;
  private closed = false;
  /** Records per example: 2 for preference pairs. */
  private readonly per: 1 | 2;
  longest = 0;
  tokens = 0;

  /** A new, empty store in `path` (created, or emptied if it exists). */
  constructor(path: string, opts: ExampleStoreOptions) {
    this.storage = { kind: 'disk', path };
    this.idBytes = opts.vocabSize <= 0x10000 ? 2 : 4;
    if (opts.labels) this.labels = new Column(new Int32Array(1024), (n) => new Int32Array(n));
    if (opts.weights) this.weightColumn = new Column(new Float64Array(1024), (n) => new Float64Array(n));
    this.per = opts.pairs ? 2 : 1;
    this.fd = openSync(path, 'w+');
    this.offsets.push(0);
  }

  get length(): number {
    return (this.offsets.length - 1) / this.per;
  }

  private record(n: number): ArrayBuffer {
    const bytes = n * (this.idBytes + 1);
    if (this.scratch.byteLength < bytes)
      this.scratch = new ArrayBuffer(Math.max(bytes, 2 * this.scratch.byteLength));
    return this.scratch;
  }

  add(e: Example): void {
    if (this.sealed) throw new Error('the example store is complete; no more examples can be added');
    if ((this.per === 2) !== (e.rejected !== undefined))
      throw new Error(this.per === 2 ? 'a preference store needs both answers' : 'this store holds no pairs');
    this.addRecord(e.ids, e.target);
    if (e.rejected) this.addRecord(e.rejected.ids, e.rejected.target);
    this.labels?.push(e.label ?? 0);
    this.weightColumn?.push(e.weight);
    if (this.lengthOf(this.length - 1) > this.lengthOf(this.longest)) this.longest = this.length - 1;
  }

  private addRecord(tokens: number[], target: number[]): void {
    const n = tokens.length;
    const limit = this.idBytes === 2 ? 0x10000 : 0x1_0000_0000;
    for (const id of tokens)
      if (!(id >= 0 && id < limit)) throw new Error(`token id ${id} does not fit the example store`);
    const scratch = this.record(n);
    const ids = this.idBytes === 2 ? new Uint16Array(scratch, 0, n) : new Uint32Array(scratch, 0, n);
    ids.set(tokens);
    new Uint8Array(scratch, n * this.idBytes, n).set(target);
    this.write(new Uint8Array(scratch, 0, n * (this.idBytes + 1)));
    const records = this.offsets.length - 1;
    this.offsets.push(this.offsets.at(records) + n * (this.idBytes + 1));
    this.tokens += n;
  }

  private write(bytes: Uint8Array): void {
    if (this.buffered + bytes.length > this.buffer.length) this.flush();
    if (bytes.length > this.buffer.length) {
      this.written += writeSync(this.fd, bytes, 0, bytes.length, this.written);
      return;
    }
    this.buffer.set(bytes, this.buffered);
    this.buffered += bytes.length;
  }

  private flush(): void {
    let done = 0;
    while (done < this.buffered)
      done += writeSync(this.fd, this.buffer, done, this.buffered - done, this.written + done);
    this.written += this.buffered;
    this.buffered = 0;
  }

  /** Everything added is on disk; the store is read-only from here on. */
  seal(): this {
    if (this.sealed) return this;
    this.flush();
    this.buffer = new Uint8Array(0);
    this.offsets.trim();
    this.labels?.trim();
    this.weightColumn?.trim();
    this.sealed = true;
    return this;
  }

  private recordLength(k: number): number {
    return (this.offsets.at(k + 1) - this.offsets.at(k)) / (this.idBytes + 1);
  }

  /** Tokens of example i's longest sequence (-1 past the end). */
  private lengthOf(i: number): number {
    if (i >= this.length) return -1;
    const first = this.recordLength(i * this.per);
    return this.per === 2 ? Math.max(first, this.recordLength(i * 2 + 1)) : first;
  }

  private readRecord(k: number): { ids: number[]; target: number[] } {
    const n = this.recordLength(k);
    const bytes = n * (this.idBytes + 1);
    const scratch = this.record(n);
    const view = new Uint8Array(scratch, 0, bytes);
    let done = 0;
    while (done < bytes) {
      const got = readSync(this.fd, view, done, bytes - done, this.offsets.at(k) + done);
      if (got === 0) throw new Error(`the example store ${this.storage.path} is shorter than its index`);
      done += got;
    }
    const ids = this.idBytes === 2 ? new Uint16Array(scratch, 0, n) : new Uint32Array(scratch, 0, n);
    return { ids: Array.from(ids), target: Array.from(new Uint8Array(scratch, n * this.idBytes, n)) };
  }

  get(i: number): Example {
    if (!this.sealed) this.seal();
    if (this.closed) throw new Error('the example store is closed');
    if (!(i >= 0 && i < this.length)) throw new RangeError(`example ${i} is outside 0..${this.length - 1}`);
    const example: Example = {
      ...this.readRecord(i * this.per),
      weight: this.weightColumn ? this.weightColumn.at(i) : 1,
    };
    if (this.per === 2) example.rejected = this.readRecord(i * 2 + 1);
    if (this.labels) example.label = this.labels.at(i);
    return example;
  }

  labelIds(): ArrayLike<number> {
    return this.labels ? this.labels.trim() : new Int32Array(this.length);
  }

  weights(): ArrayLike<number> {
    return this.weightColumn ? this.weightColumn.trim() : new Float64Array(this.length).fill(1);
  }

  /** Closes and deletes the file. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
    rmSync(this.storage.path, { force: true });
  }
}
