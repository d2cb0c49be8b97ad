/**
 * all / any / not over lowered nodes: `all` narrows the candidates for the next child (and
 * stops when none are left), `any` only looks at rows not yet matched, `not` complements
 * within the candidates.
 */
import { BitSet } from "../table/bitset.js";
import type { EvalState } from "./eval-state.js";
import type { LoweredGroup, LoweredNode } from "./lower.js";

/** Evaluates a node over the candidate rows, returning the passing subset. */
export function evaluateNode(node: LoweredNode, cand: BitSet, state: EvalState): BitSet {
  return node.kind === "filter" ? node.run(cand, state) : evaluateGroup(node, cand, state);
}

/** Evaluates a group over the candidate rows. */
export function evaluateGroup(g: LoweredGroup, cand: BitSet, state: EvalState): BitSet {
  let result: BitSet;
  if (g.plan.match === "all") {
    result = cand;
    for (const child of g.children) {
      result = evaluateNode(child, result, state);
      if (result.count() === 0) break;
    }
  } else {
    result = new BitSet(cand.size);
    const remaining = cand.clone();
    for (const child of g.children) {
      const hit = evaluateNode(child, remaining, state);
      result.or(hit);
      remaining.andNot(hit);
    }
  }
  return g.plan.not ? cand.clone().andNot(result) : result;
}
