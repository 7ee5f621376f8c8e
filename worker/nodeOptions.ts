/**
 * How every worker process starts: Dockerfile and docker-compose.yml (test/deploy checks they
 * agree), `npm run worker`, and the workers the tests and bench:import spawn. Measured with
 * bench:import (README, Benchmarks), each cuts the worker's resident memory:
 * - `--require tsx/cjs`: the project is CommonJS; `--import tsx` also starts Node's loader-hooks
 *   thread, a second V8 isolate held for the process's life (~15 MB).
 * - `--max-semi-space-size=4` (MB): V8's young generation otherwise grows to 2 × 16 MB and stays
 *   committed; the import's garbage dies young within 4 MB (same CPU time; 2 MB promoted more and
 *   raised the peak).
 * - `MALLOC_ARENA_MAX=2`: glibc gives each of the ~17 threads (libuv, V8, Temporal's core) its own
 *   malloc arena; two are enough and hold less.
 * - `--expose-gc`: io/import/heapBound.ts collects when a long loop's garbage grows the heap.
 */
export const WORKER_NODE_ARGS = ['--expose-gc', '--max-semi-space-size=4', '--require', 'tsx/cjs'] as const;

export const WORKER_ENV = { MALLOC_ARENA_MAX: '2' } as const;
