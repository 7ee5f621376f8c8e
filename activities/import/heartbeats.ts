import { Context, heartbeat } from '@temporalio/activity';

/**
 * Heartbeats while `fn` runs, every few seconds, with whatever `details()` returns at the
 * time: long SQL statements and file reads keep the activity alive, and its heartbeat
 * details always hold the last committed checkpoint (what a retry may resume from).
 */
export async function withHeartbeat<T>(details: () => unknown, fn: () => Promise<T>, everyMs = 5_000): Promise<T> {
  heartbeat(details());
  const timer = setInterval(() => heartbeat(details()), everyMs);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}

/** Throws the activity's cancellation (a person canceled the run, or the worker is stopping). */
export function throwIfCancelled(): void {
  const signal = Context.current().cancellationSignal;
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason));
}
