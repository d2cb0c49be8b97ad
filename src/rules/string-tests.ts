/**
 * Tests on text and on lists of text. Strings compare trimmed and case-folded (the operand
 * is folded already); `matches` runs on the trimmed, unfolded value. On a list, a positive
 * operator holds when some item matches, a negative one when none does.
 */
import { guardRegexps } from "../safe-regex.js";
import { fold } from "../segment/operands.js";
import type { TestPlan } from "../segment/plan.js";

/** The predicate of a test on one text value. */
export function stringTest(t: TestPlan): (v: string) => boolean {
  const o = t.operand;
  switch (t.op) {
    case "eq": { const x = value(t); return (v) => fold(v) === x; }
    case "ne": { const x = value(t); return (v) => fold(v) !== x; }
    case "in": { const set = valueSet(t); return (v) => set.has(fold(v)); }
    case "not_in": { const set = valueSet(t); return (v) => !set.has(fold(v)); }
    case "contains": { const x = value(t); return (v) => fold(v).includes(x); }
    case "not_contains": { const x = value(t); return (v) => !fold(v).includes(x); }
    case "starts_with": { const x = value(t); return (v) => fold(v).startsWith(x); }
    case "ends_with": { const x = value(t); return (v) => fold(v).endsWith(x); }
    case "matches": {
      if (o.shape !== "regex") throw new Error("matches needs a pattern");
      guardRegexps();
      const re = new RegExp(o.source, o.flags);
      return (v) => re.test(v.trim());
    }
    default: throw new Error(`operator ${t.op} on text`);
  }
}

/** The predicate of a test on a list of texts. */
export function listTest(t: TestPlan): (v: string[]) => boolean {
  if (t.op === "all") {
    const want = [...valueSet(t)];
    return (v) => {
      const have = new Set(v.map(fold));
      return want.every((w) => have.has(w));
    };
  }
  const { item, negate } = anyItemOf(t);
  return (v) => v.some(item) !== negate;
}

/**
 * A list test other than `all` as "some item passes `item`" (`negate`: no item does), so a
 * kernel can test each distinct item once and then compare codes.
 */
export interface AnyItem {
  item: (v: string) => boolean;
  negate: boolean;
}

/** The item test of a list test; `all` has none (it needs every wanted value). */
export function anyItemOf(t: TestPlan): AnyItem {
  switch (t.op) {
    case "eq": { const x = value(t); return { item: (i) => fold(i) === x, negate: false }; }
    case "ne": { const x = value(t); return { item: (i) => fold(i) === x, negate: true }; }
    case "in": { const set = valueSet(t); return { item: (i) => set.has(fold(i)), negate: false }; }
    case "not_in": { const set = valueSet(t); return { item: (i) => set.has(fold(i)), negate: true }; }
    case "contains": case "starts_with": case "ends_with": case "matches":
      return { item: stringTest(t), negate: false };
    case "not_contains":
      return { item: stringTest({ ...t, op: "contains" }), negate: true };
    default: throw new Error(`operator ${t.op} on a list`);
  }
}

function value(t: TestPlan): string {
  const o = t.operand;
  if (o.shape === "value" || o.shape === "text") return String(o.value);
  throw new Error(`${t.op} needs one value`);
}

function valueSet(t: TestPlan): Set<string> {
  if (t.operand.shape !== "values") throw new Error(`${t.op} needs a list`);
  return new Set(t.operand.values.map(String));
}
