import assert from 'node:assert/strict';
import { importProgress } from '../../domain/importProgress';

describe('import progress from a checkpoint', () => {
  const t0 = Date.parse('2026-12-07T10:00:00Z');

  it('validating: rows and bytes of the total, the rate since the attempt began, and when reading ends at the byte rate', () => {
    const p = importProgress('validating', {
      read: 300_000, bytesRead: 30_000_000, bytesTotal: 100_000_000, at: t0 + 10_000,
      attemptStartedAt: t0, attemptStartRead: 100_000, attemptStartBytes: 10_000_000,
    }, 0);
    assert.equal(p.rowsRead, 300_000);
    assert.equal(p.bytesRead, 30_000_000);
    assert.equal(p.rowsPerSecond, 20_000);
    // 20 MB in 10 s; 70 MB to go: 35 s after the checkpoint.
    assert.equal(p.readingEndsAt, new Date(t0 + 45_000).toISOString());
    assert.equal(p.updatedAt, new Date(t0 + 10_000).toISOString());
  });

  it('no rate nor estimate over too short a stretch, or without a checkpoint', () => {
    const p = importProgress('validating', { read: 10, bytesRead: 100, bytesTotal: 1000, at: t0 + 50, attemptStartedAt: t0, attemptStartRead: 0, attemptStartBytes: 0 }, 0);
    assert.equal(p.rowsPerSecond, null);
    assert.equal(p.readingEndsAt, null);
    const none = importProgress('validating', null, 0);
    assert.deepEqual([none.rowsRead, none.bytesRead, none.bytesTotal, none.updatedAt], [0, null, null, null]);
  });

  it('after reading (processing, importing): every byte read, the run\'s row count, no estimate', () => {
    const p = importProgress('importing', { read: 5, bytesRead: 10, bytesTotal: 1000, at: t0 + 10_000, attemptStartedAt: t0 }, 1234);
    assert.equal(p.rowsRead, 1234);
    assert.equal(p.bytesRead, 1000);
    assert.equal(p.readingEndsAt, null);
  });
});
