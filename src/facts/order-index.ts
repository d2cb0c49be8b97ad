/**
 * The item join's per-order state in typed arrays: each order's ordinal, customer row and
 * timestamp, and per item-level aggregate one byte saying whether the order passed its
 * order-level conditions. No JavaScript object per order.
 *
 * Ids that are canonical whole numbers (digits only, no leading zero, at most 15 digits:
 * exact in a double), as most shops number their orders, go into a direct table over a
 * window of numbers from the first one seen (`dense[v - base]`, 4 bytes a number), grown by
 * doubling while it stays at least a quarter full: orders numbered in sequence are read and
 * their items joined without a hash, and in order of memory. Numbers outside the window go
 * into an open-addressing hash table keyed by the number itself, 12 bytes a slot; when the
 * window grows over some of them, they move into it, so a number is in exactly one of the
 * two. Any other id goes into a Map by its text. A number and a text never stand for the same id ("00123" is text, "123" a number),
 * so the two tables never disagree and the join stays exact.
 */
import { detach } from "../table/detach.js";
import { digitsFrom, slotHash } from "../table/id-index.js";

const EMPTY = -1;
/** The direct table grows only while at least 1 in DENSE_FILL of its slots would hold an order. */
const DENSE_FILL = 4;

/** The id as a number when it is a canonical whole number of at most 15 digits, else -1. */
export function numericId(id: string): number {
  return digitsFrom(id, 0);
}

/** Orders by id: ordinal 0, 1, 2... in the order first added. */
export class OrderIndex {
  private dense = new Int32Array(0);
  private base = 0;
  private inDense = 0;
  private keys = new Float64Array(1 << 16);
  private slots = new Int32Array(1 << 16).fill(EMPTY);
  private mask = (1 << 16) - 1;
  private numeric = 0;
  private readonly texts = new Map<string, number>();
  /** Per ordinal: the customer row (-1: unknown) and the timestamp (NaN: none). */
  customer = new Int32Array(1024);
  ts = new Float64Array(1024);
  /** Per item-level aggregate, per ordinal: 1 when the order passed its conditions. */
  readonly pass: Uint8Array[];
  size = 0;

  constructor(aggregates: number) {
    this.pass = Array.from({ length: aggregates }, () => new Uint8Array(1024));
  }

  /** The ordinal of an id, or -1. */
  get(id: string): number {
    const v = numericId(id);
    return v < 0 ? this.texts.get(id) ?? -1 : this.getKey(v);
  }

  /** The ordinal of the id whose number is `v` (numericId), or -1. */
  getKey(v: number): number {
    const i = v - this.base;
    if (i >= 0 && i < this.dense.length) return this.dense[i];
    if (this.numeric === 0) return -1;
    for (let s = slotHash(v) & this.mask; ; s = (s + 1) & this.mask) {
      const o = this.slots[s];
      if (o === EMPTY) return -1;
      if (this.keys[s] === v) return o;
    }
  }

  /** Adds an order unless its id is known (the first row of an id wins); its ordinal or -1. */
  add(id: string, customer: number, ts: number, passes: ArrayLike<number>): number {
    const v = numericId(id);
    if (v >= 0) return this.addKey(v, customer, ts, passes);
    if (this.texts.has(id)) return -1;
    this.texts.set(detach(id), this.size);
    return this.place(customer, ts, passes);
  }

  /** add() of the id whose number is `v` (numericId). */
  addKey(v: number, customer: number, ts: number, passes: ArrayLike<number>): number {
    if (this.dense.length === 0) {
      this.base = v;
      this.dense = new Int32Array(1 << 12).fill(EMPTY);
    }
    const i = v - this.base;
    if (i >= this.dense.length) this.widen(i);
    if (i >= 0 && i < this.dense.length) {
      if (this.dense[i] !== EMPTY) return -1;
      this.dense[i] = this.size;
      this.inDense++;
      return this.place(customer, ts, passes);
    }
    if ((this.numeric + 1) * 2 > this.slots.length) this.rehash();
    let s = slotHash(v) & this.mask;
    for (; this.slots[s] !== EMPTY; s = (s + 1) & this.mask) if (this.keys[s] === v) return -1;
    this.slots[s] = this.size;
    this.keys[s] = v;
    this.numeric++;
    return this.place(customer, ts, passes);
  }

  /** The per-order state of the next ordinal; that ordinal. */
  private place(customer: number, ts: number, passes: ArrayLike<number>): number {
    const o = this.size;
    if (o === this.customer.length) this.grow();
    this.customer[o] = customer;
    this.ts[o] = ts;
    for (let k = 0; k < this.pass.length; k++) this.pass[k][o] = passes[k];
    this.size++;
    return o;
  }

  private grow(): void {
    const n = this.customer.length * 2;
    const c = new Int32Array(n);
    c.set(this.customer);
    this.customer = c;
    const t = new Float64Array(n);
    t.set(this.ts);
    this.ts = t;
    for (let k = 0; k < this.pass.length; k++) {
      const p = new Uint8Array(n);
      p.set(this.pass[k]);
      this.pass[k] = p;
    }
  }

  /**
   * Grows the window to hold offset `i` when it would be at least a quarter full, counting the
   * hash table's numbers (most lie ahead of the window after a gap in the numbering), and
   * moves those it then covers into it. So it holds at most 16 bytes an order.
   */
  private widen(i: number): void {
    let n = this.dense.length;
    while (n <= i) n *= 2;
    if ((this.inDense + this.numeric + 1) * DENSE_FILL < n) return;
    const dense = new Int32Array(n).fill(EMPTY);
    dense.set(this.dense);
    this.dense = dense;
    if (this.numeric === 0) return;
    const keys = this.keys;
    const slots = this.slots;
    this.keys = new Float64Array(slots.length);
    this.slots = new Int32Array(slots.length).fill(EMPTY);
    this.numeric = 0;
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
    this.numeric++;
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
