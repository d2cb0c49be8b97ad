/**
 * Items the streamed item join could not place yet: their order is not among the orders
 * read, and reading on until it is would hold the state of every order in between (13 bytes
 * each, Pass.joinItems). An item of an order the orders export does not have (a deleted
 * test order, an orders export cut to a date range the items' is not) would otherwise read
 * all the remaining orders into memory at once, and one such item early in the file was
 * enough to lose what streaming the join saves.
 *
 * Each item waits here with what it adds: its quantity, its price and, per item-level
 * aggregate, whether it passed that aggregate's item conditions. When its order is read it is
 * joined then (`take`); items whose order never comes are counted as items of no order. At
 * most `limit` items wait (about 30 bytes each); past that the join reads on as before.
 */
import { numericId } from "./order-index.js";

/** Items that may wait at once: about 2 MB. */
export const DEFER_LIMIT = 1 << 16;

export class DeferredItems {
  /** Waiting items by their order: its number (numericId), or its text for any other id (a number and a text never meet in a Map). */
  private readonly byOrder = new Map<number | string, number[]>();
  private readonly quantities: number[] = [];
  private readonly prices: number[] = [];
  /** Per item added, one flag per aggregate: passed its item conditions (made at the first). */
  private passes = new Uint8Array(0);
  private used = 0;
  /** Items waiting now. */
  size = 0;

  constructor(private readonly aggregates: number, readonly limit = DEFER_LIMIT) {}

  /** How many more items may wait. */
  get room(): number {
    return this.limit - this.used;
  }

  /**
   * Lets an item of order `key` (its number; NaN when the id is the text `id`) wait, with its
   * quantity, price (NaN: none) and `passed(k)` for each aggregate. Call only while there is room.
   */
  add(key: number, id: string, quantity: number, price: number, passed: (k: number) => boolean): void {
    if (this.used >= this.limit) throw new RangeError("no room for another item to wait");
    if (this.used === 0) this.passes = new Uint8Array(this.limit * this.aggregates);
    const e = this.used++;
    this.quantities.push(quantity);
    this.prices.push(price);
    for (let k = 0; k < this.aggregates; k++) this.passes[e * this.aggregates + k] = passed(k) ? 1 : 0;
    const k = orderKey(key, id);
    const list = this.byOrder.get(k);
    if (list) list.push(e);
    else this.byOrder.set(k, [e]);
    this.size++;
  }

  /** True when items wait for order `key` (or text `id`). */
  waits(key: number, id: string): boolean {
    return this.size > 0 && this.byOrder.has(orderKey(key, id));
  }

  /** The items waiting for order `key` (or text `id`, as add() takes them), no longer waiting; undefined when none. */
  take(key: number, id: string): number[] | undefined {
    if (this.size === 0) return undefined;
    const k = orderKey(key, id);
    const items = this.byOrder.get(k);
    if (items === undefined) return undefined;
    this.byOrder.delete(k);
    this.size -= items.length;
    return items;
  }

  quantity(e: number): number {
    return this.quantities[e];
  }

  price(e: number): number {
    return this.prices[e];
  }

  /** True when waiting item `e` passed the item conditions of aggregate `k`. */
  passed(e: number, k: number): boolean {
    return this.passes[e * this.aggregates + k] === 1;
  }
}

/** An order's key in the Map: its number (`key`, or the text's numericId), or else its text. */
function orderKey(key: number, id: string): number | string {
  if (key === key) return key;
  const v = numericId(id);
  return v >= 0 ? v : id;
}
