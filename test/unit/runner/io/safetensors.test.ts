import { describe, expect, it } from 'vitest';
import {
  concatChunks,
  encodeSafetensors,
  memoryModelFolder,
  parseSafetensorsHeader,
  readSafetensors,
  readSafetensorsFrom,
} from '../../../../runner/io';

/** A file built byte by byte the way the format spec describes it. */
function handMade(header: Record<string, unknown>, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const u16le = (...values: number[]) => new Uint8Array(new Uint16Array(values).buffer);

describe('safetensors', () => {
  it('writes F32 tensors with {"format":"pt"} metadata and an 8-byte aligned header, and reads them back', () => {
    const a = { shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0, 1e-8, -1e8]) };
    const b = { shape: [1], data: Float32Array.from([42]) };
    const bytes = concatChunks(
      encodeSafetensors([
        ['a.weight', a],
        ['b', b],
      ]),
    );
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
    expect(header).toEqual({
      __metadata__: { format: 'pt' },
      'a.weight': { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] },
      b: { dtype: 'F32', shape: [1], data_offsets: [24, 28] },
    });
    expect(bytes.length).toBe(8 + headerLength + 28);
    const back = readSafetensors(bytes);
    expect(back.metadata).toEqual({ format: 'pt' });
    expect(back.tensors.get('a.weight')).toEqual(a);
    expect(back.tensors.get('b')).toEqual(b);
  });

  it('converts F16 and BF16 (incl. subnormals and infinities) to float32', () => {
    const file = handMade(
      {
        h: { dtype: 'F16', shape: [5], data_offsets: [0, 10] },
        b: { dtype: 'BF16', shape: [3], data_offsets: [10, 16] },
      },
      concatChunks([u16le(0x3c00, 0xc000, 0x3800, 0x0001, 0x7c00), u16le(0x3f80, 0x4049, 0xff80)]),
    );
    const { tensors } = readSafetensors(file);
    expect(Array.from(tensors.get('h')!.data)).toEqual([1, -2, 0.5, 2 ** -24, Infinity]);
    expect(Array.from(tensors.get('b')!.data)).toEqual([1, 3.140625, -Infinity]);
  });

  it('reads a Node Buffer (a view into a shared pool, at any offset) the same as a Uint8Array', () => {
    const a = { shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0, 1e-8, -1e8]) };
    const bytes = concatChunks(encodeSafetensors([['a', a]]));
    const withBf16 = handMade(
      {
        f: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        b: { dtype: 'BF16', shape: [3], data_offsets: [8, 14] },
      },
      concatChunks([new Uint8Array(Float32Array.from([7, -7]).buffer), u16le(0x3f80, 0x4049, 0xff80)]),
    );
    // What fs.readFile and the SDKs hand over: small files land in Node's shared 8 KiB pool, and a
    // file read into a larger buffer can start at any offset, an odd one included.
    const pooled = Buffer.from(bytes);
    const odd = Buffer.concat([Buffer.alloc(1), Buffer.from(withBf16), Buffer.alloc(3)]).subarray(
      1,
      1 + withBf16.length,
    );
    expect(pooled.buffer.byteLength).toBeGreaterThan(pooled.length);
    expect(odd.byteOffset % 2).toBe(1);
    expect(readSafetensors(pooled).tensors.get('a')).toEqual(a);
    const back = readSafetensors(odd).tensors;
    expect(back.get('f')).toEqual({ shape: [2], data: Float32Array.from([7, -7]) });
    expect(Array.from(back.get('b')!.data)).toEqual([1, 3.140625, -Infinity]);
  });

  it('reads through ranged reads the same as from memory', async () => {
    const bytes = concatChunks(
      encodeSafetensors([['x', { shape: [3], data: Float32Array.from([1, 2, 3]) }]]),
    );
    const folder = memoryModelFolder(new Map([['model.safetensors', bytes]]));
    const source = (await folder.openBytes('model.safetensors'))!;
    expect((await readSafetensorsFrom(source)).tensors).toEqual(readSafetensors(bytes).tensors);
  });

  it('rejects files it cannot read with a reason', () => {
    expect(() => readSafetensors(new Uint8Array(4))).toThrow(/shorter than 8 bytes/);
    expect(() =>
      readSafetensors(handMade({ i: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8))),
    ).toThrow(/dtype I64; supported: F32, F16, BF16, F64/);
    expect(() =>
      readSafetensors(handMade({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(4))),
    ).toThrow(/do not fit shape/);
    expect(() =>
      readSafetensors(handMade({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(4))),
    ).toThrow(/runs past the end/);
    const bad = handMade({}, new Uint8Array(0));
    bad[8] = 0x7b + 1;
    expect(() => parseSafetensorsHeader(bad)).toThrow(/header is not JSON/);
  });
});
