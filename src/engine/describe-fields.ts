/**
 * The fields a segment can filter on, as the data has them: type, source export, null count
 * and a few sample values. Customer fields come from the typed columns; fact columns are
 * counted in one streaming pass over each fact export.
 */
import { cellAt, nullCount, type Column } from "../table/column.js";
import { exportText, oneLine } from "../table/value-text.js";
import type { ValueType } from "../table/value-type.js";
import type { Project } from "../ingest/project.js";
import type { TypedBatch } from "../ingest/typed-batch.js";
import { FACT_EXPORT, ITEM_COLUMNS, METRIC_TYPE, type FactTable } from "../segment/fields.js";
import type { Metric } from "../segment/plan.js";

/** One filterable field. */
export interface FieldInfo {
  field: string;
  type: ValueType;
  /** True for a per-customer aggregate of a fact export (orders.count, ...). */
  aggregate?: boolean;
  source: string;
  /** Null values among the rows of its source; undefined for aggregates. */
  nulls?: number;
  rows?: number;
  samples: string[];
}

const SAMPLES = 3;


/** Lists every field available for filters on this project's data. */
export async function describeFields(project: Project): Promise<FieldInfo[]> {
  const customers = await project.customers();
  const zone = project.config.timezone;
  const out: FieldInfo[] = [{ field: "id", type: "id", source: customers.derived ? "derived from facts" : "customers", nulls: 0, rows: customers.length, samples: customers.ids.slice(0, SAMPLES) }];
  for (const [name, col] of customers.columns) {
    if (name === "id") continue;
    out.push({ field: name, type: col.type, source: name.startsWith("custom.") ? "customers (custom)" : "customers", nulls: nullCount(col), rows: col.length, samples: samplesOf(col, zone) });
    if (name === "birthday") out.push({ field: "age", type: "integer", source: "customers (from birthday)", nulls: nullCount(col), rows: col.length, samples: [] });
  }
  for (const table of Object.keys(FACT_EXPORT) as FactTable[]) {
    const exportName = FACT_EXPORT[table];
    if (!project.hasFacts(exportName)) continue;
    const src = exportName === "orders" && project.report.ordersFromItems ? "order_items (grouped by order_id)" : exportName;
    // The export's own columns are typed by inference first (one read), then counted with the rest.
    const own = new Set((await project.extraColumns(exportName)).map((c) => c.name));
    await project.customColumnTypes(exportName, [...own]);
    const { rows, stats } = await columnStats(project.facts(exportName), zone);
    for (const m of ["count", "first_at", "last_at", ...(table === "orders" ? ["revenue", "avg_check"] : [])]) {
      out.push({ field: `${table}.${m}`, type: METRIC_TYPE[m as Metric], aggregate: true, source: src, samples: [] });
    }
    if (table === "orders" && project.sources.order_items) out.push({ field: "orders.quantity", type: "integer", aggregate: true, source: "order_items", samples: [] });
    for (const [name, s] of stats) {
      if (name === "id" || name === "customer_id") continue;
      out.push({ field: `${table}.${name}`, type: s.type, source: own.has(name) ? `${src} (custom)` : src, nulls: s.nulls, rows, samples: [...s.samples] });
    }
    if (table === "orders" && project.sources.order_items) {
      // Custom columns of the items that the orders export does not have are item-level orders.* columns too.
      const itemOwn = (await project.extraColumns("order_items")).map((c) => c.name).filter((n) => !own.has(n) && !stats.has(n));
      await project.customColumnTypes("order_items", itemOwn);
      const items = await columnStats(project.facts("order_items", [...ITEM_COLUMNS, ...itemOwn]), zone);
      for (const [name, s] of items.stats) {
        // orders.quantity is the metric (sum of item quantities); the item column is for `where` only.
        const custom = itemOwn.includes(name);
        if ((!(ITEM_COLUMNS as readonly string[]).includes(name) && !custom) || name === "quantity") continue;
        out.push({ field: `orders.${name}`, type: s.type, source: custom ? "order_items (custom)" : "order_items", nulls: s.nulls, rows: items.rows, samples: [...s.samples] });
      }
    }
  }
  out.push({ field: "segment", type: "list", source: "segment definitions", samples: [] });
  return out;
}

interface ColumnStats {
  type: ValueType;
  nulls: number;
  samples: Set<string>;
}

/** Row count, and per column its null count and first distinct values, over a stream of batches. */
async function columnStats(batches: AsyncIterable<TypedBatch>, zone: string): Promise<{ rows: number; stats: Map<string, ColumnStats> }> {
  const stats = new Map<string, ColumnStats>();
  let rows = 0;
  for await (const batch of batches) {
    rows += batch.length;
    for (const [name, col] of Object.entries(batch.columns)) {
      let s = stats.get(name);
      if (!s) stats.set(name, (s = { type: col.type, nulls: 0, samples: new Set() }));
      for (let r = 0; r < batch.length; r++) {
        if (!col.validity.has(r)) s.nulls++;
        else if (s.samples.size < SAMPLES) s.samples.add(oneLine(exportText(col.type, col.type === "bool" ? col.values[r] === 1 : col.values[r], zone)));
      }
    }
  }
  return { rows, stats };
}

function samplesOf(col: Column, zone: string): string[] {
  const seen = new Set<string>();
  for (let i = col.validity.next(0); i !== -1 && seen.size < SAMPLES; i = col.validity.next(i + 1)) {
    seen.add(oneLine(exportText(col.type, cellAt(col, i), zone)));
  }
  return [...seen];
}
