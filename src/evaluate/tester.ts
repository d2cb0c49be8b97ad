/**
 * Value testers: one operator with its operand, resolved against the as-of day, as a
 * function of a single non-null value. Kernels over customer columns call a tester once per
 * distinct dictionary value; fact passes call it per row (with a cache for strings).
 */
import type { DateOperand, Op, Scalar } from "../segment/ast.js";
import type { Operand, TypeClass } from "../segment/operands.js";
import { addMonths, civilFromDays, dayInZone } from "../table/time.js";
import { parseDateTime } from "../ingest/parse-value.js";

/** A value in its class's representation: text (trimmed, unfolded), number, bool, day number, or list of texts. */
export type TestValue = string | number | boolean | string[];

/** A compiled operator: `test` for present values, `onNull` for a missing one. */
export interface Tester {
  test(v: TestValue): boolean;
  onNull: boolean;
}

/** What resolving dates needs. */
export interface DateContext {
  asOfDay: number;
  timezone: string;
}

/** Lower-cases and trims, as all string comparisons do. */
export function fold(s: string): string {
  return s.trim().toLowerCase();
}

/** Month-day key of a day number: 1231 for 31 December, 229 for 29 February. */
export function monthDayKey(day: number): number {
  const { m, d } = civilFromDays(day);
  return m * 100 + d;
}

/** Resolves a date operand to a day number (or a month-day key with ignore_year). */
export function resolveDate(op: DateOperand, ctx: DateContext, ignoreYear: boolean): number {
  let day: number;
  switch (op.kind) {
    case "month-day":
      return op.month * 100 + op.day;
    case "day":
      day = op.day;
      break;
    case "instant":
      day = dayInZone(ctx.timezone, parseDateTime(op.text, ctx.timezone)!);
      break;
    case "relative":
      if (op.unit === "d") day = ctx.asOfDay + op.n;
      else if (op.unit === "w") day = ctx.asOfDay + 7 * op.n;
      else day = addMonths(ctx.asOfDay, op.unit === "m" ? op.n : 12 * op.n);
      break;
  }
  return ignoreYear ? monthDayKey(day) : day;
}

const NULL_TRUE: ReadonlySet<Op> = new Set(["ne", "not_in", "not_contains"]);

/**
 * Compiles an operator for a class. For class `date` the tester takes a day number, or a
 * month-day key when `ignoreYear` (the caller converts values the same way).
 */
export function compileTester(cls: TypeClass, op: Op, operand: Operand, ctx: DateContext, ignoreYear = false): Tester {
  const onNull = NULL_TRUE.has(op) || (op === "empty" && operand.shape === "bool" && operand.value);
  if (op === "empty") {
    const want = (operand as { value: boolean }).value;
    // A present value is "empty" only when it is a list with no items.
    return { onNull, test: (v) => (Array.isArray(v) && v.length === 0) === want };
  }
  const scalar = (s: Scalar): string | number | boolean => {
    if (s === null) throw new Error("null operand");
    if (typeof s === "object") return resolveDate(s, ctx, ignoreYear);
    if (cls === "string" || cls === "list") return fold(String(s));
    return s;
  };
  if (cls === "list") return { onNull, test: listTest(op, operand, scalar) };
  if (cls === "string") return { onNull, test: stringTest(op, operand, scalar) as (v: TestValue) => boolean };
  return { onNull, test: orderedTest(op, operand, scalar, cls === "date" && ignoreYear) as (v: TestValue) => boolean };
}

function stringTest(op: Op, operand: Operand, scalar: (s: Scalar) => string | number | boolean): (v: string) => boolean {
  switch (op) {
    case "eq": { const x = scalar((operand as { value: Scalar }).value); return (v) => fold(v) === x; }
    case "ne": { const x = scalar((operand as { value: Scalar }).value); return (v) => fold(v) !== x; }
    case "in": { const set = new Set((operand as { values: Scalar[] }).values.map(scalar)); return (v) => set.has(fold(v)); }
    case "not_in": { const set = new Set((operand as { values: Scalar[] }).values.map(scalar)); return (v) => !set.has(fold(v)); }
    case "contains": { const x = fold((operand as { value: string }).value); return (v) => fold(v).includes(x); }
    case "not_contains": { const x = fold((operand as { value: string }).value); return (v) => !fold(v).includes(x); }
    case "starts_with": { const x = fold((operand as { value: string }).value); return (v) => fold(v).startsWith(x); }
    case "ends_with": { const x = fold((operand as { value: string }).value); return (v) => fold(v).endsWith(x); }
    case "matches": { const re = (operand as { regex: RegExp }).regex; return (v) => re.test(v.trim()); }
    default: throw new Error(`operator ${op} on text`);
  }
}

function listTest(op: Op, operand: Operand, scalar: (s: Scalar) => string | number | boolean): (v: TestValue) => boolean {
  const items = (v: TestValue) => (v as string[]);
  switch (op) {
    case "eq": { const x = scalar((operand as { value: Scalar }).value); return (v) => items(v).some((i) => fold(i) === x); }
    case "ne": { const x = scalar((operand as { value: Scalar }).value); return (v) => !items(v).some((i) => fold(i) === x); }
    case "in": { const set = new Set((operand as { values: Scalar[] }).values.map(scalar)); return (v) => items(v).some((i) => set.has(fold(i))); }
    case "not_in": { const set = new Set((operand as { values: Scalar[] }).values.map(scalar)); return (v) => !items(v).some((i) => set.has(fold(i))); }
    case "all": {
      const want = [...new Set((operand as { values: Scalar[] }).values.map(scalar))];
      return (v) => {
        const have = new Set(items(v).map(fold));
        return want.every((w) => have.has(w as string));
      };
    }
    case "contains": case "starts_with": case "ends_with": case "matches": {
      const one = stringTest(op, operand, scalar);
      return (v) => items(v).some(one);
    }
    case "not_contains": {
      const one = stringTest("contains", operand, scalar);
      return (v) => !items(v).some(one);
    }
    default: throw new Error(`operator ${op} on a list`);
  }
}

function orderedTest(op: Op, operand: Operand, scalar: (s: Scalar) => string | number | boolean, wrap: boolean): (v: number | boolean) => boolean {
  switch (op) {
    case "eq": { const x = scalar((operand as { value: Scalar }).value); return (v) => v === x; }
    case "ne": { const x = scalar((operand as { value: Scalar }).value); return (v) => v !== x; }
    case "in": { const set = new Set((operand as { values: Scalar[] }).values.map(scalar)); return (v) => set.has(v); }
    case "not_in": { const set = new Set((operand as { values: Scalar[] }).values.map(scalar)); return (v) => !set.has(v); }
    case "gt": { const x = scalar((operand as { value: Scalar }).value) as number; return (v) => (v as number) > x; }
    case "gte": { const x = scalar((operand as { value: Scalar }).value) as number; return (v) => (v as number) >= x; }
    case "lt": { const x = scalar((operand as { value: Scalar }).value) as number; return (v) => (v as number) < x; }
    case "lte": { const x = scalar((operand as { value: Scalar }).value) as number; return (v) => (v as number) <= x; }
    case "between": {
      const { low, high } = operand as { low: Scalar; high: Scalar };
      const lo = low === null ? -Infinity : (scalar(low) as number);
      const hi = high === null ? Infinity : (scalar(high) as number);
      // With ignore_year a range whose low is after its high runs over the new year.
      if (wrap && low !== null && high !== null && lo > hi) return (v) => (v as number) >= lo || (v as number) <= hi;
      return (v) => (v as number) >= lo && (v as number) <= hi;
    }
    default: throw new Error(`operator ${op} on a number or date`);
  }
}
