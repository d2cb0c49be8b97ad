/**
 * idIndex answers every lookup as a Map of the same ids would (the reference here): for
 * seeded sets of ids in the forms shops use and some it must refuse, and for queries that
 * are the ids themselves and near misses (a leading zero, another prefix, a space, a digit
 * more, the prefix alone, numbers not in the set, 16 digits).
 */
import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../test/random.js";
import { digitsFrom, idIndex, idIndexFromParts, idIndexParts, keyIn, keyText } from "./id-index.js";

describe("idIndex", () => {
  // Numbers 0..1e6 for 2,000 ids go into the hash table; the dense forms squeeze them into
  // a range of 2,000 to 6,000 (a direct table: PrefixedNumbers, DENSE_RANGE 3).
  const dense = (n: number) => 5000 + (n % 4000);
  const forms: Array<[string, (n: number, k: number) => string, boolean]> = [
    // [name, id of number n (k-th id), whether the numeric table should take it]
    ["bare numbers", (n) => String(n), true],
    ["one prefix", (n) => `C${n}`, true],
    ["a longer prefix", (n) => `cust-${n}`, true],
    ["15 digits", (n) => String(100000000000000 + n), true],
    ["zero-padded to one width", (n) => `C${String(n).padStart(8, "0")}`, true],
    ["zero-padded, no prefix", (n) => String(n).padStart(7, "0"), true],
    ["zero-padded to two widths", (n, k) => String(n).padStart(k % 5 === 2 ? 9 : 8, "0"), false],
    ["two prefixes", (n, k) => (k % 7 === 3 ? `D${n}` : `C${n}`), false],
    ["16 digits", (n) => String(1000000000000000 + n), false],
    ["texts", (n) => `user${n}x`, false],
    ["unicode digits", (n, k) => (k === 5 ? `C${n}٣` : `C${n}`), false],
    ["dense numbers, one prefix", (n) => `C${dense(n)}`, true],
    ["dense numbers, zero-padded", (n) => `C${String(dense(n)).padStart(8, "0")}`, true],
    ["dense numbers, bare", (n) => String(dense(n)), true],
  ];

  for (const [name, make, numeric] of forms) {
    it(`${name}: the same rows as a Map, numeric table ${numeric ? "used" : "not used"}`, () => {
      const rnd = mulberry32(name.length * 31 + 7);
      const seen = new Set<number>();
      const ids: string[] = [];
      for (let k = 0; ids.length < 2000; k++) {
        const n = Math.floor(rnd() * 1e6);
        if (seen.has(n) || (name.startsWith("dense") && seen.has(dense(n)))) continue;
        seen.add(n);
        seen.add(dense(n));
        ids.push(make(n, ids.length));
      }
      const want = new Map(ids.map((id, i) => [id, i]));
      const index = idIndex(ids);
      expect(index instanceof Map).toBe(!numeric);
      expect(index.size).toBe(ids.length);
      const queries = [...ids, "", "C", "cust-", "0", "C0", "C01", "1000000000000000"];
      for (let k = 0; k < 500; k++) {
        const id = ids[Math.floor(rnd() * ids.length)];
        queries.push(`0${id}`, `${id} `, ` ${id}`, `${id}0`, `X${id}`, id.slice(1), id.replace(/\d/, "0"), String(Math.floor(rnd() * 2e6)), `C${Math.floor(rnd() * 2e6)}`);
      }
      const wrong = queries.filter((q) => index.get(q) !== want.get(q) || index.has(q) !== want.has(q));
      expect(wrong).toEqual([]);
      // Taken apart, structured-cloned (as to the fact pass's worker) and made again, it still answers as the Map.
      const parts = idIndexParts(index);
      expect(parts !== undefined).toBe(numeric);
      if (parts) {
        const again = idIndexFromParts(structuredClone(parts));
        expect(again.size).toBe(ids.length);
        expect(queries.filter((q) => again.get(q) !== want.get(q))).toEqual([]);
      }
      // By number (what the fact pass asks for ids read from the bytes): a query of the
      // index's form, found by its key, is the Map's row; keyText gives back the query.
      const form = index.form;
      expect(form !== undefined).toBe(numeric);
      if (!form) return;
      const keyed = queries.map((q) => [q, keyIn(`<${q}>`, 1, q.length + 1, form)] as const).filter(([, key]) => key >= 0);
      expect(keyed.length).toBeGreaterThan(ids.length);
      const wrongKeys = keyed.filter(([q, key]) => index.getKey!(key) !== want.get(q) || keyText(key, form) !== q);
      expect(wrongKeys).toEqual([]);
    });
  }

  it("keeps the Map it is given when the ids are not numbers", () => {
    const map = new Map([["a", 0], ["b", 1]]);
    expect(idIndex(["a", "b"], map)).toBe(map);
    expect(idIndex([])).toBeInstanceOf(Map);
  });

  it("digitsFrom reads canonical whole numbers only", () => {
    expect(digitsFrom("C123", 1)).toBe(123);
    expect(digitsFrom("0", 0)).toBe(0);
    expect([digitsFrom("C0123", 1), digitsFrom("C", 1), digitsFrom("12a", 0), digitsFrom("1234567890123456", 0)]).toEqual([-1, -1, -1, -1]);
    expect([digitsFrom("C0123", 1, 4), digitsFrom("C0123", 1, 5), digitsFrom("0000", 0, 4)]).toEqual([123, -1, 0]);
    expect(digitsFrom("999999999999999", 0)).toBe(999999999999999);
  });

  it("keyIn reads the prefix and digits of a form from a range, nothing around it", () => {
    const text = "xC0042,C42;42 ";
    expect(keyIn(text, 1, 6, { prefix: "C", width: 4 })).toBe(42);
    expect(keyIn(text, 1, 6, { prefix: "C", width: 0 })).toBe(-1);
    expect(keyIn(text, 7, 10, { prefix: "C", width: 0 })).toBe(42);
    expect(keyIn(text, 11, 13, { prefix: "", width: 0 })).toBe(42);
    // A space is not part of a number; an empty range, or the prefix alone, is no id.
    expect([keyIn(text, 11, 14, { prefix: "", width: 0 }), keyIn(text, 3, 3, { prefix: "", width: 0 }), keyIn(text, 1, 2, { prefix: "C", width: 0 })]).toEqual([-1, -1, -1]);
    expect([keyText(42, { prefix: "C", width: 4 }), keyText(0, { prefix: "", width: 0 }), keyText(7, { prefix: "id-", width: 2 })]).toEqual(["C0042", "0", "id-07"]);
  });
});
