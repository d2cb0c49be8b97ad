/**
 * RFM as a report: one evaluation of a project's counted orders scored as of a day, with
 * the per-customer rows, the cut points, the per-named-segment summary and, when asked, the
 * R x F grid. `segment rfm` prints it; the library API (engine/api.ts) returns it.
 */
import type { ColumnSpec } from "../export/writer.js";
import type { RfmCut, RfmTable } from "../facts/rfm.js";
import type { RfmSettings } from "../segment/bind.js";
import type { Engine, Evaluation } from "./engine.js";

/** One customer with a counted order (as of one day). */
export interface RfmRow {
  /** The day, when several were scored. */
  as_of?: string;
  id: string;
  /** Days since the last counted order (null when its orders have no date). */
  recency: number | null;
  frequency: number;
  monetary: number;
  r: number;
  f: number;
  m: number;
  score: string;
  segment: string;
}

/** The table's columns, as the export writers take them. */
export const RFM_COLUMNS: ColumnSpec[] = [
  // With several days, an as_of column comes first (AS_OF_COLUMN).
  { name: "id", type: "id" }, { name: "recency", type: "integer" }, { name: "frequency", type: "integer" }, { name: "monetary", type: "decimal" },
  { name: "r", type: "integer" }, { name: "f", type: "integer" }, { name: "m", type: "integer" }, { name: "score", type: "string" }, { name: "segment", type: "string" },
];

/** A named segment's totals. */
export interface RfmSegmentSummary {
  code: string;
  customers: number;
  share: number;
  orders: number;
  revenue: number;
  /** Revenue per order (null without orders). */
  aov: number | null;
}

/** The first column of a table of several days. */
export const AS_OF_COLUMN: ColumnSpec = { name: "as_of", type: "date" };

/** The summary of an RFM report: what `segment rfm --json` prints (docs/json.md). */
export interface RfmJson {
  as_of: string;
  method: string;
  bins: number;
  /** Customers with a counted order, and all customers. */
  scored: number;
  customers: number;
  cuts: Record<string, RfmCut[]>;
  collapsed: string[];
  segments: RfmSegmentSummary[];
  grid?: RfmGridCell[];
  /** Every day scored, in day order, each as above (one entry for one day). */
  dates?: RfmJson[];
}

/** One cell of the R x F grid. */
export interface RfmGridCell {
  r: number;
  f: number;
  customers: number;
  mean_monetary: number | null;
}

/** What to score: the as-of day, and the config's method and bins overridden. */
export interface RfmRequest {
  asOf?: string;
  /** Several days (`YYYY-MM-DD`) to score as of, in one pass over the orders; `asOf` is then ignored. */
  dates?: readonly string[];
  rfm?: Partial<Pick<RfmSettings, "method" | "bins">>;
  grid?: boolean;
}

/**
 * Scores a project's customers, as of one day or several (`dates`: one pass over the orders,
 * a counted-orders aggregate per day). Rows in day order, then customer id order (as
 * memberships are), with `as_of` when there are several days. The summary is the last day's,
 * with `dates`: every day's, in day order.
 */
export async function rfmReport(engine: Engine, req: RfmRequest = {}): Promise<{ evaluation: Evaluation; summary: RfmJson; rows: RfmRow[] }> {
  const days = req.dates ? [...new Set(req.dates)].sort() : undefined;
  const asOf = days ? days[days.length - 1] : req.asOf;
  const ev = await engine.evaluate({ definitions: [], withRfm: true, rfm: req.rfm, asOf, rfmDays: days?.slice(0, -1) });
  const plan = ev.plan.rfm!;
  const ids = ev.customers.ids;
  const byId = [...Array(ids.length).keys()].sort((a, b) => (ids[a] < ids[b] ? -1 : ids[a] > ids[b] ? 1 : 0));
  const at = plan.at ?? [{ asOf: ev.plan.asOf, asOfDay: ev.plan.asOfDay, aggregate: plan.aggregate }];
  const rows: RfmRow[] = [];
  const summaries: RfmJson[] = [];
  for (const day of at) {
    const table = ev.state.rfmTable(day);
    const orders = ev.facts.results.get(day.aggregate)!;
    for (const i of byId) {
      if (!table.scored[i]) continue;
      rows.push({
        ...(at.length > 1 ? { as_of: day.asOf } : {}),
        id: ids[i], recency: Number.isNaN(table.recency[i]) ? null : table.recency[i], frequency: table.frequency[i], monetary: table.monetary[i],
        r: table.r[i], f: table.f[i], m: table.m[i], score: `${table.r[i]}${table.f[i]}${table.m[i]}`, segment: table.segment[i],
      });
    }
    const summary: RfmJson = {
      as_of: day.asOf, method: plan.method, bins: plan.bins, scored: table.n, customers: ids.length,
      cuts: table.cuts, collapsed: table.collapsed, segments: summarise(table, orders.count, orders.revenue, [...plan.rules.map((r) => r.code), "others"]),
    };
    if (req.grid) summary.grid = gridOf(table, plan.bins);
    summaries.push(summary);
  }
  return { evaluation: ev, summary: { ...summaries[summaries.length - 1], dates: summaries }, rows };
}

/** Each named segment's customers, share (of scored customers), orders, revenue and average check; empty ones included. */
function summarise(t: RfmTable, count: Int32Array, revenue: Float64Array, codes: string[]): RfmSegmentSummary[] {
  const by = new Map(codes.map((c) => [c, { code: c, customers: 0, share: 0, orders: 0, revenue: 0, aov: null as number | null }]));
  for (let i = 0; i < t.scored.length; i++) {
    if (!t.scored[i]) continue;
    const s = by.get(t.segment[i])!;
    s.customers++;
    s.orders += count[i];
    s.revenue += revenue[i];
  }
  for (const s of by.values()) {
    s.share = t.n ? s.customers / t.n : 0;
    s.aov = s.orders ? s.revenue / s.orders : null;
    s.revenue = round2(s.revenue);
    if (s.aov !== null) s.aov = round2(s.aov);
  }
  return [...by.values()];
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** The R x F grid: customers and mean monetary per cell, r from bins down, f up. */
function gridOf(t: RfmTable, bins: number): RfmGridCell[] {
  const cells: RfmGridCell[] = [];
  const sum = new Map<string, { n: number; m: number }>();
  for (let i = 0; i < t.scored.length; i++) {
    if (!t.scored[i]) continue;
    const key = `${t.r[i]},${t.f[i]}`;
    const c = sum.get(key) ?? { n: 0, m: 0 };
    c.n++;
    c.m += t.monetary[i];
    sum.set(key, c);
  }
  for (let r = bins; r >= 1; r--) {
    for (let f = 1; f <= bins; f++) {
      const c = sum.get(`${r},${f}`);
      cells.push({ r, f, customers: c?.n ?? 0, mean_monetary: c ? round2(c.m / c.n) : null });
    }
  }
  return cells;
}
