/**
 * Calls `tick` now and every few seconds while `fn` runs: long SQL statements and file reads
 * report progress (the worker turns ticks into heartbeats, which keep the activity alive).
 */
export async function withTicks<T>(tick: () => void, fn: () => Promise<T>, everyMs = 5_000): Promise<T> {
  tick();
  const timer = setInterval(tick, everyMs);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}
