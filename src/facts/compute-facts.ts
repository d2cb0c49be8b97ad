/**
 * The single streaming pass per fact export: computes exactly the aggregates the compiled
 * segments asked for, into typed arrays indexed by customer row. No fact row is kept.
 *
 * Orders with item conditions (or `orders.quantity`) need a second stream, over
 * order_items, joined to orders by `order_id`. For that join the orders pass keeps, per
 * order: its customer row, its timestamp, and one byte per item-level aggregate saying
 * whether the order passed that aggregate's order-level conditions. That is the only memory
 * that grows with orders: about 150 bytes per order as measured by the bench (the id string
 * and its map entry dominate; typed arrays for the rest would save a little).
 */
import type { FactBatch, Project } from "../ingest/project.js";
import type { TypedBatch } from "../ingest/typed-batch.js";
import { FACT_EXPORT, type FactTable } from "../segment/fields.js";
import { SCHEMAS } from "../ingest/schema.js";
import { needsItems, type AggResult, type AggSpec, type RowCondition } from "./fact-spec.js";
import { ConditionCache, conditionMask } from "./row-mask.js";
import { detach } from "../table/detach.js";

/** Aggregates by spec id, plus counts for summaries. */
export interface FactResults {
  results: Map<number, AggResult>;
  /** Items whose order_id matched no order. */
  unmatchedItems: number;
  /** Things the user should know: conditions that could not match for want of data. */
  warnings: string[];
}

function emptyResult(n: number, spec: AggSpec): AggResult {
  const has = (m: string) => spec.needs.has(m as never);
  return {
    count: new Int32Array(n),
    first: has("first") ? new Float64Array(n).fill(NaN) : new Float64Array(0),
    last: has("last") ? new Float64Array(n).fill(NaN) : new Float64Array(0),
    revenue: has("revenue") ? new Float64Array(n) : new Float64Array(0),
    quantity: has("quantity") ? new Float64Array(n) : new Float64Array(0),
  };
}

/** ANDs the masks of conditions over a batch, evaluating each distinct condition once. */
class BatchMasks {
  private readonly masks = new Map<string, Uint8Array>();
  constructor(private readonly batch: TypedBatch, private readonly timezone: string, private readonly cache: ConditionCache) {}
  all(conds: RowCondition[]): Uint8Array | undefined {
    if (conds.length === 0) return undefined;
    const out = new Uint8Array(this.batch.length).fill(1);
    for (const c of conds) {
      let m = this.masks.get(c.key);
      if (!m) this.masks.set(c.key, (m = conditionMask(c, this.batch.columns[c.column], this.batch.length, this.timezone, this.cache, c.ignoreYear)));
      for (let r = 0; r < out.length; r++) out[r] &= m[r];
    }
    return out;
  }
}

/** Runs one pass per fact table that any spec needs, and the item pass when asked. */
export async function computeFacts(project: Project, specs: AggSpec[], customerCount: number, timezone: string): Promise<FactResults> {
  const results = new Map<number, AggResult>();
  for (const s of specs) results.set(s.id, emptyResult(customerCount, s));
  const out: FactResults = { results, unmatchedItems: 0, warnings: [] };
  const cache = new ConditionCache();
  for (const table of Object.keys(FACT_EXPORT) as FactTable[]) {
    const mine = specs.filter((s) => s.table === table);
    if (mine.length === 0 || !project.hasFacts(FACT_EXPORT[table])) continue;
    if (table === "orders") await ordersPass(project, mine, results, timezone, cache, out);
    else await simplePass(project, table, mine, results, timezone, cache);
  }
  return out;
}

function columnsOf(specs: AggSpec[], level: "row" | "item"): string[] {
  const cols = new Set<string>();
  for (const s of specs) for (const c of level === "row" ? s.rowConds : s.itemConds) cols.add(c.column);
  return [...cols];
}

function timestampOf(table: FactTable): string {
  return SCHEMAS[FACT_EXPORT[table]].timestamp!;
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

async function simplePass(project: Project, table: FactTable, specs: AggSpec[], results: Map<number, AggResult>, timezone: string, cache: ConditionCache): Promise<void> {
  const tsName = timestampOf(table);
  for await (const batch of project.facts(FACT_EXPORT[table], columnsOf(specs, "row"))) {
    const masks = new BatchMasks(batch, timezone, cache);
    const ts = batch.columns[tsName];
    const tsValues = ts && ts.type === "datetime" ? ts.values : undefined;
    for (const spec of specs) accumulateBatch(results.get(spec.id)!, batch.customer, masks.all(spec.rowConds), tsValues, undefined);
  }
}

async function ordersPass(project: Project, specs: AggSpec[], results: Map<number, AggResult>, timezone: string, cache: ConditionCache, out: FactResults): Promise<void> {
  const orderLevel = specs.filter((s) => s.itemConds.length === 0);
  const itemLevel = specs.filter(needsItems);
  const join = itemLevel.length > 0;
  const wanted = [...columnsOf(specs, "row"), "total", ...(join ? ["id"] : [])];
  // The item join's per-order state (see the file comment).
  const orderIndex = new Map<string, number>();
  const orderCustomer: number[] = [];
  const orderTs: number[] = [];
  const orderPass = itemLevel.map(() => [] as number[]);
  for await (const batch of project.facts("orders", wanted)) {
    const masks = new BatchMasks(batch, timezone, cache);
    const ts = batch.columns.created_at;
    const tsValues = ts && ts.type === "datetime" ? ts.values : undefined;
    const total = batch.columns.total;
    const totals = total && total.type === "decimal" ? total.values : undefined;
    for (const spec of orderLevel) accumulateBatch(results.get(spec.id)!, batch.customer, masks.all(spec.rowConds), tsValues, totals);
    if (join) indexOrders(batch, masks, itemLevel, orderIndex, orderCustomer, orderTs, orderPass, tsValues);
  }
  if (!join) return;
  if (!project.sources.order_items) {
    if (itemLevel.some((s) => s.itemConds.length > 0)) out.warnings.push("conditions on order items (category, sku, ...) match no order: the data has no order_items export");
    return;
  }
  if (orderIndex.size === 0 && (project.report.rows.orders ?? 0) > 0) {
    out.warnings.push("conditions on order items match no order: the orders export has no `id` column to join items by");
  }
  const hit = itemLevel.map(() => new Uint8Array(orderCustomer.length));
  const itemCols = ["order_id", "quantity", "price", ...columnsOf(itemLevel, "item")];
  for await (const batch of project.typedBatches(project.sources.order_items, itemCols)) {
    const masks = new BatchMasks(batch, timezone, cache);
    const ids = batch.columns.order_id;
    const qty = batch.columns.quantity;
    const price = batch.columns.price;
    const qtyValues = qty && qty.type === "integer" ? qty.values : undefined;
    const priceValues = price && price.type === "decimal" ? price.values : undefined;
    const ordinals = new Int32Array(batch.length).fill(-1);
    if (ids && ids.type === "id") {
      for (let r = 0; r < batch.length; r++) {
        const id = ids.values[r];
        const o = id === null ? undefined : orderIndex.get(id);
        if (o === undefined) out.unmatchedItems++;
        else ordinals[r] = o;
      }
    }
    itemLevel.forEach((spec, k) => {
      const mask = masks.all(spec.itemConds);
      const res = results.get(spec.id)!;
      const pass = orderPass[k];
      const hits = hit[k];
      for (let r = 0; r < batch.length; r++) {
        const o = ordinals[r];
        if (o < 0 || !pass[o] || (mask && !mask[r])) continue;
        hits[o] = 1;
        const cust = orderCustomer[o];
        if (cust < 0) continue;
        // An item with no quantity is one unit; one with no price adds nothing to revenue.
        const q = qtyValues && !Number.isNaN(qtyValues[r]) ? qtyValues[r] : 1;
        if (res.quantity.length) res.quantity[cust] += q;
        if (spec.itemConds.length > 0 && res.revenue.length && priceValues && !Number.isNaN(priceValues[r])) res.revenue[cust] += priceValues[r] * q;
      }
    });
  }
  itemLevel.forEach((spec, k) => {
    // Order-level measures of a spec with item conditions count the orders with a passing item.
    if (spec.itemConds.length === 0) return;
    const res = results.get(spec.id)!;
    const hits = hit[k];
    for (let o = 0; o < hits.length; o++) {
      const cust = orderCustomer[o];
      if (!hits[o] || cust < 0) continue;
      accumulate(res, cust, orderTs[o], NaN);
    }
  });
}

function indexOrders(
  batch: FactBatch, masks: BatchMasks, itemLevel: AggSpec[], orderIndex: Map<string, number>,
  orderCustomer: number[], orderTs: number[], orderPass: number[][], tsValues: Float64Array | undefined,
): void {
  const ids = batch.columns.id;
  if (!ids || ids.type !== "id") return;
  const passMasks = itemLevel.map((s) => masks.all(s.rowConds));
  for (let r = 0; r < batch.length; r++) {
    const id = ids.values[r];
    if (id === null || orderIndex.has(id)) continue;
    orderIndex.set(detach(id), orderCustomer.length);
    orderCustomer.push(batch.customer[r]);
    orderTs.push(tsValues ? tsValues[r] : NaN);
    passMasks.forEach((m, k) => orderPass[k].push(m ? m[r] : 1));
  }
}
