/** The order id hashes: numbers are their own hash; an id added as text and as a number is one id. */
import { describe, expect, it } from "vitest";
import { idHash, IdHashes } from "./unique-ids.js";

describe("order id hashes", () => {
  it("hashes a canonical whole number to itself, and other ids to 52 bits", () => {
    expect([idHash("1000001"), idHash("0"), idHash("999999999999999")]).toEqual([1000001, 0, 999999999999999]);
    // Not canonical numbers: a leading zero, 16 digits, a prefix, a space.
    for (const id of ["01000001", "1000000000000000", "O1000001", "1000001 ", ""]) {
      const h = idHash(id);
      expect(Number.isInteger(h) && h >= 0 && h < 2 ** 52).toBe(true);
    }
    expect(idHash("01000001")).not.toBe(idHash("1000001"));
  });

  it("finds an id added once by text and once as a number, and nothing in distinct ids", () => {
    const hashes = new IdHashes();
    hashes.add("1000001");
    hashes.add("1000002");
    hashes.add("A-7");
    hashes.addNumber(1000003);
    expect(hashes.repeated()).toEqual(new Set());
    hashes.addNumber(1000001);
    hashes.add("A-7");
    expect(hashes.repeated()).toEqual(new Set([1000001, idHash("A-7")]));
  });

  it("finds the same repeats as a count of every hash, for ids in rising order, with gaps, and in any order", () => {
    // The reference: a Map counting each hash. Sequences a shop exports (numbered in order,
    // with gaps, a repeat late, out of order) and seeded random ones.
    let seed = 12345;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const cases: number[][] = [
      Array.from({ length: 5000 }, (_, i) => 1000001 + i),
      Array.from({ length: 5000 }, (_, i) => 1000001 + i * 3),
      [...Array.from({ length: 3000 }, (_, i) => 10 + i), 2999],
      [...Array.from({ length: 3000 }, (_, i) => 10 + i), 3009],
      [5, 4, 3, 2, 1, 1],
      [1, 2, 3, 10, 11, 12, 4, 5, 20],
    ];
    for (let c = 0; c < 200; c++) {
      const ids: number[] = [];
      let v = rand(100);
      const n = 1 + rand(400);
      for (let i = 0; i < n; i++) {
        const step = rand(10);
        // Mostly rising by one, sometimes a gap, sometimes back (a repeat or out of order).
        v = step < 6 ? v + 1 : step < 8 ? v + 2 + rand(50) : Math.max(0, v - rand(30));
        ids.push(v);
      }
      cases.push(ids);
    }
    for (const ids of cases) {
      const hashes = new IdHashes();
      const counts = new Map<number, number>();
      for (const id of ids) {
        hashes.addNumber(id);
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      const expected = new Set([...counts].filter(([, k]) => k > 1).map(([id]) => id));
      expect(hashes.repeated(), ids.slice(0, 12).join(",")).toEqual(expected);
    }
  });
});
