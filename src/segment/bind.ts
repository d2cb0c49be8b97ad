/**
 * Bind: validated definitions plus the data's schema become a plan of plain data
 * (src/segment/plan.ts). Operands are resolved against the as-of day and zone, strings
 * folded, fact conditions turned into shared aggregates. Checks that need the schema
 * (custom fields exist and take the operator used) are collected and thrown once as
 * definition errors.
 */
import { DefinitionError, shownValue, UsageError, type Problem } from "../errors.js";
import { choiceHint } from "../suggest.js";
import { DEFAULT_RFM_RULES } from "./rfm-defaults.js";
import { dayInZone, formatDay, startOfDayInZone } from "../table/time.js";
import type { ValueType } from "../table/value-type.js";
import { POSITIVE_OF, NEGATIVE_OPS, type Condition, type FilterNode, type GroupNode, type Op, type Scalar, type SegmentDef } from "./ast.js";
import { allFieldNames, FACT_EXPORT, factColumns, resolveField, TIMESTAMP, type FactTable } from "./fields.js";
import { dependencyOrder, describeClass, referencedCodes } from "./load-definitions.js";
import { checkOperand, classOf, fold, isOperandError, OPS_BY_CLASS, resolveDate, type DateContext, type Operand } from "./operands.js";
import {
  PLAN_VERSION, type AggregatePlan, type ConditionPlan, type DataSchema, type FilterPlan, type GroupPlan, type Measure,
  type Metric, type NodePlan, type OperandPlan, type OutputPlan, type Plan, type PlanScalar, type RfmPlan, type TestPlan, type TypeClass,
} from "./plan.js";

/** What to bind: the definitions to compute (in dependency order) and the codes whose members are given. */
export interface BindInput {
  definitions: SegmentDef[];
  stored?: readonly string[];
  schema: DataSchema;
  asOfDay: number;
  timezone: string;
  /** Field names to output per customer (export columns); their aggregates join the plan's. */
  outputs?: readonly string[];
  /** How RFM is scored, for `rfm.*` (the config's `rfm`); `withRfm` binds it even when nothing reads it. */
  rfm?: RfmSettings;
  withRfm?: boolean;
  /** More days to score RFM as of, besides `asOfDay` (each before it): `plan.rfm.at`. */
  rfmDays?: readonly number[];
}

/** The config's RFM settings as bind takes them. */
export interface RfmSettings extends Omit<RfmPlan, "aggregate"> {
  /** Statuses of orders not counted (compared like strings in filters; a null status counts). */
  excludeStatuses: string[];
}

/** The settings of CLI.md when the config says nothing. */
export const DEFAULT_RFM: RfmSettings = { excludeStatuses: ["cancelled", "returned"], method: "rank", bins: 5, monetary: "sum", rules: DEFAULT_RFM_RULES };

/** Binds definitions to a schema; throws a DefinitionError with every schema-dependent problem. */
export function bindPlan(input: BindInput): Plan {
  const ctx: DateContext = { asOfDay: input.asOfDay, timezone: input.timezone };
  const b = new Binder(input.schema, ctx, input.rfm);
  // Each segment after those it references, whatever order the caller gave.
  const segments = dependencyOrder(input.definitions).map((def) => ({
    code: def.code, name: def.name, type: def.type, active: def.active, hash: def.hash, file: def.file,
    dependsOn: referencedCodes(def),
    root: b.group(def.root, `segment ${def.code}`),
  }));
  if (b.problems.length) throw new DefinitionError(b.problems);
  const outputs = bindOutputs(b, input.outputs ?? [], input.schema);
  if (input.withRfm || input.rfmDays?.length) b.rfmPlan();
  if (input.rfmDays?.length) b.rfmAt([input.asOfDay, ...input.rfmDays]);
  return {
    version: PLAN_VERSION,
    asOf: formatDay(input.asOfDay),
    asOfDay: input.asOfDay,
    timezone: input.timezone,
    factsBefore: startOfDayInZone(input.timezone, input.asOfDay + 1),
    segments,
    stored: [...(input.stored ?? [])],
    aggregates: [...b.aggregates.values()],
    outputs,
    warnings: b.warnings(),
    ...(b.rfm ? { rfm: b.rfm } : {}),
  };
}

/**
 * Binds output fields: any plain field of the language that has one value per customer (a
 * customer column, a custom field, `age`, a fact metric without `where`). Problems are a
 * usage error naming every bad field.
 */
function bindOutputs(b: Binder, fields: readonly string[], schema: DataSchema): OutputPlan[] {
  const out: OutputPlan[] = [];
  const problems: string[] = [];
  const customNames = Object.keys(schema.customers).filter((k) => k.startsWith("custom."));
  for (const field of fields) {
    const ref = resolveField(field);
    if (!ref) {
      const hint = choiceHint(field, [...outputFieldNames(schema)], 15);
      problems.push(`unknown field \`${shownValue(field)}\`${hint ? ` (${hint})` : ""}`);
      continue;
    }
    switch (ref.kind) {
      case "customer":
        out.push({ field, type: schema.customers[ref.column] ?? ref.type, input: { kind: "column", column: ref.column, type: schema.customers[ref.column] ?? null } });
        break;
      case "custom": {
        const type = schema.customers[field];
        if (!type) problems.push(`unknown custom field \`${field}\`: ${customNames.length ? `the customers export has ${customNames.join(", ")}` : "the customers export has no custom fields"}`);
        else out.push({ field, type, input: { kind: "column", column: field, type } });
        break;
      }
      case "age":
        out.push({ field, type: "integer", input: { kind: "derived", name: "age", from: "birthday", fromType: schema.customers.birthday ?? null, type: "integer" } });
        break;
      case "metric": {
        const agg = b.sharedAggregate(ref.table, MEASURES_OF[ref.metric]);
        out.push({ field, type: ref.type, input: { kind: "metric", aggregate: agg.id, metric: ref.metric, type: ref.type } });
        break;
      }
      case "fact-column":
      case "fact-custom":
        problems.push(`\`${field}\` is a column of each ${ref.table} row, not one value per customer: output a metric such as ${ref.table}.count or ${ref.table}.last_at`);
        break;
      case "segment":
        problems.push("`segment` is not a value of a customer: export each segment on its own, or with --all");
        break;
      case "rfm":
        b.rfmPlan();
        out.push({ field, type: ref.type, input: { kind: "rfm", name: ref.name, type: ref.type } });
        break;
    }
  }
  if (problems.length) throw new UsageError(`--fields: ${problems.join("; ")}`);
  return out;
}

/** Field names that have one value per customer, for suggestions. */
export function outputFieldNames(schema: DataSchema): string[] {
  const custom = Object.keys(schema.customers).filter((k) => k.startsWith("custom.")).map((k) => k.slice(7));
  return allFieldNames(custom).filter((n) => {
    const ref = resolveField(n);
    return ref !== undefined && (ref.kind === "customer" || ref.kind === "custom" || ref.kind === "age" || ref.kind === "metric" || ref.kind === "rfm");
  });
}

const OP_TEXT: Record<Op, string> = {
  eq: "=", ne: "!=", in: "in", not_in: "not in", all: "has all of", gt: ">", gte: ">=", lt: "<", lte: "<=",
  between: "between", empty: "empty", contains: "contains", not_contains: "does not contain",
  starts_with: "starts with", ends_with: "ends with", matches: "matches",
};

const NULL_TRUE: ReadonlySet<Op> = new Set(["ne", "not_in", "not_contains"]);

const MEASURES_OF: Record<Metric, Measure[]> = {
  count: [], first_at: ["first"], last_at: ["last"], revenue: ["revenue"], avg_check: ["revenue"], quantity: ["quantity"],
};

/** Resolves a checked operand for a test: dates to day numbers (or month-day keys), strings folded. */
export function resolveTest(cls: TypeClass, op: Op, operand: Operand, ctx: DateContext, monthDay: boolean): TestPlan {
  const scalar = (s: Scalar): PlanScalar => {
    if (s === null) throw new Error("null operand");
    if (typeof s === "object") return resolveDate(s, ctx, monthDay);
    if (cls === "string" || cls === "list") return fold(String(s));
    return s;
  };
  let resolved: OperandPlan;
  switch (operand.shape) {
    case "scalar": resolved = { shape: "value", value: scalar(operand.value) }; break;
    case "list": resolved = { shape: "values", values: sortedDistinct(operand.values.map(scalar)) }; break;
    case "range": {
      const low = operand.low === null ? null : (scalar(operand.low) as number);
      const high = operand.high === null ? null : (scalar(operand.high) as number);
      // With ignore_year a range whose low is after its high runs over the new year.
      resolved = { shape: "range", low, high, wraps: monthDay && low !== null && high !== null && low > high };
      break;
    }
    case "bool": resolved = { shape: "empty", value: operand.value }; break;
    case "text": resolved = { shape: "text", value: fold(operand.value) }; break;
    case "regex": resolved = { shape: "regex", source: operand.regex.source, flags: operand.regex.flags }; break;
  }
  const onNull = NULL_TRUE.has(op) || (resolved.shape === "empty" && resolved.value);
  return { class: cls, op, operand: resolved, monthDay: monthDay && cls === "date", onNull };
}

function sortedDistinct(values: PlanScalar[]): PlanScalar[] {
  const seen = new Map<string, PlanScalar>();
  for (const v of values) seen.set(`${typeof v}:${String(v)}`, v);
  return [...seen.values()].sort((a, b) => (typeof a === "number" && typeof b === "number" ? a - b : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));
}

/** The text of a resolved test, for labels: `>= 2026-08-25`, `in ["moscow"]`. */
export function testText(t: TestPlan): string {
  const show = (v: PlanScalar | null): string => {
    if (v === null) return "…";
    if (t.class === "date" && typeof v === "number") return t.monthDay ? `${String(Math.floor(v / 100)).padStart(2, "0")}-${String(v % 100).padStart(2, "0")}` : formatDay(v);
    return JSON.stringify(v);
  };
  const o = t.operand;
  switch (o.shape) {
    case "value": return `${OP_TEXT[t.op]} ${show(o.value)}`;
    case "values": return `${OP_TEXT[t.op]} [${o.values.map(show).join(", ")}]`;
    case "range": return `between ${show(o.low)} and ${show(o.high)}${t.monthDay ? " (month-day)" : ""}`;
    case "empty": return o.value ? "is empty" : "is not empty";
    case "text": return `${OP_TEXT[t.op]} ${JSON.stringify(o.value)}`;
    case "regex": return `matches /${o.source}/${o.flags}`;
  }
}

class Binder {
  readonly problems: Problem[] = [];
  readonly aggregates = new Map<string, AggregatePlan>();
  rfm?: RfmPlan;

  constructor(private readonly schema: DataSchema, private readonly ctx: DateContext, private readonly rfmSettings?: RfmSettings) {}

  warnings(): string[] {
    const out: string[] = [];
    const items = [...this.aggregates.values()].some((a) => a.itemConditions.length > 0);
    if (items && this.schema.facts.includes("orders") && !this.schema.orderItems) {
      out.push("conditions on order items (category, sku, ...) match no order: the data has no order_items export");
    }
    return out;
  }

  group(g: GroupNode, label: string): GroupPlan {
    const children: NodePlan[] = [];
    for (const child of g.children) {
      if (child.kind === "group") children.push(this.group(child, child.pos.path));
      else {
        const f = this.filter(child);
        if (f) children.push(f);
      }
    }
    return { kind: "group", at: at(g), label, match: g.match, not: g.not, children };
  }

  private report(f: FilterNode, message: string, hint?: string, where = f.op as string): void {
    this.problems.push({ file: f.pos.file, line: f.pos.line, col: f.pos.col, path: `${f.pos.path}.${where}`, message, hint });
  }

  private filter(f: FilterNode): FilterPlan | undefined {
    const ref = resolveField(f.field)!;
    const base = { kind: "filter" as const, at: at(f), field: f.field };
    switch (ref.kind) {
      case "segment": {
        const codes = (f.operand as unknown[]).map(String);
        return { ...base, label: `segment ${OP_TEXT[f.op]} [${codes.join(", ")}]`, input: { kind: "segment", codes, negate: f.op === "not_in" } };
      }
      case "customer":
        return this.columnFilter(f, ref.column, this.schema.customers[ref.column] ?? null, classOf(ref.type));
      case "age": {
        const fromType = this.schema.customers.birthday ?? null;
        const test = this.test(f, f.op, f.operand, "number", false);
        if (!test) return undefined;
        return { ...base, label: `age ${testText(test)}${fromType === "date" ? "" : " (no birthday column in the data: every value is null)"}`, input: { kind: "derived", name: "age", from: "birthday", fromType, type: "integer" }, test };
      }
      case "custom": {
        const column = `custom.${ref.name}`;
        const type = this.schema.customers[column];
        if (!type) {
          const names = Object.keys(this.schema.customers).filter((k) => k.startsWith("custom."));
          this.report(f, `unknown custom field \`${f.field}\`: the customers export has no such column`, choiceHint(f.field, names, 15) ?? (names.length ? `custom fields: ${names.join(", ")}` : "the customers export has no custom fields"), "field");
          return undefined;
        }
        const cls = classOf(type);
        if (!this.takesInferred(f, cls, OPS_BY_CLASS[cls])) return undefined;
        return this.columnFilter(f, column, type, cls);
      }
      case "metric": {
        const test = this.test(f, f.op, f.operand, classOf(ref.type), f.ignoreYear);
        if (!test || !this.checkWhere(f, ref.table)) return undefined;
        const agg = this.aggregate(ref.table, f.where, [], MEASURES_OF[ref.metric]);
        return { ...base, label: `${f.field}${this.whereText(ref.table, f.where)} ${testText(test)}`, input: { kind: "metric", aggregate: agg.id, metric: ref.metric, type: ref.type }, test };
      }
      case "fact-custom": {
        const col = this.customColumn(f, ref.table, ref.column, "field");
        if (!col) return undefined;
        const cls = classOf(col.type);
        // On facts `all` means "rows with each of these values" (docs/segments.md).
        if (!this.takesInferred(f, cls, cls === "list" ? OPS_BY_CLASS[cls] : [...OPS_BY_CLASS[cls], "all"])) return undefined;
        return this.factColumnFilter(f, ref.table, ref.column, col.type);
      }
      case "fact-column":
        return this.factColumnFilter(f, ref.table, ref.column, ref.type);
      case "rfm": {
        const test = this.test(f, f.op, f.operand, classOf(ref.type), false);
        if (!test) return undefined;
        this.rfmPlan();
        return { ...base, label: `${f.field} ${testText(test)}`, input: { kind: "rfm", name: ref.name, type: ref.type }, test };
      }
    }
  }

  /**
   * Checks what the definitions' checks could not before the data was read: the filter's
   * operator (and `ignore_year`) on a field whose type was inferred from the data.
   */
  private takesInferred(f: FilterNode, cls: TypeClass, allowed: readonly Op[]): boolean {
    if (!allowed.includes(f.op)) {
      this.report(f, `\`${f.op}\` does not apply to \`${f.field}\` (${describeClass(cls)}, inferred from the data)`, `operators for it: ${allowed.join(", ")}`);
      return false;
    }
    if (f.ignoreYear && cls !== "date") {
      this.report(f, `\`ignore_year\` applies to date fields, and \`${f.field}\` is ${describeClass(cls)}`, undefined, "ignore_year");
      return false;
    }
    return true;
  }

  /** The plan's RFM scoring and its counted-orders aggregate, made once. */
  rfmPlan(): RfmPlan {
    if (this.rfm) return this.rfm;
    const s = this.rfmSettings ?? DEFAULT_RFM;
    const agg = this.aggregate("orders", this.rfmWhere(s), [], ["last", "revenue"]);
    this.rfm = { aggregate: agg.id, method: s.method, bins: s.bins, monetary: s.monetary, ...(s.thresholds ? { thresholds: s.thresholds } : {}), rules: s.rules };
    return this.rfm;
  }

  /** RFM as of several days: one counted-orders aggregate per day, each with its own cut-off (the plan's day shares the main one). */
  rfmAt(days: readonly number[]): void {
    const rfm = this.rfmPlan();
    const where = this.rfmWhere(this.rfmSettings ?? DEFAULT_RFM);
    rfm.at = [...new Set(days)].sort((a, b) => a - b).map((day) => {
      const aggregate = day === this.ctx.asOfDay ? rfm.aggregate : this.aggregate("orders", where, [], ["last", "revenue"], startOfDayInZone(this.ctx.timezone, day + 1)).id;
      return { asOf: formatDay(day), asOfDay: day, aggregate };
    });
  }

  /** The counted orders' condition: status not excluded (a null status counts). */
  private rfmWhere(s: RfmSettings): Condition[] {
    const pos = { file: "segment.config.yaml", line: 0, col: 0, path: "rfm.exclude_statuses" };
    return s.excludeStatuses.length ? [{ column: "status", op: "not_in", operand: s.excludeStatuses, pos }] : [];
  }

  /** A filter on a column of each fact row: some (or, negated, no) passing row has the value. */
  private factColumnFilter(f: FilterNode, table: FactTable, column: string, type: ValueType): FilterPlan | undefined {
    const base = { kind: "filter" as const, at: at(f), field: f.field };
    if (!this.checkWhere(f, table)) return undefined;
    const cls = classOf(type);
    const cond = (op: Op, raw: unknown): Condition => ({ column, op, operand: raw, pos: f.pos, ignoreYear: f.ignoreYear });
    const where = this.whereText(table, f.where);
    if (f.op === "all") {
      // "has all of" over facts: every value is matched by some passing row.
      if (!this.test(f, "in", f.operand, cls, f.ignoreYear)) return undefined;
      const ids = (f.operand as unknown[]).map((v) => this.aggregate(table, f.where, [cond("in", [v])], []).id);
      return { ...base, label: `${f.field}${where} has all of ${JSON.stringify(f.operand)}`, input: { kind: "exists", aggregates: ids, negate: false } };
    }
    const negate = NEGATIVE_OPS.has(f.op);
    const op = negate ? POSITIVE_OF[f.op]! : f.op;
    if (!this.test(f, op, f.operand, cls, f.ignoreYear)) return undefined;
    const agg = this.aggregate(table, f.where, [cond(op, f.operand)], []);
    return { ...base, label: `${negate ? "no" : "some"} ${table} row${where} with ${column} ${OP_TEXT[op]} ${JSON.stringify(f.operand)}`, input: { kind: "exists", aggregates: [agg.id], negate } };
  }

  /** A custom column of a fact table, typed; reports it (at `where`) when the data has no such column. */
  private customColumn(f: FilterNode, table: FactTable, column: string, where: string): { type: ValueType; level: "row" | "item" } | undefined {
    const custom = this.schema.factCustom?.[table] ?? {};
    const col = custom[column];
    if (!col) {
      const names = [...factColumns(table).keys(), ...Object.keys(custom)];
      const exp = table === "orders" ? "orders (or order_items)" : FACT_EXPORT[table];
      this.report(f, `\`${table}.${column}\` is not a column of ${table}: the ${exp} export has no such column`, choiceHint(column, names, 20) ?? (Object.keys(custom).length ? `its own columns: ${Object.keys(custom).join(", ")}` : "run `segment fields` for the list"), where);
      return undefined;
    }
    if (col.type === null) throw new Error(`the type of ${table}.${column} was not inferred before bind`);
    return { type: col.type, level: col.level };
  }

  /** The type and level of a fact column, canonical or custom (checked to exist by `checkWhere`). */
  private columnOf(table: FactTable, column: string): { type: ValueType; level: "row" | "item" } {
    const canonical = factColumns(table).get(column);
    if (canonical) return canonical;
    const custom = this.schema.factCustom?.[table]?.[column];
    if (!custom || custom.type === null) throw new Error(`no column ${table}.${column}`);
    return { type: custom.type, level: custom.level };
  }

  /** Checks a filter's `where` conditions on custom columns against the data: they exist and take their operators. */
  private checkWhere(f: FilterNode, table: FactTable): boolean {
    let ok = true;
    for (const c of f.where) {
      if (factColumns(table).has(c.column)) continue;
      const where = `where.${c.column}`;
      const col = this.customColumn(f, table, c.column, where);
      if (!col) {
        ok = false;
        continue;
      }
      const cls = classOf(col.type);
      if (!OPS_BY_CLASS[cls].includes(c.op)) {
        this.report(f, `\`${c.op}\` does not apply to \`${table}.${c.column}\` (${describeClass(cls)}, inferred from the data)`, `operators for it: ${OPS_BY_CLASS[cls].join(", ")}`, where);
        ok = false;
        continue;
      }
      const checked = checkOperand(c.op, c.operand, cls, false);
      if (isOperandError(checked)) {
        this.report(f, checked.message, checked.hint, where);
        ok = false;
      }
    }
    return ok;
  }

  private columnFilter(f: FilterNode, column: string, type: ValueType | null, cls: TypeClass): FilterPlan | undefined {
    const test = this.test(f, f.op, f.operand, cls, f.ignoreYear);
    if (!test) return undefined;
    const absent = type === null ? " (no such column in the data: every value is null)" : "";
    return { kind: "filter", at: at(f), field: f.field, label: `${f.field} ${testText(test)}${absent}`, input: { kind: "column", column, type }, test };
  }

  private test(f: FilterNode, op: Op, raw: unknown, cls: TypeClass, ignoreYear: boolean): TestPlan | undefined {
    const checked = checkOperand(op, raw, cls, ignoreYear);
    if (isOperandError(checked)) {
      this.report(f, checked.message, checked.hint);
      return undefined;
    }
    return resolveTest(cls, op, checked, this.ctx, ignoreYear);
  }

  /**
   * A `where` as labels show it: values as written (`category in ["Chinese tea"]`), but
   * dates resolved against the as-of day as filter dates are (`at between 2026-11-09 and
   * 2026-11-23`), so a funnel reads the same for both.
   */
  private whereText(table: FactTable, where: Condition[]): string {
    if (where.length === 0) return "";
    const parts = where.map((c) => {
      const col = this.columnOf(table, c.column);
      if (classOf(col.type) === "date") return this.condition(c, col).label;
      return `${c.column} ${OP_TEXT[c.op]} ${JSON.stringify(c.operand)}`;
    });
    return ` where ${parts.join(" and ")}`;
  }

  /** The aggregate of every row of a table (no `where`), with these measures. */
  sharedAggregate(table: FactTable, measures: Measure[]): AggregatePlan {
    return this.aggregate(table, [], [], measures);
  }

  /** The shared aggregate for a table, `where` and extra conditions. */
  private aggregate(table: FactTable, where: Condition[], extra: Condition[], measures: Measure[], before?: number): AggregatePlan {
    const conds = [...where, ...extra].map((c) => this.condition(c, this.columnOf(table, c.column)));
    const rowConditions = conds.filter((c) => c.level === "row").sort(byKey);
    const itemConditions = conds.filter((c) => c.level === "item").sort(byKey);
    const key = `${table}|${rowConditions.map((c) => c.key).join("&")}|${itemConditions.map((c) => c.key).join("&")}${before === undefined ? "" : `|before ${before}`}`;
    let agg = this.aggregates.get(key);
    if (!agg) {
      const text = [...rowConditions, ...itemConditions].map((c) => `${c.level === "item" ? "item " : ""}${c.label}`);
      agg = {
        id: this.aggregates.size + 1, key, table, timestamp: TIMESTAMP[table], rowConditions, itemConditions,
        measures: ["count"], joinsItems: itemConditions.length > 0,
        label: `${table}${text.length ? ` where ${text.join(" and ")}` : ""}${before === undefined ? "" : ` (as of ${formatDay(dayInZone(this.ctx.timezone, before) - 1)})`}`,
        ...(before === undefined ? {} : { before }),
      };
      this.aggregates.set(key, agg);
    }
    for (const m of measures) if (!agg.measures.includes(m)) agg.measures.push(m);
    if (table === "orders" && agg.measures.includes("quantity")) agg.joinsItems = true;
    return agg;
  }

  private condition(c: Condition, col: { type: ValueType; level: "row" | "item" }): ConditionPlan {
    const cls = classOf(col.type);
    const monthDay = c.ignoreYear === true;
    const test = resolveTest(cls, c.op, checkOperand(c.op, c.operand, cls, monthDay) as Operand, this.ctx, monthDay);
    return { key: `${c.column} ${JSON.stringify(test)}`, column: c.column, type: col.type, level: col.level, label: `${c.column} ${testText(test)}`, test };
  }
}

function at(node: FilterNode | GroupNode): string {
  return `${node.pos.file}:${node.pos.line}:${node.pos.col}${node.pos.path ? ` ${node.pos.path}` : ""}`;
}

function byKey(a: ConditionPlan, b: ConditionPlan): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

