/**
 * NumberIndex against a Map: the same ordinal for every number added, -1 for every other,
 * and the ordinal already held when a number comes again. The sequences are those the index
 * has paths for: numbers in sequence with ordinals 0, 1, 2... (kept with no table), that
 * sequence broken at every kind of step (a repeat inside it, a number below the first, a
 * jump ahead, an ordinal that skips), and seeded walks.
 */
import { describe, expect, it } from "vitest";
import { NumberIndex } from "./number-index.js";

/** Adds `adds` (number, ordinal) to a NumberIndex and to a Map; the numbers whose answers differ. */
function disagreements(adds: Array<[number, number]>, probes: number[]): string[] {
  const index = new NumberIndex();
  const ref = new Map<number, number>();
  const wrong: string[] = [];
  adds.forEach(([v, o], k) => {
    const want = ref.get(v) ?? -1;
    if (want === -1) ref.set(v, o);
    const got = index.add(v, o);
    if (got !== want) wrong.push(`add #${k} of ${v}: ${got}, not ${want}`);
  });
  for (const v of [...ref.keys(), ...probes]) {
    const got = index.get(v);
    const want = ref.get(v) ?? -1;
    if (got !== want) wrong.push(`get ${v}: ${got}, not ${want}`);
  }
  return wrong;
}

/** `n` numbers from `first` in sequence, with the ordinals an index numbering its entries gives them. */
const sequence = (first: number, n: number, ordinal0 = 0): Array<[number, number]> => Array.from({ length: n }, (_, i) => [first + i, ordinal0 + i]);

describe("NumberIndex", () => {
  it("answers as a Map for numbers in sequence, and when the sequence breaks in each way", () => {
    const probes = [0, 1, 99, 100, 101, 5099, 5100, 5101, 10_000, 1e12];
    const cases: Array<Array<[number, number]>> = [
      [],
      sequence(100, 1),
      sequence(100, 5000),
      // A repeat inside the run: the ordinal it has, and the run goes on.
      [...sequence(100, 3000), [1500, 3000], [3100, 3000], [3101, 3001]],
      // A number below the first, one far ahead, one just past the end with a skipped ordinal.
      [...sequence(100, 3000), [50, 3000], [3100, 3001]],
      [...sequence(100, 3000), [1_000_000, 3000], [3100, 3001]],
      [...sequence(100, 3000), [3100, 3001], [3101, 3002]],
      // Ordinals that do not start at 0 (an index whose first entries had other keys).
      sequence(100, 3000, 7),
      // The run broken at its very first number, and at its second.
      [[100, 0], [99, 1], [101, 2]],
      [[100, 0], [100, 1], [101, 1], [102, 2]],
      // Past the first direct table (4,096) and then broken, so its offsets are filled.
      [...sequence(0, 70_000), [69_999, 70_000], [70_001, 70_000], [70_000, 70_001]],
    ];
    let seed = 99;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (let c = 0; c < 100; c++) {
      // A run of random length, then a walk: mostly +1, sometimes a jump, a step back or a repeat.
      const adds = sequence(1000, rand(6000));
      let v = 1000 + adds.length;
      let o = adds.length;
      for (let i = rand(3000); i > 0; i--) {
        const step = rand(10);
        v = step < 6 ? v + 1 : step < 8 ? v + 2 + rand(20_000) : Math.max(0, v - rand(5000));
        adds.push([v, o++]);
      }
      cases.push(adds);
    }
    for (const adds of cases) expect(disagreements(adds, probes), `${adds.length} adds from ${adds[0]?.[0]}`).toEqual([]);
  });
});
