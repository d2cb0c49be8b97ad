/**
 * Uniqueness of order ids (DATA.md: "unique order id") without a set of every id: each id
 * is kept as a 52-bit hash in a growing Float64Array (8 bytes an order), sorted once the
 * export is read; only when two hashes are equal is the export read again to find the two
 * rows and tell a real duplicate from a hash collision.
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

/** The hashes of the ids of one export. */
export class IdHashes {
  private hashes = new Float64Array(1024);
  private n = 0;

  add(id: string): void {
    this.addHash(idHash(id));
  }

  /** Adds the id whose number is `v` (a canonical whole number, digitsFrom): its hash is itself. */
  addNumber(v: number): void {
    this.addHash(v);
  }

  private addHash(h: number): void {
    if (this.n === this.hashes.length) {
      const grown = new Float64Array(this.n * 2);
      grown.set(this.hashes);
      this.hashes = grown;
    }
    this.hashes[this.n++] = h;
  }

  /** The hashes added more than once (empty for unique ids, but for a rare collision). */
  repeated(): Set<number> {
    const sorted = this.hashes.subarray(0, this.n).sort();
    const out = new Set<number>();
    for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) out.add(sorted[i]);
    return out;
  }
}
