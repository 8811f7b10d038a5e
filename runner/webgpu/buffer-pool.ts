/**
 * Bounds tfjs-backend-webgpu's buffer pool. tfjs keeps every freed GPU buffer for reuse, keyed by its
 * exact size, and never frees one. A training job's batches differ in length (each is padded to its
 * longest example), so every new length leaves a new set of activation-sized buffers behind:
 * allocated GPU memory grows without bound while the memory in use stays flat (measured: 213 MiB
 * allocated for 0.1 MiB in use after 30 steps of a tiny GPT-2), until the device runs out.
 * Here, once allocated memory exceeds twice the most ever in use at once (or `floorBytes`,
 * whichever is larger), the free buffers are destroyed; a run of equal shapes keeps reusing them.
 */
interface PooledBuffer {
  size: number;
  destroy(): void;
}

export interface BufferManagerLike {
  numBytesUsed: number;
  numBytesAllocated: number;
  numFreeBuffers: number;
  freeBuffers: Map<string, PooledBuffer[]>;
  acquireBuffer(...args: unknown[]): PooledBuffer;
  releaseBuffer(buffer: PooledBuffer, reuse?: boolean): void;
}

export interface BufferPoolBound {
  /** Most bytes ever in use at once. */
  readonly peakUsedBytes: number;
  /** Times the free buffers were destroyed. */
  readonly trims: number;
  floorBytes: number;
}

export function boundBufferPool(manager: BufferManagerLike, floorBytes = 256 * 2 ** 20): BufferPoolBound {
  const state = { peakUsedBytes: 0, trims: 0, floorBytes };
  const acquire = manager.acquireBuffer.bind(manager);
  manager.acquireBuffer = (...args: unknown[]) => {
    const buffer = acquire(...args);
    state.peakUsedBytes = Math.max(state.peakUsedBytes, manager.numBytesUsed);
    return buffer;
  };
  const release = manager.releaseBuffer.bind(manager);
  manager.releaseBuffer = (buffer: PooledBuffer, reuse = true) => {
    release(buffer, reuse);
    if (manager.numBytesAllocated > Math.max(2 * state.peakUsedBytes, state.floorBytes)) {
      // Emptied in place: tfjs's releaseBuffer ignores every buffer once the map itself is empty.
      for (const list of manager.freeBuffers.values()) {
        for (const b of list) {
          manager.numBytesAllocated -= b.size;
          b.destroy();
        }
        manager.numFreeBuffers -= list.length;
        list.length = 0;
      }
      state.trims++;
    }
  };
  return state;
}
