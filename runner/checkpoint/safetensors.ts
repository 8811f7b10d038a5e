/**
 * Checkpoint tensors ↔ safetensors bytes, through runner/io's codec (float32; every tensor a
 * checkpoint holds — weights, optimizer slots — is float32).
 */
import * as tf from '@tensorflow/tfjs';
import { concatChunks, encodeSafetensors as encodeHost, readSafetensors } from '../io';

/** Async because a GPU backend (WebGPU) can only read device memory asynchronously. */
export async function encodeSafetensors(
  tensors: Map<string, tf.Tensor>,
  metadata: Record<string, string> = {},
): Promise<Uint8Array> {
  const host: [string, { shape: number[]; data: Float32Array }][] = [];
  for (const name of [...tensors.keys()].sort()) {
    const t = tensors.get(name)!;
    if (t.dtype !== 'float32') throw new Error(`checkpoint tensor ${name} is ${t.dtype}, expected float32`);
    host.push([name, { shape: t.shape, data: (await t.data()) as Float32Array }]);
  }
  return concatChunks(encodeHost(host, metadata));
}

export function decodeSafetensors(bytes: Uint8Array): {
  tensors: Map<string, tf.Tensor>;
  metadata: Record<string, string>;
} {
  const { tensors, metadata } = readSafetensors(bytes);
  return {
    tensors: new Map([...tensors].map(([name, t]) => [name, tf.tensor(t.data, t.shape, 'float32')])),
    metadata,
  };
}
