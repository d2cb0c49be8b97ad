/**
 * The single streaming pass per fact export: computes exactly the aggregates of a plan,
 * into typed arrays indexed by customer row. No fact row is kept. Rows dated on or after
 * the plan's `factsBefore` (the end of the as-of day in the zone) are left out of every
 * aggregate and counted.
 *
 * Orders with item conditions (or `orders.quantity`) need a second stream, over
 * order_items, joined to orders by `order_id` and read beside the orders (Pass.joinItems).
 * For that join the orders pass keeps, per order: its customer row, its timestamp (when a
 * first or last time is asked) and one bit per item-level aggregate saying whether the
 * order passed that aggregate's order-level conditions (and the as-of day), in typed
 * arrays (order-index.ts), and lets go of the orders the items have passed. When items
 * come in the orders' order that is about READ_AHEAD orders at a time; only one bit an
 * order per item-level aggregate stays for all of them, and ids that are text (kept in a
 * Map) or numbers out of sequence (a table) keep their slot. An item whose order is not
 * read when HOLD_LIMIT read-aheads are held waits for it (deferred-items.ts) rather than
 * reading on, so that an item of a missing order does not hold every order.
 */
import type { FactBatch, FactReadOptions } from "../ingest/project.js";
import type { TypedBatch, TypedValues } from "../ingest/typed-batch.js";
import type { FactExportName } from "../schema/exports.js";
import { FACT_EXPORT, FACT_TABLES, type FactTable } from "../segment/fields.js";
import type { AggregatePlan, ConditionPlan, Plan } from "../segment/plan.js";
import { emptyResult, type AggResult } from "./aggregates.js";
import { ConditionCache, conditionMask, encodeStrings, type StringCodes } from "./row-mask.js";
import { DataError } from "../errors.js";
import { phase } from "../timings.js";
import { OrderIndex } from "./order-index.js";
import { DEFER_LIMIT, DeferredItems } from "./deferred-items.js";
import { BitSet } from "../table/bitset.js";
import { NUMERIC_ID, type IdForm } from "../table/id-index.js";

/**
 * Orders the item join reads at a time when an item names an order not read yet: about
 * 13 MB of their state. Fewer turns between the two streams than a batch at a time, which
 * cost about 7% of a run at 1m (docs/performance.md).
 */
const READ_AHEAD = 1 << 20;

/** What the fact pass reads: the fact exports as typed batches with customer rows. */
export interface FactSource {
  hasFacts(name: FactExportName): boolean;
  /** Streams a fact export; `wanted` limits the columns typed (customer_id and the timestamp always come). */
  facts(name: FactExportName, wanted?: readonly string[], keyed?: Readonly<Record<string, IdForm>>, opts?: FactReadOptions): AsyncIterable<FactBatch>;
  /** Streams order_items for the item join, or undefined when there is no such export. */
  orderItems(wanted: readonly string[], keyed?: Readonly<Record<string, IdForm>>): AsyncIterable<TypedBatch> | undefined;
}

/** Aggregates by id, plus what the pass saw. */
export interface FactResults {
  results: Map<number, AggResult>;
  /** Rows dated after the as-of day, left out, per fact table read. */
  leftOut: Partial<Record<FactTable, number>>;
  /** Items whose order_id matched no order. */
  unmatchedItems: number;
  /** Things the user should know: conditions that could not match for want of data. */
  warnings: string[];
}

/** ANDs the masks of conditions over a batch, evaluating each distinct condition once. */
class BatchMasks {
  private readonly masks = new Map<string, Uint8Array>();
  /** Rows dated before another cut-off than the plan's (an aggregate's own `before`), by cut-off. */
  private readonly datedBefore = new Map<number, Uint8Array | undefined>();
  /** String columns encoded for their conditions (null: too many distinct values), by name. */
  private readonly encoded = new Map<string, StringCodes | null>();
  /** `shared`: the string columns two or more distinct conditions test, encoded once (encodeStrings). */
  constructor(
    private readonly batch: TypedBatch, private readonly timezone: string, private readonly cache: ConditionCache,
    private readonly dated: Uint8Array | undefined, private readonly ts?: Float64Array,
    private readonly shared: ReadonlySet<string> = new Set(),
  ) {}
  /**
   * The rows passing every condition, and dated before the as-of day's end when `dated` is
   * set (or before `before`, an aggregate's own cut-off, when given).
   */
  all(conds: ConditionPlan[], withDate = true, before?: number): Uint8Array | undefined {
    const base = !withDate ? undefined : before === undefined ? this.dated : this.datedFor(before);
    if (conds.length === 0) return base;
    const out = base ? base.slice() : new Uint8Array(this.batch.length).fill(1);
    for (const c of conds) {
      let m = this.masks.get(c.key);
      if (!m) this.masks.set(c.key, (m = conditionMask(c, this.batch.columns[c.column], this.batch.length, this.timezone, this.cache, this.codesOf(c.column))));
      for (let r = 0; r < out.length; r++) out[r] &= m[r];
    }
    return out;
  }

  private codesOf(name: string): StringCodes | undefined {
    const col = this.batch.columns[name];
    if (!this.shared.has(name) || !col || col.type !== "string") return undefined;
    let e = this.encoded.get(name);
    if (e === undefined) this.encoded.set(name, (e = encodeStrings(col.values, col.validity, this.batch.length) ?? null));
    return e ?? undefined;
  }

  private datedFor(before: number): Uint8Array | undefined {
    if (!this.ts) return undefined;
    if (!this.datedBefore.has(before)) this.datedBefore.set(before, datedMask(this.ts, this.batch.length, before).mask);
    return this.datedBefore.get(before);
  }
}

/**
 * 1 for the rows dated before `before` (or undated: such a row cannot be shown to be after
 * the day, so it is kept), 0 for those left out, and how many were; no mask when none were.
 */
function datedMask(ts: Float64Array, length: number, before: number): { mask: Uint8Array | undefined; left: number } {
  const out = new Uint8Array(length);
  let left = 0;
  for (let r = 0; r < length; r++) {
    if (ts[r] >= before) left++;
    else out[r] = 1;
  }
  return { mask: left === 0 ? undefined : out, left };
}

/** Sizes of the item join, for tests: the orders read ahead at a time (READ_AHEAD) and the items that may wait (DEFER_LIMIT). */
export interface JoinTuning {
  readAhead?: number;
  deferLimit?: number;
}

/** Runs one pass per fact table (of `tables`, default all) that any aggregate needs, and the item pass when asked. */
export async function computeFacts(source: FactSource, plan: Plan, customerCount: number, tables: readonly FactTable[] = FACT_TABLES, tuning: JoinTuning = {}): Promise<FactResults> {
  const results = new Map<number, AggResult>();
  for (const a of plan.aggregates) if (tables.includes(a.table)) results.set(a.id, emptyResult(customerCount, a.measures));
  const out: FactResults = { results, leftOut: {}, unmatchedItems: 0, warnings: [] };
  const cache = new ConditionCache();
  for (const table of tables) {
    const mine = plan.aggregates.filter((a) => a.table === table);
    if (mine.length === 0 || !source.hasFacts(FACT_EXPORT[table])) continue;
    const pass = new Pass(table, mine, results, plan, cache, out, tuning);
    await phase(`aggregate ${table}`, () => (table === "orders" ? pass.orders(source) : pass.simple(source)));
  }
  return out;
}

/** The columns that two or more distinct conditions of `aggs` test (at `level`). */
function sharedColumns(aggs: AggregatePlan[], level: "row" | "item"): Set<string> {
  const keys = new Map<string, Set<string>>();
  for (const a of aggs) {
    for (const c of level === "row" ? a.rowConditions : a.itemConditions) {
      let k = keys.get(c.column);
      if (!k) keys.set(c.column, (k = new Set()));
      k.add(c.key);
    }
  }
  return new Set([...keys].filter(([, k]) => k.size > 1).map(([name]) => name));
}

function columnsOf(aggs: AggregatePlan[], level: "row" | "item"): string[] {
  const cols = new Set<string>();
  for (const a of aggs) for (const c of level === "row" ? a.rowConditions : a.itemConditions) cols.add(c.column);
  return [...cols];
}

/** Adds the batch's rows that pass `mask` (all when undefined) and have a known customer. */
function accumulateBatch(res: AggResult, customer: Int32Array, mask: Uint8Array | undefined, ts: Float64Array | undefined, totals: Float64Array | undefined): void {
  for (let r = 0; r < customer.length; r++) {
    const cust = customer[r];
    if (cust < 0 || (mask && !mask[r])) continue;
    accumulate(res, cust, ts ? ts[r] : NaN, totals ? totals[r] : NaN);
  }
}

/** Adds a passing row to an aggregate. */
function accumulate(res: AggResult, cust: number, ts: number, total: number): void {
  res.count[cust]++;
  if (res.first.length && !Number.isNaN(ts) && !(res.first[cust] <= ts)) res.first[cust] = ts;
  if (res.last.length && !Number.isNaN(ts) && !(res.last[cust] >= ts)) res.last[cust] = ts;
  if (res.revenue.length && !Number.isNaN(total)) res.revenue[cust] += total;
}

/** A number column of a batch as values with NaN for null (or undefined when absent or of another type). */
function numbers(batch: TypedBatch, name: string, type: "datetime" | "decimal" | "integer"): Float64Array | undefined {
  const col = batch.columns[name];
  if (!col || col.type !== type) return undefined;
  const values = col.values.slice();
  for (let r = 0; r < batch.length; r++) if (!col.validity.has(r)) values[r] = NaN;
  return values;
}

/** One fact table's pass over its aggregates. */
class Pass {
  constructor(
    private readonly table: FactTable,
    private readonly aggs: AggregatePlan[],
    private readonly results: Map<number, AggResult>,
    private readonly plan: Plan,
    private readonly cache: ConditionCache,
    private readonly out: FactResults,
    private readonly tuning: JoinTuning,
  ) {
    out.leftOut[table] = 0;
  }

  /** 1 for rows dated before the cut-off (or undated), 0 for rows left out; counts the latter. */
  private dated(ts: Float64Array | undefined, length: number): Uint8Array | undefined {
    if (!ts) return undefined;
    const { mask, left } = datedMask(ts, length, this.plan.factsBefore);
    this.out.leftOut[this.table]! += left;
    return mask;
  }

  async simple(source: FactSource): Promise<void> {
    const tsName = this.aggs[0].timestamp;
    const shared = sharedColumns(this.aggs, "row");
    for await (const batch of source.facts(FACT_EXPORT[this.table], columnsOf(this.aggs, "row"))) {
      const ts = numbers(batch, tsName, "datetime");
      const masks = new BatchMasks(batch, this.plan.timezone, this.cache, this.dated(ts, batch.length), ts, shared);
      for (const a of this.aggs) accumulateBatch(this.results.get(a.id)!, batch.customer, masks.all(a.rowConditions, true, a.before), ts, undefined);
    }
  }

  async orders(source: FactSource): Promise<void> {
    // Aggregates without item conditions take their order measures from the orders alone,
    // even when they join the items for `quantity`.
    const orderLevel = this.aggs.filter((a) => a.itemConditions.length === 0);
    const itemLevel = this.aggs.filter((a) => a.joinsItems);
    const join = itemLevel.length > 0;
    const conditioned = columnsOf(this.aggs, "row");
    const wanted = [...conditioned, "total", ...(join ? ["id"] : [])];
    // Order ids no condition reads are read as numbers where they are plainly numbers (OrderIndex).
    const orderKeys: Record<string, IdForm> = conditioned.includes("id") ? {} : { id: NUMERIC_ID };
    // The item join's per-order state (see the file comment).
    // An order's time is read again only for the first and last times of orders with a passing item.
    const times = itemLevel.some((a) => a.itemConditions.length > 0 && (a.measures.includes("first") || a.measures.includes("last")));
    // Order-level measures of an aggregate with item conditions count the orders with a passing item.
    const counted = itemLevel.map((a) => a.itemConditions.length > 0);
    const orders = new OrderIndex(itemLevel.length, times, counted);
    const itemJoin = new ItemJoin(itemLevel.map((a) => this.results.get(a.id)!), counted, orders, this.tuning.deferLimit ?? DEFER_LIMIT);
    const shared = sharedColumns(this.aggs, "row");
    const passMasks = (masks: BatchMasks) => itemLevel.map((a) => masks.all(a.rowConditions, true, a.before));
    let orderRows = 0;
    let orderIds = false;
    /** Once the items are read, only the orders that items wait for (DeferredItems) are indexed. */
    let itemsRead = false;
    const index = (key: number, id: string, customer: number, t: number, passes: Uint8Array): number => {
      const waiting = itemJoin.deferred;
      if (itemsRead && !waiting.waits(key, id)) return -1;
      const o = key === key ? orders.addKey(key, customer, t, passes) : orders.add(id, customer, t, passes);
      if (o >= 0 && waiting.size > 0) itemJoin.arrived(o, waiting.take(key, id));
      return o;
    };
    const stream = source.facts("orders", wanted, orderKeys)[Symbol.asyncIterator]();
    let ordersDone = false;
    /** Reads the next batch of orders into the order-level aggregates and the index; false at the end. */
    const readOrders = async (): Promise<boolean> => {
      const next = await stream.next();
      if (next.done) {
        ordersDone = true;
        return false;
      }
      const batch = next.value;
      orderRows += batch.length;
      if (batch.columns.id) orderIds = true;
      const ts = numbers(batch, "created_at", "datetime");
      const totals = numbers(batch, "total", "decimal");
      const masks = new BatchMasks(batch, this.plan.timezone, this.cache, this.dated(ts, batch.length), ts, shared);
      for (const a of orderLevel) accumulateBatch(this.results.get(a.id)!, batch.customer, masks.all(a.rowConditions, true, a.before), ts, totals);
      if (join && !(itemsRead && itemJoin.deferred.size === 0)) indexOrders(batch, passMasks(masks), ts, index);
      return true;
    };
    const itemConditioned = columnsOf(itemLevel, "item");
    const itemCols = ["order_id", "quantity", "price", ...itemConditioned];
    // Without order_items, bind has warned already (the schema says so).
    const items = join ? source.orderItems(itemCols, itemConditioned.includes("order_id") ? {} : { order_id: NUMERIC_ID }) : undefined;
    // Orders are read ahead of the items a few chunks at a time: fewer turns between the two streams.
    const readAhead = this.tuning.readAhead ?? READ_AHEAD;
    const readOn = async (): Promise<boolean> => {
      const until = orders.size + readAhead;
      let read = false;
      while (orders.size < until && (await readOrders())) read = true;
      return read;
    };
    try {
      const again = () => source.facts("orders", wanted, orderKeys, { again: true });
      if (items) await this.joinItems(items, itemLevel, itemJoin, () => ordersDone, readOn, HOLD_LIMIT * readAhead, (below) => this.restoreOrders(again(), orders, below, shared, passMasks));
      itemsRead = true;
      while (await readOrders());
    } finally {
      // An error in the items leaves the orders half read: their file is closed here.
      if (!ordersDone) await stream.return?.();
    }
    if (items) itemJoin.finish(this.out);
    if (join && items && !orderIds && orderRows > 0) {
      this.out.warnings.push("conditions on order items match no order: the orders export has no `id` column to join items by");
    }
  }

  /**
   * An item of an order whose state was let go: reads the orders again (`reread`, a read
   * that adds nothing to the report) until every order below `below` is restored.
   */
  private async restoreOrders(reread: AsyncIterable<FactBatch>, orders: OrderIndex, below: number, shared: Set<string>, passMasks: (masks: BatchMasks) => Array<Uint8Array | undefined>): Promise<void> {
    const restored = new BitSet(below);
    let left = below;
    for await (const batch of reread) {
      const ts = numbers(batch, "created_at", "datetime");
      const dated = ts ? datedMask(ts, batch.length, this.plan.factsBefore).mask : undefined;
      const masks = new BatchMasks(batch, this.plan.timezone, this.cache, dated, ts, shared);
      indexOrders(batch, passMasks(masks), ts, (key, id, customer, t, passes) => {
        const o = key === key ? orders.getKey(key) : orders.get(id);
        // The first row of an id is the one the index holds (a repeat fails the run anyway).
        if (o >= 0 && o < below && !restored.has(o)) {
          restored.add(o);
          orders.restore(o, customer, t, passes);
          left--;
        }
        return o;
      });
      if (left === 0) break;
    }
    if (left > 0) throw new DataError([{ message: `the orders export changed while it was read: ${left} orders read before are not in it now`, hint: "let the export finish writing, then run again" }]);
    orders.restored();
  }

  /**
   * The item join, streamed beside the orders: an item whose order is not read yet reads
   * orders until it is (or they end), and the chunks of orders that the items have passed
   * are counted and let go (OrderIndex.release), so that for items in the orders' order only
   * the orders between the items read and the orders read are held. An item of an order let
   * go calls `reread(end)`, which restores the orders below `end`; nothing is let go after.
   * An item whose order is still not read when `holdLimit` orders are held waits for it
   * (DeferredItems) instead of reading on, while there is room.
   */
  private async joinItems(items: AsyncIterable<TypedBatch>, itemLevel: AggregatePlan[], join: ItemJoin, ordersDone: () => boolean, readOrders: () => Promise<boolean>, holdLimit: number, reread: (end: number) => Promise<void>): Promise<void> {
    const sharedItems = sharedColumns(itemLevel, "item");
    const { orders, deferred } = join;
    // Chunks are let go oldest first, only those wholly below every item of the batch just
    // joined, and only once items have named an order of the first chunk or the batch's items
    // are none of them below those of the batches before it. Items in the orders' order start
    // in the first chunk, or later when the first orders have no items, and move up; items
    // backwards go lower with every batch and reach the first chunk last, and items at random
    // name an early order in every batch: for them nothing is let go.
    let lowestChunk = Infinity;
    /** The lowest order the items of the batches before this one named. */
    let lowestBefore = Infinity;
    let mayRelease = true;
    const waiting: number[] = [];
    for await (const batch of items) {
      const masks = new BatchMasks(batch, this.plan.timezone, this.cache, undefined, undefined, sharedItems);
      const ids = batch.columns.order_id;
      const qty = numbers(batch, "quantity", "integer");
      const price = numbers(batch, "price", "decimal");
      const ordinals = new Int32Array(batch.length).fill(-1);
      let lowest = Infinity;
      waiting.length = 0;
      if (ids && ids.type === "id") {
        // The lookups run in a plain loop, which stops at an order not read yet or let go.
        for (let r = 0; (r = lookUpOrders(ids, orders, ordinals, r, ordersDone())) < batch.length; ) {
          if (orderOf(ids, orders, r) >= 0) {
            await reread(OrderIndex.chunkStart(orders.releasedChunks));
            mayRelease = false;
          } else if (mayRelease && waiting.length < deferred.room && orders.size - OrderIndex.chunkStart(orders.releasedChunks) >= holdLimit) {
            ordinals[r] = WAITING;
            waiting.push(r++);
          } else await readOrders();
        }
        // An order read for a later item of the batch may be one an earlier item was to wait for.
        for (let w = waiting.length - 1; w >= 0; w--) {
          const o = orderOf(ids, orders, waiting[w]);
          if (o < 0) continue;
          ordinals[waiting[w]] = o;
          waiting.splice(w, 1);
        }
        for (let r = 0; r < batch.length; r++) {
          const o = ordinals[r];
          if (o === -1) this.out.unmatchedItems++;
          else if (o >= 0 && o < lowest) lowest = o;
        }
      }
      const itemMasks = itemLevel.map((a) => masks.all(a.itemConditions, false));
      itemMasks.forEach((mask, k) => {
        for (let r = 0; r < batch.length; r++) {
          const o = ordinals[r];
          if (o < 0 || (mask && !mask[r])) continue;
          // An item with no quantity is one unit; one with no price adds nothing to revenue.
          join.add(k, o, qty && !Number.isNaN(qty[r]) ? qty[r] : 1, price ? price[r] : NaN);
        }
      });
      // Only rows of an id column wait (the lookups above).
      const keys = waiting.length ? (ids as IdValues).keys : undefined;
      for (const r of waiting) deferred.add(keys ? keys[r] : NaN, (ids as IdValues).values[r], qty && !Number.isNaN(qty[r]) ? qty[r] : 1, price ? price[r] : NaN, (k) => !itemMasks[k] || itemMasks[k]![r] === 1);
      // The chunks wholly below every item of this batch: counted, then let go. A batch in
      // which no item has an order says nothing of where the items are.
      if (lowest === Infinity) continue;
      const movedUp = lowest >= lowestBefore;
      lowestBefore = Math.min(lowestBefore, lowest);
      lowestChunk = Math.min(lowestChunk, OrderIndex.chunkOf(lowest));
      if (mayRelease && (lowestChunk === 0 || movedUp)) {
        while (OrderIndex.chunkStart(join.settled + 1) <= lowest) join.settle();
        while (orders.releasedChunks < join.settled) orders.release();
      }
    }
  }
}

/** Orders the join may hold, in read-aheads, before an item of an order not read yet waits for it (DeferredItems). */
const HOLD_LIMIT = 4;

/**
 * What the item join adds up: per item-level aggregate, the quantity and revenue of the
 * items that pass, and for aggregates with item conditions the order measures (count, first
 * and last times) of the orders with such an item, counted a chunk of orders at a time.
 */
class ItemJoin {
  /** Chunks below this one have had their hits counted (their orders' measures added). */
  settled = 0;
  readonly deferred: DeferredItems;

  /** `counted[k]`: aggregate k has item conditions, and counts orders with a passing item. */
  constructor(private readonly results: AggResult[], private readonly counted: boolean[], readonly orders: OrderIndex, deferLimit: number) {
    this.deferred = new DeferredItems(results.length, deferLimit);
  }

  /** Adds an item of order `o` that passed aggregate k's item conditions: `q` units at `price` (NaN: none). */
  add(k: number, o: number, q: number, price: number): void {
    const orders = this.orders;
    if (!orders.passed(k, o)) return;
    const cust = orders.customer(o);
    const res = this.results[k];
    // An order whose chunk was counted already is counted as its first passing item comes.
    if (this.counted[k] && orders.hit(k, o) && OrderIndex.chunkOf(o) < this.settled && cust >= 0) accumulate(res, cust, orders.ts(o), NaN);
    if (cust < 0) return;
    if (res.quantity.length) res.quantity[cust] += q;
    if (this.counted[k] && res.revenue.length && !Number.isNaN(price)) res.revenue[cust] += price * q;
  }

  /** Joins the items that waited for order `o`, now read (DeferredItems.take). */
  arrived(o: number, waiting: number[] | undefined): void {
    if (!waiting) return;
    const d = this.deferred;
    for (const e of waiting) for (let k = 0; k < this.results.length; k++) if (d.passed(e, k)) this.add(k, o, d.quantity(e), d.price(e));
  }

  /** Counts the orders of the next chunk with a passing item. */
  settle(): void {
    const c = this.settled++;
    this.results.forEach((res, k) => {
      if (!this.counted[k]) return;
      this.orders.forEachHit(k, c, (o) => {
        const cust = this.orders.customer(o);
        if (cust >= 0) accumulate(res, cust, this.orders.ts(o), NaN);
      });
    });
  }

  /** After the last order: counts the chunks left, and the items still waiting as items of no order. */
  finish(out: FactResults): void {
    while (this.settled < this.orders.chunks) this.settle();
    out.unmatchedItems += this.deferred.size;
  }
}

/** An item row of the batch that waits for its order (DeferredItems). */
const WAITING = -3;

type IdValues = Extract<TypedValues, { type: "id" | "string" }>;

/** orderOf() of an item row without an order id. */
const NO_ORDER_ID = -2;

/** The ordinal of the order item row `r` names, -1 when none is known, or NO_ORDER_ID. */
function orderOf(ids: IdValues, orders: OrderIndex, r: number): number {
  const keys = ids.keys;
  if (keys !== undefined && keys[r] === keys[r]) return orders.getKey(keys[r]);
  return ids.validity.has(r) ? orders.get(ids.values[r]) : NO_ORDER_ID;
}

/**
 * Puts the ordinals of the orders item rows `from`... name into `ordinals` (-1 stays for
 * none) until a row whose order is let go, or not read yet while `all` (every order read)
 * is false; returns that row, or the batch's length.
 */
function lookUpOrders(ids: IdValues, orders: OrderIndex, ordinals: Int32Array, from: number, all: boolean): number {
  for (let r = from; r < ordinals.length; r++) {
    const o = orderOf(ids, orders, r);
    if (o === NO_ORDER_ID) continue;
    if (o < 0 ? !all : orders.released(o)) return r;
    ordinals[r] = o;
  }
  return ordinals.length;
}

/** Calls `add` with each order of the batch that has an id: its number (NaN when text), text, customer, time and passes. */
function indexOrders(batch: FactBatch, passMasks: Array<Uint8Array | undefined>, ts: Float64Array | undefined, add: (key: number, id: string, customer: number, ts: number, passes: Uint8Array) => number): void {
  const ids = batch.columns.id;
  if (!ids || ids.type !== "id") return;
  const passes = new Uint8Array(passMasks.length);
  const keys = ids.keys;
  for (let r = 0; r < batch.length; r++) {
    const key = keys ? keys[r] : NaN;
    if (key !== key && !ids.validity.has(r)) continue;
    for (let k = 0; k < passMasks.length; k++) passes[k] = passMasks[k] ? passMasks[k]![r] : 1;
    add(key, key === key ? "" : ids.values[r], batch.customer[r], ts ? ts[r] : NaN, passes);
  }
}
