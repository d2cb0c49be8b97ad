import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { DataError, type Problem } from "../errors.js";
import { fromCsv } from "./from-csv.js";
import { fromCsvScan } from "./scan-csv.js";
import { fromJsonArray, fromNdjson } from "./from-json.js";
import type { RawCell, RecordReader } from "./records.js";

const dir = mkdtempSync(path.join(tmpdir(), "segment-readers-"));
let n = 0;
function file(content: string | Buffer, ext: string): string {
  const f = path.join(dir, `f${n++}${ext}`);
  writeFileSync(f, content);
  return f;
}

async function readAll(reader: RecordReader, f: string, extra: { encoding?: string; delimiter?: string; batchSize?: number } = {}) {
  const bad: Problem[] = [];
  const rows: RawCell[][] = [];
  const lines: number[] = [];
  let header: string[] = [];
  for await (const b of reader({ file: f, display: path.basename(f), encoding: extra.encoding ?? "utf-8", delimiter: extra.delimiter ?? ",", onBad: (p) => bad.push(p), batchSize: extra.batchSize })) {
    header = b.header;
    rows.push(...b.rows);
    lines.push(...b.lines);
  }
  return { header, rows, lines, bad };
}

async function dataError(p: Promise<unknown>): Promise<Problem> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return (e as DataError).problems[0];
  }
  throw new Error("expected a DataError");
}

// Both CSV readers must pass the same cases: the scanner that reads exports, and csv-parse,
// kept as its oracle.
describe.each([
  ["fromCsv (csv-parse)", fromCsv],
  ["fromCsvScan", fromCsvScan],
] as Array<[string, RecordReader]>)("%s", (_name, reader) => {
  it("reads RFC 4180 quoting, CRLF and a BOM", async () => {
    const f = file("\ufeffid,name,note\r\n1,\"O'Brien, \"\"Jr.\"\"\",x\r\n2,\"two\r\nlines\",\r\n3,Zoë,\r\n", ".csv");
    const r = await readAll(reader, f);
    expect(r.header).toEqual(["id", "name", "note"]);
    expect(r.rows).toEqual([["1", "O'Brien, \"Jr.\"", "x"], ["2", "two\r\nlines", ""], ["3", "Zoë", ""]]);
    expect(r.lines).toEqual([2, 3, 5]);
  });

  it("skips empty lines and keeps counting them", async () => {
    const r = await readAll(reader, file("a,b\r\n1,2\r\n\r\n\n3,\"x\ny\"\n\n5,6\n", ".csv"));
    expect(r.rows).toEqual([["1", "2"], ["3", "x\ny"], ["5", "6"]]);
    expect(r.lines).toEqual([2, 5, 8]);
  });

  it("reads gzip, another delimiter and windows-1251", async () => {
    const text = "id;city\n1;Москва\n";
    const cp1251 = Buffer.from([...Buffer.from("id;city\n1;"), 0xcc, 0xee, 0xf1, 0xea, 0xe2, 0xe0, 0x0a]);
    expect((await readAll(reader, file(gzipSync(text), ".csv.gz"), { delimiter: ";" })).rows).toEqual([["1", "Москва"]]);
    expect((await readAll(reader, file(cp1251, ".csv"), { delimiter: ";", encoding: "windows-1251" })).rows).toEqual([["1", "Москва"]]);
  });

  it("reports a row with the wrong number of fields and goes on", async () => {
    const r = await readAll(reader, file("a,b\n1,2\n3\n4,5\n", ".csv"));
    expect(r.rows).toEqual([["1", "2"], ["4", "5"]]);
    expect(r.bad).toHaveLength(1);
    expect(r.bad[0]).toMatchObject({ line: 3, col: 2 });
    expect(r.bad[0].message).toMatch(/1 fields, the header has 2/);
  });

  it("stops at broken quoting with the line", async () => {
    const p = await dataError(readAll(reader, file('a,b\n1,2\n3,"x"y\n', ".csv")));
    expect(p).toMatchObject({ line: 3 });
    expect(p.message).toMatch(/broken quoting/);
  });

  it("stops at invalid UTF-8 with line and column", async () => {
    const bytes = Buffer.concat([Buffer.from("a,b\n1,ok\n2,x"), Buffer.from([0xff, 0xfe]), Buffer.from("\n")]);
    const p = await dataError(readAll(reader, file(bytes, ".csv")));
    expect(p).toMatchObject({ line: 3, col: 4, value: "fffe0a" });
    expect(p.hint).toMatch(/encoding/);
  });

  it("stops at a gzip stream cut short", async () => {
    const gz = gzipSync("a,b\n" + "1,2\n".repeat(10000));
    const p = await dataError(readAll(reader, file(gz.subarray(0, gz.length - 20), ".csv.gz")));
    expect(p.message).toMatch(/gzip stream ends early/);
  });

  it("yields a header-only file once, and refuses an empty one", async () => {
    const r = await readAll(reader, file("a,b\n", ".csv"));
    expect(r.header).toEqual(["a", "b"]);
    expect(r.rows).toEqual([]);
    await dataError(readAll(reader, file("", ".csv")));
  });

  it("batches rows", async () => {
    const f = file("a\n" + Array.from({ length: 10 }, (_, i) => `${i}\n`).join(""), ".csv");
    let batches = 0;
    for await (const _b of reader({ file: f, display: "x", encoding: "utf-8", delimiter: ",", onBad: () => undefined, batchSize: 3 })) batches++;
    expect(batches).toBe(4);
  });
});

describe("fromJsonArray", () => {
  it("streams objects, keeping the union of keys and each object's line", async () => {
    const f = file('[\n  {"id": "1", "tags": ["a","b"]},\n  {"id": "2", "n": 3, "s": "a]}\\"b"}\n]\n', ".json");
    const r = await readAll(fromJsonArray, f, { batchSize: 1 });
    expect(r.header).toEqual(["id", "tags", "n", "s"]);
    expect(r.rows[0]).toEqual(["1", ["a", "b"]]);
    expect(r.rows[1]).toEqual(["2", undefined, 3, 'a]}"b']);
    expect(r.lines).toEqual([2, 3]);
  });

  it("reads objects that span chunk boundaries", async () => {
    const objs = Array.from({ length: 30000 }, (_, i) => ({ id: String(i), note: "x".repeat(i % 50) }));
    const r = await readAll(fromJsonArray, file(JSON.stringify(objs), ".json"));
    expect(r.rows).toHaveLength(30000);
    expect(r.rows[29999][0]).toBe("29999");
  });

  it("reports an invalid object and refuses an unclosed array or a non-array", async () => {
    const r = await readAll(fromJsonArray, file('[{"id": 1},\n{"id": tru},\n{"id": 3}]', ".json"));
    expect(r.rows).toHaveLength(2);
    expect(r.bad[0]).toMatchObject({ line: 2 });
    expect((await dataError(readAll(fromJsonArray, file('[{"id": 1},', ".json")))).message).toMatch(/not closed/);
    expect((await dataError(readAll(fromJsonArray, file('{"id": 1}', ".json")))).message).toMatch(/array of objects/);
    expect((await dataError(readAll(fromJsonArray, file('[1, 2]', ".json")))).message).toMatch(/object/);
  });
});

describe("fromNdjson", () => {
  it("reads one object a line, skipping blank lines, with CRLF", async () => {
    const r = await readAll(fromNdjson, file('{"a":1}\r\n\r\n{"a":2,"b":"x"}\n{"a":3}', ".ndjson"));
    expect(r.rows).toEqual([[1], [2, "x"], [3, undefined]]);
    expect(r.lines).toEqual([1, 3, 4]);
  });

  it("reports a bad line with its column", async () => {
    const r = await readAll(fromNdjson, file('{"a":1}\n{"a":}\n[1]\n', ".ndjson"));
    expect(r.rows).toEqual([[1]]);
    expect(r.bad.map((p) => p.line)).toEqual([2, 3]);
    expect(r.bad[0].message).toMatch(/invalid JSON/);
    expect(r.bad[1].message).toMatch(/JSON object/);
  });
});
