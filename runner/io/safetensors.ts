/**
 * The safetensors format (huggingface/safetensors): an 8-byte little-endian header length N, N bytes
 * of JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}`, then the raw
 * little-endian tensor bytes, offsets relative to the end of the header. Small enough to own rather
 * than depend on: we read F32/F16/BF16/F64 into float32 and write F32 with HF's {"format": "pt"}
 * metadata (transformers refuses files without it). Functions take bytes or a ranged ByteSource so
 * local files and S3 objects read the same way.
 */
import { ModelError } from '../errors';
import type { HostTensor } from '../model';

/** Random access to a blob: a local file handle, an S3 object with Range GETs, or memory. */
export interface ByteSource {
  read(offset: number, length: number): Promise<Uint8Array>;
}

export interface SafetensorsEntry {
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  entries: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
  /** Absolute offset of the data section (8 + header length). */
  dataStart: number;
}

const BYTES_PER: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };
const MAX_HEADER = 100_000_000; // the reference implementation's limit

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error('safetensors I/O assumes a little-endian host');
}

function invalid(message: string): ModelError {
  return new ModelError(`Invalid safetensors file: ${message}`, 'model.safetensors', 'invalid_safetensors');
}

/** Parses the header from the file's first bytes (at least 8 + header length of them). */
export function parseSafetensorsHeader(prefix: Uint8Array): SafetensorsHeader {
  if (prefix.length < 8) throw invalid('shorter than 8 bytes');
  const length = Number(new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true));
  if (length > MAX_HEADER) throw invalid(`header length ${length} exceeds ${MAX_HEADER}`);
  if (prefix.length < 8 + length) throw invalid('truncated header');
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(new TextDecoder().decode(prefix.subarray(8, 8 + length)));
  } catch (err) {
    throw invalid(`header is not JSON (${(err as Error).message})`);
  }
  const entries = new Map<string, SafetensorsEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(json)) {
    if (name === '__metadata__') {
      metadata = (raw ?? {}) as Record<string, string>;
      continue;
    }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const offsets = e.data_offsets as number[] | undefined;
    if (
      typeof e.dtype !== 'string' ||
      !Array.isArray(e.shape) ||
      !Array.isArray(offsets) ||
      offsets.length !== 2
    ) {
      throw invalid(`entry "${name}" needs dtype, shape and data_offsets`);
    }
    const bytes = BYTES_PER[e.dtype];
    if (bytes === undefined)
      throw invalid(`tensor "${name}" has dtype ${e.dtype}; supported: ${Object.keys(BYTES_PER).join(', ')}`);
    const shape = e.shape as number[];
    const count = shape.reduce((a, b) => a * b, 1);
    if (offsets[1] - offsets[0] !== count * bytes || offsets[0] < 0) {
      throw invalid(`tensor "${name}" data_offsets [${offsets}] do not fit shape [${shape}] of ${e.dtype}`);
    }
    entries.set(name, { dtype: e.dtype, shape, begin: offsets[0], end: offsets[1] });
  }
  return { entries, metadata, dataStart: 8 + length };
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** All 65536 half-precision values as float32, built on first use (a lookup per element after that). */
let halfTable: Float32Array | undefined;

/**
 * A copy of `raw` in an ArrayBuffer of its own. Not `raw.slice()`: on a Node Buffer (what
 * fs.readFile and many clients return) `slice` is a view, whose `.buffer` is the whole shared pool
 * or file, at the view's offset.
 */
const ownCopy = (raw: Uint8Array): Uint8Array => new Uint8Array(raw);

/** 16-bit words of `raw`, copied only when the bytes are not 2-byte aligned. */
function words(raw: Uint8Array): Uint16Array {
  const bytes = raw.byteOffset % 2 === 0 ? raw : ownCopy(raw);
  return new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
}

/** Converts one tensor's raw bytes to float32 (always a fresh, aligned copy). */
export function decodeTensor(entry: SafetensorsEntry, raw: Uint8Array): HostTensor {
  const n = raw.byteLength / BYTES_PER[entry.dtype];
  let data: Float32Array;
  switch (entry.dtype) {
    case 'F32':
      data = new Float32Array(ownCopy(raw).buffer);
      break;
    case 'F64': {
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      data = Float32Array.from({ length: n }, (_, i) => view.getFloat64(i * 8, true));
      break;
    }
    case 'F16': {
      if (!halfTable) {
        halfTable = new Float32Array(65536);
        for (let h = 0; h < 65536; h++) halfTable[h] = halfToFloat(h);
      }
      const table = halfTable;
      const src = words(raw);
      data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = table[src[i]];
      break;
    }
    default: {
      // BF16 is the upper half of a float32.
      const src = words(raw);
      data = new Float32Array(n);
      const bits = new Uint32Array(data.buffer);
      for (let i = 0; i < n; i++) bits[i] = src[i] << 16;
    }
  }
  return { shape: entry.shape, data };
}

export interface SafetensorsContents {
  tensors: Map<string, HostTensor>;
  metadata: Record<string, string>;
}

/** Reads a whole safetensors file held in memory. */
export function readSafetensors(bytes: Uint8Array): SafetensorsContents {
  const header = parseSafetensorsHeader(bytes);
  const tensors = new Map<string, HostTensor>();
  for (const [name, e] of header.entries) {
    if (header.dataStart + e.end > bytes.length)
      throw invalid(`tensor "${name}" runs past the end of the file`);
    tensors.set(name, decodeTensor(e, bytes.subarray(header.dataStart + e.begin, header.dataStart + e.end)));
  }
  return { tensors, metadata: header.metadata };
}

/** Reads a safetensors file tensor by tensor through ranged reads (large files, S3 Range GETs). */
export async function readSafetensorsFrom(source: ByteSource): Promise<SafetensorsContents> {
  const lengthBytes = await source.read(0, 8);
  if (lengthBytes.length < 8) throw invalid('shorter than 8 bytes');
  const headerLength = Number(
    new DataView(lengthBytes.buffer, lengthBytes.byteOffset, 8).getBigUint64(0, true),
  );
  if (headerLength > MAX_HEADER) throw invalid(`header length ${headerLength} exceeds ${MAX_HEADER}`);
  const prefix = new Uint8Array(8 + headerLength);
  prefix.set(lengthBytes.subarray(0, 8));
  prefix.set(await source.read(8, headerLength), 8);
  const header = parseSafetensorsHeader(prefix);
  const tensors = new Map<string, HostTensor>();
  for (const [name, e] of header.entries) {
    const raw = await source.read(header.dataStart + e.begin, e.end - e.begin);
    if (raw.length !== e.end - e.begin) throw invalid(`tensor "${name}" runs past the end of the file`);
    tensors.set(name, decodeTensor(e, raw));
  }
  return { tensors, metadata: header.metadata };
}

/**
 * The header of an all-F32 file for tensors in the given order, padded with spaces to a multiple of
 * 8 bytes as the reference writer does (keeps data aligned). Needs only shapes, so a writer can emit
 * the header first and then stream each tensor's bytes as it is read off the device.
 */
export function encodeSafetensorsHeader(
  shapes: Iterable<[string, number[]]>,
  metadata: Record<string, string> = { format: 'pt' },
): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, shape] of shapes) {
    const bytes = shape.reduce((a, b) => a * b, 1) * 4;
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const encoder = new TextEncoder();
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (encoder.encode(json).length % 8)) % 8);
  const headerBytes = encoder.encode(json);
  const prefix = new Uint8Array(8 + headerBytes.length);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  prefix.set(headerBytes, 8);
  return prefix;
}

/** A whole F32 safetensors file as chunks: the header, then each tensor's bytes (no big copy). */
export function encodeSafetensors(
  tensors: Iterable<[string, HostTensor]>,
  metadata: Record<string, string> = { format: 'pt' },
): Uint8Array[] {
  const list = [...tensors];
  for (const [name, t] of list) {
    if (t.shape.reduce((a, b) => a * b, 1) !== t.data.length) {
      throw new Error(`tensor "${name}" has ${t.data.length} values for shape [${t.shape}]`);
    }
  }
  return [
    encodeSafetensorsHeader(
      list.map(([name, t]) => [name, t.shape]),
      metadata,
    ),
    ...list.map(([, t]) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)),
  ];
}

/** Concatenates chunks (small files, tests, in-memory uploads). */
export function concatChunks(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
