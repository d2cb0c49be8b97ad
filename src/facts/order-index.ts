/**
 * The item join's per-order state in typed arrays: each order's ordinal, customer row and
 * timestamp, and per item-level aggregate one byte saying whether the order passed its
 * order-level conditions. No JavaScript object per order.
 *
 * Ids that are canonical whole numbers (digits only, no leading zero, at most 15 digits:
 * exact in a double), as most shops number their orders, are kept by their number in a
 * NumberIndex (src/table/number-index.ts): orders numbered in sequence are read and their
 * items joined through a direct table, without a hash, and in order of memory. Any other id
 * goes into a Map by its text. A number and a text never stand for the same id ("00123" is
 * text, "123" a number), so the two tables never disagree and the join stays exact.
 */
import { detach } from "../table/detach.js";
import { digitsFrom } from "../table/id-index.js";
import { NumberIndex } from "../table/number-index.js";

/** The id as a number when it is a canonical whole number of at most 15 digits, else -1. */
export function numericId(id: string): number {
  return digitsFrom(id, 0);
}

/** Orders by id: ordinal 0, 1, 2... in the order first added. */
export class OrderIndex {
  private readonly numbers = new NumberIndex();
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
}
