/**
 * The vectorised evaluator: each filter is a kernel over typed columns that returns the
 * subset of its candidate rows that pass; `all` narrows the candidates for the next child,
 * `any` only looks at rows not yet matched, `not` complements within the candidates.
 * String kernels test each distinct dictionary value once, then compare codes.
 */
import type { AggResult } from "../facts/fact-spec.js";
import { BitSet } from "../table/bitset.js";
import { cellAt, type Column } from "../table/column.js";
import { dayInZone } from "../table/time.js";
import type { PlanFilter, PlanGroup, PlanNode, ValueSource } from "../segment/compile.js";
import type { Metric } from "../segment/fields.js";
import { fold, monthDayKey, type Tester } from "./tester.js";

/** What kernels read besides the plan: fact aggregates, other segments, caches. */
export class EvalState {
  /** Memberships of segments evaluated so far, by code. */
  readonly segments = new Map<string, BitSet>();
  private readonly dayCache = new Map<Column, Int32Array>();
  private readonly mdCache = new Map<Column, Int32Array>();
  private readonly metricCache = new Map<string, Column>();

  constructor(
    readonly size: number,
    readonly timezone: string,
    readonly facts: Map<number, AggResult>,
  ) {}

  /** Day numbers (in the zone) of a date or datetime column, computed once per column. */
  days(col: Column): Int32Array {
    if (col.kind === "date") return col.values;
    let d = this.dayCache.get(col);
    if (!d) {
      d = new Int32Array(col.length);
      if (col.kind === "datetime") {
        const values = col.values;
        for (let i = col.validity.next(0); i !== -1; i = col.validity.next(i + 1)) d[i] = dayInZone(this.timezone, values[i]);
      }
      this.dayCache.set(col, d);
    }
    return d;
  }

  /** Month-day keys (e.g. 1231) of a date or datetime column. */
  monthDays(col: Column): Int32Array {
    let md = this.mdCache.get(col);
    if (!md) {
      const days = this.days(col);
      md = new Int32Array(col.length);
      for (let i = col.validity.next(0); i !== -1; i = col.validity.next(i + 1)) md[i] = monthDayKey(days[i]);
      this.mdCache.set(col, md);
    }
    return md;
  }

  /** A fact metric as a customer column (counts and sums are never null; averages and times may be). */
  metric(specId: number, metric: Metric): Column {
    const key = `${specId}:${metric}`;
    let col = this.metricCache.get(key);
    if (col) return col;
    const r = this.facts.get(specId)!;
    const n = this.size;
    const validity = BitSet.full(n);
    switch (metric) {
      case "count":
        col = { kind: "number", type: "integer", values: Float64Array.from(r.count), validity, length: n };
        break;
      case "revenue":
        col = { kind: "number", type: "decimal", values: r.revenue, validity, length: n };
        break;
      case "quantity":
        col = { kind: "number", type: "integer", values: r.quantity, validity, length: n };
        break;
      case "avg_check": {
        const values = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          if (r.count[i] === 0) validity.delete(i);
          else values[i] = r.revenue[i] / r.count[i];
        }
        col = { kind: "number", type: "decimal", values, validity, length: n };
        break;
      }
      case "first_at":
      case "last_at": {
        const values = metric === "first_at" ? r.first : r.last;
        for (let i = 0; i < n; i++) if (Number.isNaN(values[i])) validity.delete(i);
        col = { kind: "datetime", type: "datetime", values, validity, length: n };
        break;
      }
    }
    this.metricCache.set(key, col);
    return col;
  }
}

/** Evaluates a node over the candidate rows, returning the passing subset. */
export function evaluateNode(node: PlanNode, cand: BitSet, state: EvalState): BitSet {
  if (node.kind === "filter") return evaluateFilter(node, cand, state);
  return evaluateGroup(node, cand, state);
}

function evaluateGroup(g: PlanGroup, cand: BitSet, state: EvalState): BitSet {
  let result: BitSet;
  if (g.match === "all") {
    result = cand;
    for (const child of g.children) {
      result = evaluateNode(child, result, state);
      if (result.count() === 0) break;
    }
  } else {
    result = new BitSet(cand.size);
    const remaining = cand.clone();
    for (const child of g.children) {
      const hit = evaluateNode(child, remaining, state);
      result.or(hit);
      remaining.andNot(hit);
    }
  }
  return g.not ? cand.clone().andNot(result) : result;
}

/** Evaluates one filter over the candidate rows. */
export function evaluateFilter(f: PlanFilter, cand: BitSet, state: EvalState): BitSet {
  const src = f.source;
  switch (src.kind) {
    case "column":
      return columnKernel(src.column, src.cls === "date", src.ignoreYear, src.tester, cand, state);
    case "metric":
      return columnKernel(state.metric(src.spec.id, src.metric), src.cls === "date", src.ignoreYear, src.tester, cand, state);
    case "exists": {
      const out = new BitSet(cand.size);
      cand.forEach((i) => {
        let all = true;
        for (const spec of src.specs) {
          if (state.facts.get(spec.id)!.count[i] === 0) {
            all = false;
            break;
          }
        }
        if (all !== src.negate) out.add(i);
      });
      return out;
    }
    case "segment": {
      const any = new BitSet(cand.size);
      for (const code of src.codes) any.or(state.segments.get(code)!);
      return src.negate ? cand.clone().andNot(any) : any.and(cand);
    }
  }
}

function columnKernel(col: Column | undefined, isDate: boolean, ignoreYear: boolean, tester: Tester, cand: BitSet, state: EvalState): BitSet {
  const out = new BitSet(cand.size);
  if (!col) return tester.onNull ? cand.clone() : out;
  const valid = col.validity;
  const onNull = tester.onNull;
  switch (col.kind) {
    case "string": {
      // Each distinct value is tested once; rows then compare codes.
      const table = new Uint8Array(col.dict.length);
      for (let c = 0; c < col.dict.length; c++) table[c] = tester.test(col.dict[c]) ? 1 : 0;
      const codes = col.codes;
      cand.forEach((i) => {
        if (valid.has(i) ? table[codes[i]] === 1 : onNull) out.add(i);
      });
      return out;
    }
    case "list": {
      const { offsets, codes, dict } = col;
      cand.forEach((i) => {
        if (!valid.has(i)) {
          if (onNull) out.add(i);
          return;
        }
        const items: string[] = [];
        for (let k = offsets[i]; k < offsets[i + 1]; k++) items.push(dict[codes[k]]);
        if (tester.test(items)) out.add(i);
      });
      return out;
    }
    case "bool": {
      const values = col.values;
      const t = tester.test(true), f = tester.test(false);
      cand.forEach((i) => {
        if (valid.has(i) ? (values[i] === 1 ? t : f) : onNull) out.add(i);
      });
      return out;
    }
    case "number": {
      const values = col.values;
      cand.forEach((i) => {
        if (valid.has(i) ? tester.test(values[i]) : onNull) out.add(i);
      });
      return out;
    }
    case "date":
    case "datetime": {
      const values = ignoreYear ? state.monthDays(col) : isDate ? state.days(col) : (col.values as ArrayLike<number>);
      cand.forEach((i) => {
        if (valid.has(i) ? tester.test(values[i]) : onNull) out.add(i);
      });
      return out;
    }
  }
}

/** How many customers pass each node on its own, and (for `all` groups) after each step. */
export interface FunnelRow {
  depth: number;
  label: string;
  /** Customers passing this node alone. */
  alone: number;
  /** Customers left after this node within its `all` group (running intersection), when in one. */
  cumulative?: number;
}

/** The per-filter funnel of a plan. */
export function funnel(root: PlanGroup, state: EvalState): FunnelRow[] {
  const rows: FunnelRow[] = [];
  const full = BitSet.full(state.size);
  const walk = (node: PlanNode, depth: number, running: BitSet | undefined): BitSet => {
    const alone = evaluateNode(node, full, state);
    const row: FunnelRow = { depth, label: labelOf(node), alone: alone.count() };
    rows.push(row);
    let after: BitSet | undefined;
    if (running) {
      after = running.clone().and(alone);
      row.cumulative = after.count();
    }
    if (node.kind === "group") {
      let run: BitSet | undefined = node.match === "all" ? full.clone() : undefined;
      for (const child of node.children) {
        const r = walk(child, depth + 1, run);
        if (run) run = run.and(r);
      }
    }
    return alone;
  };
  walk(root, 0, undefined);
  return rows;
}

function labelOf(node: PlanNode): string {
  if (node.kind === "filter") return node.label;
  return `${node.not ? "NOT " : ""}${node.label}: ${node.match}`;
}

/** One filter's value and verdict for one customer, for `preview --customer`. */
export interface CustomerTrace {
  depth: number;
  label: string;
  value?: string;
  pass: boolean;
}

/** Explains one customer: each node's computed value and whether it passed. */
export function traceCustomer(root: PlanGroup, row: number, state: EvalState, show: (col: Column, row: number) => string): CustomerTrace[] {
  const out: CustomerTrace[] = [];
  const one = new BitSet(state.size);
  one.add(row);
  const walk = (node: PlanNode, depth: number) => {
    const pass = evaluateNode(node, one, state).has(row);
    const t: CustomerTrace = { depth, label: labelOf(node), pass };
    if (node.kind === "filter") t.value = valueOf(node.source, row, state, show);
    out.push(t);
    if (node.kind === "group") for (const c of node.children) walk(c, depth + 1);
  };
  walk(root, 0);
  return out;
}

function valueOf(src: ValueSource, row: number, state: EvalState, show: (col: Column, row: number) => string): string {
  switch (src.kind) {
    case "column":
      return src.column ? show(src.column, row) : "null (no such column)";
    case "metric":
      return show(state.metric(src.spec.id, src.metric), row);
    case "exists":
      return src.specs.map((s) => `${state.facts.get(s.id)!.count[row]} matching ${s.table}`).join(", ");
    case "segment":
      return src.codes.map((c) => `${c}: ${state.segments.get(c)!.has(row) ? "member" : "not a member"}`).join(", ");
  }
}

/** Renders a cell for display (null as `null`). */
export function cellText(col: Column, row: number, timezone: string): string {
  const v = cellAt(col, row);
  if (v === null) return "null";
  if (col.kind === "date") return new Date((v as number) * 86_400_000).toISOString().slice(0, 10);
  if (col.kind === "datetime") return `${new Date(v as number).toISOString()} (${timezone} day ${new Date(dayInZone(timezone, v as number) * 86_400_000).toISOString().slice(0, 10)})`;
  if (Array.isArray(v)) return `[${v.map((s) => JSON.stringify(s)).join(", ")}]`;
  if (typeof v === "string") return JSON.stringify(v) + (fold(v) !== v ? ` (compared as ${JSON.stringify(fold(v))})` : "");
  return String(v);
}
