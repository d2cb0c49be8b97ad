/** RFM scoring: the rank method's promises on random data, R's type-7 quantile, the rules. */
import { describe, expect, it } from "vitest";
import { DEFAULT_RFM_RULES } from "../segment/rfm-defaults.js";
import { mulberry32 } from "../../test/random.js";
import { OTHERS, quantile7, scoreValues, segmentOf, sortOrder, unreachableRules } from "./rfm.js";


describe("rank", () => {
  it("ties share a score, a better value never scores lower, scores stay in 1..bins (200 random sets)", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const rnd = mulberry32(seed);
      const n = 1 + Math.floor(rnd() * 300);
      const bins = 2 + Math.floor(rnd() * 8);
      // Few distinct values, so there are many ties.
      const spread = 1 + Math.floor(rnd() * 20);
      const values = Array.from({ length: n }, () => Math.floor(rnd() * spread));
      for (const reversed of [false, true]) {
        const s = scoreValues(values, reversed, { method: "rank", bins }, "frequency");
        // Walk the customers from worst value to best: scores never go down, and equal values get one score.
        const order = [...values.keys()].sort((i, j) => (reversed ? values[j] - values[i] : values[i] - values[j]));
        const problems: string[] = [];
        for (let k = 0; k < n; k++) {
          const i = order[k];
          if (s[i] < 1 || s[i] > bins) problems.push(`score ${s[i]} outside 1..${bins}`);
          if (k === 0) continue;
          const prev = order[k - 1];
          if (values[i] === values[prev] && s[i] !== s[prev]) problems.push(`tie ${values[i]} scored ${s[prev]} and ${s[i]}`);
          if (s[i] < s[prev]) problems.push(`better value ${values[i]} scored ${s[i]} below ${s[prev]}`);
        }
        expect(problems, `seed ${seed}, reversed ${reversed}`).toEqual([]);
      }
    }
  });

  it("with no ties the bins are equal in size: 10 values, 5 bins, two each", () => {
    const s = scoreValues([5, 3, 9, 1, 7, 2, 8, 4, 10, 6], false, { method: "rank", bins: 5 }, "monetary");
    // By hand: k = rank from 0; score = 1 + floor(5k/10): values 1,2 -> 1; 3,4 -> 2; ... 9,10 -> 5.
    expect(s).toEqual([3, 2, 5, 1, 4, 1, 4, 2, 5, 3]);
  });
});

describe("sortOrder", () => {
  it("orders like a stable comparator sort: negatives, zeros, fractions, huge values, Infinity, ties (50 random sets)", () => {
    const pool = [-1e300, -5.5, -1, -0.25, 0, 0.1, 0.2, 0.30000000000000004, 1, 2, 1e-300, 7e15, 2 ** 53, 1e300, Infinity];
    for (let seed = 1; seed <= 50; seed++) {
      const rnd = mulberry32(seed);
      const values = Float64Array.from({ length: 1 + Math.floor(rnd() * 500) }, () => (rnd() < 0.5 ? pool[Math.floor(rnd() * pool.length)] : (rnd() - 0.5) * 10 ** Math.floor(rnd() * 12)));
      // The reference: Array.prototype.sort is stable, so ties keep their positions.
      const want = [...values.keys()].sort((a, b) => values[a] - values[b]);
      expect(Array.from(sortOrder(values)), `seed ${seed}`).toEqual(want);
    }
  });
});

describe("R's quantile type 7", () => {
  it("agrees with values R gives: quantile(1:10, c(.2, .4, .6, .8)) is 2.8 4.6 6.4 8.2", () => {
    const x = Float64Array.from({ length: 10 }, (_, i) => i + 1);
    // As R prints them (15 significant digits).
    expect([0.2, 0.4, 3 * 0.2, 0.8].map((p) => Number(quantile7(x, p).toPrecision(15)))).toEqual([2.8, 4.6, 6.4, 8.2]);
    expect(quantile7(Float64Array.from([7]), 0.5)).toBe(7);
  });
});

describe("named segments", () => {
  it("the first rule that holds the scores names the customer, else others", () => {
    expect(segmentOf(5, 5, 5, DEFAULT_RFM_RULES)).toBe("champions");
    // 5 5 4 is not a champion; potential-loyalist (3-5, 3-5, 2-5) comes next.
    expect(segmentOf(5, 5, 4, DEFAULT_RFM_RULES)).toBe("potential-loyalist");
    expect(segmentOf(1, 1, 1, DEFAULT_RFM_RULES)).toBe("lost");
    expect(segmentOf(3, 1, 5, [])).toBe(OTHERS);
  });

  it("a rule whose every cell an earlier rule takes is unreachable", () => {
    expect(unreachableRules(DEFAULT_RFM_RULES, 5)).toEqual([]);
    expect(unreachableRules([{ code: "a", r: [1, 5], f: [1, 5], m: [1, 3] }, { code: "b", r: [2, 2], f: [1, 1], m: [2, 3] }, { code: "c", r: [2, 2], f: [1, 1], m: [3, 4] }], 5)).toEqual(["b"]);
  });
});
