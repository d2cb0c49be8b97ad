/**
 * Binds validated definitions to the data and compiles each segment to a plan: a tree of
 * kernels over customer columns, plus the fact aggregates it needs (identical aggregates are
 * shared across segments). Data-dependent checks (custom fields) are collected here and
 * thrown once as definition errors.
 */
import { DefinitionError, type Problem } from "../errors.js";
import type { CustomerTable } from "../ingest/project.js";
import type { ValueType } from "../ingest/parse-value.js";
import { choiceHint } from "../suggest.js";
import { ColumnBuilder, type Column } from "../table/column.js";
import { civilFromDays, formatDay } from "../table/time.js";
import { compileTester, resolveDate, type DateContext, type Tester } from "../evaluate/tester.js";
import type { AggSpec, Measure, RowCondition } from "../facts/fact-spec.js";
import { POSITIVE_OF, NEGATIVE_OPS, type Condition, type FilterNode, type GroupNode, type Op, type Scalar, type SegmentDef } from "./ast.js";
import { factColumns, resolveField, type FactTable, type Metric } from "./fields.js";
import { describeClass } from "./load-definitions.js";
import { checkOperand, classOf, isOperandError, OPS_BY_CLASS, type Operand, type TypeClass } from "./operands.js";

/** Where a filter's values come from. */
export type ValueSource =
  | { kind: "column"; column: Column | undefined; cls: TypeClass; ignoreYear: boolean; tester: Tester }
  | { kind: "metric"; spec: AggSpec; metric: Metric; cls: TypeClass; ignoreYear: boolean; tester: Tester }
  | { kind: "exists"; specs: AggSpec[]; negate: boolean }
  | { kind: "segment"; codes: string[]; negate: boolean };

/** A compiled filter. */
export interface PlanFilter {
  kind: "filter";
  label: string;
  filter: FilterNode;
  source: ValueSource;
}

/** A compiled group. */
export interface PlanGroup {
  kind: "group";
  label: string;
  match: "all" | "any";
  not: boolean;
  children: PlanNode[];
}

/** A node of a compiled plan. */
export type PlanNode = PlanFilter | PlanGroup;

/** A compiled segment. */
export interface SegmentPlan {
  def: SegmentDef;
  root: PlanGroup;
}

/** All compiled segments and the aggregates they need. */
export interface CompiledPlans {
  plans: SegmentPlan[];
  specs: AggSpec[];
  ctx: DateContext;
}

/** Compiles definitions against the customers; throws a DefinitionError with every data-dependent problem. */
export function compileSegments(defs: SegmentDef[], customers: CustomerTable, ctx: DateContext): CompiledPlans {
  const c = new Compiler(customers, ctx);
  const plans = defs.map((def) => ({ def, root: c.group(def.root, `segment ${def.code}`) }));
  if (c.problems.length) throw new DefinitionError(c.problems);
  return { plans, specs: [...c.specs.values()], ctx };
}

const opText: Record<Op, string> = {
  eq: "=", ne: "!=", in: "in", not_in: "not in", all: "has all of", gt: ">", gte: ">=", lt: "<", lte: "<=",
  between: "between", empty: "empty", contains: "contains", not_contains: "does not contain",
  starts_with: "starts with", ends_with: "ends with", matches: "matches",
};

class Compiler {
  readonly problems: Problem[] = [];
  readonly specs = new Map<string, AggSpec>();
  private ageColumn?: Column;

  constructor(private readonly customers: CustomerTable, private readonly ctx: DateContext) {}

  group(g: GroupNode, label: string): PlanGroup {
    const children: PlanNode[] = [];
    for (const child of g.children) {
      if (child.kind === "group") children.push(this.group(child, child.pos.path));
      else {
        const f = this.filter(child);
        if (f) children.push(f);
      }
    }
    return { kind: "group", label, match: g.match, not: g.not, children };
  }

  private report(f: FilterNode, message: string, hint?: string, at = f.op as string): void {
    this.problems.push({ file: f.pos.file, line: f.pos.line, col: f.pos.col, path: `${f.pos.path}.${at}`, message, hint });
  }

  private filter(f: FilterNode): PlanFilter | undefined {
    const ref = resolveField(f.field)!;
    switch (ref.kind) {
      case "segment": {
        const codes = (f.operand as unknown[]).map(String);
        return { kind: "filter", filter: f, label: `segment ${opText[f.op]} [${codes.join(", ")}]`, source: { kind: "segment", codes, negate: f.op === "not_in" } };
      }
      case "customer": {
        const cls = classOf(ref.type);
        return this.columnFilter(f, this.customers.columns.get(ref.column), cls);
      }
      case "age":
        return this.columnFilter(f, this.age(), "number");
      case "custom": {
        const column = this.customers.columns.get(`custom.${ref.name}`);
        if (!column) {
          const names = [...this.customers.columns.keys()].filter((k) => k.startsWith("custom."));
          this.report(f, `unknown custom field \`${f.field}\`: the customers export has no such column`, choiceHint(f.field, names, 15) ?? (names.length ? `custom fields: ${names.join(", ")}` : "the customers export has no custom fields"), "field");
          return undefined;
        }
        const cls = classOf(column.type);
        if (!OPS_BY_CLASS[cls].includes(f.op)) {
          this.report(f, `\`${f.op}\` does not apply to \`${f.field}\` (${describeClass(cls)}, inferred from the data)`, `operators for it: ${OPS_BY_CLASS[cls].join(", ")}`);
          return undefined;
        }
        if (f.ignoreYear && cls !== "date") {
          this.report(f, `\`ignore_year\` applies to date fields, and \`${f.field}\` is ${describeClass(cls)}`, undefined, "ignore_year");
          return undefined;
        }
        return this.columnFilter(f, column, cls);
      }
      case "metric": {
        const cls = classOf(ref.type);
        const operand = this.operand(f, f.op, f.operand, cls, f.ignoreYear);
        if (!operand) return undefined;
        const measure: Measure[] = ref.metric === "count" ? [] : ref.metric === "first_at" ? ["first"] : ref.metric === "last_at" ? ["last"] : ref.metric === "avg_check" ? ["revenue"] : ref.metric === "revenue" ? ["revenue"] : ["quantity"];
        const spec = this.spec(ref.table, f.where, [], measure);
        const tester = compileTester(cls, f.op, operand, this.ctx, f.ignoreYear);
        return { kind: "filter", filter: f, label: `${f.field}${whereText(f.where)} ${this.operandText(f.op, operand, f.ignoreYear)}`, source: { kind: "metric", spec, metric: ref.metric, cls, ignoreYear: f.ignoreYear, tester } };
      }
      case "fact-column": {
        const cls = classOf(ref.type);
        const cond = (op: Op, raw: unknown): Condition => ({ column: ref.column, op, operand: raw, pos: f.pos, ignoreYear: f.ignoreYear });
        if (f.op === "all") {
          // "has all of" over facts: every value is matched by some passing row.
          const specs = (f.operand as unknown[]).map((v) => this.spec(ref.table, f.where, [cond("in", [v])], []));
          return { kind: "filter", filter: f, label: `${f.field}${whereText(f.where)} has all of ${JSON.stringify(f.operand)}`, source: { kind: "exists", specs, negate: false } };
        }
        const negate = NEGATIVE_OPS.has(f.op);
        const op = negate ? POSITIVE_OF[f.op]! : f.op;
        if (!this.operand(f, op, f.operand, cls, f.ignoreYear)) return undefined;
        const spec = this.spec(ref.table, f.where, [cond(op, f.operand)], []);
        return { kind: "filter", filter: f, label: `${negate ? "no" : "some"} ${ref.table} row${whereText(f.where)} with ${ref.column} ${opText[op]} ${JSON.stringify(f.operand)}`, source: { kind: "exists", specs: [spec], negate } };
      }
      case "rfm":
        this.report(f, `\`${f.field}\` is not available yet`, undefined, "field");
        return undefined;
    }
  }

  private columnFilter(f: FilterNode, column: Column | undefined, cls: TypeClass): PlanFilter | undefined {
    const operand = this.operand(f, f.op, f.operand, cls, f.ignoreYear);
    if (!operand) return undefined;
    const tester = compileTester(cls, f.op, operand, this.ctx, f.ignoreYear);
    const absent = column ? "" : " (no such column in the data: every value is null)";
    return { kind: "filter", filter: f, label: `${f.field} ${this.operandText(f.op, operand, f.ignoreYear)}${absent}`, source: { kind: "column", column, cls, ignoreYear: f.ignoreYear, tester } };
  }

  private operand(f: FilterNode, op: Op, raw: unknown, cls: TypeClass, ignoreYear: boolean): Operand | undefined {
    const checked = checkOperand(op, raw, cls, ignoreYear);
    if (isOperandError(checked)) {
      this.report(f, checked.message, checked.hint);
      return undefined;
    }
    return checked;
  }

  /** The shared aggregate for a table, `where` and extra conditions. */
  private spec(table: FactTable, where: Condition[], extra: Condition[], measures: Measure[]): AggSpec {
    const columns = factColumns(table);
    const conds = [...where, ...extra].map((c) => this.condition(c, columns.get(c.column)!));
    const rowConds = conds.filter((c) => c.level === "row").sort(byKey);
    const itemConds = conds.filter((c) => c.level === "item").sort(byKey);
    const key = `${table}|${rowConds.map((c) => c.key).join("&")}|${itemConds.map((c) => c.key).join("&")}`;
    let spec = this.specs.get(key);
    if (!spec) this.specs.set(key, (spec = { id: this.specs.size + 1, key, table, rowConds, itemConds, needs: new Set(["count"]) }));
    for (const m of measures) spec.needs.add(m);
    return spec;
  }

  private condition(c: Condition, col: { type: ValueType; level: "row" | "item" }): RowCondition {
    const cls = classOf(col.type);
    const iy = c.ignoreYear === true;
    const operand = checkOperand(c.op, c.operand, cls, iy) as Operand;
    const tester = compileTester(cls, c.op, operand, this.ctx, iy);
    const label = `${c.column} ${this.operandText(c.op, operand, iy)}`;
    return { key: `${c.column}${iy ? " (month-day)" : ""} ${c.op} ${JSON.stringify(canonicalOperand(operand, this.ctx, iy))}`, column: c.column, cls, tester, level: col.level, label, ignoreYear: iy };
  }

  private age(): Column | undefined {
    if (this.ageColumn) return this.ageColumn;
    const birthday = this.customers.columns.get("birthday");
    if (!birthday || birthday.kind !== "date") return undefined;
    const today = civilFromDays(this.ctx.asOfDay);
    const b = new ColumnBuilder("integer");
    for (let i = 0; i < birthday.length; i++) {
      if (!birthday.validity.has(i)) {
        b.push(null);
        continue;
      }
      const born = civilFromDays(birthday.values[i]);
      // Not yet had this year's birthday: one year less. 29 Feb turns a year older on 1 Mar in common years.
      const before = today.m < born.m || (today.m === born.m && today.d < born.d);
      b.push(today.y - born.y - (before ? 1 : 0));
    }
    return (this.ageColumn = b.finish());
  }

  private operandText(op: Op, operand: Operand, ignoreYear: boolean): string {
    const show = (s: Scalar): string => {
      if (s === null) return "…";
      if (typeof s === "object") {
        const v = resolveDate(s, this.ctx, ignoreYear);
        return ignoreYear ? `${String(Math.floor(v / 100)).padStart(2, "0")}-${String(v % 100).padStart(2, "0")}` : formatDay(v);
      }
      return JSON.stringify(s);
    };
    switch (operand.shape) {
      case "scalar": return `${opText[op]} ${show(operand.value)}`;
      case "list": return `${opText[op]} [${operand.values.map(show).join(", ")}]`;
      case "range": return `between ${show(operand.low)} and ${show(operand.high)}${ignoreYear ? " (month-day)" : ""}`;
      case "bool": return operand.value ? "is empty" : "is not empty";
      case "text": return `${opText[op]} ${JSON.stringify(operand.value)}`;
      case "regex": return `matches ${operand.regex}`;
    }
  }
}

function byKey(a: RowCondition, b: RowCondition): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** An operand with dates resolved and strings folded, so equal conditions get equal keys. */
function canonicalOperand(operand: Operand, ctx: DateContext, ignoreYear: boolean): unknown {
  const s = (v: Scalar): unknown => (v !== null && typeof v === "object" ? resolveDate(v, ctx, ignoreYear) : typeof v === "string" ? v.trim().toLowerCase() : v);
  switch (operand.shape) {
    case "scalar": return s(operand.value);
    case "list": return operand.values.map(s).sort();
    case "range": return [s(operand.low), s(operand.high)];
    case "bool": return operand.value;
    case "text": return operand.value.trim().toLowerCase();
    case "regex": return String(operand.regex);
  }
}

function whereText(where: Condition[]): string {
  if (where.length === 0) return "";
  return ` where ${where.map((c) => `${c.column} ${opText[c.op]} ${JSON.stringify(c.operand)}`).join(" and ")}`;
}
