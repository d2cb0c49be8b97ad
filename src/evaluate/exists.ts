/** The kernel of a fact-column filter: some passing row exists in every aggregate (or, negated, not). */
import { BitSet } from "../table/bitset.js";
import type { EvalState } from "./eval-state.js";

/** The rows of `cand` with a row in each aggregate (negated: the rest of `cand`). */
export function existsKernel(aggregates: readonly number[], negate: boolean, cand: BitSet, state: EvalState): BitSet {
  const counts = aggregates.map((id) => state.facts.get(id)!.count);
  const out = new BitSet(cand.size);
  cand.forEach((i) => {
    let all = true;
    for (const c of counts) {
      if (c[i] === 0) {
        all = false;
        break;
      }
    }
    if (all !== negate) out.add(i);
  });
  return out;
}
