/** The kernel of a fact-column filter: some passing row exists in every aggregate (or, negated, not). */
import { BitSet } from "../table/bitset.js";
import type { EvalState } from "./eval-state.js";

/** The rows of `cand` with a row in each aggregate (negated: the rest of `cand`). */
export function existsKernel(aggregates: readonly number[], negate: boolean, cand: BitSet, state: EvalState): BitSet {
  const counts = aggregates.map((id) => state.facts.get(id)!.count);
  const out = new BitSet(cand.size);
  const cw = cand.words, ow = out.words;
  // Word by word, as in column-kernel.ts: no callback per row.
  for (let w = 0; w < cw.length; w++) {
    let word = cw[w];
    let bits = 0;
    const base = w << 5;
    while (word !== 0) {
      const low = word & -word;
      const i = base + 31 - Math.clz32(low);
      let all = true;
      for (let k = 0; k < counts.length && all; k++) all = counts[k][i] !== 0;
      if (all !== negate) bits |= low;
      word ^= low;
    }
    ow[w] = bits;
  }
  return out;
}
