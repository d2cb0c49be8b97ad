/** The RFM settings of CLI.md when the config says nothing (docs/rfm.md). */
import type { RfmPlan } from "./plan.js";

/** One named-segment rule: inclusive score ranges. */
export type RfmRule = RfmPlan["rules"][number];

/** The named segments, from the R package rfm's documented set, in priority order. */
export const DEFAULT_RFM_RULES: RfmRule[] = [
  { code: "champions", r: [5, 5], f: [5, 5], m: [5, 5] },
  { code: "potential-loyalist", r: [3, 5], f: [3, 5], m: [2, 5] },
  { code: "loyal", r: [2, 4], f: [2, 4], m: [2, 4] },
  { code: "promising", r: [3, 4], f: [1, 3], m: [3, 5] },
  { code: "new", r: [4, 5], f: [1, 3], m: [1, 5] },
  { code: "cant-lose", r: [1, 2], f: [3, 4], m: [4, 5] },
  { code: "at-risk", r: [1, 2], f: [2, 5], m: [4, 5] },
  { code: "need-attention", r: [1, 3], f: [3, 5], m: [3, 5] },
  { code: "about-to-sleep", r: [2, 3], f: [1, 3], m: [1, 4] },
  { code: "lost", r: [1, 1], f: [1, 5], m: [1, 5] },
];
