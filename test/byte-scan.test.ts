// The CSV reader's byte scan (src/ingest/scan-bytes.ts) against its string scan: the same
// batches (rows, lines, typed values, validity), the same bad rows and the same errors, on
// seeded files with every shape the byte scan hands over (quoting, field counts, limits,
// NULs, invalid UTF-8, BOMs, CR line ends, a last line without LF) cut into small chunks
// and batches. The reference is the string scan, which the fuzz suite (npm run fuzz) holds
// to csv-parse; the expected values of the hand-made cases are worked out in their comments.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DataError, type Problem } from "../src/errors.js";
import { fromCsvScan } from "../src/ingest/scan-csv.js";
import { planHeader, typeBatch, type TypedBatch } from "../src/ingest/typed-batch.js";
import type { ResolvedSource } from "../src/ingest/sources.js";
import { DEFAULT_LIMITS, type Limits } from "../src/config/load-config.js";
import { mulberry32 } from "./random.js";
import { keyText, type IdForm } from "../src/table/id-index.js";

const dir = mkdtempSync(path.join(tmpdir(), "segment-byte-scan-"));
let fileNo = 0;

function write(content: string | Buffer): string {
  const f = path.join(dir, `f${fileNo++}.csv`);
  writeFileSync(f, content);
  return f;
}

interface Setup {
  name: "customers" | "order_items";
  delimiter: string;
  decimal: "." | ",";
  limits: Limits;
  batchSize: number;
  chunkBytes: number;
  wanted: string[];
  /** The form of the id column's ids, read as keys (typed-batch.ts) where the bytes allow. */
  form: IdForm;
}

function sourceOf(file: string, s: Setup): ResolvedSource {
  return {
    name: s.name, files: [{ file, display: "f.csv" }], file, display: "f.csv", format: "csv",
    options: { delimiter: s.delimiter, encoding: "utf-8", decimal: s.decimal, ignore: [], columns: {} },
    ids: { dropDecimalZeros: false }, limits: s.limits,
  } as ResolvedSource;
}

/** What a read gives, in a form two reads can be compared in: batches, bad rows, the error. */
interface Outcome {
  batches: unknown[];
  bad: Problem[];
  error?: string;
  /** Batches that came as byte-scanned cells. */
  cellBatches: number;
  /** Batches with an id read as a key. */
  keyed?: number;
}

/** A batch as plain data; an id read as a key is given as the text keyText makes of it. */
function plain(b: TypedBatch, form: IdForm): unknown {
  const columns = Object.fromEntries(Object.entries(b.columns).map(([k, c]) => [k, {
    type: c.type,
    values: Array.from(c.values as ArrayLike<unknown>, (v, r) => {
      const key = "keys" in c && c.keys ? c.keys[r] : NaN;
      if (!Number.isNaN(key)) return v === "" ? keyText(key, form) : `a key and a value: ${String(v)}`;
      return Object.is(v, -0) ? "-0" : v;
    }),
    valid: Array.from({ length: b.length }, (_, r) => c.validity.has(r)),
  }]));
  return { length: b.length, lines: Array.from(b.lines), columns, custom: b.custom };
}

async function read(file: string, s: Setup, byteScan: boolean): Promise<Outcome> {
  const source = sourceOf(file, s);
  const out: Outcome = { batches: [], bad: [], cellBatches: 0 };
  const reading = { customers: ["bonus"] };
  try {
    const records = fromCsvScan({
      file, display: "f.csv", encoding: "utf-8", delimiter: s.delimiter, limits: s.limits,
      batchSize: s.batchSize, chunkBytes: s.chunkBytes, byteScan,
      onBad: (p) => out.bad.push(p),
      project: (header) => {
        const plan = planHeader(header, source, "UTC", s.wanted, reading);
        const keep = new Uint8Array(header.length);
        for (const c of plan.columns) keep[c.index] = 1;
        for (const c of plan.custom) keep[c.index] = 1;
        return keep;
      },
    });
    for await (const batch of records) {
      if (batch.cells) out.cellBatches++;
      const plan = planHeader(batch.header, source, "UTC", s.wanted, reading);
      // Asked of both reads: only byte-scanned batches can give keys.
      for (const c of plan.columns) if (c.type === "id") c.key = s.form;
      const { typed, bad } = typeBatch(batch, plan, source);
      out.bad.push(...bad.map((b) => b.problem));
      out.batches.push(plain(typed, s.form));
      for (const c of Object.values(typed.columns)) if ("keys" in c && c.keys?.some((k) => !Number.isNaN(k))) out.keyed = (out.keyed ?? 0) + 1;
    }
  } catch (e) {
    if (!(e instanceof DataError)) throw e;
    out.error = e.message;
  }
  return out;
}

// ---- the seeded files ----

type Rng = () => number;
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];

const DATETIMES = [
  "2025-10-07T09:50:26Z", "2025-10-07T09:50:26+03:00", "2025-10-07 09:50:26 +0200", "2025-10-07 09:50:26",
  "2025-10-07T09:50", "2025-10-07", "2025-10-07t09:50:26.123456z", "2025-10-07T09:50:26,5-05:30", " 2025-10-07T09:50:26Z",
  "2025-13-07T09:50:26Z", "2025-02-29T00:00:00Z", "2024-02-29T23:59:59Z", "2025-10-07T24:00:00Z", "2025-10-07T09:50:26+05:99",
  "2025-10-07T09:50:26+19:00", "07.10.2025", "20251007", "yesterday",
];
const DATES = ["2025-10-07", "1990-02-28", "2024-02-29", "2025-02-29", "2025-10-7", " 2025-10-07 ", "07.10.2025", "2025-10-07T00:00:00Z"];
const NUMBERS = [
  "0", "7", "-3", "+3", "12.50", "-0.0", "-0", "1234567.891", "0.1", ".5", "5.", "1e3", "123456789012345", "1234567890123456",
  "12345678.90123456", "9007199254740993", " 42 ", "4 2", "1,5", "1 234,50", "1.234,5", "12,345.00", "abc", "--1", "0x10", "٣",
];
const TEXTS = ["Moscow", "Санкт-Петербург", "café", "🙂 tea", "a\"b", "x,y", "two\nlines", "cr\rinside", " padded ", "'C001", "", "—", "x;y", "tab\there", "pipe|d"];

function cell(rng: Rng, kind: "id" | "date" | "datetime" | "number" | "integer" | "text" | "bool" | "list", s: Setup): string {
  switch (kind) {
    case "id": return pick(rng, ["C0001", "C0002", "C0010", "'C0003", " C0004", "C0005 ", "C12", "C00001", "c0001", "", "Ид-5", "1000001", "12", "0123", "0", "'77", "1e3", "C-1", "CC0001", "C0001\u00a0"]);
    case "date": return rng() < 0.7 ? DATES[0] : pick(rng, DATES);
    case "datetime": return rng() < 0.6 ? DATETIMES[Math.floor(rng() * 3)] : pick(rng, DATETIMES);
    case "integer": return rng() < 0.6 ? String(Math.floor(rng() * 1000)) : pick(rng, NUMBERS);
    case "number": {
      if (rng() < 0.6) {
        const v = (Math.floor(rng() * 2_000_000) - 100_000) / 100;
        return s.decimal === "," ? v.toFixed(2).replace(".", ",") : v.toFixed(Math.floor(rng() * 4));
      }
      return pick(rng, NUMBERS);
    }
    case "bool": return pick(rng, ["true", "0", "yes", "No", "maybe", ""]);
    case "list": return pick(rng, ["a;b", "tea", "", "x;;y"]);
    default: return pick(rng, TEXTS);
  }
}

/** A field as a CSV writer might put it: quoted when it must be, sometimes when it need not. */
function quoted(rng: Rng, text: string, delimiter: string): string {
  const must = text.includes(delimiter) || text.includes("\"") || text.includes("\n") || text.includes("\r");
  if (!must && rng() < 0.85) return text;
  return `"${text.replaceAll("\"", "\"\"")}"`;
}

const COLUMNS: Record<Setup["name"], Array<[string, Parameters<typeof cell>[1]]>> = {
  customers: [["id", "id"], ["birthday", "date"], ["created_at", "datetime"], ["city", "text"], ["tags", "list"], ["email_marketing", "bool"], ["bonus", "integer"], ["note", "text"]],
  order_items: [["order_id", "id"], ["quantity", "integer"], ["price", "number"], ["name", "text"], ["sku", "text"]],
};

function generate(seed: number): { content: Buffer; setup: Setup } {
  const rng = mulberry32(seed);
  const name = rng() < 0.5 ? "customers" : "order_items";
  const delimiter = pick(rng, [",", ",", ";", "\t", "|"]);
  const small = rng() < 0.15;
  const setup: Setup = {
    name, delimiter,
    decimal: rng() < 0.2 ? "," : ".",
    limits: small ? { fieldChars: 12, recordChars: 80, columns: 20 } : DEFAULT_LIMITS,
    batchSize: pick(rng, [1, 2, 3, 5, 8, 64, 4096]),
    chunkBytes: pick(rng, [1, 3, 8, 9, 13, 16, 29, 64, 1 << 20]),
    wanted: COLUMNS[name].map(([c]) => c).filter((c) => c !== "note" && c !== "bonus" && c !== "sku" && rng() < 0.9),
    form: pick(rng, [{ prefix: "C", width: 4 }, { prefix: "C", width: 0 }, { prefix: "", width: 0 }, { prefix: "", width: 4 }]),
  };
  // In a shuffled order, so that any column may be the last, whose field a CR may end.
  const cols = [...COLUMNS[name]].sort(() => rng() - 0.5);
  const eol = rng() < 0.3 ? "\r\n" : "\n";
  const rare = (p: number) => rng() < p;
  const lines: string[] = [cols.map(([c]) => quoted(rng, c, delimiter)).join(delimiter)];
  const rows = Math.floor(rng() * 40);
  // Most files are clean, so the byte scan reads them; the others hand over at some point.
  const dirty = rng() < 0.5;
  for (let r = 0; r < rows; r++) {
    let fields = cols.map(([, kind]) => quoted(rng, cell(rng, kind, setup), delimiter));
    if (dirty && rare(0.03)) fields = fields.slice(0, -1);
    if (dirty && rare(0.03)) fields.push("extra");
    if (dirty && rare(0.02)) fields[0] = `ab"c`;
    if (dirty && rare(0.02)) fields[1] = `"x"y`;
    lines.push(fields.join(delimiter));
    if (rare(0.05)) lines.push("");
  }
  let text = lines.join(eol) + (rng() < 0.8 ? eol : "");
  if (dirty && rare(0.1)) text = text.replaceAll("\r\n", "\r").replaceAll("\n", "\r");
  if (rare(0.1)) text = "\ufeff" + text;
  if (dirty && rare(0.05)) text = "\ufeff" + text;
  let bytes = Buffer.from(text, "utf8");
  if (dirty && rare(0.05)) bytes = Buffer.concat([bytes, Buffer.from([0])]);
  if (dirty && rare(0.05) && bytes.length > 10) bytes[Math.floor(bytes.length / 2)] = 0xff;
  return { content: bytes, setup };
}

describe("the byte scan", () => {
  it("reads what the string scan reads on 600 seeded files, batch by batch", async () => {
    let read1 = 0;
    let handedOver = 0;
    let keyed = 0;
    for (let seed = 1; seed <= 600; seed++) {
      const { content, setup } = generate(seed);
      const file = write(content);
      const text = await read(file, setup, false);
      const bytes = await read(file, setup, true);
      expect(text.keyed).toBeUndefined();
      expect({ seed, ...bytes, cellBatches: 0, keyed: 0 }).toEqual({ seed, ...text, cellBatches: 0, keyed: 0 });
      if (bytes.cellBatches > 0) read1++;
      if (bytes.keyed) keyed++;
      if (bytes.cellBatches < bytes.batches.length) handedOver++;
    }
    // Both paths are exercised: files read as bytes, and files (or their ends) handed over.
    expect(read1).toBeGreaterThan(200);
    expect(handedOver).toBeGreaterThan(100);
    // And ids read as keys, in batches with other ids read as text.
    expect(keyed).toBeGreaterThan(100);
  });

  const setup: Setup = { name: "order_items", delimiter: ",", decimal: ".", limits: DEFAULT_LIMITS, batchSize: 4096, chunkBytes: 1 << 20, wanted: ["order_id", "quantity", "price", "name"], form: { prefix: "", width: 0 } };

  it("types quoted, escaped, multi-line and non-ASCII fields in place", async () => {
    // Line 1 is the header; the second record spans lines 3-4; a CRLF ends line 2.
    const f = write("order_id,quantity,price,name\r\n\"O1\",2,990.50,\"Bi Luo \"\"Chun\"\", 50 g\"\r\nO2,-0,0.1,\"two\nlines\"\n🙂,12,123456789012345,Пуэр\n");
    const out = await read(f, setup, true);
    expect(out.cellBatches).toBe(1);
    expect(out.bad).toEqual([]);
    const [b] = out.batches as Array<{ lines: number[]; columns: Record<string, { values: unknown[] }> }>;
    expect(b.lines).toEqual([2, 3, 5]);
    expect(b.columns.order_id.values).toEqual(["O1", "O2", "🙂"]);
    expect(b.columns.name.values).toEqual(["Bi Luo \"Chun\", 50 g", "two\nlines", "Пуэр"]);
    expect(b.columns.quantity.values).toEqual([2, "-0", 12]);
    // 123456789012345 has 15 digits: read in place; 0.1 is the double nearest 1/10.
    expect(b.columns.price.values).toEqual([990.5, 0.1, 123456789012345]);
  });

  it("hands a broken quote over with its batch, and reports it where the string scan does", async () => {
    const f = write("order_id,quantity,price,name\nO1,1,1.00,a\nO2,2,2.00,b\"c\n");
    const out = await read(f, setup, true);
    expect(out.cellBatches).toBe(0);
    expect(out.error).toMatch(/f\.csv:3:4/);
    expect(out.error).toMatch(/Invalid Opening Quote/);
  });

  it("keeps the batches before a bad row as bytes, and skips the bad row as the string scan does", async () => {
    // Bytes 0-28 are the header, 29-40 and 41-52 the rows O1 and O2: with chunks of 53 bytes
    // the first batch (batchSize 2) ends where the first chunk does, and the row O4, the
    // first of the next chunk, is read in full before O3's two fields hand over.
    const f = write("order_id,quantity,price,name\nO1,1,1.00,a\nO2,2,2.00,b\nO4,4,4.00,d\nO3,3\nO5,5,5.00,e\n");
    const out = await read(f, { ...setup, batchSize: 2, chunkBytes: 53 }, true);
    expect(out.cellBatches).toBe(1);
    expect(out.bad.map((p) => [p.line, p.col, p.message])).toEqual([[5, 3, "the row has 2 fields, the header has 4"]]);
    expect((out.batches as Array<{ lines: number[] }>).map((b) => b.lines)).toEqual([[2, 3], [4, 6]]);
    expect(out).toEqual({ ...(await read(f, { ...setup, batchSize: 2, chunkBytes: 53 }, false)), cellBatches: 1 });
  });

  it("holds a batch back until the chunk it ends in is read: a broken quote later in it loses the batch, as in the string scan", async () => {
    // One chunk holds the whole file: the string scan meets the broken quote (line 4) before
    // it yields the batch of lines 2-3, so it yields nothing.
    const f = write("order_id,quantity,price,name\nO1,1,1.00,a\nO2,2,2.00,b\nO3,3,3.00,\"c\"d\n");
    const out = await read(f, { ...setup, batchSize: 2 }, true);
    expect(out.batches).toEqual([]);
    expect(out.error).toMatch(/f\.csv:4:4: broken quoting: Invalid Closing Quote: got "d"/);
  });

  it("does not yield a held batch when the chunk it ends in goes on into a broken quote", async () => {
    // Header bytes 0-28, O1 29-40, O2 41-52, then `x"y` with its quote at byte 54; chunks of
    // 55 bytes put O1, O2 and that quote in the first chunk. The string scan throws while it
    // scans that chunk, before it yields O1's batch (batchSize 1): so nothing is yielded.
    const f = write("order_id,quantity,price,name\nO1,1,1.00,a\nO2,2,2.00,b\nx\"y,3,3.00,c\n");
    const s1 = { ...setup, batchSize: 1, chunkBytes: 55 };
    const out = await read(f, s1, true);
    expect(out.batches).toEqual([]);
    expect(out.error).toMatch(/f\.csv:4:1: broken quoting: Invalid Opening Quote/);
    expect(out).toEqual({ ...(await read(f, s1, false)), cellBatches: 0 });
  });
});
