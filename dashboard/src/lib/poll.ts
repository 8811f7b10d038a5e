/**
 * Repeats a refresh while the page is shown: waits for each run to finish before scheduling the
 * next, pauses while the tab is hidden, and stops for good when the page goes away.
 */
export function poll(run: () => Promise<boolean | void>, intervalMs: number): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = async () => {
    if (stopped) return;
    if (document.hidden) {
      timer = setTimeout(tick, intervalMs);
      return;
    }
    let again: boolean | void = true;
    try {
      again = await run();
    } catch {
      // A failed refresh is retried on the next tick; the page shows the last good data.
    }
    if (!stopped && again !== false) timer = setTimeout(tick, intervalMs);
  };
  timer = setTimeout(tick, intervalMs);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
