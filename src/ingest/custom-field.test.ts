import { describe, expect, it } from "vitest";
import { cellAt, type CellValue, type Column } from "../table/column.js";
import { parseBool, parseDate, parseDateTime, parseDecimal, parseInteger } from "../schema/parse-value.js";
import { mulberry32 } from "../../test/random.js";
import { CustomFieldBuilder } from "./custom-field.js";

/**
 * The rule of docs/data.md, written out here as the oracle: the first of bool (with a
 * word), integer, decimal, date, datetime that every non-empty value reads as, else text;
 * each row then holds its own text's value.
 */
function expected(values: Array<string | null>): { type: string; cells: CellValue[] } {
  const present = values.filter((v): v is string => v !== null);
  const all = (f: (v: string) => unknown) => present.length > 0 && present.every((v) => f(v) !== undefined);
  const word = present.some((v) => /^(true|false|yes|no)$/i.test(v));
  const type = all(parseBool) && word ? "bool" : all(parseInteger) ? "integer" : all(parseDecimal) ? "decimal" : all(parseDate) ? "date" : all((v) => parseDateTime(v)) ? "datetime" : "string";
  const parse: Record<string, (v: string) => CellValue | undefined> = {
    bool: parseBool, integer: parseInteger, decimal: parseDecimal, date: parseDate, datetime: (v) => parseDateTime(v, "UTC"), string: (v) => v,
  };
  return { type, cells: values.map((v) => (v === null ? null : parse[type](v)!)) };
}

function built(values: Array<string | null>, typedAfter: number): Column | undefined {
  const b = new CustomFieldBuilder(".", "UTC", typedAfter);
  for (const v of values) b.push(v);
  expect(b.length).toBe(values.length);
  return b.finish();
}

const cells = (col: Column) => Array.from({ length: col.length }, (_, i) => cellAt(col, i));

/** Texts of one kind, drawn from `n` distinct values so that some fields pass typedAfter and some do not. */
function field(rand: () => number, kind: number, rows: number, n: number): Array<string | null> {
  const pick = () => Math.floor(rand() * n);
  const day = (k: number) => new Date(Date.UTC(2020, 0, 1 + k)).toISOString().slice(0, 10);
  const make: Array<() => string> = [
    () => String(pick() - 5),                                              // integers
    () => (rand() < 0.5 ? String(pick()) : `${pick()}.${pick() % 10}5`),   // integers and decimals: decimal
    () => day(pick()),                                                     // dates
    () => `${day(pick())}T${String(pick() % 24).padStart(2, "0")}:30:00Z`, // datetimes
    () => (rand() < 0.7 ? day(pick()) : `${day(pick())} 10:00:00 +0300`), // dates and datetimes: datetime
    () => ["yes", "No", "TRUE", "0"][pick() % 4],                          // bool words
    () => `tea ${pick()}`,                                                 // text from the first row
    () => String(pick() * 3),                                              // numbers with one text late (below)
  ];
  const values = Array.from({ length: rows }, () => (rand() < 0.15 ? null : make[kind]()));
  if (kind === 7) values[rows - 1 - Math.floor(rand() * 3)] = "n/a";
  return values;
}

describe("CustomFieldBuilder", () => {
  it("types every field as the rule does, whether its values stay codes or are parsed as they stream", () => {
    // 400 seeded fields of 8 kinds, 60 rows each, 3 to 120 distinct values, typed after 4 or
    // 16 distinct ones or never; the oracle above gives each one's type and cells.
    const rand = mulberry32(20261203);
    let parsed = 0;
    let lost = 0;
    for (let k = 0; k < 400; k++) {
      const kind = k % 8;
      const values = field(rand, kind, 60, 3 + Math.floor(rand() * 118));
      const want = expected(values);
      const distinct = new Set(values.filter((v) => v !== null)).size;
      for (const typedAfter of [4, 16, 1_000]) {
        const col = built(values, typedAfter);
        // Past typedAfter, a field some type fits is parsed; one that then reads as text has lost its strings.
        const streamed = distinct >= typedAfter && kind !== 5 && kind !== 6;
        if (streamed && want.type === "string") {
          expect(col, `field ${k} (kind ${kind}) typed after ${typedAfter}`).toBeUndefined();
          lost++;
          continue;
        }
        if (streamed) parsed++;
        expect(col?.type, `field ${k} (kind ${kind}) typed after ${typedAfter}`).toBe(want.type);
        expect(cells(col!)).toEqual(want.cells);
      }
    }
    // Every path was taken: parsed as they streamed, lost, and kept as codes.
    expect(parsed).toBeGreaterThan(100);
    expect(lost).toBeGreaterThan(10);
  });

  it("keeps a many-valued text field as text, and parses a many-valued date field from the row that passes the limit on", () => {
    const text = Array.from({ length: 50 }, (_, i) => `note ${i}`);
    expect(cells(built(text, 8)!)).toEqual(text);
    const dates = Array.from({ length: 50 }, (_, i) => (i % 7 === 3 ? null : `2026-01-${String(1 + (i % 28)).padStart(2, "0")}`));
    const col = built(dates, 8)!;
    expect(col.type).toBe("date");
    // 2026-01-01 is day 20454 since 1970-01-01 (56 years of 365 days and 14 leap days).
    expect(cellAt(col, 0)).toBe(20454);
    expect(cellAt(col, 3)).toBeNull();
    expect(cellAt(col, 49)).toBe(20454 + (49 % 28));
  });

  it("turns a late decimal into a decimal field, and a late datetime into a datetime field", () => {
    const ints = Array.from({ length: 30 }, (_, i) => String(i));
    expect(built([...ints, "2.5"], 8)?.type).toBe("decimal");
    expect(cells(built([...ints, "2.5"], 8)!).at(-1)).toBe(2.5);
    const days = Array.from({ length: 30 }, (_, i) => `2026-02-${String(1 + (i % 28)).padStart(2, "0")}`);
    const col = built([...days, "2026-03-01 12:00:00"], 8)!;
    expect(col.type).toBe("datetime");
    expect(cellAt(col, 0)).toBe(Date.UTC(2026, 1, 1));
    expect(cellAt(col, 30)).toBe(Date.UTC(2026, 2, 1, 12));
  });
});
