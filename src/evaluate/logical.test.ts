/**
 * evaluateGroup / evaluateNode: `all` narrows the candidates for each next child and stops
 * when none are left, `any` only asks about rows not yet matched, `not` complements within
 * the candidates. Filters here are fake kernels returning a fixed row set intersected with
 * their candidates, and recording which candidates they were given; expected sets are the
 * set algebra done by hand.
 */
import { describe, expect, it } from "vitest";
import type { GroupPlan, Plan } from "../segment/plan.js";
import { BitSet } from "../table/bitset.js";
import { EvalState } from "./eval-state.js";
import { evaluateGroup, evaluateNode } from "./logical.js";
import type { LoweredFilter, LoweredGroup, LoweredNode } from "./lower.js";

const N = 8;
const plan: Plan = { version: 1, asOf: "2024-03-10", asOfDay: 19792, timezone: "UTC", factsBefore: 0, segments: [], stored: [], aggregates: [], outputs: [], warnings: [] };
const state = new EvalState(plan, { length: N, columns: new Map() }, new Map());

function rows(list: number[]): BitSet {
  const s = new BitSet(N);
  for (const i of list) s.add(i);
  return s;
}

interface Fake extends LoweredFilter {
  /** The candidates of each call. */
  calls: number[][];
}

function filter(name: string, passing: number[]): Fake {
  const set = rows(passing);
  const f: Fake = {
    kind: "filter",
    plan: { kind: "filter", at: `t:1:1 ${name}`, field: name, label: name, input: { kind: "segment", codes: [name], negate: false } },
    calls: [],
    run: (cand) => {
      f.calls.push(cand.toArray());
      return cand.clone().and(set);
    },
  };
  return f;
}

function group(match: "all" | "any", children: LoweredNode[], not = false): LoweredGroup {
  const p: GroupPlan = { kind: "group", at: "t:1:1", label: "g", match, not, children: children.map((c) => c.plan) };
  return { kind: "group", plan: p, children };
}

const everyone = () => BitSet.full(N);

describe("all", () => {
  it("is the intersection, each child seeing only what is left", () => {
    const a = filter("a", [0, 1, 2, 3]), b = filter("b", [1, 3, 5]), c = filter("c", [3, 4]);
    expect(evaluateGroup(group("all", [a, b, c]), everyone(), state).toArray()).toEqual([3]);
    expect(a.calls).toEqual([[0, 1, 2, 3, 4, 5, 6, 7]]);
    expect(b.calls).toEqual([[0, 1, 2, 3]]);
    expect(c.calls).toEqual([[1, 3]]);
  });

  it("stops when no candidate is left", () => {
    const a = filter("a", [0]), b = filter("b", [1]), c = filter("c", [0, 1]);
    expect(evaluateGroup(group("all", [a, b, c]), everyone(), state).toArray()).toEqual([]);
    expect(c.calls).toEqual([]);
  });

  it("stays within the candidates", () => {
    const a = filter("a", [0, 1, 2, 3]);
    expect(evaluateGroup(group("all", [a]), rows([2, 3, 4]), state).toArray()).toEqual([2, 3]);
  });
});

describe("any", () => {
  it("is the union, each child asked only about rows not yet matched", () => {
    const a = filter("a", [0, 1]), b = filter("b", [1, 2]), c = filter("c", [2, 7]);
    expect(evaluateGroup(group("any", [a, b, c]), everyone(), state).toArray()).toEqual([0, 1, 2, 7]);
    expect(a.calls).toEqual([[0, 1, 2, 3, 4, 5, 6, 7]]);
    expect(b.calls).toEqual([[2, 3, 4, 5, 6, 7]]);
    expect(c.calls).toEqual([[3, 4, 5, 6, 7]]);
  });

  it("stays within the candidates", () => {
    const a = filter("a", [0, 1]), b = filter("b", [5, 6]);
    expect(evaluateGroup(group("any", [a, b]), rows([1, 2, 6]), state).toArray()).toEqual([1, 6]);
  });
});

describe("not", () => {
  it("complements an all group within the candidates", () => {
    // a ∩ b = {1, 3}; not, within {0..7}: {0, 2, 4, 5, 6, 7}; within {0, 1, 2}: {0, 2}.
    const g = () => group("all", [filter("a", [0, 1, 2, 3]), filter("b", [1, 3, 5])], true);
    expect(evaluateGroup(g(), everyone(), state).toArray()).toEqual([0, 2, 4, 5, 6, 7]);
    expect(evaluateGroup(g(), rows([0, 1, 2]), state).toArray()).toEqual([0, 2]);
  });

  it("complements an any group within the candidates", () => {
    // a ∪ b = {0, 1, 6}; within {1, 2, 3, 6}: not is {2, 3}.
    const g = group("any", [filter("a", [0, 1]), filter("b", [6])], true);
    expect(evaluateGroup(g, rows([1, 2, 3, 6]), state).toArray()).toEqual([2, 3]);
  });

  it("does not change the candidates it complements within", () => {
    const cand = rows([1, 2]);
    evaluateGroup(group("all", [filter("a", [1])], true), cand, state);
    expect(cand.toArray()).toEqual([1, 2]);
  });
});

describe("nesting", () => {
  it("all [ any [a, b], not all [c], d ]", () => {
    // any [a, b] = {0, 1, 2, 5}; not c (c = {1, 6}) = {0, 2, 3, 4, 5, 7}; d = {0, 2, 5, 7}.
    // all: {0, 1, 2, 5} ∩ {0, 2, 3, 4, 5, 7} ∩ {0, 2, 5, 7} = {0, 2, 5}.
    const d = filter("d", [0, 2, 5, 7]);
    const g = group("all", [
      group("any", [filter("a", [0, 1]), filter("b", [2, 5])]),
      group("all", [filter("c", [1, 6])], true),
      d,
    ]);
    expect(evaluateGroup(g, everyone(), state).toArray()).toEqual([0, 2, 5]);
    expect(d.calls).toEqual([[0, 2, 5]]);
  });

  it("any [ not any [a], all [b, c] ] within candidates", () => {
    // not a (a = {0..3}) within {0, 2, 4, 6} = {4, 6}; b ∩ c = {2, 6}; union = {2, 4, 6}.
    const g = group("any", [
      group("any", [filter("a", [0, 1, 2, 3])], true),
      group("all", [filter("b", [2, 3, 6]), filter("c", [2, 6, 7])]),
    ]);
    expect(evaluateNode(g, rows([0, 2, 4, 6]), state).toArray()).toEqual([2, 4, 6]);
  });

  it("a negated group inside a negated group", () => {
    // inner: not a (a = {0, 1}) = {2..7}; outer: not (inner) = {0, 1}.
    const g = group("all", [group("all", [filter("a", [0, 1])], true)], true);
    expect(evaluateGroup(g, everyone(), state).toArray()).toEqual([0, 1]);
  });
});
