import { heartbeat } from '@temporalio/activity';
import { withTicks } from '../io/ticker';

/**
 * Heartbeats while `fn` runs, every few seconds, with whatever `details()` returns at the
 * time: long SQL statements keep the activity alive, and its heartbeat details always hold
 * the last committed checkpoint (what a retry may resume from).
 */
export const withHeartbeat = <T>(details: () => unknown, fn: () => Promise<T>, everyMs = 5_000): Promise<T> =>
  withTicks(() => heartbeat(details()), fn, everyMs);
