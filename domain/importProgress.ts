/**
 * How far an import run's reading is (PRODUCT.md, Statuses: validating reads every row), as
 * the run's last committed checkpoint says: rows and bytes read of the files' total, the rate
 * since the reading attempt began, and when reading should end at that rate. Validating is
 * the phase that reads; processing and importing then work on what it staged, so in those
 * phases the reading is complete and there is no estimate.
 */

/** What a committed checkpoint records for progress (io/import/validate.ts writes it). */
export interface ReadMarks {
  read: number;
  /** Bytes of the run's files read at the checkpoint, of bytesTotal (every file's listed size). */
  bytesRead?: number;
  bytesTotal?: number;
  /** When the checkpoint committed, and when this reading attempt began and from where (ms since the epoch). */
  at?: number;
  attemptStartedAt?: number;
  attemptStartRead?: number;
  attemptStartBytes?: number;
}

export interface ImportProgress {
  phase: string;
  rowsRead: number;
  bytesRead: number | null;
  bytesTotal: number | null;
  /** Rows per second since the reading attempt began; null before a first measure. */
  rowsPerSecond: number | null;
  /** When reading should end at the byte rate so far (validating only). */
  readingEndsAt: string | null;
  /** When these figures were recorded. */
  updatedAt: string | null;
}

/** Shortest stretch a rate is computed over: a first chunk's instant rate says little. */
const MIN_ELAPSED_MS = 200;

export function importProgress(phase: string, marks: ReadMarks | null | undefined, read: number): ImportProgress {
  const reading = phase === 'validating';
  const m = marks ?? { read };
  const rowsRead = reading ? m.read : read;
  const total = m.bytesTotal ?? null;
  const bytesRead = reading ? (m.bytesRead ?? null) : total;
  let rowsPerSecond: number | null = null;
  let readingEndsAt: string | null = null;
  const elapsed = m.at !== undefined && m.attemptStartedAt !== undefined ? m.at - m.attemptStartedAt : 0;
  if (elapsed >= MIN_ELAPSED_MS) {
    rowsPerSecond = Math.round(((m.read - (m.attemptStartRead ?? 0)) * 1000) / elapsed);
    const bytesPerMs = ((m.bytesRead ?? 0) - (m.attemptStartBytes ?? 0)) / elapsed;
    if (reading && total !== null && m.bytesRead !== undefined && bytesPerMs > 0) {
      readingEndsAt = new Date(m.at! + Math.max(0, total - m.bytesRead) / bytesPerMs).toISOString();
    }
  }
  return {
    phase, rowsRead, bytesRead, bytesTotal: total, rowsPerSecond, readingEndsAt,
    updatedAt: m.at !== undefined ? new Date(m.at).toISOString() : null,
  };
}
