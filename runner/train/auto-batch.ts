/**
 * `batch_size: "auto"`: the largest batch whose training step fits a memory budget. Probes by
 * doubling until a size does not fit (or the cap is reached), then bisects between the last size
 * that fit and the first that did not. A probe that throws (out of memory on a GPU) does not fit.
 */
export interface AutoBatchResult {
  batchSize: number;
  /** Every probe: size → bytes (or null when it threw). */
  probes: { size: number; bytes: number | null }[];
}

export function findLargestBatch(
  measure: (size: number) => number,
  budgetBytes: number,
  maxSize: number,
): AutoBatchResult {
  const probes: AutoBatchResult['probes'] = [];
  const fits = (size: number): boolean => {
    let bytes: number | null;
    try {
      bytes = measure(size);
    } catch {
      bytes = null;
    }
    probes.push({ size, bytes });
    return bytes !== null && bytes <= budgetBytes;
  };
  if (!fits(1)) throw new Error(`not even a batch of 1 fits the memory budget of ${budgetBytes} bytes`);
  let good = 1;
  let bad = 0;
  while (good < maxSize) {
    const next = Math.min(good * 2, maxSize);
    if (fits(next)) good = next;
    else {
      bad = next;
      break;
    }
  }
  while (bad && bad - good > 1) {
    const mid = (good + bad) >> 1;
    if (fits(mid)) good = mid;
    else bad = mid;
  }
  return { batchSize: good, probes };
}
