import { describe, expect, it } from "vitest";
import { numericId, OrderIndex } from "./order-index.js";

describe("numericId", () => {
  it.each([["0", 0], ["7", 7], ["1000001", 1000001], ["999999999999999", 999999999999999]])("reads %j as a number", (id, v) => expect(numericId(id)).toBe(v));
  it.each(["", "00123", "01", "-1", "1.5", "1e3", " 12", "12 ", "1000000000000000", "A-100", "١٢"])("leaves %j as text", (id) => expect(numericId(id)).toBe(-1));
});

describe("OrderIndex", () => {
  it("agrees with a Map on orders numbered in runs, with jumps forward and back and repeats", () => {
    // Runs of consecutive numbers fill the direct table and widen it; jumps far ahead go to
    // the hash table until the table widens over them (then they move into it); numbers below
    // the first one always stay in the hash table. A Map of the same ids is the reference.
    let a = 5;
    const rand = () => ((a = (Math.imul(a, 1103515245) + 12345) >>> 0) / 4294967296);
    const index = new OrderIndex(1);
    const ref = new Map<number, number>();
    const added: number[] = [];
    let v = 1_000_000;
    for (let k = 0; k < 200_000; k++) {
      const u = rand();
      if (u < 0.9) v += rand() < 0.8 ? 1 : 2;
      else if (u < 0.93) v += 3000 + Math.floor(rand() * 40_000);
      else if (u < 0.96 && added.length) v = added[Math.floor(rand() * added.length)];
      else if (u < 0.98) v = Math.floor(rand() * 1_000_000);
      else v = 1_000_000 + Math.floor(rand() * 2_000_000);
      const o = rand() < 0.5 ? index.addKey(v, k, k, [1]) : index.add(String(v), k, k, [1]);
      if (ref.has(v)) expect(o).toBe(-1);
      else {
        expect(o).toBe(ref.size);
        ref.set(v, o);
        added.push(v);
      }
    }
    const wrong: number[] = [];
    for (const [id, o] of ref) if (index.getKey(id) !== o || index.get(String(id)) !== o || index.customer(o) !== index.ts(o)) wrong.push(id);
    for (let k = 0; k < 100_000; k++) {
      const q = Math.floor(rand() * 4_000_000);
      if ((ref.get(q) ?? -1) !== index.getKey(q)) wrong.push(q);
    }
    expect(wrong).toEqual([]);
  });

  it("agrees with a Map on 300,000 ids of both kinds, through rehashes, first row winning", () => {
    // Reference: a plain Map from id text to the first ordinal, built alongside.
    let a = 11;
    const rand = () => ((a = (Math.imul(a, 1103515245) + 12345) >>> 0) / 4294967296);
    const index = new OrderIndex(2);
    const ref = new Map<string, { o: number; customer: number; ts: number; pass: [number, number] }>();
    for (let k = 0; k < 300_000; k++) {
      const u = rand();
      // numbers, repeats of them, the same digits with a leading zero (another id), and text ids
      const n = Math.floor(rand() * 400_000);
      const id = u < 0.6 ? String(n) : u < 0.7 ? `0${n}` : u < 0.8 ? `A-${n}` : String(1_000_000_000_000 + n);
      const customer = Math.floor(rand() * 1000) - 1;
      const ts = rand() < 0.1 ? NaN : Math.floor(rand() * 1e12);
      const pass: [number, number] = [rand() < 0.5 ? 1 : 0, rand() < 0.5 ? 1 : 0];
      // Half the numeric ids come as keys, as a byte-scanned batch gives them.
      const o = numericId(id) >= 0 && rand() < 0.5 ? index.addKey(numericId(id), customer, ts, pass) : index.add(id, customer, ts, pass);
      if (ref.has(id)) expect(o).toBe(-1);
      else {
        expect(o).toBe(ref.size);
        ref.set(id, { o, customer, ts, pass });
      }
    }
    expect(index.size).toBe(ref.size);
    for (const [id, want] of ref) {
      const o = index.get(id);
      if (numericId(id) >= 0) expect(index.getKey(numericId(id))).toBe(o);
      expect(o).toBe(want.o);
      expect(index.customer(o)).toBe(want.customer);
      expect(Object.is(index.ts(o), want.ts)).toBe(true);
      expect([index.passed(0, o), index.passed(1, o)]).toEqual(want.pass.map((p) => p === 1));
    }
    for (const id of ["400001", "0400001", "B-1", "", "-5"]) expect(index.get(id)).toBe(-1);
  });

  it("keeps each order's flags of eleven aggregates over two chunks", () => {
    // The flags as given, kept beside in arrays of booleans: the reference.
    let a = 3;
    const rand = () => ((a = (Math.imul(a, 1103515245) + 12345) >>> 0) / 4294967296);
    const index = new OrderIndex(11);
    const given: boolean[][] = [];
    for (let o = 0; o < 70_000; o++) {
      const passes = Array.from({ length: 11 }, () => (rand() < 0.5 ? 1 : 0));
      expect(index.addKey(500 + o, o % 977, o * 1000, passes)).toBe(o);
      given.push(passes.map((p) => p === 1));
    }
    const wrong: string[] = [];
    for (let o = 0; o < 70_000; o++) {
      for (let k = 0; k < 11; k++) if (index.passed(k, o) !== given[o][k]) wrong.push(`order ${o}, aggregate ${k}`);
      if (index.customer(o) !== o % 977 || index.ts(o) !== o * 1000) wrong.push(`order ${o}`);
    }
    expect(wrong.slice(0, 5)).toEqual([]);
  });

  it("lets go of chunks oldest first, keeping their hits, and restores them as added", () => {
    // 140,000 orders: chunks 0 and 1 full, chunk 2 partly. Customers and times follow the
    // ordinal, flags its parity: the reference is the formula.
    const index = new OrderIndex(2);
    for (let o = 0; o < 140_000; o++) index.addKey(7 + o, o % 1000, o * 10, [o % 2, 1 - (o % 2)]);
    expect(index.chunks).toBe(3);
    for (const o of [3, 70_000, 139_999]) expect(index.hit(0, o)).toBe(true);
    expect(index.hit(0, 3)).toBe(false);
    index.release();
    expect([index.released(65_535), index.released(65_536)]).toEqual([true, false]);
    // Hits of a chunk let go stay; the state of the chunk after it is untouched.
    const hits: number[] = [];
    for (let c = 0; c < 3; c++) index.forEachHit(0, c, (o) => hits.push(o));
    expect(hits).toEqual([3, 70_000, 139_999]);
    expect([index.customer(70_001), index.ts(70_001), index.passed(0, 70_001), index.passed(1, 70_001)]).toEqual([1, 700_010, true, false]);
    for (let o = 0; o < 65_536; o++) index.restore(o, o % 1000, o * 10, [o % 2, 1 - (o % 2)]);
    index.restored();
    expect(index.released(0)).toBe(false);
    const wrong: number[] = [];
    for (let o = 0; o < 65_536; o++) if (index.customer(o) !== o % 1000 || index.ts(o) !== o * 10 || index.passed(0, o) !== (o % 2 === 1) || index.passed(1, o) !== (o % 2 === 0)) wrong.push(o);
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(index.hit(0, 3)).toBe(false);
    // A chunk let go lends its arrays to the next chunk: the new orders pass nothing, so a
    // flag left from the old chunk would show.
    index.release();
    expect(index.released(65_535)).toBe(true);
    for (let o = 140_000; o < 200_000; o++) index.addKey(7 + o, 5, -o, [0, 0]);
    expect(index.chunks).toBe(4);
    for (let o = 140_000; o < 200_000; o++) if (index.customer(o) !== 5 || index.ts(o) !== -o || index.passed(0, o) || index.passed(1, o)) wrong.push(o);
    expect(wrong.slice(0, 5)).toEqual([]);
  });
});
