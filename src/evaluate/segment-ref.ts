/** The kernel of a `segment` filter: membership in any of the referenced segments. */
import { BitSet } from "../table/bitset.js";
import type { EvalState } from "./eval-state.js";

/** The rows of `cand` in any of the segments (negated: in none of them). */
export function segmentKernel(codes: readonly string[], negate: boolean, cand: BitSet, state: EvalState): BitSet {
  const any = new BitSet(cand.size);
  for (const code of codes) {
    const set = state.segments.get(code);
    if (!set) throw new Error(`segment ${code} was referenced before it was evaluated`);
    any.or(set);
  }
  return negate ? cand.clone().andNot(any) : any.and(cand);
}
