import { describe, expect, it } from "vitest";
import { DeferredItems } from "./deferred-items.js";

describe("DeferredItems", () => {
  it("keeps each item with its quantity, price and flags until its order is taken, by number or by text", () => {
    const d = new DeferredItems(3, 5);
    d.add(1234, "", 2, 9.5, (k) => k !== 1);
    d.add(NaN, "1234", 1, NaN, (k) => k === 1); // the same order, its id given as text
    d.add(NaN, "A-7", 4, 1.25, () => true);
    d.add(NaN, "00123", 1, 2, () => false); // text: not the number 123
    expect(d.size).toBe(4);
    expect(d.room).toBe(1);
    expect(d.waits(123, "")).toBe(false);
    expect(d.waits(NaN, "00123")).toBe(true);
    expect(d.waits(NaN, "A-8")).toBe(false);
    const both = d.take(NaN, "1234")!;
    expect(both).toEqual([0, 1]);
    expect(both.map((e) => [d.quantity(e), d.price(e), [0, 1, 2].map((k) => d.passed(e, k))])).toEqual([
      [2, 9.5, [true, false, true]],
      [1, NaN, [false, true, false]],
    ]);
    expect(d.size).toBe(2);
    expect(d.take(1234, "")).toBeUndefined(); // taken once
    expect(d.take(NaN, "A-7")).toEqual([2]);
    expect(d.passed(2, 0) && d.passed(2, 1) && d.passed(2, 2)).toBe(true);
    expect(d.size).toBe(1);
  });

  it("takes no more items than its limit, even once some are taken", () => {
    const d = new DeferredItems(1, 2);
    d.add(1, "", 1, 1, () => true);
    d.add(2, "", 1, 1, () => true);
    d.take(1, "");
    expect(d.room).toBe(0);
    expect(() => d.add(3, "", 1, 1, () => true)).toThrow(RangeError);
  });
});
