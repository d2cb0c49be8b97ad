/**
 * What kernels read besides the plan: the customer columns, the fact aggregates, the
 * memberships of segments evaluated (or given) so far, and values derived from columns and
 * aggregates (day numbers, month-day keys, ages, metric columns, RFM scores).
 *
 * Derived values are kept per process, keyed by the column or aggregate they come from (a
 * WeakMap: they go when it goes). `preview --watch` keeps its customers and aggregates
 * between saves, so these are computed once, not once a save. Columns and aggregates are
 * never changed once built, which is what makes that safe.
 */
import type { AggResult } from "../facts/aggregates.js";
import { monthDayKey } from "../segment/operands.js";
import type { InputPlan, Metric, Plan, RfmField } from "../segment/plan.js";
import { scoreRfm, type RfmTable } from "../facts/rfm.js";
import { BitSet } from "../table/bitset.js";
import type { Column } from "../table/column.js";
import { civilFromDays, dayInZone } from "../table/time.js";

/** The customers as kernels see them: a row count and columns by name (custom as `custom.<name>`). */
export interface CustomerColumns {
  length: number;
  columns: ReadonlyMap<string, Column>;
}

const DERIVED = new WeakMap<object, Map<string, unknown>>();

/** The value `make` derives from `from` under `key`, made once per object. */
function derived<T>(from: object, key: string, make: () => T): T {
  let m = DERIVED.get(from);
  if (!m) DERIVED.set(from, (m = new Map()));
  if (!m.has(key)) m.set(key, make());
  return m.get(key) as T;
}

/** Evaluation state for one plan over one load of the customers. */
export class EvalState {
  /** Memberships by code, as row sets of this load: evaluated segments and stored ones. */
  readonly segments = new Map<string, BitSet>();
  readonly size: number;
  readonly timezone: string;

  constructor(
    readonly plan: Plan,
    readonly customers: CustomerColumns,
    readonly facts: ReadonlyMap<number, AggResult>,
  ) {
    this.size = customers.length;
    this.timezone = plan.timezone;
  }

  /** The column a filter input reads, or undefined when every value is null. */
  inputColumn(input: InputPlan): Column | undefined {
    switch (input.kind) {
      case "column": return this.customers.columns.get(input.column);
      case "derived": return this.age(input.from) ?? undefined;
      case "metric": return this.metric(input.aggregate, input.metric);
      case "rfm": return this.rfmColumn(input.name);
      default: return undefined;
    }
  }

  /** Day numbers (in the zone) of a date or datetime column, computed once per column. */
  days(col: Column): Int32Array {
    if (col.kind === "date") return col.values;
    return derived(col, `days ${this.timezone}`, () => {
      const d = new Int32Array(col.length);
      if (col.kind === "datetime") {
        const values = col.values;
        for (let i = col.validity.next(0); i !== -1; i = col.validity.next(i + 1)) d[i] = dayInZone(this.timezone, values[i]);
      }
      return d;
    });
  }

  /** Month-day keys (e.g. 1231) of a date or datetime column. */
  monthDays(col: Column): Int32Array {
    return derived(col, `month-days ${this.timezone}`, () => {
      const days = this.days(col);
      const md = new Int32Array(col.length);
      for (let i = col.validity.next(0); i !== -1; i = col.validity.next(i + 1)) md[i] = monthDayKey(days[i]);
      return md;
    });
  }

  /** `age`: whole years at the as-of day from a date column; null where it is null. */
  private age(from: string): Column | null {
    const birthday = this.customers.columns.get(from);
    if (!birthday || birthday.kind !== "date") return null;
    return derived(birthday, `age ${this.plan.asOfDay}`, () => this.ageOf(birthday));
  }

  private ageOf(birthday: Extract<Column, { kind: "date" }>): Column {
    const today = civilFromDays(this.plan.asOfDay);
    const n = birthday.length;
    const values = new Float64Array(n);
    const validity = birthday.validity.clone();
    for (let i = validity.next(0); i !== -1; i = validity.next(i + 1)) {
      const born = civilFromDays(birthday.values[i]);
      // Not yet had this year's birthday: one year less. 29 Feb turns a year older on 1 Mar in common years.
      const before = today.m < born.m || (today.m === born.m && today.d < born.d);
      values[i] = today.y - born.y - (before ? 1 : 0);
    }
    return { kind: "number", type: "integer", values, validity, length: n };
  }

  /**
   * The plan's RFM scores, computed once (after the fact pass): as of the plan's day, or of
   * one of `plan.rfm.at` (its counted orders cut off at that day).
   */
  rfmTable(at?: { asOfDay: number; aggregate: number }): RfmTable {
    const plan = this.plan.rfm;
    if (!plan) throw new Error("the plan has no RFM scoring");
    const { asOfDay, aggregate } = at ?? { asOfDay: this.plan.asOfDay, aggregate: plan.aggregate };
    const settings = { method: plan.method, bins: plan.bins, monetary: plan.monetary, thresholds: plan.thresholds, rules: plan.rules };
    return derived(this.facts.get(aggregate)!, `rfm ${asOfDay} ${this.timezone} ${JSON.stringify(settings)}`, () => scoreRfm(this.facts.get(aggregate)!, asOfDay, this.timezone, plan));
  }

  /** One RFM value per customer as a column; null without a counted order. */
  rfmColumn(name: RfmField): Column {
    const t = this.rfmTable();
    return derived(t, `column ${name}`, () => this.rfmColumnOf(t, name));
  }

  private rfmColumnOf(t: RfmTable, name: RfmField): Column {
    const n = this.size;
    let col: Column;
    if (name === "segment" || name === "score") {
      // Few distinct values: codes through a small dictionary, no builder call per row.
      const dict: string[] = [];
      const codeOf = new Map<string, number>();
      const codes = new Uint32Array(n);
      const validity = name === "segment" ? BitSet.full(n) : new BitSet(n);
      for (let i = 0; i < n; i++) {
        if (name === "score" && !t.scored[i]) continue;
        const text = name === "segment" ? t.segment[i] : `${t.r[i]}${t.f[i]}${t.m[i]}`;
        let c = codeOf.get(text);
        if (c === undefined) codeOf.set(text, (c = dict.push(text) - 1));
        codes[i] = c;
        if (name === "score") validity.add(i);
      }
      col = { kind: "string", type: "string", codes, dict, validity, length: n };
    } else {
      const from = name === "r" ? t.r : name === "f" ? t.f : name === "m" ? t.m : t[name];
      const values = new Float64Array(n);
      const validity = new BitSet(n);
      for (let i = 0; i < n; i++) {
        if (!t.scored[i] || Number.isNaN(from[i])) continue;
        values[i] = from[i];
        validity.add(i);
      }
      col = { kind: "number", type: name === "monetary" ? "decimal" : "integer", values, validity, length: n };
    }
    return col;
  }

  /** A fact metric as a customer column (counts and sums are never null; averages and times may be). */
  metric(id: number, metric: Metric): Column {
    const r = this.facts.get(id)!;
    return derived(r, `metric ${metric}`, () => this.metricOf(r, metric));
  }

  private metricOf(r: AggResult, metric: Metric): Column {
    let col!: Column;
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
    return col;
  }
}
