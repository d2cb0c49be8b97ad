/**
 * Lowering: a segment's plan (plain data) becomes a tree of kernels over this backend's
 * typed arrays. Testers are built once per filter here; the plan itself is never changed.
 */
import { makeTester } from "../rules/value-test.js";
import type { FilterPlan, GroupPlan, NodePlan, SegmentPlan } from "../segment/plan.js";
import type { BitSet } from "../table/bitset.js";
import { columnKernel } from "./column-kernel.js";
import type { EvalState } from "./eval-state.js";
import { existsKernel } from "./exists.js";
import { segmentKernel } from "./segment-ref.js";

/** A filter with its kernel: the subset of the candidate rows that pass. */
export interface LoweredFilter {
  kind: "filter";
  plan: FilterPlan;
  run(cand: BitSet, state: EvalState): BitSet;
}

/** A group with its lowered children; combined by src/evaluate/logical.ts. */
export interface LoweredGroup {
  kind: "group";
  plan: GroupPlan;
  children: LoweredNode[];
}

/** A lowered node. */
export type LoweredNode = LoweredFilter | LoweredGroup;

/** Lowers a segment's tree. */
export function lowerSegment(seg: SegmentPlan): LoweredGroup {
  return lowerGroup(seg.root);
}

function lowerGroup(g: GroupPlan): LoweredGroup {
  return { kind: "group", plan: g, children: g.children.map(lowerNode) };
}

function lowerNode(node: NodePlan): LoweredNode {
  return node.kind === "group" ? lowerGroup(node) : lowerFilter(node);
}

function lowerFilter(f: FilterPlan): LoweredFilter {
  const input = f.input;
  switch (input.kind) {
    case "segment":
      return { kind: "filter", plan: f, run: (cand, state) => segmentKernel(input.codes, input.negate, cand, state) };
    case "exists":
      return { kind: "filter", plan: f, run: (cand, state) => existsKernel(input.aggregates, input.negate, cand, state) };
    default: {
      if (!f.test) throw new Error(`filter ${f.at} has no test`);
      const tester = makeTester(f.test);
      const monthDay = f.test.monthDay;
      return { kind: "filter", plan: f, run: (cand, state) => columnKernel(state.inputColumn(input), monthDay, tester, cand, state) };
    }
  }
}
