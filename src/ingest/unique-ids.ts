/**
 * Uniqueness of order ids (DATA.md: "unique order id") without a set of every id: each id
 * is kept as a 52-bit hash in a growing Float64Array (8 bytes an order), sorted once the
 * export is read; only when two hashes are equal is the export read again to find the two
 * rows and tell a real duplicate from a hash collision. Ids that come in rising order keep
 * almost nothing (IdHashes).
 */
import { digitsFrom } from "../table/id-index.js";

/**
 * A 52-bit hash of an id, exact in a double. A canonical whole number of at most 15 digits
 * (digitsFrom: below 2^50) is its own hash, so an order id the reader gave as a number
 * (typed-batch.ts `keys`) is hashed without its text, and numbers never collide; any other
 * id hashes to FNV-1a's 32 bits and 20 bits of a second hash.
 */
export function idHash(s: string): number {
  const v = digitsFrom(s, 0);
  if (v >= 0) return v;
  let a = 0x811c9dc5;
  let b = 0x9e3779b9;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return (a >>> 0) * 0x100000 + ((b >>> 0) & 0xfffff);
}

/**
 * The hashes of the ids of one export. Shops number orders in sequence and export them in
 * that order: while every hash is greater than the one before, the ids cannot repeat, and
 * only runs of consecutive hashes are kept (16 bytes a run, one run for ids without gaps).
 * The first hash that is not greater, or runs averaging under two hashes, turn the runs
 * into the hashes they stand for, and from then on every hash is kept and the export's are
 * sorted at the end, as for ids in any order.
 */
export class IdHashes {
  private hashes = new Float64Array(0);
  private n = 0;
  /** While the hashes rise: runs of consecutive hashes as (first, last) pairs. */
  private runs: Float64Array | undefined = new Float64Array(64);
  private runCount = 0;

  add(id: string): void {
    this.addHash(idHash(id));
  }

  /** Adds the id whose number is `v` (a canonical whole number, digitsFrom): its hash is itself. */
  addNumber(v: number): void {
    this.addHash(v);
  }

  private addHash(h: number): void {
    const runs = this.runs;
    if (runs) {
      const k = this.runCount;
      const last = k === 0 ? -1 : runs[2 * k - 1];
      if (h > last) {
        this.n++;
        if (k > 0 && h === last + 1) runs[2 * k - 1] = h;
        else if (k >= 32 && k * 2 > this.n) {
          // Ids with gaps everywhere: the runs would cost more than the hashes.
          this.n--;
          this.spread();
          this.push(h);
        } else {
          if (2 * k + 2 > runs.length) {
            const grown = new Float64Array(runs.length * 2);
            grown.set(runs);
            this.runs = grown;
          }
          this.runs![2 * k] = h;
          this.runs![2 * k + 1] = h;
          this.runCount = k + 1;
        }
        return;
      }
      this.spread();
    }
    this.push(h);
  }

  /** Turns the runs into the hashes they stand for, and keeps every hash from now on. */
  private spread(): void {
    const runs = this.runs!;
    this.runs = undefined;
    let size = 1024;
    while (size < this.n + 1) size *= 2;
    this.hashes = new Float64Array(size);
    let at = 0;
    for (let k = 0; k < this.runCount; k++) for (let h = runs[2 * k]; h <= runs[2 * k + 1]; h++) this.hashes[at++] = h;
  }

  private push(h: number): void {
    if (this.n === this.hashes.length) {
      const grown = new Float64Array(Math.max(1024, this.n * 2));
      grown.set(this.hashes);
      this.hashes = grown;
    }
    this.hashes[this.n++] = h;
  }

  /** The hashes added more than once (empty for unique ids, but for a rare collision). */
  repeated(): Set<number> {
    const out = new Set<number>();
    // Hashes that only rose are all distinct.
    if (this.runs) return out;
    const sorted = this.hashes.subarray(0, this.n).sort();
    for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) out.add(sorted[i]);
    return out;
  }
}
