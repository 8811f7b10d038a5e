/**
 * Minimal safetensors codec for checkpoint state (float32 and int32 tensors).
 * Format: u64 little-endian header length, JSON header {name: {dtype, shape, data_offsets}},
 * then the raw little-endian data. The header is padded with spaces to 8 bytes, as the reference writer does.
 */
import * as tf from '@tensorflow/tfjs';

const DTYPES = { float32: 'F32', int32: 'I32' } as const;

export function encodeSafetensors(tensors: Map<string, tf.Tensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const name of [...tensors.keys()].sort()) {
    const t = tensors.get(name)!;
    const dtype = DTYPES[t.dtype as keyof typeof DTYPES];
    if (!dtype) throw new Error(`safetensors: unsupported dtype ${t.dtype} for ${name}`);
    const data = t.dataSync() as Float32Array | Int32Array;
    const bytes = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let p = 8 + head.length;
  for (const c of chunks) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}

export function decodeSafetensors(bytes: Uint8Array): { tensors: Map<string, tf.Tensor>; metadata: Record<string, string> } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const base = 8 + n;
  const tensors = new Map<string, tf.Tensor>();
  let metadata: Record<string, string> = {};
  for (const [name, h] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = h as unknown as Record<string, string>;
      continue;
    }
    const [s, e] = h.data_offsets;
    const raw = bytes.slice(base + s, base + e);
    const data = h.dtype === 'F32' ? new Float32Array(raw.buffer) : h.dtype === 'I32' ? new Int32Array(raw.buffer) : undefined;
    if (!data) throw new Error(`safetensors: unsupported dtype ${h.dtype} for ${name}`);
    tensors.set(name, tf.tensor(data, h.shape, h.dtype === 'F32' ? 'float32' : 'int32'));
  }
  return { tensors, metadata };
}
