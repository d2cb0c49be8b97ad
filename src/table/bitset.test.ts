import { describe, expect, it } from "vitest";
import { BitSet } from "./bitset.js";

describe("BitSet", () => {
  it("adds, tests, counts and lists rows across word boundaries", () => {
    const s = new BitSet(70);
    for (const i of [0, 31, 32, 63, 69]) s.add(i);
    expect(s.count()).toBe(5);
    expect(s.toArray()).toEqual([0, 31, 32, 63, 69]);
    expect(s.has(31)).toBe(true);
    expect(s.has(30)).toBe(false);
    s.delete(31);
    expect(s.toArray()).toEqual([0, 32, 63, 69]);
    expect(s.clear().toArray()).toEqual([]);
    s.add(40);
    expect(s.toArray()).toEqual([40]);
  });

  it("complements within its size only", () => {
    const s = new BitSet(33);
    s.add(1);
    s.not();
    expect(s.count()).toBe(32);
    expect(s.has(1)).toBe(false);
    expect(s.has(32)).toBe(true);
    expect(BitSet.full(33).count()).toBe(33);
    expect(BitSet.full(32).count()).toBe(32);
    expect(BitSet.full(0).count()).toBe(0);
  });

  it("combines with and, or, andNot", () => {
    const a = new BitSet(100), b = new BitSet(100);
    [1, 2, 3, 50].forEach((i) => a.add(i));
    [2, 3, 4, 99].forEach((i) => b.add(i));
    expect(a.clone().and(b).toArray()).toEqual([2, 3]);
    expect(a.clone().or(b).toArray()).toEqual([1, 2, 3, 4, 50, 99]);
    expect(a.clone().andNot(b).toArray()).toEqual([1, 50]);
  });

  it("finds the next row", () => {
    const s = new BitSet(200);
    [5, 64, 199].forEach((i) => s.add(i));
    expect(s.next(0)).toBe(5);
    expect(s.next(6)).toBe(64);
    expect(s.next(65)).toBe(199);
    expect(s.next(200)).toBe(-1);
    expect(new BitSet(10).next(0)).toBe(-1);
  });
});
