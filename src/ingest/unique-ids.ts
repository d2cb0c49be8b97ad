/**
 * Uniqueness of order ids (DATA.md: "unique order id") without a set of every id: each id
 * is kept as a 52-bit hash in a growing Float64Array (8 bytes an order), sorted once the
 * export is read; only when two hashes are equal is the export read again to find the two
 * rows and tell a real duplicate from a hash collision.
 */
import type { IdForm } from "../table/id-index.js";

/** A 52-bit hash of a string, exact in a double: FNV-1a's 32 bits and 20 bits of a second hash. */
export function idHash(s: string): number {
  let a = FNV_START;
  let b = SECOND_START;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = fnv(a, c);
    b = second(b, c);
  }
  return joined(a, b);
}

/** Digits of a key, last first (keyHash). */
const DIGITS = new Uint8Array(16);

/** idHash of the id of `form` whose number is `key` (keyText), made without its text. */
export function keyHash(key: number, form: IdForm): number {
  let n = 0;
  for (let v = key; n === 0 || v > 0; v = Math.floor(v / 10)) DIGITS[n++] = 48 + (v % 10);
  while (n < form.width) DIGITS[n++] = 48;
  let a = FNV_START;
  let b = SECOND_START;
  for (let i = 0; i < form.prefix.length; i++) {
    const c = form.prefix.charCodeAt(i);
    a = fnv(a, c);
    b = second(b, c);
  }
  for (let i = n - 1; i >= 0; i--) {
    a = fnv(a, DIGITS[i]);
    b = second(b, DIGITS[i]);
  }
  return joined(a, b);
}

const FNV_START = 0x811c9dc5;
const SECOND_START = 0x9e3779b9;
const fnv = (a: number, c: number) => Math.imul(a ^ c, 0x01000193);
const second = (b: number, c: number) => {
  const h = Math.imul(b ^ c, 0x5bd1e995);
  return h ^ (h >>> 15);
};
const joined = (a: number, b: number) => (a >>> 0) * 0x100000 + ((b >>> 0) & 0xfffff);

/** The hashes of the ids of one export. */
export class IdHashes {
  private hashes = new Float64Array(1024);
  private n = 0;

  add(id: string): void {
    this.addHash(idHash(id));
  }

  /** Adds an id by its hash (idHash, keyHash). */
  addHash(h: number): void {
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
