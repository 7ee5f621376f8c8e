/**
 * A Bloom filter of the keys a run has staged, so processing looks for duplicate keys only
 * among the rows whose key may have been seen before, instead of grouping every staged row
 * (at 5,000,000 rows that GROUP BY spilled to disk and took most of the processing phase).
 * No false negatives: every repeated key's later rows are flagged. False positives only make
 * a few more candidates. About a bit per byte of input / 8 (13 bits a sections row), at most
 * 16 MB.
 */
export class KeyFilter {
  private readonly bits: Uint32Array;
  private readonly mask: number;

  constructor(inputBytes: number) {
    let n = 1 << 20;
    while (n < inputBytes / 8 && n < 1 << 27) n *= 2;
    this.bits = new Uint32Array(n / 32);
    this.mask = n - 1;
  }

  /** Adds the key; true if it may have been added before. */
  add(key: string): boolean {
    // Two 32-bit hashes in one pass (FNV-1a and a multiplicative one), four probes by double hashing.
    let h1 = 0x811c9dc5;
    let h2 = 0x9747b28c;
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 + c, 0x5bd1e995) ^ (h2 >>> 15);
    }
    h2 |= 1;
    let seen = true;
    for (let k = 0; k < 4; k++) {
      const bit = (h1 + Math.imul(k, h2)) & this.mask;
      const word = bit >>> 5;
      const m = 1 << (bit & 31);
      if (!(this.bits[word]! & m)) {
        seen = false;
        this.bits[word]! |= m;
      }
    }
    return seen;
  }
}
