/**
 * segmentKernel: candidates in any of the referenced segments (negated: in none of them).
 * Memberships are set by hand; expected rows are the union (or its complement) within the
 * candidates.
 */
import { describe, expect, it } from "vitest";
import type { Plan } from "../segment/plan.js";
import { BitSet } from "../table/bitset.js";
import { EvalState } from "./eval-state.js";
import { segmentKernel } from "./segment-ref.js";

const N = 6;
const plan: Plan = { version: 1, asOf: "2024-03-10", asOfDay: 19792, timezone: "UTC", factsBefore: 0, segments: [], stored: [], aggregates: [], outputs: [], warnings: [] };

function rows(list: number[]): BitSet {
  const s = new BitSet(N);
  for (const i of list) s.add(i);
  return s;
}

function makeState(): EvalState {
  const st = new EvalState(plan, { length: N, columns: new Map() }, new Map());
  st.segments.set("vip", rows([0, 1]));
  st.segments.set("blocked", rows([1, 3]));
  st.segments.set("nobody", rows([]));
  return st;
}

describe("segmentKernel", () => {
  it("one segment", () => {
    const st = makeState();
    expect(segmentKernel(["vip"], false, BitSet.full(N), st).toArray()).toEqual([0, 1]);
    expect(segmentKernel(["vip"], true, BitSet.full(N), st).toArray()).toEqual([2, 3, 4, 5]);
  });

  it("any of several segments; negated: in none of them", () => {
    const st = makeState();
    // {0,1} ∪ {1,3} = {0,1,3}.
    expect(segmentKernel(["vip", "blocked"], false, BitSet.full(N), st).toArray()).toEqual([0, 1, 3]);
    expect(segmentKernel(["vip", "blocked"], true, BitSet.full(N), st).toArray()).toEqual([2, 4, 5]);
    expect(segmentKernel(["nobody"], true, BitSet.full(N), st).toArray()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("respects the candidates", () => {
    const st = makeState();
    expect(segmentKernel(["vip", "blocked"], false, rows([1, 2, 3]), st).toArray()).toEqual([1, 3]);
    expect(segmentKernel(["vip", "blocked"], true, rows([1, 2, 3]), st).toArray()).toEqual([2]);
  });

  it("leaves the memberships and candidates as they were", () => {
    const st = makeState();
    const cand = rows([0, 2]);
    segmentKernel(["vip", "blocked"], false, cand, st);
    segmentKernel(["vip", "blocked"], true, cand, st);
    expect(st.segments.get("vip")!.toArray()).toEqual([0, 1]);
    expect(st.segments.get("blocked")!.toArray()).toEqual([1, 3]);
    expect(cand.toArray()).toEqual([0, 2]);
  });

  it("throws for a segment not evaluated (or given) yet, negated or not", () => {
    const st = makeState();
    expect(() => segmentKernel(["vip", "later"], false, BitSet.full(N), st)).toThrow(/later/);
    expect(() => segmentKernel(["later"], true, BitSet.full(N), st)).toThrow(/before it was evaluated/);
  });
});
