/**
 * Distinct whole numbers -> ordinals, grown as numbers come: the table behind the item
 * join's orders (src/facts/order-index.ts) and the customers' duplicate check
 * (src/table/rows-by-id.ts), for ids that are numbers or a prefix and a number.
 *
 * Numbers go into a direct table over a window of numbers from the first one added
 * (`dense[v - base]`, 4 bytes a number), grown by doubling while it stays at least a
 * quarter full: numbers given in sequence are placed without a hash, and in order of
 * memory. Numbers outside the window go into an open-addressing hash table keyed by the
 * number itself, 12 bytes a slot; when the window grows over some of them, they move into
 * it, so a number is in exactly one of the two. So it holds at most 16 bytes a number.
 * Numbers are exact in a double (below 2^53) and never negative.
 *
 * Before any of that, numbers that come in sequence from the first one with ordinals 0, 1,
 * 2... (orders numbered and exported in order, each its next ordinal) keep no table at all:
 * the ordinal of such a number is its offset from the first. The first number out of that
 * sequence fills the direct table with the offsets so far, and from then on the index works
 * as above.
 */
import { slotHash } from "./id-index.js";

const EMPTY = -1;
/** The direct table grows only while at least 1 in DENSE_FILL of its slots would hold a number. */
const DENSE_FILL = 4;

export class NumberIndex {
  private dense = new Int32Array(0);
  private base = 0;
  private inDense = 0;
  private keys = new Float64Array(1 << 16);
  private slots = new Int32Array(1 << 16).fill(EMPTY);
  private mask = (1 << 16) - 1;
  private hashed = 0;
  /**
   * While true, the numbers added are base, base + 1, ... base + inDense - 1, with ordinals 0
   * to inDense - 1: the direct table would hold each its offset, so none is made.
   */
  private inRun = true;

  /** The ordinal of `v`, or -1. */
  get(v: number): number {
    const i = v - this.base;
    if (this.inRun) return i >= 0 && i < this.inDense ? i : EMPTY;
    if (i >= 0 && i < this.dense.length) return this.dense[i];
    if (this.hashed === 0) return -1;
    for (let s = slotHash(v) & this.mask; ; s = (s + 1) & this.mask) {
      const o = this.slots[s];
      if (o === EMPTY) return -1;
      if (this.keys[s] === v) return o;
    }
  }

  /** Gives `v` the ordinal `o` and returns -1, or returns the ordinal `v` already has. */
  add(v: number, o: number): number {
    if (this.inRun) {
      if (this.inDense === 0) this.base = v;
      const i = v - this.base;
      if (i === this.inDense && o === this.inDense) {
        this.inDense++;
        return EMPTY;
      }
      if (i >= 0 && i < this.inDense) return i;
      this.leaveRun();
    }
    if (this.dense.length === 0) {
      this.base = v;
      this.dense = new Int32Array(1 << 12).fill(EMPTY);
    }
    const i = v - this.base;
    if (i >= this.dense.length) this.widen(i);
    if (i >= 0 && i < this.dense.length) {
      const had = this.dense[i];
      if (had !== EMPTY) return had;
      this.dense[i] = o;
      this.inDense++;
      return EMPTY;
    }
    if ((this.hashed + 1) * 2 > this.slots.length) this.rehash();
    let s = slotHash(v) & this.mask;
    for (; this.slots[s] !== EMPTY; s = (s + 1) & this.mask) if (this.keys[s] === v) return this.slots[s];
    this.slots[s] = o;
    this.keys[s] = v;
    this.hashed++;
    return EMPTY;
  }

  /** Puts the run's numbers into the direct table (their ordinals are their offsets), which holds them from now on. */
  private leaveRun(): void {
    this.inRun = false;
    if (this.inDense === 0) return;
    let n = 1 << 12;
    while (n < this.inDense) n *= 2;
    this.dense = new Int32Array(n).fill(EMPTY);
    for (let i = 0; i < this.inDense; i++) this.dense[i] = i;
  }

  /**
   * Grows the window to hold offset `i` when it would be at least a quarter full, counting the
   * hash table's numbers (most lie ahead of the window after a gap in the numbering), and
   * moves those it then covers into it.
   */
  private widen(i: number): void {
    let n = this.dense.length;
    while (n <= i) n *= 2;
    if ((this.inDense + this.hashed + 1) * DENSE_FILL < n) return;
    const dense = new Int32Array(n).fill(EMPTY);
    dense.set(this.dense);
    this.dense = dense;
    if (this.hashed === 0) return;
    const keys = this.keys;
    const slots = this.slots;
    this.keys = new Float64Array(slots.length);
    this.slots = new Int32Array(slots.length).fill(EMPTY);
    this.hashed = 0;
    for (let s = 0; s < slots.length; s++) {
      if (slots[s] === EMPTY) continue;
      const at = keys[s] - this.base;
      if (at >= 0 && at < n) {
        dense[at] = slots[s];
        this.inDense++;
      } else this.insert(keys[s], slots[s]);
    }
  }

  /** Puts a number the table does not hold into the hash table. */
  private insert(v: number, o: number): void {
    let s = slotHash(v) & this.mask;
    while (this.slots[s] !== EMPTY) s = (s + 1) & this.mask;
    this.slots[s] = o;
    this.keys[s] = v;
    this.hashed++;
  }

  private rehash(): void {
    const oldKeys = this.keys;
    const oldSlots = this.slots;
    const n = oldSlots.length * 2;
    this.keys = new Float64Array(n);
    this.slots = new Int32Array(n).fill(EMPTY);
    this.mask = n - 1;
    for (let i = 0; i < oldSlots.length; i++) {
      if (oldSlots[i] === EMPTY) continue;
      let s = slotHash(oldKeys[i]) & this.mask;
      while (this.slots[s] !== EMPTY) s = (s + 1) & this.mask;
      this.slots[s] = oldSlots[i];
      this.keys[s] = oldKeys[i];
    }
  }
}
