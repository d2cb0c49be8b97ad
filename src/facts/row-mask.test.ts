/**
 * conditionMask over string columns remembers verdicts per string (a slot table in front of
 * a Map). Whatever it remembers, each row's bit must be the tester's verdict on that row's
 * own text: checked here over batches of seeded strings chosen to collide in the table
 * (equal lengths, equal first, middle and last characters), against makeTester called row
 * by row, with nulls taking onNull. The same holds when the column comes encoded
 * (encodeStrings: codes into the batch's distinct values, for the conditions sharing it).
 */
import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../test/random.js";
import type { ConditionPlan } from "../segment/plan.js";
import { BitSet } from "../table/bitset.js";
import { makeTester } from "../rules/value-test.js";
import { ConditionCache, conditionMask, encodeStrings } from "./row-mask.js";

describe("conditionMask on strings", () => {
  it("gives every row the tester's verdict on its own text, across batches and colliding values", () => {
    const rnd = mulberry32(5);
    // aXb with one varying inner letter: same length, first, middle and last characters.
    const pool = ["Tea", "tea", " Tea ", "", "aab", "acb", "adb", "Chinese tea", "Chinese sea", "Chinesextea", "x".repeat(20), "x".repeat(19) + "y"];
    const conds: ConditionPlan[] = [
      { key: "c1", column: "category", type: "string", level: "row", label: "", test: { class: "string", op: "contains", operand: { shape: "text", value: "tea" }, monthDay: false, onNull: false } },
      { key: "c2", column: "category", type: "string", level: "row", label: "", test: { class: "string", op: "ne", operand: { shape: "value", value: "acb" }, monthDay: false, onNull: true } },
    ];
    const cache = new ConditionCache();
    const problems: string[] = [];
    for (let b = 0; b < 30; b++) {
      const n = 1 + Math.floor(rnd() * 200);
      const validity = new BitSet(n);
      const values = Array.from({ length: n }, (_, r) => {
        if (rnd() < 0.9) validity.add(r);
        // Fresh strings, as the reader makes them (not the pool's own objects).
        return (" " + pool[Math.floor(rnd() * pool.length)]).slice(1);
      });
      for (const cond of conds) {
        const got = conditionMask(cond, { type: "string", values, validity }, n, "UTC", cache);
        const tester = makeTester(cond.test);
        for (let r = 0; r < n; r++) {
          const want = validity.has(r) ? tester.test(values[r]) : tester.onNull;
          if (got[r] !== (want ? 1 : 0)) problems.push(`batch ${b} row ${r} ${cond.key} ${JSON.stringify(values[r])}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("encoded: every row the tester's verdict on its own text, the same as row by row", () => {
    const rnd = mulberry32(11);
    const pool = ["Tea", "tea", " Tea ", "aab", "acb", "adb", "Chinese tea", "Chinese sea", "Chinesextea", "x".repeat(20), "x".repeat(19) + "y", "", "open"];
    const conds: ConditionPlan[] = [
      { key: "e1", column: "type", type: "string", level: "row", label: "", test: { class: "string", op: "contains", operand: { shape: "text", value: "tea" }, monthDay: false, onNull: false } },
      { key: "e2", column: "type", type: "string", level: "row", label: "", test: { class: "string", op: "ne", operand: { shape: "value", value: "acb" }, monthDay: false, onNull: true } },
      { key: "e3", column: "type", type: "string", level: "row", label: "", test: { class: "string", op: "in", operand: { shape: "values", values: ["open", "aab"] }, monthDay: false, onNull: false } },
    ];
    const encodedCache = new ConditionCache();
    const rowCache = new ConditionCache();
    const problems: string[] = [];
    let encodedBatches = 0;
    for (let b = 0; b < 40; b++) {
      const n = 1 + Math.floor(rnd() * 300);
      const validity = new BitSet(n);
      const values = Array.from({ length: n }, (_, r) => {
        if (rnd() < 0.85) validity.add(r);
        return (" " + pool[Math.floor(rnd() * pool.length)]).slice(1);
      });
      const codes = encodeStrings(values, validity, n);
      if (codes) encodedBatches++;
      for (const cond of conds) {
        const col = { type: "string" as const, values, validity };
        const got = conditionMask(cond, col, n, "UTC", encodedCache, codes);
        const rows = conditionMask(cond, col, n, "UTC", rowCache);
        const tester = makeTester(cond.test);
        for (let r = 0; r < n; r++) {
          const want = validity.has(r) ? tester.test(values[r]) : tester.onNull;
          if (got[r] !== (want ? 1 : 0) || rows[r] !== got[r]) problems.push(`batch ${b} row ${r} ${cond.key} ${JSON.stringify(values[r])}`);
        }
      }
    }
    expect(problems).toEqual([]);
    // 13 values at most: every batch of 52 rows or more is encoded (limit: a quarter of the rows, at least 16).
    expect(encodedBatches).toBeGreaterThan(30);
  });

  it("does not encode a column with more distinct values than a quarter of its rows (or 4,096)", () => {
    const n = 1000;
    const all = BitSet.full(n);
    const few = Array.from({ length: n }, (_, r) => `v${r % 250}`);
    const many = Array.from({ length: n }, (_, r) => `v${r % 251}`);
    expect(encodeStrings(few, all, n)?.distinct.length).toBe(251);
    expect(encodeStrings(many, all, n)).toBeUndefined();
    const big = 40_000;
    const wide = Array.from({ length: big }, (_, r) => `v${r % 4097}`);
    expect(encodeStrings(wide, BitSet.full(big), big)).toBeUndefined();
    expect(encodeStrings(wide.map((_, r) => `v${r % 4096}`), BitSet.full(big), big)?.distinct.length).toBe(4097);
  });
});
