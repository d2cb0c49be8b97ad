/**
 * existsKernel: the candidates with a passing row (count > 0) in every aggregate, or when
 * negated the other candidates. Counts are filled by hand; expected rows read off them.
 */
import { describe, expect, it } from "vitest";
import { emptyResult, type AggResult } from "../facts/aggregates.js";
import type { Plan } from "../segment/plan.js";
import { BitSet } from "../table/bitset.js";
import { EvalState } from "./eval-state.js";
import { existsKernel } from "./exists.js";

const N = 5;

function result(counts: number[]): AggResult {
  const r = emptyResult(N, ["count"]);
  counts.forEach((c, i) => (r.count[i] = c));
  return r;
}

const plan: Plan = { version: 1, asOf: "2024-03-10", asOfDay: 19792, timezone: "UTC", factsBefore: 0, segments: [], stored: [], aggregates: [], outputs: [], warnings: [] };

// Customer:        0  1  2  3  4
const agg1 = result([2, 0, 1, 0, 3]);
const agg2 = result([1, 1, 0, 0, 1]);
const agg3 = result([0, 0, 0, 0, 5]);
const state = new EvalState(plan, { length: N, columns: new Map() }, new Map([[1, agg1], [2, agg2], [3, agg3]]));

function rows(list: number[]): BitSet {
  const s = new BitSet(N);
  for (const i of list) s.add(i);
  return s;
}
const all = () => BitSet.full(N);

describe("existsKernel", () => {
  it("one aggregate: customers with a row", () => {
    expect(existsKernel([1], false, all(), state).toArray()).toEqual([0, 2, 4]);
    expect(existsKernel([1], true, all(), state).toArray()).toEqual([1, 3]);
  });

  it("several aggregates: a row in each of them", () => {
    // agg1 > 0 at {0,2,4}, agg2 > 0 at {0,1,4}: both at {0,4}.
    expect(existsKernel([1, 2], false, all(), state).toArray()).toEqual([0, 4]);
    // And agg3 > 0 only at {4}.
    expect(existsKernel([1, 2, 3], false, all(), state).toArray()).toEqual([4]);
  });

  it("negated: the candidates missing a row in some aggregate", () => {
    expect(existsKernel([1, 2], true, all(), state).toArray()).toEqual([1, 2, 3]);
    expect(existsKernel([1, 2, 3], true, all(), state).toArray()).toEqual([0, 1, 2, 3]);
  });

  it("respects the candidates, negated or not", () => {
    expect(existsKernel([1, 2], false, rows([1, 2, 4]), state).toArray()).toEqual([4]);
    expect(existsKernel([1, 2], true, rows([0, 2, 4]), state).toArray()).toEqual([2]);
    expect(existsKernel([1], true, rows([]), state).toArray()).toEqual([]);
  });

  it("does not change the candidates", () => {
    const cand = rows([0, 1, 2]);
    existsKernel([1], true, cand, state);
    expect(cand.toArray()).toEqual([0, 1, 2]);
  });
});
