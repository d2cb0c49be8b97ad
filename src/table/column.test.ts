import { describe, expect, it } from "vitest";
import { cellAt, ColumnBuilder, Dictionary, nullCount } from "./column.js";

describe("Dictionary", () => {
  it("gives one code per distinct value", () => {
    const d = new Dictionary();
    expect([d.encode("a"), d.encode("b"), d.encode("a")]).toEqual([0, 1, 0]);
    expect(d.values).toEqual(["a", "b"]);
  });

  it("adaptive: stops hashing a mostly distinct column, and codes still decode right", () => {
    const d = new Dictionary(true);
    const input: string[] = [];
    for (let i = 0; i < 100_000; i++) input.push(i % 10 === 0 ? "repeat" : `value-${i}`);
    const codes = input.map((s) => d.encode(s));
    expect(codes.map((c) => d.values[c])).toEqual(input);
    // It switched: later repeats got codes of their own.
    expect(new Set(codes.slice(90_000).filter((c) => d.values[c] === "repeat")).size).toBeGreaterThan(1);
    // A low-cardinality column never switches.
    const low = new Dictionary(true);
    for (let i = 0; i < 200_000; i++) low.encode(`city-${i % 50}`);
    expect(low.values).toHaveLength(50);
  });
});

describe("ColumnBuilder", () => {
  it("builds each kind with nulls in the validity bitmap", () => {
    const s = new ColumnBuilder("string");
    ["x", null, "y", "x"].forEach((v) => s.push(v));
    const col = s.finish();
    expect([0, 1, 2, 3].map((i) => cellAt(col, i))).toEqual(["x", null, "y", "x"]);
    expect(nullCount(col)).toBe(1);

    const l = new ColumnBuilder("list");
    [["a", "b"], null, [], ["b"]].forEach((v) => l.push(v));
    const list = l.finish();
    expect([0, 1, 2, 3].map((i) => cellAt(list, i))).toEqual([["a", "b"], null, [], ["b"]]);

    const b = new ColumnBuilder("bool");
    [true, false, null].forEach((v) => b.push(v));
    expect([0, 1, 2].map((i) => cellAt(b.finish(), i))).toEqual([true, false, null]);

    const d = new ColumnBuilder("date");
    [19000, null, -5].forEach((v) => d.push(v));
    const dates = d.finish();
    expect(dates.kind).toBe("date");
    expect([0, 1, 2].map((i) => cellAt(dates, i))).toEqual([19000, null, -5]);
  });

  it("pops the last row", () => {
    const l = new ColumnBuilder("list");
    l.push(["a"]);
    l.push(["b", "c"]);
    l.pop();
    l.push(["d"]);
    const col = l.finish();
    expect([cellAt(col, 0), cellAt(col, 1)]).toEqual([["a"], ["d"]]);
  });

  it("grows past its first allocation", () => {
    const n = new ColumnBuilder("decimal");
    for (let i = 0; i < 5000; i++) n.push(i % 7 === 0 ? null : i / 2);
    const col = n.finish();
    expect(col.length).toBe(5000);
    expect(cellAt(col, 4999)).toBe(2499.5);
    expect(cellAt(col, 7)).toBeNull();
  });
});
