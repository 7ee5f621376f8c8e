import v8 from 'node:v8';

/**
 * Keeps a long hot loop's garbage from growing the worker's heap without bound. V8 lets the
 * old generation fill with promoted garbage up to about twice the live heap before a full
 * collection; with the worker's ~70 MB live that is ~150 MB more RSS, most of it reached by
 * the validation loop (5,000,000 rows: 348 MB peak). When the heap has grown by `slackBytes` (24 MB)
 * since the last look, one full collection brings it back (~50 ms, a few times a million rows).
 * With the worker's 4 MB young generation (worker/nodeOptions.ts) more is promoted: at 32 MB the
 * re-import with changes peaked at 263-265 MB, at 24 MB 205 MB (bench:import, 1,000,000 rows).
 * The collection is the `gc` that node's `--expose-gc` flag gives (every way the worker
 * starts passes it); without it, V8's own heuristics only.
 */
const collector = (): (() => void) | undefined => (globalThis as { gc?: () => void }).gc;

const used = () => v8.getHeapStatistics().used_heap_size;

export class HeapBound {
  private limit: number;

  constructor(private readonly slackBytes = 24 * 1024 * 1024) {
    this.limit = used() + slackBytes;
  }

  /** Collects if the heap passed its limit; the next limit is the live heap plus the slack. */
  check(): void {
    if (used() < this.limit) return;
    collector()?.();
    this.limit = used() + this.slackBytes;
  }
}
