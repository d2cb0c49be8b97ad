/**
 * The typed-loop forms of tests say what the predicates say: for every comparison and
 * `between` (wrapping or not, open ends), the bounds' verdict equals compareTest's and
 * betweenTest's on seeded random values around the operands. The predicates are the reference: each has its
 * own hand-checked tests beside this file. (The list form, anyItem, is checked through the
 * kernel in src/evaluate/column-kernel.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../test/random.js";
import type { Op } from "../segment/ast.js";
import type { TestPlan } from "../segment/plan.js";
import { boundsOf, inBounds } from "./bounds.js";
import { makeTester } from "./value-test.js";

const plan = (op: Op, operand: TestPlan["operand"], cls: TestPlan["class"] = "number"): TestPlan => ({ class: cls, op, operand, monthDay: false, onNull: false });

describe("bounds", () => {
  it("agree with the predicates on 500 random tests of 40 values each", () => {
    const rnd = mulberry32(12);
    const problems: string[] = [];
    for (let n = 0; n < 500; n++) {
      const x = Math.floor(rnd() * 20) - 10 + (rnd() < 0.3 ? 0.5 : 0);
      const y = x + Math.floor(rnd() * 10) - 3;
      const cls = rnd() < 0.5 ? "number" : "date";
      const tests: TestPlan[] = [
        ...(["eq", "ne", "gt", "gte", "lt", "lte"] as const).map((op) => plan(op, { shape: "value", value: x }, cls)),
        plan("between", { shape: "range", low: x, high: y, wraps: x > y }, cls),
        plan("between", { shape: "range", low: null, high: y, wraps: false }, cls),
        plan("between", { shape: "range", low: x, high: null, wraps: false }, cls),
      ];
      for (const t of tests) {
        const b = boundsOf(t);
        if (!b) {
          problems.push(`${t.op}: no bounds`);
          continue;
        }
        const tester = makeTester(t);
        for (let k = 0; k < 40; k++) {
          const v = k === 0 ? x : k === 1 ? y : Math.floor(rnd() * 30) - 15 + (rnd() < 0.2 ? 0.5 : 0);
          if (inBounds(b, v) !== tester.test(v)) problems.push(`${t.op} ${JSON.stringify(t.operand)} on ${v}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("are not made for tests that are no interval", () => {
    expect(boundsOf(plan("in", { shape: "values", values: [1, 2] }))).toBeUndefined();
    expect(boundsOf(plan("empty", { shape: "empty", value: true }))).toBeUndefined();
    expect(boundsOf(plan("eq", { shape: "value", value: true }, "bool"))).toBeUndefined();
    expect(makeTester(plan("in", { shape: "values", values: [1] })).bounds).toBeUndefined();
  });
});
