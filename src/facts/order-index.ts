/**
 * The item join's per-order state in typed arrays: each order's ordinal, customer row and
 * timestamp, and per item-level aggregate one bit saying whether the order passed its
 * order-level conditions. No JavaScript object per order.
 *
 * Ids that are canonical whole numbers (digits only, no leading zero, at most 15 digits:
 * exact in a double), as most shops number their orders, are kept by their number in a
 * NumberIndex (src/table/number-index.ts): orders numbered in sequence are read and their
 * items joined through a direct table, without a hash, and in order of memory. Any other id
 * goes into a Map by its text. A number and a text never stand for the same id ("00123" is
 * text, "123" a number), so the two tables never disagree and the join stays exact.
 */
import { BitSet } from "../table/bitset.js";
import { detach } from "../table/detach.js";
import { digitsFrom } from "../table/id-index.js";
import { NumberIndex } from "../table/number-index.js";

/** The id as a number when it is a canonical whole number of at most 15 digits, else -1. */
export function numericId(id: string): number {
  return digitsFrom(id, 0);
}

/** Ordinals per chunk of the per-order arrays: at most one chunk (about 0.9 MB) not yet used. */
const CHUNK_BITS = 16;
const CHUNK = 1 << CHUNK_BITS;
const IN_CHUNK = CHUNK - 1;
/** What a chunk let go holds (OrderIndex.release). */
const NO_CUSTOMERS = new Int32Array(0);
const NO_TIMES = new Float64Array(0);
const NO_FLAGS = new BitSet(0);

/**
 * Orders by id: ordinal 0, 1, 2... in the order first added. The per-order state is kept in
 * chunks of 65,536 orders, so it grows without copying and without a doubled array's
 * spare half: per order 4 bytes of customer, 8 of time (only when an aggregate with item
 * conditions has a first or last time to find) and one bit per item-level aggregate, and
 * nothing for the ids of orders numbered in sequence.
 *
 * While the items are joined, each item that passes marks its order (`hit`), one bit per
 * order and item-level aggregate. The join lets go of the chunks its items have passed
 * (`release`, oldest first): their customers, times and flags are dropped and only their
 * hits stay. An item of an order in a chunk let go (`released`) needs that state back: the
 * join reads it again from the orders (`restore`) and lets nothing go from then on.
 */
export class OrderIndex {
  private readonly numbers = new NumberIndex();
  private readonly texts = new Map<string, number>();
  private readonly customers: Int32Array[] = [];
  private readonly times: Float64Array[] = [];
  /** Per item-level aggregate, per chunk: the orders that passed its order-level conditions. */
  private readonly passes: BitSet[][];
  /** Per item-level aggregate that counts orders, per chunk: the orders with an item that passed (hit()); empty for the others. */
  private readonly hits: BitSet[][];
  private readonly hitAggregates: number[];
  size = 0;
  /** The chunks below this one are let go (release()): their orders' state is dropped. */
  releasedChunks = 0;
  /** The arrays of chunks let go, for the next chunks: no new memory while the join moves on. */
  private readonly spare: Array<{ customers: Int32Array; times: Float64Array; passes: BitSet[] }> = [];

  /**
   * `keepTimes`: false when no aggregate reads an order's time after the orders are read
   * (ts() is then NaN); `countsOrders[k]`: false when aggregate k never asks which orders had
   * a passing item (it joins items for their quantity only), so it keeps no hits.
   */
  constructor(aggregates: number, private readonly keepTimes = true, countsOrders: readonly boolean[] = []) {
    this.passes = Array.from({ length: aggregates }, () => []);
    this.hits = Array.from({ length: aggregates }, () => []);
    this.hitAggregates = this.hits.map((_, k) => k).filter((k) => countsOrders[k] !== false);
  }

  /** The chunks started so far (the last one partly filled). */
  get chunks(): number {
    return this.customers.length;
  }

  /** The chunk of an ordinal. */
  static chunkOf(o: number): number {
    return o >> CHUNK_BITS;
  }

  /** The first ordinal of chunk `c`. */
  static chunkStart(c: number): number {
    return c << CHUNK_BITS;
  }

  /** True when the order's chunk is let go: its customer, time and flags must be restored before use. */
  released(o: number): boolean {
    return o >> CHUNK_BITS < this.releasedChunks;
  }

  /** Marks order `o` as having an item that passed aggregate `k` (one that counts orders); false when it was marked already. */
  hit(k: number, o: number): boolean {
    const set = this.hits[k][o >> CHUNK_BITS];
    const j = o & IN_CHUNK;
    if (set.has(j)) return false;
    set.add(j);
    return true;
  }

  /** Calls `fn` with each order of chunk `c` marked for aggregate `k`, in order. */
  forEachHit(k: number, c: number, fn: (o: number) => void): void {
    const base = c << CHUNK_BITS;
    this.hits[k][c].forEach((j) => fn(base + j));
  }

  /** Lets go of the oldest chunk not let go yet: its customers, times and flags (its hits stay). */
  release(): void {
    const c = this.releasedChunks++;
    this.spare.push({ customers: this.customers[c], times: this.keepTimes ? this.times[c] : NO_TIMES, passes: this.passes.map((chunks) => chunks[c]) });
    this.customers[c] = NO_CUSTOMERS;
    if (this.keepTimes) this.times[c] = NO_TIMES;
    for (const chunks of this.passes) chunks[c] = NO_FLAGS;
  }

  /** Puts back the state of an order of a chunk let go, as add() first gave it; call restored() once all are back. */
  restore(o: number, customer: number, ts: number, passes: ArrayLike<number>): void {
    const c = o >> CHUNK_BITS;
    if (this.customers[c] === NO_CUSTOMERS) {
      this.customers[c] = new Int32Array(CHUNK);
      if (this.keepTimes) this.times[c] = new Float64Array(CHUNK);
      for (const chunks of this.passes) chunks[c] = new BitSet(CHUNK);
    }
    const j = o & IN_CHUNK;
    this.customers[c][j] = customer;
    if (this.keepTimes) this.times[c][j] = ts;
    for (let k = 0; k < this.passes.length; k++) if (passes[k]) this.passes[k][c].add(j);
  }

  /** Every chunk let go has been restored. */
  restored(): void {
    this.releasedChunks = 0;
  }

  /** The ordinal of an id, or -1. */
  get(id: string): number {
    const v = numericId(id);
    return v < 0 ? this.texts.get(id) ?? -1 : this.getKey(v);
  }

  /** The ordinal of the id whose number is `v` (numericId), or -1. */
  getKey(v: number): number {
    return this.numbers.get(v);
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
    return this.numbers.add(v, this.size) === -1 ? this.place(customer, ts, passes) : -1;
  }

  /** The customer row of an order (-1: unknown). */
  customer(o: number): number {
    return this.customers[o >> CHUNK_BITS][o & IN_CHUNK];
  }

  /** The timestamp of an order (NaN: none, or times not kept). */
  ts(o: number): number {
    return this.keepTimes ? this.times[o >> CHUNK_BITS][o & IN_CHUNK] : NaN;
  }

  /** True when the order passed the order-level conditions of item-level aggregate `k`. */
  passed(k: number, o: number): boolean {
    return this.passes[k][o >> CHUNK_BITS].has(o & IN_CHUNK);
  }

  /** The per-order state of the next ordinal; that ordinal. */
  private place(customer: number, ts: number, passes: ArrayLike<number>): number {
    const o = this.size;
    const c = o >> CHUNK_BITS;
    if (c === this.customers.length) {
      // Every slot of a chunk's customers and times is set as its order is placed; flags are cleared.
      const reused = this.spare.pop();
      this.customers.push(reused?.customers ?? new Int32Array(CHUNK));
      if (this.keepTimes) this.times.push(reused?.times ?? new Float64Array(CHUNK));
      this.passes.forEach((chunks, k) => chunks.push(reused ? reused.passes[k].clear() : new BitSet(CHUNK)));
      for (const k of this.hitAggregates) this.hits[k].push(new BitSet(CHUNK));
    }
    const j = o & IN_CHUNK;
    this.customers[c][j] = customer;
    if (this.keepTimes) this.times[c][j] = ts;
    for (let k = 0; k < this.passes.length; k++) if (passes[k]) this.passes[k][c].add(j);
    this.size++;
    return o;
  }
}
