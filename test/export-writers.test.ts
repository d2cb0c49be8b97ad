/**
 * The table writers of src/export (csv, xlsx/xls, xml, json, ndjson) and their sinks: each
 * format is written in memory (or to a staged file) and read back with a real reader —
 * csv-parse, exceljs, fast-xml-parser and python3's xml.etree, JSON.parse — and compared with
 * literal expectations worked out by hand (the arithmetic is in the comments). The product's
 * own formatting code (exportText, isoInZone, tidyDecimal, ...) is never used to compute
 * what a test expects.
 */
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";
import { parse as parseCsv } from "csv-parse/sync";
import ExcelJS from "exceljs";
import { XMLParser } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { neutraliseFormula, xmlSafe } from "../src/export/cells.js";
import { stagedFileSink, streamSink, type Sink } from "../src/export/sink.js";
import { openWriter, writeTable, type Format, type TableSpec, type WriteReport, type WriterOptions } from "../src/export/writer.js";
import { elementNames } from "../src/export/xml-writer.js";
import { moveIntoPlace } from "../src/fs-atomic.js";
import type { CellValue } from "../src/table/column.js";
import { tempDir } from "./helpers.js";

// ---------------------------------------------------------------------------------------
// Values, worked out by hand
// ---------------------------------------------------------------------------------------

const DAY_MS = 86_400_000;
// Day numbers (days since 1970-01-01):
// 2026-11-23: 1970..2025 is 56 years with 14 leap days (1972, 1976, ..., 2024) = 56*365+14 =
// 20454 days to 2026-01-01; Jan..Oct 2026 = 31+28+31+30+31+30+31+31+30+31 = 304; +22 -> 20780.
const D_2026_11_23 = 20780;
// 1999-12-31: 1970..1999 is 30 years with 7 leap days (1972..1996) = 10957 days to 2000-01-01; -1.
const D_1999_12_31 = 10956;
// The day before the epoch.
const D_1969_12_31 = -1;

// Instants. Europe/Moscow is UTC+3 all year.
const T_1105Z = Date.UTC(2026, 10, 23, 11, 5, 0); // Moscow wall time 14:05:00
const T_1105Z_155 = Date.UTC(2026, 10, 23, 11, 5, 0, 155); // 14:05:00.155
const T_NEW_YEAR = Date.UTC(2026, 11, 31, 22, 30, 0); // 22:30Z + 3 h = 2027-01-01 01:30 in Moscow

const MOSCOW: WriterOptions = { timezone: "Europe/Moscow" };

/** The customers most tests write: every value type, nulls, formula-looking text, Unicode. */
const SPEC: TableSpec = {
  name: "vip",
  columns: [
    { name: "id", type: "id" },
    { name: "name", type: "string" },
    { name: "orders.count", type: "integer" },
    { name: "total", type: "decimal" },
    { name: "vip", type: "bool" },
    { name: "birthday", type: "date" },
    { name: "last_order_at", type: "datetime" },
    { name: "tags", type: "list" },
    { name: "phone", type: "string" },
  ],
};
const HEADER = ["id", "name", "orders.count", "total", "vip", "birthday", "last_order_at", "tags", "phone"];
const ROWS: CellValue[][] = [
  ["007", "Иван Петров", 3, 0.1 + 0.2, true, D_2026_11_23, T_1105Z, ["gold", "早期"], null],
  ["c-2", "=1+1", -5, 12890.5, false, D_1999_12_31, T_1105Z_155, [], "+7 999 123-45-67"],
  ["-x", "@SUM(A1)", 0, 1 / 3, null, D_1969_12_31, T_NEW_YEAR, ["-neg", "😀"], "  padded  "],
  ["c4", null, null, null, null, null, null, null, null],
];

// ---------------------------------------------------------------------------------------
// Helpers: sinks in memory, readers
// ---------------------------------------------------------------------------------------

/** A sink that keeps what it is given. */
function memorySink(): { sink: Sink; bytes: () => Buffer; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(Buffer.from(chunk));
      cb();
    },
  });
  const bytes = () => Buffer.concat(chunks);
  return { sink: streamSink(stream), bytes, text: () => bytes().toString("utf8") };
}

/** Writes one table in memory. */
async function write(format: Format, spec: TableSpec, rows: CellValue[][], options: WriterOptions = MOSCOW): Promise<{ report: WriteReport; bytes: Buffer; text: string }> {
  const out = memorySink();
  const report = await writeTable(openWriter(format, out.sink, options), spec, rows);
  return { report, bytes: out.bytes(), text: out.text() };
}

function readCsv(text: string, delimiter = ","): string[][] {
  return parseCsv(text, { bom: true, relax_quotes: false, relax_column_count: false, delimiter }) as string[][];
}

/** fast-xml-parser options that give back the text exactly (numeric references such as &#13; need htmlEntities). */
const XML_OPTIONS = {
  ignoreDeclaration: false,
  ignoreAttributes: true,
  trimValues: false,
  parseTagValue: false,
  processEntities: true,
  htmlEntities: true,
  isArray: (name: string) => name === "customer" || name === "item" || name === "member",
};
type XmlCell = string | { item: string[] };
function readXml(text: string, root = "customers", row = "customer"): Array<Record<string, XmlCell>> {
  const doc = new XMLParser(XML_OPTIONS).parse(text) as Record<string, Record<string, Array<Record<string, XmlCell>>>>;
  return doc[root][row] ?? [];
}

const PY_READ = `
import json, sys, xml.etree.ElementTree as E
root = E.parse(sys.argv[1]).getroot()
rows = [[[c.tag, [i.text or "" for i in c] if len(c) else (c.text or "")] for c in r] for r in root]
print(json.dumps({"root": root.tag, "rowTags": [r.tag for r in root], "rows": rows}))
`;
type PyCell = [string, string | string[]];
/** The document as python3's xml.etree (a conforming parser) reads it; throws when it is not well-formed. */
function pythonXml(text: string): { root: string; rowTags: string[]; rows: PyCell[][] } {
  const file = path.join(tempDir("segment-xml-"), "out.xml");
  writeFileSync(file, text);
  const r = spawnSync("python3", ["-c", PY_READ, file], { encoding: "utf8" });
  if (r.error) throw new Error(`python3 did not run (is it installed?): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`python3 could not read the XML: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

async function readXlsx(bytes: Buffer): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(bytes as unknown as ExcelJS.Buffer);
  return wb;
}

/** A cell as the tests compare it: null when empty, a Date as its ISO form and number format, else the value. */
type CellView = null | string | number | boolean | { date: string; numFmt: string };
function view(cell: ExcelJS.Cell): CellView {
  if (cell.type === ExcelJS.ValueType.Null) return null;
  if (cell.type === ExcelJS.ValueType.Date) return { date: (cell.value as Date).toISOString(), numFmt: cell.numFmt };
  if (cell.type === ExcelJS.ValueType.Number || cell.type === ExcelJS.ValueType.Boolean || cell.type === ExcelJS.ValueType.String) return cell.value as string | number | boolean;
  // Text with leading or trailing white space is written as one rich-text run (so that
  // LibreOffice keeps the spaces): its text is the value.
  if (cell.type === ExcelJS.ValueType.RichText) return (cell.value as ExcelJS.CellRichTextValue).richText.map((r) => r.text).join("");
  throw new Error(`unexpected cell type ${cell.type} at ${cell.address}: ${JSON.stringify(cell.value)}`);
}
function sheetRows(ws: ExcelJS.Worksheet, columns: number): CellView[][] {
  const out: CellView[][] = [];
  for (let r = 1; r <= ws.rowCount; r++) {
    const row = ws.getRow(r);
    out.push(Array.from({ length: columns }, (_, c) => view(row.getCell(c + 1))));
  }
  return out;
}

const NO_REPORT: WriteReport = { rows: 0, replacedControls: 0, truncatedCells: 0, continued: [] };

// ---------------------------------------------------------------------------------------
// The shared rules
// ---------------------------------------------------------------------------------------

describe("hand-worked constants", () => {
  it("the day numbers are the days said", () => {
    // Checks the arithmetic in the comments above with JavaScript's own calendar.
    expect(D_2026_11_23 * DAY_MS).toBe(Date.UTC(2026, 10, 23));
    expect(D_1999_12_31 * DAY_MS).toBe(Date.UTC(1999, 11, 31));
    expect(D_1969_12_31 * DAY_MS).toBe(Date.UTC(1969, 11, 31));
  });
});

describe("cells.ts", () => {
  it("xmlSafe replaces what XML 1.0 cannot hold and counts it", () => {
    // Forbidden: \x00 \x08 \x0B \x0C \x0E \x1F (6), U+FFFE, U+FFFF (2), a lone high and a lone low
    // surrogate (2), and a low-before-high pair, which is two lone halves (2) = 12.
    // Kept: tab, LF, CR, space, U+FFFD itself, a real pair (😀 = \uD83D\uDE00).
    const input = "a\x00b\x08c\x09d\x0Ae\x0Bf\x0Cg\x0Dh\x0Ei\x1Fj k\uFFFEl\uFFFFm\uD800n\uDC00o\uDE00\uD83Dp😀q\uFFFD";
    const expected = "a\uFFFDb\uFFFDc\td\ne\uFFFDf\uFFFDg\rh\uFFFDi\uFFFDj k\uFFFDl\uFFFDm\uFFFDn\uFFFDo\uFFFD\uFFFDp😀q\uFFFD";
    expect(xmlSafe(input)).toEqual({ text: expected, replaced: 12 });
    expect(xmlSafe("plain Привет 😀")).toEqual({ text: "plain Привет 😀", replaced: 0 });
  });

  it("neutraliseFormula prefixes ' to text starting = + - @ tab CR LF, and nothing else", () => {
    const cases: Array<[string, string]> = [
      ["=1+1", "'=1+1"], ["+7 999", "'+7 999"], ["-x", "'-x"], ["@SUM(A1)", "'@SUM(A1)"],
      ["\tcmd", "'\tcmd"], ["\rcmd", "'\rcmd"], ["\ncmd", "'\ncmd"],
      ["a=b", "a=b"], [" =x", " =x"], ["'=x", "'=x"], ["", ""], ["007", "007"], ["Иван", "Иван"],
    ];
    for (const [input, out] of cases) expect(neutraliseFormula(input), JSON.stringify(input)).toBe(out);
  });

  it("elementNames makes XML names: dots and others to _, _ before digits and xml, duplicates _2", () => {
    expect(elementNames([
      "id", "orders.count", "custom.loyalty tier", "1st", "xmlish", "XMLx", "orders_count", "orders.count",
      "имя", "a-b", "", "-lead", "a", "a", "a_2", "e-mail@host",
    ])).toEqual([
      "id", "orders_count", "custom_loyalty_tier", "_1st", "_xmlish", "_XMLx", "orders_count_2", "orders_count_3",
      "имя", "a-b", "_", "_-lead", "a", "a_2", "a_2_2", "e-mail_host",
    ]);
  });

  it("elementNames only makes names XML accepts (a column such as m² or µs)", () => {
    // ² (U+00B2) is a number and µ (U+00B5) a letter to Unicode, but neither may appear in an
    // XML 1.0 name (NameStartChar/NameChar allow nothing between U+00B7 and U+00C0); a written
    // `<m²>` makes the whole file unreadable. Expected: the character replaced like any other.
    const names = elementNames(["area_m²", "µs", "score①"]);
    const doc = `<?xml version="1.0" encoding="UTF-8"?>\n<r>${names.map((n) => `<${n}>1</${n}>`).join("")}</r>\n`;
    expect(() => pythonXml(doc)).not.toThrow();
  });
});

// ---------------------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------------------

describe("csv", () => {
  // The file, line by line:
  // - 0.1 + 0.2 = 0.30000000000000004 rounds to 15 significant digits: 0.3; 1/3 -> 0.333333333333333 (15 threes).
  // - datetimes: 11:05Z + 3 h = 14:05 (+03:00); .155 ms shown; 22:30Z on Dec 31 + 3 h = 2027-01-01 01:30.
  // - text starting = + - @ gets a leading ' (id -x, name =1+1 and @SUM(A1), phone +7..., the list -neg;😀);
  //   the integer -5 does not.
  // - null and the empty list are empty fields; "  padded  " has no delimiter/quote/line break: unquoted.
  const EXPECTED_CSV = [
    "id,name,orders.count,total,vip,birthday,last_order_at,tags,phone",
    "007,Иван Петров,3,0.3,true,2026-11-23,2026-11-23T14:05:00+03:00,gold;早期,",
    "c-2,'=1+1,-5,12890.5,false,1999-12-31,2026-11-23T14:05:00.155+03:00,,'+7 999 123-45-67",
    "'-x,'@SUM(A1),0,0.333333333333333,,1969-12-31,2027-01-01T01:30:00+03:00,'-neg;😀,  padded  ",
    "c4,,,,,,,,",
    "",
  ].join("\n");

  it("writes a header, one LF-ended record a row, values in their export form", async () => {
    const { text, report } = await write("csv", SPEC, ROWS);
    expect(text).toBe(EXPECTED_CSV);
    expect(report).toEqual({ ...NO_REPORT, rows: 4 });
  });

  it("reads back with csv-parse as the same cells", async () => {
    const { text } = await write("csv", SPEC, ROWS);
    expect(readCsv(text)).toEqual([
      HEADER,
      ["007", "Иван Петров", "3", "0.3", "true", "2026-11-23", "2026-11-23T14:05:00+03:00", "gold;早期", ""],
      ["c-2", "'=1+1", "-5", "12890.5", "false", "1999-12-31", "2026-11-23T14:05:00.155+03:00", "", "'+7 999 123-45-67"],
      ["'-x", "'@SUM(A1)", "0", "0.333333333333333", "", "1969-12-31", "2027-01-01T01:30:00+03:00", "'-neg;😀", "  padded  "],
      ["c4", "", "", "", "", "", "", "", ""],
    ]);
  });

  it("quotes fields with the delimiter, a quote, LF or CR LF (RFC 4180), quotes doubled", async () => {
    const spec: TableSpec = { name: "t", columns: [{ name: "id", type: "id" }, { name: "note", type: "string" }] };
    const { text } = await write("csv", spec, [
      ["a,b", 'say "hi"'],
      ["x\ny", "plain"],
      ["crlf", "one\r\ntwo"],
      ["f", '=HYPERLINK("http://x")'],
      ["g", "\nstarts with LF"],
      ["h", "\ttab first"],
    ]);
    // The ' of neutralising goes in front, then the field is quoted as usual.
    expect(text).toBe([
      "id,note",
      '"a,b","say ""hi"""',
      '"x\ny",plain',
      'crlf,"one\r\ntwo"',
      `f,"'=HYPERLINK(""http://x"")"`,
      `g,"'\nstarts with LF"`,
      "h,'\ttab first",
      "",
    ].join("\n"));
    expect(readCsv(text)).toEqual([
      ["id", "note"], ["a,b", 'say "hi"'], ["x\ny", "plain"], ["crlf", "one\r\ntwo"],
      ["f", `'=HYPERLINK("http://x")`], ["g", "'\nstarts with LF"], ["h", "'\ttab first"],
    ]);
  });

  it("quotes a field holding a CR with no LF after it", async () => {
    // A lone CR is a line break to Excel and to RFC 4180 ("fields containing line breaks (CRLF)
    // ... should be enclosed in double-quotes"; the writer's own rule: "a field holding ... a line
    // break is quoted"), so "r<CR>s" must be written "r<CR>s" in quotes.
    const spec: TableSpec = { name: "t", columns: [{ name: "id", type: "id" }, { name: "note", type: "string" }] };
    const { text } = await write("csv", spec, [["a", "r\rs"], ["b", "end\r"]]);
    expect(text).toBe('id,note\na,"r\rs"\nb,"end\r"\n');
    expect(readCsv(text)).toEqual([["id", "note"], ["a", "r\rs"], ["b", "end\r"]]);
  });

  it("raw: true writes formula-looking text as it is", async () => {
    const spec: TableSpec = { name: "t", columns: [{ name: "id", type: "id" }, { name: "n", type: "integer" }, { name: "tags", type: "list" }] };
    const { text } = await write("csv", spec, [["=1+1", -5, ["@a", "b"]], ["+7", 1, ["-c"]]], { ...MOSCOW, raw: true });
    expect(text).toBe("id,n,tags\n=1+1,-5,@a;b\n+7,1,-c\n");
  });

  it("never neutralises numbers, negative ones included", async () => {
    const spec: TableSpec = { name: "t", columns: [{ name: "n", type: "integer" }, { name: "d", type: "decimal" }] };
    const { text } = await write("csv", spec, [[-5, -0.5], [-1234567, -0.1 - 0.2]]);
    // -0.1 - 0.2 = -0.30000000000000004 -> -0.3.
    expect(text).toBe("n,d\n-5,-0.5\n-1234567,-0.3\n");
  });

  it("rounds decimals to 15 significant digits; integers as they are", async () => {
    const spec: TableSpec = { name: "t", columns: [{ name: "d", type: "decimal" }, { name: "n", type: "integer" }] };
    const { text } = await write("csv", spec, [
      [0.1 + 0.2, 42],
      // 123456789.12345679: 9 digits before the point leave 6 of the 15 after it: .123457.
      [123456789.12345679, 0],
      // 1.1 * 3 = 3.3000000000000003 -> 3.3
      [1.1 * 3, -7],
      [2, 1],
    ]);
    expect(text).toBe("d,n\n0.3,42\n123456789.123457,0\n3.3,-7\n2,1\n");
  });

  it("starts with a BOM when asked", async () => {
    const spec: TableSpec = { name: "t", columns: [{ name: "id", type: "id" }] };
    const { bytes } = await write("csv", spec, [["a"]], { ...MOSCOW, bom: true });
    // U+FEFF in UTF-8 is EF BB BF.
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.subarray(3).toString("utf8")).toBe("id\na\n");
    expect(readCsv(bytes.toString("utf8"))).toEqual([["id"], ["a"]]);
    const plain = await write("csv", spec, [["a"]]);
    expect(plain.bytes[0]).toBe(0x69); // "i": no BOM by default
  });

  it("takes another delimiter, quoting the fields that hold it", async () => {
    const spec: TableSpec = { name: "t", columns: [{ name: "id", type: "id" }, { name: "tags", type: "list" }, { name: "note", type: "string" }] };
    const { text } = await write("csv", spec, [["a", ["x", "y"], "one, two"], ["b", ["z"], "semi;colon"]], { ...MOSCOW, delimiter: ";" });
    // The list joined by ; now holds the delimiter, so it is quoted; the comma is plain text.
    expect(text).toBe('id;tags;note\na;"x;y";one, two\nb;z;"semi;colon"\n');
    expect(readCsv(text, ";")).toEqual([["id", "tags", "note"], ["a", "x;y", "one, two"], ["b", "z", "semi;colon"]]);
  });

  it("keeps control characters as they are", async () => {
    const spec: TableSpec = { name: "t", columns: [{ name: "id", type: "id" }, { name: "note", type: "string" }] };
    const { text, report } = await write("csv", spec, [["a\x01b", "bell\x07 nul\x00 \uFFFE"]]);
    expect(text).toBe("id,note\na\x01b,bell\x07 nul\x00 \uFFFE\n");
    expect(report.replacedControls).toBe(0);
  });

  it("shows datetimes as wall time in the zone, with the offset of that instant", async () => {
    const spec: TableSpec = { name: "t", columns: [{ name: "at", type: "datetime" }, { name: "day", type: "date" }] };
    const rows: CellValue[][] = [
      [Date.UTC(2026, 6, 1, 12, 0, 0), D_2026_11_23], // New York summer (EDT, -4): 08:00
      [Date.UTC(2026, 0, 15, 12, 0, 0), D_2026_11_23], // New York winter (EST, -5): 07:00
      [Date.UTC(2026, 0, 15, 3, 30, 0, 5), null], // 03:30Z - 5 h = 22:30 the day before; 5 ms -> .005
    ];
    expect((await write("csv", spec, rows, { timezone: "America/New_York" })).text).toBe(
      "at,day\n2026-07-01T08:00:00-04:00,2026-11-23\n2026-01-15T07:00:00-05:00,2026-11-23\n2026-01-14T22:30:00.005-05:00,\n");
    // Kolkata is UTC+5:30 (no DST): 12:00Z -> 17:30, 03:30Z -> 09:00.
    expect((await write("csv", spec, rows, { timezone: "Asia/Kolkata" })).text).toBe(
      "at,day\n2026-07-01T17:30:00+05:30,2026-11-23\n2026-01-15T17:30:00+05:30,2026-11-23\n2026-01-15T09:00:00.005+05:30,\n");
    // UTC: +00:00.
    expect((await write("csv", spec, rows.slice(0, 1), { timezone: "UTC" })).text).toBe("at,day\n2026-07-01T12:00:00+00:00,2026-11-23\n");
  });

  it("holds one table", async () => {
    const w = openWriter("csv", memorySink().sink, MOSCOW);
    await w.table({ name: "a", columns: [{ name: "id", type: "id" }] });
    await expect(w.table({ name: "b", columns: [{ name: "id", type: "id" }] })).rejects.toThrow();
  });
});

// ---------------------------------------------------------------------------------------
// JSON and NDJSON
// ---------------------------------------------------------------------------------------

describe("csv against csv-stringify", () => {
  // The writer joins and quotes cells itself; csv-stringify, with the options the writer
  // used to give it, is the reference: byte-equal files for seeded tables of awkward text
  // (delimiters, quotes, LF, CR, CRLF, empty fields, one-column rows, spaces, unicode).
  it("writes the same bytes for 300 random tables, with , ; and tab", async () => {
    const { stringify } = await import("csv-stringify/sync");
    let seed = 17;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const bits = ["a", "b", ",", ";", "\t", '"', "\n", "\r", "\r\n", " ", "", "é", "😀", "x y", "''"];
    const problems: string[] = [];
    for (let t = 0; t < 300; t++) {
      const delimiter = [",", ";", "\t"][t % 3];
      const width = 1 + Math.floor(rnd() * 4);
      const spec: TableSpec = { name: "t", columns: Array.from({ length: width }, (_, i) => ({ name: `c${i}`, type: "string" as const })) };
      const rows = Array.from({ length: Math.floor(rnd() * 6) }, () => Array.from({ length: width }, () => Array.from({ length: Math.floor(rnd() * 4) }, () => bits[Math.floor(rnd() * bits.length)]).join("")));
      const { text } = await write("csv", spec, rows, { ...MOSCOW, delimiter, raw: true });
      const want = stringify([spec.columns.map((c) => c.name), ...rows], { delimiter, record_delimiter: "unix", cast: { string: (v: string) => v }, escape_formulas: false, quoted_match: /\r/ });
      if (text !== want) problems.push(`table ${t}: ${JSON.stringify(rows)} with ${JSON.stringify(delimiter)}`);
    }
    expect(problems).toEqual([]);
  });
});

describe("csv of ids (writeTable with IdRows: a run's member and diff files)", () => {
  // The fast path writes each id without a row; csv-stringify over one-cell rows is the
  // reference, with the formula rule of CLI.md applied to the cells by hand for raw: false.
  it("writes the bytes csv-stringify writes, over many chunks, with , ; and tab, raw or neutralised, with a BOM", async () => {
    const { stringify } = await import("csv-stringify/sync");
    let seed = 29;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const bits = ["C", "0", "7", ",", ";", "\t", '"', "\n", "\r", " ", "=", "+", "-", "@", "é", "😀", "'"];
    const ids = Array.from({ length: 60_000 }, (_, k) => (k % 3 === 0 ? `C${String(k).padStart(7, "0")}` : Array.from({ length: Math.floor(rnd() * 9) }, () => bits[Math.floor(rnd() * bits.length)]).join("")));
    const spec: TableSpec = { name: "t", columns: [{ name: "id", type: "id" }] };
    const problems: string[] = [];
    for (const delimiter of [",", ";", "\t"]) {
      for (const raw of [true, false]) {
        for (const bom of [false, true]) {
          const out = memorySink();
          const report = await writeTable(openWriter("csv", out.sink, { ...MOSCOW, delimiter, raw, bom }), spec, { ids });
          const cells = ids.map((id) => [raw || !/^[=+\-@\t\r\n]/.test(id) ? id : `'${id}`]);
          const want = (bom ? "\uFEFF" : "") + stringify([["id"], ...cells], { delimiter, record_delimiter: "unix", cast: { string: (v: string) => v }, escape_formulas: false, quoted_match: /\r/ });
          if (out.text() !== want) problems.push(`delimiter ${JSON.stringify(delimiter)}, raw ${raw}, bom ${bom}`);
          if (report.rows !== ids.length) problems.push(`rows ${report.rows}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("writes an empty table as its header, and ids of a wider table as rows", async () => {
    const one = memorySink();
    await writeTable(openWriter("csv", one.sink, MOSCOW), { name: "t", columns: [{ name: "id", type: "id" }] }, { ids: [] });
    expect(one.text()).toBe("id\n");
    const two = memorySink();
    await writeTable(openWriter("csv", two.sink, MOSCOW), { name: "t", columns: [{ name: "id", type: "id" }, { name: "id", type: "id" }] }, { ids: ["c1", "=c2"] });
    expect(two.text()).toBe("id,id\nc1,c1\n'=c2,'=c2\n");
  });
});

describe("json and ndjson", () => {
  // Numbers stay numbers (decimals rounded to 15 digits: 0.3, 0.333333333333333), bools bools,
  // null null, lists arrays, dates and datetimes as in the CSV; formula-looking text unchanged.
  const EXPECTED_OBJECTS = [
    { id: "007", name: "Иван Петров", "orders.count": 3, total: 0.3, vip: true, birthday: "2026-11-23", last_order_at: "2026-11-23T14:05:00+03:00", tags: ["gold", "早期"], phone: null },
    { id: "c-2", name: "=1+1", "orders.count": -5, total: 12890.5, vip: false, birthday: "1999-12-31", last_order_at: "2026-11-23T14:05:00.155+03:00", tags: [], phone: "+7 999 123-45-67" },
    { id: "-x", name: "@SUM(A1)", "orders.count": 0, total: 0.333333333333333, vip: null, birthday: "1969-12-31", last_order_at: "2027-01-01T01:30:00+03:00", tags: ["-neg", "😀"], phone: "  padded  " },
    { id: "c4", name: null, "orders.count": null, total: null, vip: null, birthday: null, last_order_at: null, tags: null, phone: null },
  ];

  it("json: an array, one object a line, typed values, keys the column names", async () => {
    const { text, report } = await write("json", SPEC, ROWS);
    const lines = text.split("\n");
    // "[", four objects (each but the last followed by a comma), "]", and the final newline.
    expect(lines).toHaveLength(7);
    expect(lines[0]).toBe("[");
    expect(lines[5]).toBe("]");
    expect(lines[6]).toBe("");
    for (let i = 1; i <= 4; i++) {
      const line = lines[i].replace(/,$/, "");
      expect(JSON.parse(line)).toEqual(EXPECTED_OBJECTS[i - 1]);
      expect(lines[i].endsWith(","), `line ${i}`).toBe(i < 4);
    }
    const all = JSON.parse(text) as Array<Record<string, unknown>>;
    expect(all).toEqual(EXPECTED_OBJECTS);
    expect(Object.keys(all[0])).toEqual(HEADER); // column order, the dot kept
    expect(text).toContain('"total":0.3,'); // not 0.30000000000000004
    expect(report).toEqual({ ...NO_REPORT, rows: 4 });
  });

  it("ndjson: one object a line", async () => {
    const { text, report } = await write("ndjson", SPEC, ROWS);
    expect(text.endsWith("}\n")).toBe(true);
    const lines = text.slice(0, -1).split("\n");
    expect(lines.map((l) => JSON.parse(l))).toEqual(EXPECTED_OBJECTS);
    expect(Object.keys(JSON.parse(lines[0]))).toEqual(HEADER);
    expect(report).toEqual({ ...NO_REPORT, rows: 4 });
  });

  it("an empty table is [] (json) and an empty file (ndjson)", async () => {
    const json = await write("json", SPEC, []);
    expect(JSON.parse(json.text)).toEqual([]);
    expect(json.text.trim()).toBe("[]");
    expect((await write("ndjson", SPEC, [])).text).toBe("");
  });

  it("keeps control characters and line breaks (JSON escapes them)", async () => {
    const spec: TableSpec = { name: "t", columns: [{ name: "note", type: "string" }, { name: "tags", type: "list" }] };
    const note = "a\x01b\x00c\r\nd\te\uFFFE";
    for (const format of ["json", "ndjson"] as const) {
      const { text, report } = await write(format, spec, [[note, ["x\x1Fy"]]]);
      const obj = format === "json" ? (JSON.parse(text) as unknown[])[0] : JSON.parse(text);
      expect(obj).toEqual({ note, tags: ["x\x1Fy"] });
      expect(report.replacedControls).toBe(0);
    }
  });

  it("holds one table", async () => {
    const w = openWriter("ndjson", memorySink().sink, MOSCOW);
    await w.table({ name: "a", columns: [{ name: "id", type: "id" }] });
    await expect(w.table({ name: "b", columns: [{ name: "id", type: "id" }] })).rejects.toThrow();
  });
});

// ---------------------------------------------------------------------------------------
// XML
// ---------------------------------------------------------------------------------------

describe("xml", () => {
  // What each <customer> holds, as text: numbers and bools as in the CSV, null and [] empty,
  // lists one <item> each. Formula-looking text is written unchanged.
  const EXPECTED_PY: PyCell[][] = [
    [["id", "007"], ["name", "Иван Петров"], ["orders_count", "3"], ["total", "0.3"], ["vip", "true"], ["birthday", "2026-11-23"], ["last_order_at", "2026-11-23T14:05:00+03:00"], ["tags", ["gold", "早期"]], ["phone", ""]],
    [["id", "c-2"], ["name", "=1+1"], ["orders_count", "-5"], ["total", "12890.5"], ["vip", "false"], ["birthday", "1999-12-31"], ["last_order_at", "2026-11-23T14:05:00.155+03:00"], ["tags", ""], ["phone", "+7 999 123-45-67"]],
    [["id", "-x"], ["name", "@SUM(A1)"], ["orders_count", "0"], ["total", "0.333333333333333"], ["vip", ""], ["birthday", "1969-12-31"], ["last_order_at", "2027-01-01T01:30:00+03:00"], ["tags", ["-neg", "😀"]], ["phone", "  padded  "]],
    [["id", "c4"], ["name", ""], ["orders_count", ""], ["total", ""], ["vip", ""], ["birthday", ""], ["last_order_at", ""], ["tags", ""], ["phone", ""]],
  ];
  const toRecord = (row: PyCell[]): Record<string, XmlCell> => Object.fromEntries(row.map(([k, v]) => [k, Array.isArray(v) ? { item: v } : v]));

  it("declares UTF-8, one <customer> a line under <customers>, null as an empty element", async () => {
    const { text, report } = await write("xml", SPEC, ROWS.slice(0, 1));
    expect(text).toBe([
      '<?xml version="1.0" encoding="UTF-8"?>',
      "<customers>",
      "  <customer><id>007</id><name>Иван Петров</name><orders_count>3</orders_count><total>0.3</total><vip>true</vip>" +
        "<birthday>2026-11-23</birthday><last_order_at>2026-11-23T14:05:00+03:00</last_order_at>" +
        "<tags><item>gold</item><item>早期</item></tags><phone/></customer>",
      "</customers>",
      "",
    ].join("\n"));
    expect(report).toEqual({ ...NO_REPORT, rows: 1 });
  });

  it("is well-formed and reads back the same with python3's xml.etree", async () => {
    const { text } = await write("xml", SPEC, ROWS);
    const doc = pythonXml(text);
    expect(doc.root).toBe("customers");
    expect(doc.rowTags).toEqual(["customer", "customer", "customer", "customer"]);
    expect(doc.rows).toEqual(EXPECTED_PY);
  });

  it("reads back the same with fast-xml-parser", async () => {
    const { text } = await write("xml", SPEC, ROWS);
    expect(readXml(text)).toEqual(EXPECTED_PY.map(toRecord));
  });

  it("escapes & < > \" ' and reads them back (no double decoding)", async () => {
    const spec: TableSpec = { name: "t", columns: [{ name: "name", type: "string" }, { name: "tags", type: "list" }] };
    const name = `& < > " ' &amp; &lt;b&gt; &#13; ]]> <![CDATA[x]]>`;
    const { text } = await write("xml", spec, [[name, ["<i>", "a&b"]]]);
    expect(text).toContain("<name>&amp; &lt; &gt; &quot; &apos; &amp;amp; &amp;lt;b&amp;gt; &amp;#13; ]]&gt; &lt;![CDATA[x]]&gt;</name>");
    expect(text).toContain("<tags><item>&lt;i&gt;</item><item>a&amp;b</item></tags>");
    expect(pythonXml(text).rows).toEqual([[["name", name], ["tags", ["<i>", "a&b"]]]]);
    expect(readXml(text)).toEqual([{ name, tags: { item: ["<i>", "a&b"] } }]);
  });

  it("replaces XML-forbidden characters with U+FFFD and counts them; tab and LF kept; CR as &#13;", async () => {
    const spec: TableSpec = { name: "t", columns: [{ name: "note", type: "string" }, { name: "tags", type: "list" }, { name: "id", type: "id" }] };
    // note: \x01, \x0B, \x0C, \x1F, U+FFFE, U+FFFF, a lone high surrogate = 7; tags: \x00, a lone low = 2; id: \x08 = 1.
    const note = "a\x01b\x0Bc\x0Cd\x1Fe\uFFFEf\uFFFFg\uD800h\tT\nL\rR😀";
    const { text, report } = await write("xml", spec, [[note, ["\x00x", "y\uDC00"], "id\x08"]]);
    const cleanNote = "a\uFFFDb\uFFFDc\uFFFDd\uFFFDe\uFFFDf\uFFFDg\uFFFDh\tT\nL\rR😀";
    expect(report.replacedControls).toBe(10);
    expect(text).not.toContain("\r"); // the CR is a character reference...
    expect(text).toContain("L&#13;R");
    // ...that both parsers read back as a CR (fast-xml-parser needs htmlEntities: true for it).
    expect(pythonXml(text).rows).toEqual([[["note", cleanNote], ["tags", ["\uFFFDx", "y\uFFFD"]], ["id", "id\uFFFD"]]]);
    expect(readXml(text)).toEqual([{ note: cleanNote, tags: { item: ["\uFFFDx", "y\uFFFD"] }, id: "id\uFFFD" }]);
  });

  it("names elements from columns: dots to _, leading digit and xml get _, duplicates _2", async () => {
    const spec: TableSpec = {
      name: "t",
      columns: [
        { name: "orders.count", type: "integer" }, { name: "orders_count", type: "integer" }, { name: "1st", type: "string" },
        { name: "xml.lang", type: "string" }, { name: "custom.loyalty tier", type: "string" }, { name: "имя", type: "string" },
      ],
    };
    const { text } = await write("xml", spec, [[1, 2, "a", "ru", "gold", "Иван"]]);
    expect(pythonXml(text).rows).toEqual([[
      ["orders_count", "1"], ["orders_count_2", "2"], ["_1st", "a"], ["_xml_lang", "ru"], ["custom_loyalty_tier", "gold"], ["имя", "Иван"],
    ]]);
  });

  it("takes another root and row element", async () => {
    const spec: TableSpec = { name: "t", rowElement: "member", columns: [{ name: "id", type: "id" }] };
    const { text } = await write("xml", spec, [["a"], ["b"]], { ...MOSCOW, rootElement: "segment" });
    expect(text).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<segment>\n  <member><id>a</id></member>\n  <member><id>b</id></member>\n</segment>\n');
    const doc = pythonXml(text);
    expect([doc.root, doc.rowTags]).toEqual(["segment", ["member", "member"]]);
  });

  it("an empty table is an empty root", async () => {
    const { text } = await write("xml", SPEC, []);
    expect(text).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<customers>\n</customers>\n');
    expect(pythonXml(text)).toEqual({ root: "customers", rowTags: [], rows: [] });
  });

  it("keeps a column named like an Object.prototype property (__proto__)", async () => {
    // A column is written as a key of a plain object; `record["__proto__"] = "p"` is silently
    // ignored by JavaScript, so the element goes missing. Expected: like any other name.
    const spec: TableSpec = { name: "t", columns: [{ name: "id", type: "id" }, { name: "__proto__", type: "string" }] };
    const { text } = await write("xml", spec, [["a", "p"]]);
    expect(pythonXml(text).rows).toEqual([[["id", "a"], ["__proto__", "p"]]]);
  });

  it("holds one table", async () => {
    const w = openWriter("xml", memorySink().sink, MOSCOW);
    await w.table({ name: "a", columns: [{ name: "id", type: "id" }] });
    await expect(w.table({ name: "b", columns: [{ name: "id", type: "id" }] })).rejects.toThrow();
  });
});

// ---------------------------------------------------------------------------------------
// XLSX (and xls, the same workbook)
// ---------------------------------------------------------------------------------------

describe.each(["xlsx", "xls"] as const)("%s", (format) => {
  const DATE = "yyyy-mm-dd";
  const DATETIME = "yyyy-mm-dd hh:mm:ss";
  // Dates: a Date whose UTC fields are the day. Datetimes: a Date whose UTC fields are the
  // Moscow wall time (11:05Z -> 14:05, .155 kept; 22:30Z Dec 31 -> 2027-01-01 01:30).
  // Formula-looking text stays text; the empty list and null are empty cells.
  const EXPECTED_CELLS: CellView[][] = [
    HEADER,
    ["007", "Иван Петров", 3, 0.3, true, { date: "2026-11-23T00:00:00.000Z", numFmt: DATE }, { date: "2026-11-23T14:05:00.000Z", numFmt: DATETIME }, "gold;早期", null],
    ["c-2", "=1+1", -5, 12890.5, false, { date: "1999-12-31T00:00:00.000Z", numFmt: DATE }, { date: "2026-11-23T14:05:00.155Z", numFmt: DATETIME }, null, "+7 999 123-45-67"],
    ["-x", "@SUM(A1)", 0, 0.333333333333333, null, { date: "1969-12-31T00:00:00.000Z", numFmt: DATE }, { date: "2027-01-01T01:30:00.000Z", numFmt: DATETIME }, "-neg;😀", "  padded  "],
    ["c4", null, null, null, null, null, null, null, null],
  ];

  it("keeps the types: numbers, bools, dates, wall-time datetimes, text (no formulas), empty cells", async () => {
    const { bytes, report } = await write(format, SPEC, ROWS);
    const wb = await readXlsx(bytes);
    expect(wb.worksheets.map((ws) => ws.name)).toEqual(["vip"]);
    const ws = wb.worksheets[0];
    expect(ws.rowCount).toBe(5);
    expect(sheetRows(ws, 9)).toEqual(EXPECTED_CELLS);
    // Text that looks like a formula is a plain string cell, not a formula.
    for (const address of ["B3", "B4", "A4", "I3"]) {
      expect(ws.getCell(address).type, address).toBe(ExcelJS.ValueType.String);
      expect(ws.getCell(address).formula, address).toBeUndefined();
    }
    expect(report).toEqual({ ...NO_REPORT, rows: 4 });
  });

  it("has a bold, frozen, filterable header row", async () => {
    const { bytes } = await write(format, SPEC, ROWS);
    const ws = (await readXlsx(bytes)).worksheets[0];
    for (let c = 1; c <= 9; c++) expect(ws.getRow(1).getCell(c).font?.bold, `header cell ${c}`).toBe(true);
    expect(ws.getRow(2).getCell(1).font?.bold).toBeFalsy();
    expect(ws.views[0]).toMatchObject({ state: "frozen", ySplit: 1 });
    // 9 columns (A..I), header plus 4 rows (1..5).
    expect(ws.autoFilter).toBe("A1:I5");
  });

  it("shows datetimes as the wall time of the configured zone", async () => {
    const spec: TableSpec = { name: "t", columns: [{ name: "at", type: "datetime" }] };
    const { bytes } = await write(format, spec, [[Date.UTC(2026, 6, 1, 12, 0, 0)], [Date.UTC(2026, 0, 15, 12, 0, 0)]], { timezone: "America/New_York" });
    // EDT (-4) in July: 08:00; EST (-5) in January: 07:00.
    expect(sheetRows((await readXlsx(bytes)).worksheets[0], 1)).toEqual([
      ["at"],
      [{ date: "2026-07-01T08:00:00.000Z", numFmt: DATETIME }],
      [{ date: "2026-01-15T07:00:00.000Z", numFmt: DATETIME }],
    ]);
  });

  it("replaces control characters with U+FFFD and counts them; a CR reads back as LF", async () => {
    const spec: TableSpec = { name: "t", columns: [{ name: "note", type: "string" }, { name: "tags", type: "list" }, { name: "cr", type: "string" }] };
    // note: \x01 \x0B \uFFFF and a lone low surrogate = 4; tags: \x1F = 1.
    const { bytes, report } = await write(format, spec, [["a\x01b\x0Bc\uFFFFd\uDC00e\tT\nL😀", ["x\x1F", "y"], "r\rs|one\r\ntwo"]]);
    expect(report.replacedControls).toBe(5);
    // XML line-end normalisation: a lone CR and a CR LF both read back as one LF.
    expect(sheetRows((await readXlsx(bytes)).worksheets[0], 3)[1]).toEqual(["a\uFFFDb\uFFFDc\uFFFDd\uFFFDe\tT\nL😀", "x\uFFFD;y", "r\ns|one\ntwo"]);
  });

  it("cuts text over 32,767 characters and counts it, never inside a surrogate pair", async () => {
    const spec: TableSpec = { name: "t", columns: [{ name: "long", type: "string" }, { name: "pair", type: "string" }, { name: "exact", type: "string" }] };
    // "pair": 32,766 a's then 😀 (two code units, the first at index 32,766) then b: 32,769 units;
    // a cut at 32,767 would split the pair, so it is cut before it, at 32,766.
    const { bytes, report } = await write(format, spec, [["x".repeat(40_000), "a".repeat(32_766) + "😀b", "y".repeat(32_767)]]);
    expect(report.truncatedCells).toBe(2);
    const [long, pair, exact] = sheetRows((await readXlsx(bytes)).worksheets[0], 3)[1] as string[];
    expect(long).toBe("x".repeat(32_767));
    expect(pair).toBe("a".repeat(32_766));
    expect(exact).toBe("y".repeat(32_767));
  });

  it("continues a table over sheets of sheetRows rows, each with the header, and reports it", async () => {
    const spec: TableSpec = { name: "vip", columns: [{ name: "id", type: "id" }, { name: "n", type: "integer" }] };
    const rows = Array.from({ length: 7 }, (_, i): CellValue[] => [`c${i + 1}`, i + 1]);
    const { bytes, report } = await write(format, spec, rows, { ...MOSCOW, sheetRows: 3 });
    // 7 rows, 3 a sheet: 3 + 3 + 1.
    expect(report).toEqual({ rows: 7, replacedControls: 0, truncatedCells: 0, continued: [{ table: "vip", sheets: ["vip", "vip (2)", "vip (3)"] }] });
    const wb = await readXlsx(bytes);
    expect(wb.worksheets.map((ws) => ws.name)).toEqual(["vip", "vip (2)", "vip (3)"]);
    expect(wb.worksheets.map((ws) => sheetRows(ws, 2))).toEqual([
      [["id", "n"], ["c1", 1], ["c2", 2], ["c3", 3]],
      [["id", "n"], ["c4", 4], ["c5", 5], ["c6", 6]],
      [["id", "n"], ["c7", 7]],
    ]);
    expect(wb.worksheets.map((ws) => ws.autoFilter)).toEqual(["A1:B4", "A1:B4", "A1:B2"]);
    for (const ws of wb.worksheets) {
      expect(ws.views[0], ws.name).toMatchObject({ state: "frozen", ySplit: 1 });
      expect(ws.getRow(1).getCell(1).font?.bold, ws.name).toBe(true);
    }
  });

  it("never puts more than sheetRows rows on a sheet, past the first 200 rows too", async () => {
    // 250 rows, 100 a sheet: 100 + 100 + 50 (c1..c100, c101..c200, c201..c250).
    const spec: TableSpec = { name: "vip", columns: [{ name: "id", type: "id" }] };
    const rows = Array.from({ length: 250 }, (_, i): CellValue[] => [`c${i + 1}`]);
    const { bytes, report } = await write(format, spec, rows, { ...MOSCOW, sheetRows: 100 });
    expect(report.continued).toEqual([{ table: "vip", sheets: ["vip", "vip (2)", "vip (3)"] }]);
    const wb = await readXlsx(bytes);
    const summary = wb.worksheets.map((ws) => [ws.name, ws.rowCount - 1, ws.getCell("A2").value, ws.getCell(`A${ws.rowCount}`).value]);
    expect(summary).toEqual([
      ["vip", 100, "c1", "c100"],
      ["vip (2)", 100, "c101", "c200"],
      ["vip (3)", 50, "c201", "c250"],
    ]);
  });

  it("writes several tables as several sheets, names made valid, short and distinct", async () => {
    const out = memorySink();
    const w = openWriter(format, out.sink, MOSCOW);
    const names = ["vip", "a:b\\c/d?e*f[g]h", "x".repeat(40), "VIP", "'quoted'"];
    for (const [i, name] of names.entries()) {
      await w.table({ name, columns: [{ name: "id", type: "id" }, { name: "n", type: "integer" }] });
      await w.row([`t${i}`, i]);
    }
    const report = await w.end();
    expect(report).toEqual({ ...NO_REPORT, rows: 5 });
    const wb = await readXlsx(out.bytes());
    // : \ / ? * [ ] become _; 40 x's cut to 31; "VIP" clashes with "vip" ignoring case: "VIP 2";
    // quotes at the ends are dropped (Excel refuses them there).
    expect(wb.worksheets.map((ws) => ws.name)).toEqual(["vip", "a_b_c_d_e_f_g_h", "x".repeat(31), "VIP 2", "quoted"]);
    expect(wb.worksheets.map((ws) => sheetRows(ws, 2))).toEqual(names.map((_, i) => [["id", "n"], [`t${i}`, i]]));
  });

  it("writes an empty table as a sheet with its header", async () => {
    const { bytes } = await write(format, SPEC, []);
    const ws = (await readXlsx(bytes)).worksheets[0];
    expect(ws.name).toBe("vip");
    expect(sheetRows(ws, 9)).toEqual([HEADER]);
  });
});

// ---------------------------------------------------------------------------------------
// Across formats
// ---------------------------------------------------------------------------------------

/** The text cells of the one data row of a file, read with that format's reader. */
async function readBack(format: Format, bytes: Buffer, columns: number): Promise<unknown[]> {
  const text = bytes.toString("utf8");
  switch (format) {
    case "csv": return readCsv(text)[1];
    case "json": return Object.values((JSON.parse(text) as Array<Record<string, unknown>>)[0]);
    case "ndjson": return Object.values(JSON.parse(text) as Record<string, unknown>);
    case "xml": return Object.values(readXml(text)[0]);
    case "xlsx":
    case "xls": return sheetRows((await readXlsx(bytes)).worksheets[0], columns)[1];
  }
}

describe("across formats", () => {
  const ALL: Format[] = ["csv", "json", "ndjson", "xml", "xlsx", "xls"];

  it.each(["json", "ndjson", "xml", "xlsx", "xls"] as const)("%s writes formula-looking text unchanged", async (format) => {
    const spec: TableSpec = { name: "t", columns: ["a", "b", "c", "d", "e"].map((name) => ({ name, type: "string" as const })) };
    const values = ["=1+1", "+7 999", "-x", "@SUM(A1)", "\tTAB"];
    const { bytes } = await write(format, spec, [values]);
    expect(await readBack(format, bytes, 5)).toEqual(values);
  });

  it.each(ALL)("%s round-trips Cyrillic, CJK and emoji exactly", async (format) => {
    const spec: TableSpec = { name: "t", columns: ["ru", "cjk", "emoji", "mixed"].map((name) => ({ name, type: "string" as const })) };
    const values = ["Привет, Ёжик — щи", "日本語テキスト 客户", "😀👍🏽🇷🇺👨‍👩‍👧", "Ω≈ç√ é (e\u0301) ß 𝒳"];
    const { bytes } = await write(format, spec, [values]);
    // The comma of the Russian text is quoted by csv, so it reads back in one field.
    expect(await readBack(format, bytes, 4)).toEqual(values);
  });
});

// ---------------------------------------------------------------------------------------
// Sinks: backpressure, a closed pipe, failures, staged files
// ---------------------------------------------------------------------------------------

describe("sinks", () => {
  const N = 20_000;
  const spec: TableSpec = { name: "t", columns: [{ name: "id", type: "id" }, { name: "n", type: "integer" }, { name: "note", type: "string" }] };
  const manyRows = (n: number) => Array.from({ length: n }, (_, i): CellValue[] => [`c${i + 1}`, i + 1, `note ${i + 1}`]);
  const enospc = () => Object.assign(new Error("no space left on device"), { code: "ENOSPC" });

  it.each(["csv", "json", "ndjson", "xml", "xlsx"] as const)("%s waits for a slow sink with a tiny buffer and loses no row", async (format) => {
    const chunks: Buffer[] = [];
    let maxQueued = 0;
    const slow = new Writable({
      highWaterMark: 16,
      write(chunk: Buffer, _enc, cb) {
        chunks.push(Buffer.from(chunk));
        setTimeout(cb, 0);
      },
    });
    const writer = openWriter(format, streamSink(slow), MOSCOW);
    await writer.table(spec);
    let promises = 0;
    for (const r of manyRows(N)) {
      const wait = writer.row(r);
      if (wait) {
        promises++;
        await wait;
      }
      maxQueued = Math.max(maxQueued, slow.writableLength);
    }
    const report = await writer.end();
    expect(report.rows).toBe(N);
    // The stream is the caller's (streamSink never ends it): end it and let it finish the
    // chunks it has taken before reading what it received.
    await new Promise<void>((resolve) => slow.end(resolve));
    const bytes = Buffer.concat(chunks);
    const text = bytes.toString("utf8");
    if (format !== "xlsx") {
      expect(promises).toBeGreaterThan(0);
      // Waiting means at most one chunk is queued at a time: a chunk holds at most 512 rows of
      // about 25 bytes (xml: 80), or 64 KB of them (csv), a small part of the whole output.
      expect(maxQueued).toBeLessThan(bytes.length / 3);
    }
    switch (format) {
      case "csv": {
        const rows = readCsv(text);
        expect(rows).toHaveLength(N + 1);
        expect(rows[N]).toEqual([`c${N}`, `${N}`, `note ${N}`]);
        break;
      }
      case "json": {
        const rows = JSON.parse(text) as Array<{ id: string; n: number }>;
        expect(rows).toHaveLength(N);
        expect(rows.every((r, i) => r.n === i + 1 && r.id === `c${i + 1}`)).toBe(true);
        break;
      }
      case "ndjson": {
        const rows = text.trimEnd().split("\n").map((l) => JSON.parse(l) as { n: number });
        expect(rows.map((r) => r.n)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
        break;
      }
      case "xml": {
        const rows = readXml(text);
        expect(rows).toHaveLength(N);
        expect(rows[N - 1]).toEqual({ id: `c${N}`, n: `${N}`, note: `note ${N}` });
        break;
      }
      case "xlsx": {
        const ws = (await readXlsx(bytes)).worksheets[0];
        expect(ws.rowCount).toBe(N + 1);
        expect(sheetRows(ws, 3)[N]).toEqual([`c${N}`, N, `note ${N}`]);
        break;
      }
    }
  });

  /** A pipe whose reader goes away after `limit` bytes, as `| head` does. */
  function closingPipe(limit: number, how: "callback" | "destroy"): { stream: Writable; received: () => string } {
    const chunks: Buffer[] = [];
    let total = 0;
    const stream = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _enc, cb) {
        if (total >= limit) {
          const e: NodeJS.ErrnoException = new Error("EPIPE");
          e.code = "EPIPE";
          if (how === "callback") cb(e);
          else {
            this.destroy(e);
            cb();
          }
          return;
        }
        total += chunk.length;
        chunks.push(Buffer.from(chunk));
        cb();
      },
    });
    return { stream, received: () => Buffer.concat(chunks).toString("utf8") };
  }

  describe.each(["callback", "destroy"] as const)("a pipe closed with EPIPE (%s)", (how) => {
    it.each(["csv", "ndjson", "json", "xml"] as const)("%s ends quietly, the rest dropped", async (format) => {
      const pipe = closingPipe(4096, how);
      const report = await writeTable(openWriter(format, streamSink(pipe.stream), MOSCOW), spec, manyRows(20_000));
      expect(report.rows).toBe(20_000);
      const received = pipe.received();
      // What got through is the start of the file (a chunk or two of at most 512 rows, csv's of
      // 64 KB), not all of it (about 600 KB).
      expect(received.length).toBeGreaterThan(0);
      expect(received.length).toBeLessThan(160 * 1024);
      const first = {
        csv: "id,n,note\nc1,1,note 1\n",
        ndjson: '{"id":"c1","n":1,"note":"note 1"}\n',
        json: '[\n{"id":"c1","n":1,"note":"note 1"}',
        xml: '<?xml version="1.0" encoding="UTF-8"?>\n<customers>\n  <customer><id>c1</id><n>1</n><note>note 1</note></customer>\n',
      }[format];
      expect(received.startsWith(first)).toBe(true);
    });
  });

  it.each(["csv", "ndjson", "json", "xml"] as const)("%s: a write failure other than EPIPE fails the writer (after a few KB)", async (format) => {
    let total = 0;
    const full = new Writable({
      write(chunk: Buffer, _enc, cb) {
        total += chunk.length;
        if (total > 4096) cb(enospc());
        else cb();
      },
    });
    await expect(writeTable(openWriter(format, streamSink(full), MOSCOW), spec, manyRows(20_000))).rejects.toMatchObject({ code: "ENOSPC" });
  });

  it.each(["csv", "ndjson", "json", "xml"] as const)("%s: a write failure other than EPIPE fails the writer (a small table, failing at once)", async (format) => {
    // Every write fails at once, as stdout redirected to a full disk does (`> /dev/full`: Node
    // writes files synchronously and reports the error in the write's callback). Two rows fit
    // in one chunk; the output is lost, so the writer must not end as if it had been written.
    const full = new Writable({ write: (_chunk, _enc, cb) => cb(enospc()) });
    await expect(writeTable(openWriter(format, streamSink(full), MOSCOW), spec, manyRows(2))).rejects.toMatchObject({ code: "ENOSPC" });
  });

  it("a write failure other than EPIPE fails the writer (a small table, the error reported late)", async () => {
    // The stream takes the only chunk into its buffer (write() returns true) and reports the
    // failure a moment later, as a pipe or socket does.
    const failing = new Writable({ write: (_chunk, _enc, cb) => void setTimeout(() => cb(enospc()), 1) });
    await expect(writeTable(openWriter("csv", streamSink(failing), MOSCOW), spec, manyRows(2))).rejects.toMatchObject({ code: "ENOSPC" });
  });

  it("xlsx: a write failure rejects end(), with no uncaught exception and no hang", async () => {
    // exceljs writes from inside its zip stream's callbacks: a failure the sink throws there
    // is nobody's to catch. vitest's own uncaughtException listeners are set aside for the
    // length of this test (and put back), so such an exception is counted here.
    const uncaught: Error[] = [];
    const saved = process.rawListeners("uncaughtException") as Array<(e: Error) => void>;
    const catcher = (e: Error) => void uncaught.push(e);
    process.removeAllListeners("uncaughtException");
    process.on("uncaughtException", catcher);
    let outcome: string;
    try {
      let total = 0;
      const full = new Writable({
        write(chunk: Buffer, _enc, cb) {
          total += chunk.length;
          if (total > 4096) cb(enospc());
          else cb();
        },
      });
      const done = writeTable(openWriter("xlsx", streamSink(full), MOSCOW), spec, manyRows(3_000)).then(
        () => "resolved",
        (e: NodeJS.ErrnoException) => `rejected ${e.code}`,
      );
      // 3,000 rows take well under 0.2 s to write; a writer still busy after 1.5 s hangs.
      outcome = await Promise.race([done, new Promise<string>((resolve) => setTimeout(() => resolve("still pending after 1.5 s"), 1_500))]);
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      process.off("uncaughtException", catcher);
      for (const listener of saved) process.on("uncaughtException", listener);
    }
    expect({ outcome, uncaught: uncaught.map(String) }).toEqual({ outcome: "rejected ENOSPC", uncaught: [] });
  });

  it("stages a file with the mode given, moved into place only by moveIntoPlace", async () => {
    const dir = tempDir("segment-staged-");
    const file = path.join(dir, "vip.csv");
    writeFileSync(file, "old\n");
    const out = stagedFileSink(file, 0o600);
    expect(path.dirname(out.staged.tmp)).toBe(dir); // beside its target: the rename cannot cross mounts
    expect(out.staged.file).toBe(file);
    expect(statSync(out.staged.tmp).mode & 0o777).toBe(0o600);
    const report = await writeTable(openWriter("csv", out.sink, MOSCOW), spec, [["c1", 1, "a"], ["c2", 2, "b"]]);
    expect(report.rows).toBe(2);
    // Written and ended, not yet in place: the old file is untouched.
    expect(readFileSync(file, "utf8")).toBe("old\n");
    expect(readFileSync(out.staged.tmp, "utf8")).toBe("id,n,note\nc1,1,a\nc2,2,b\n");
    moveIntoPlace([out.staged]);
    expect(readFileSync(file, "utf8")).toBe("id,n,note\nc1,1,a\nc2,2,b\n");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(existsSync(out.staged.tmp)).toBe(false);
    expect(readdirSync(dir)).toEqual(["vip.csv"]);
  });

  it("sets the mode whatever the umask (0666 stays 0666)", async () => {
    const dir = tempDir("segment-staged-");
    const file = path.join(dir, "vip.xml");
    const old = process.umask(0o077);
    let out: ReturnType<typeof stagedFileSink>;
    try {
      out = stagedFileSink(file, 0o666);
    } finally {
      process.umask(old);
    }
    expect(statSync(out.staged.tmp).mode & 0o777).toBe(0o666);
    await writeTable(openWriter("xml", out.sink, MOSCOW), spec, [["c1", 1, "a"]]);
    expect(existsSync(file)).toBe(false);
    moveIntoPlace([out.staged]);
    expect(statSync(file).mode & 0o777).toBe(0o666);
    expect(pythonXml(readFileSync(file, "utf8")).rows).toEqual([[["id", "c1"], ["n", "1"], ["note", "a"]]]);
  });

  it("discard() removes the temp file and leaves no target", async () => {
    const dir = tempDir("segment-staged-");
    const file = path.join(dir, "vip.csv");
    const out = stagedFileSink(file, 0o600);
    const w = openWriter("csv", out.sink, MOSCOW);
    await w.table(spec);
    // 600 rows: one chunk of 512 written, the rest pending, as when a run fails half-way.
    for (const r of manyRows(600)) await w.row(r);
    expect(existsSync(out.staged.tmp)).toBe(true);
    const closed = new Promise((resolve) => out.sink.stream.once("close", resolve));
    out.discard();
    expect(existsSync(out.staged.tmp)).toBe(false);
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
    await closed; // the stream is done with its descriptor before the next test opens files
  });

  it("discard() closes its own file descriptor only (not one opened after it)", async () => {
    // discard() destroys the write stream, and an fs stream closes its descriptor when
    // destroyed (autoClose only says whether it is destroyed on end or error), a moment later;
    // discard() also closes it at once. A file opened in between gets the same (lowest free)
    // number, and the stream's late close then closes that other file.
    const dir = tempDir("segment-staged-");
    const out = stagedFileSink(path.join(dir, "vip.csv"), 0o600);
    await out.sink.write("id\n");
    out.discard();
    const other = openSync(path.join(dir, "other.txt"), "w");
    await new Promise((resolve) => setTimeout(resolve, 50));
    let state = "open";
    try {
      fstatSync(other);
    } catch (e) {
      state = (e as NodeJS.ErrnoException).code ?? String(e);
    }
    // Closed only when still ours: once the stream closed it, the number may be someone else's.
    if (state === "open") closeSync(other);
    expect(state).toBe("open");
  });

  it("an xlsx written to a staged file reads back with exceljs readFile", async () => {
    const dir = tempDir("segment-staged-");
    const file = path.join(dir, "vip.xlsx");
    const out = stagedFileSink(file, 0o600);
    await writeTable(openWriter("xlsx", out.sink, MOSCOW), SPEC, ROWS);
    moveIntoPlace([out.staged]);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(file);
    expect(sheetRows(wb.worksheets[0], 9)[1]).toEqual(["007", "Иван Петров", 3, 0.3, true,
      { date: "2026-11-23T00:00:00.000Z", numFmt: "yyyy-mm-dd" }, { date: "2026-11-23T14:05:00.000Z", numFmt: "yyyy-mm-dd hh:mm:ss" }, "gold;早期", null]);
  });
});
