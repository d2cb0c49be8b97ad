import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { DataError, type Problem } from "../errors.js";
import { fromCsv } from "./from-csv.js";
import type { RawCell, RecordReader } from "./records.js";
import { CsvScanner, fromCsvScan } from "./scan-csv.js";
import { mulberry32 } from "../../test/random.js";

const dir = mkdtempSync(path.join(tmpdir(), "segment-scan-csv-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(content: string | Buffer, ext: string): string {
  const f = path.join(dir, `f${n++}${ext}`);
  writeFileSync(f, content);
  return f;
}

interface Extra { encoding?: string; delimiter?: string; batchSize?: number; project?: (header: string[]) => Uint8Array | undefined }

async function readAll(reader: RecordReader, f: string, extra: Extra = {}) {
  const bad: Problem[] = [];
  const raws: string[] = [];
  const rows: RawCell[][] = [];
  const lines: number[] = [];
  const batchSizes: number[] = [];
  let header: string[] = [];
  const opts = {
    file: f, display: path.basename(f), encoding: extra.encoding ?? "utf-8", delimiter: extra.delimiter ?? ",",
    onBad: (p: Problem, raw: string) => {
      bad.push(p);
      raws.push(raw);
    },
    batchSize: extra.batchSize,
    project: extra.project,
  };
  for await (const b of reader(opts)) {
    header = b.header;
    rows.push(...b.rows);
    lines.push(...b.lines);
    batchSizes.push(b.rows.length);
  }
  return { header, rows, lines, bad, raws, batchSizes };
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

const HINT_QUOTE = "a quote inside a quoted cell must be doubled (\"\"); the rest of the file cannot be trusted past this point";

/** Scans `text` through CsvScanner cut at `cuts`: its records, or the problem it threw. */
function scanChunks(text: string, delimiter: string, cuts: number[] = [], keep?: Uint8Array) {
  const scanner = new CsvScanner(delimiter, "x.csv");
  scanner.keep = keep;
  const records: string[][] = [];
  const starts: number[] = [];
  const takeAll = () => {
    const t = scanner.take();
    records.push(...t.records);
    starts.push(...t.starts);
  };
  try {
    let at = 0;
    for (const cut of [...cuts, text.length]) {
      scanner.push(text.slice(at, cut));
      takeAll();
      at = cut;
    }
    scanner.end();
    takeAll();
  } catch (e) {
    if (!(e instanceof DataError)) throw e;
    takeAll(); // the records completed before the error
    return { records, starts, problem: e.problems[0] };
  }
  return { records, starts, problem: undefined };
}

// The cases of fromCsv run against both readers in readers.test.ts.

describe("fromCsvScan: edges", () => {
  it("reports a quote inside an unquoted field as broken quoting, by its field", async () => {
    const p = await dataError(readAll(fromCsvScan, file('a,b,c\n1,b"c,d\n', ".csv")));
    expect(p).toEqual({
      file: expect.any(String), line: 2, col: 2,
      message: "broken quoting: Invalid Opening Quote: a quote is found on field 1", hint: HINT_QUOTE,
    });
    // A space before the opening quote makes the field unquoted too.
    expect(await dataError(readAll(fromCsvScan, file('a,b\n1, "x"\n', ".csv")))).toMatchObject({ line: 2, col: 2 });
  });

  it("names the character after a closing quote, and a quote left open", async () => {
    const bad = (text: string) => dataError(readAll(fromCsvScan, file(text, ".csv")));
    expect(await bad('a,b\n1,"x"é\n')).toMatchObject({ line: 2, col: 2, message: 'broken quoting: Invalid Closing Quote: got "é"' });
    expect(await bad('a,b\n1,"x"\ry\n')).toMatchObject({ line: 2, col: 2, message: 'broken quoting: Invalid Closing Quote: got "\\r"' });
    expect(await bad('a,b\n1,"x"\r')).toMatchObject({ line: 2, col: 2, message: 'broken quoting: Invalid Closing Quote: got "\\r"' });
    // csv-parse takes a NUL after a closing quote for the end of the input (`!nextChr`) and
    // reads `"x"\0y` as `x\0y`; a NUL is refused before the scanner sees it, at its character.
    expect(await bad('a,b\n1,"x"\0y\n')).toMatchObject({ line: 2, col: 6, message: "a NUL byte: the file is damaged or not text" });
    const open = { col: 2, message: "broken quoting: Quote Not Closed: the parsing is finished with an opening quote", hint: HINT_QUOTE };
    // The line is that of the last character, as with csv-parse.
    expect(await bad('a,b\n1,"x')).toMatchObject({ line: 2, ...open });
    expect(await bad('a,b\n1,"x\n\n')).toMatchObject({ line: 3, ...open });
    expect(await bad('a,b\n1,"x""\n')).toMatchObject({ line: 2, ...open });
  });

  it("counts a CRLF inside quotes as one line in errors too (csv-parse counts two)", async () => {
    const p = await dataError(readAll(fromCsvScan, file('a,b\r\n1,"x\r\ny"\r\n2,"x"y\r\n', ".csv")));
    expect(p).toMatchObject({ line: 4, col: 2 });
    expect(await dataError(readAll(fromCsvScan, file('a,b\r\n1,"x\r\n', ".csv")))).toMatchObject({ line: 2 });
  });

  it("keeps a CR that does not end a line", async () => {
    const r = await readAll(fromCsvScan, file("a,b\n1,x\ry\n2,z\r\r\n3,\r\n4,w\r", ".csv"));
    expect(r.rows).toEqual([["1", "x\ry"], ["2", "z\r"], ["3", ""], ["4", "w\r"]]);
    expect(r.lines).toEqual([2, 3, 4, 5]);
  });

  it("reads empty and quoted-empty fields, skips a line of one empty quoted field", async () => {
    const r = await readAll(fromCsvScan, file('""\na,b\n"",\n,""\n""\n"""",x\n,', ".csv"));
    expect(r.header).toEqual(["a", "b"]);
    expect(r.rows).toEqual([["", ""], ["", ""], ['"', "x"], ["", ""]]);
    expect(r.lines).toEqual([3, 4, 6, 7]);
  });

  it("drops a second BOM as csv-parse does, and keeps a BOM further on", async () => {
    const r = await readAll(fromCsvScan, file("\ufeff\ufeffa,b\n\ufeff1,2\n", ".csv"));
    expect(r.header).toEqual(["a", "b"]);
    expect(r.rows).toEqual([["\ufeff1", "2"]]);
  });

  it("passes bad rows to onBad as the fields joined, and stops when onBad throws", async () => {
    const f = file('a;b\n1;"x;y";z\n2\n3;4\n', ".csv");
    const r = await readAll(fromCsvScan, f, { delimiter: ";" });
    expect(r.raws).toEqual(["1;x;y;z", "2"]);
    expect(r.bad.map((p) => [p.line, p.col])).toEqual([[2, 3], [3, 2]]);
    const stop = new Error("too many");
    const gen = fromCsvScan({ file: f, display: "x", encoding: "utf-8", delimiter: ";", onBad: () => { throw stop; } });
    await expect(gen.next()).rejects.toBe(stop);
  });

  it("takes a delimiter outside the BMP and refuses one that cannot work", async () => {
    const r = await readAll(fromCsvScan, file("a😀b\n1😁😀\"2😀\"\n", ".csv"), { delimiter: "😀" });
    expect(r.rows).toEqual([["1😁", "2😀"]]);
    for (const d of ["\n", "\r", '"', "", ",;"]) expect(() => new CsvScanner(d, "x")).toThrow(/delimiter/);
  });

  // How long this takes (a rescan from the field's start on each push would be quadratic) is
  // measured by bench/scanner.mjs, run by `npm run bench`, on the same input.
  it("reads a field cut into single characters whole", () => {
    const body = 'ab,"c""d\r\n'.repeat(50000);
    const text = 'x,y\n"' + body.replaceAll('"', '""') + '",2\n3,4';
    const scanner = new CsvScanner(",", "x");
    for (const ch of text) scanner.push(ch);
    scanner.end();
    const { records, starts } = scanner.take();
    expect(records).toEqual([["x", "y"], [body, "2"], ["3", "4"]]);
    expect(starts).toEqual([1, 2, 50003]);
  });
});

// ---------------------------------------------------------------------------------------------
// Differential fuzz: random documents through fromCsvScan and fromCsv (csv-parse).


interface Doc { text: string; delimiter: string }

const DELIMITERS = [",", ";", "\t", "|"];
const PLAIN = ["a", "b", "Z", "0", "7", " ", "-", ".", "é", "Ж", "中", "😀", "ß", "\u00a0"];

function makeDoc(rnd: () => number, large = false): Doc {
  const int = (k: number) => Math.floor(rnd() * k);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const delimiter = pick(DELIMITERS);
  const others = DELIMITERS.filter((d) => d !== delimiter);
  // About half the documents hold no CR at all (see the line check in `compare`).
  const style = pick(["lf", "lf", "crlf", "mixed"] as const);
  const withCr = style !== "lf";
  const eol = () => (style === "lf" ? "\n" : style === "crlf" ? "\r\n" : pick(["\n", "\r\n"]));
  const unquoted = [...PLAIN, ...others, ...(withCr ? ["\r"] : [])];
  const special = [delimiter, ...others, '"', '"', "\n", ...(withCr ? ["\r\n", "\r"] : [])];
  const run = (len: number, chars: () => string) => Array.from({ length: len }, chars).join("");
  const field = (): string => {
    const r = rnd();
    if (r < 0.15) return "";
    if (r < 0.2) return '""';
    const len = 1 + int(large ? 40 : 8);
    if (r < 0.55) return run(len, () => pick(unquoted));
    const s = run(len, () => (rnd() < 0.35 ? pick(special) : pick(PLAIN)));
    return `"${s.replaceAll('"', '""')}"`;
  };
  const broken = (): string => {
    switch (int(5)) {
      case 0: return `"${pick(PLAIN)}"${pick([...PLAIN, ...others, '"x'])}`; // text after a closing quote
      case 1: return `${pick(["a", "1", " "])}"${pick(PLAIN)}`; // a quote inside an unquoted field
      case 2: return `"a"\r${pick(["x", "", delimiter])}`; // a lone CR after a closing quote
      case 3: return `"${run(1 + int(4), () => pick([...PLAIN, "\n", delimiter]))}`; // open to the end
      default: return `"a""${pick(PLAIN)}`; // a doubled quote taken for a closing one, left open
    }
  };
  const width = 1 + int(5);
  const records: string[] = [];
  const rowCount = large ? 60000 : int(25);
  for (let r = 0; r <= rowCount; r++) {
    if (r > 0 && rnd() < 0.08) {
      records.push(""); // an empty line
      continue;
    }
    const w = r > 0 && rnd() < 0.1 ? Math.max(1, width + pick([-2, -1, 1, 2])) : width;
    records.push(Array.from({ length: w }, field).join(delimiter));
  }
  if (!large && rnd() < 0.25) {
    const r = int(records.length);
    const fields = records[r].split(delimiter); // may cut a quoted field: then it is broken anyway
    fields[int(fields.length)] = broken();
    records[r] = fields.join(delimiter);
  }
  let text = records.map((r) => r + eol()).join("");
  if (rnd() < 0.3) text = text.replace(/\r?\n$/, "");
  if (rnd() < 0.1) text = "\ufeff" + text;
  return { text, delimiter };
}

interface Outcome {
  header: string[];
  rows: RawCell[][];
  lines: number[];
  bad: Problem[];
  raws: string[];
  batchSizes: number[];
  error?: Problem;
}

async function outcome(reader: RecordReader, f: string, extra: Extra): Promise<Outcome> {
  try {
    return await readAll(reader, f, extra);
  } catch (e) {
    return { header: [], rows: [], lines: [], bad: [], raws: [], batchSizes: [], error: asProblem(e) };
  }
}

/**
 * The problem behind a reader's error. fromCsv lets csv-parse's error for a quote inside an
 * unquoted field through undecorated (its code, INVALID_OPENING_QUOTE, lacks the CSV_ prefix
 * fromCsv looks for): it is mapped here as fromCsv maps the others.
 */
function asProblem(e: unknown): Problem {
  if (e instanceof DataError) return e.problems[0];
  const err = e as { code?: string; lines?: number; column?: number; message: string };
  if (err.code === "INVALID_OPENING_QUOTE") {
    return { line: err.lines, col: (err.column ?? 0) + 1, message: `broken quoting: ${err.message.replace(/ at line \d+.*$/, "")}`, hint: HINT_QUOTE };
  }
  throw e;
}

/**
 * The scanner's message as csv-parse words it: csv-parse names the character after a closing
 * quote by its first UTF-8 byte read as Latin-1, unescaped; the scanner names the character.
 */
function asCsvParseWords(message: string): string {
  return message.replace(/(Invalid Closing Quote: got )(".*")$/s, (_, head: string, quoted: string) => {
    const ch = JSON.parse(quoted) as string;
    return `${head}"${String.fromCharCode(Buffer.from(ch)[0])}"`;
  });
}

/** Scanner and fromCsv agree on `doc` (what they read, or how they fail). */
function compare(doc: Doc, scan: Outcome, csv: Outcome, context: string) {
  if (!csv.error || !scan.error) {
    expect(scan, context).toEqual(csv);
    return;
  }
  const a = scan.error;
  const b = csv.error;
  expect({ col: a.col, hint: a.hint, message: asCsvParseWords(a.message) }, context).toEqual({ col: b.col, hint: b.hint, message: b.message });
  // csv-parse counts every CR as a line too: the scanner gives the true line.
  const at = brokenAt(doc.text.replace(/^\ufeff/, ""), doc.delimiter);
  if (at) {
    expect({ scan: a.line, csv: b.line }, context).toEqual({ scan: at.line, csv: at.csvParseLine });
  } else {
    expect(a.line, context).toBe(b.line); // the file is empty
  }
}

/**
 * Where a plain character-by-character reading of `text` meets broken quoting: the true line,
 * and the line csv-parse reports, which counts each CR and LF it reads (the LF of a CRLF
 * ending a record is skipped, so that one counts once) and not yet the last character read.
 */
function brokenAt(text: string, delimiter: string): { line: number; csvParseLine: number } | undefined {
  let line = 1;
  let csvLine = 1;
  let state: "start" | "unquoted" | "quoted" | "closed" = "start";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const crlf = c === "\r" && text[i + 1] === "\n";
    if (state === "quoted") {
      if (c === '"' && text[i + 1] === '"') i++;
      else if (c === '"') state = "closed";
      else if (c === "\n" || c === "\r") csvLine++;
      if (c === "\n") line++;
      continue;
    }
    if (state === "start" && c === '"') {
      state = "quoted";
      continue;
    }
    if (c === delimiter) {
      state = "start";
    } else if (c === "\n" || crlf) {
      if (crlf) i++;
      line++;
      csvLine++;
      state = "start";
    } else if (state === "closed" || c === '"') {
      return { line, csvParseLine: csvLine };
    } else {
      if (c === "\r") csvLine++;
      state = "unquoted";
    }
  }
  if (state !== "quoted") return undefined;
  const last = text[text.length - 1];
  return { line: last === "\n" ? line - 1 : line, csvParseLine: last === "\n" || last === "\r" ? csvLine - 1 : csvLine };
}

/**
 * What a scan with `keep` should give: `whole`'s records, where each field at a 0 of `keep`
 * is its own text (a quoted field, or one of 256 characters or more, keeps it) or spaces of
 * its length; every other field, the lines and the error exactly as `whole`'s.
 */
function blanked(whole: ReturnType<typeof scanChunks>, keep: Uint8Array): ReturnType<typeof scanChunks> {
  return { ...whole, records: whole.records.map((r) => r.map((f, i) => (keep[i] === 0 ? new BlankOrSame(f) : f) as unknown as string)) };
}

/** Matches the field's own text or spaces of its length (vitest's asymmetric matcher). */
class BlankOrSame {
  constructor(private readonly text: string) {}
  asymmetricMatch(other: unknown): boolean {
    return other === this.text || (typeof other === "string" && other.length === this.text.length && /^ *$/.test(other) && this.text.length < 256);
  }
  toString(): string {
    return `BlankOrSame(${JSON.stringify(this.text)})`;
  }
}

/** Cut points for `text`, never inside a surrogate pair (readText never cuts one). */
function cutsFor(rnd: () => number, text: string): number[] {
  if (rnd() < 0.1) return Array.from({ length: Math.max(0, text.length - 1) }, (_, i) => i + 1).filter((c) => !isHigh(text, c));
  const cuts = Array.from({ length: 1 + Math.floor(rnd() * 6) }, () => Math.floor(rnd() * (text.length + 1)));
  return cuts.sort((x, y) => x - y).filter((c) => !isHigh(text, c));
}
const isHigh = (text: string, cut: number) => {
  const c = text.charCodeAt(cut - 1);
  return c >= 0xd800 && c <= 0xdbff;
};

describe("fromCsvScan against fromCsv (csv-parse)", () => {
  // 4 x 500 random documents; a failure names its seed and document.
  for (const seed of [1, 2, 3, 4]) {
    it(`agrees on 500 random documents, seed ${seed}`, async () => {
      const rnd = mulberry32(seed);
      let errors = 0;
      for (let k = 0; k < 500; k++) {
        const doc = makeDoc(rnd);
        const gz = rnd() < 0.25;
        const f = file(gz ? gzipSync(doc.text) : doc.text, gz ? ".csv.gz" : ".csv");
        const extra = { delimiter: doc.delimiter, batchSize: [undefined, 1, 2, 3, 7][Math.floor(rnd() * 5)] };
        const context = `seed ${seed} doc ${k}: ${JSON.stringify(doc)}`;
        const scan = await outcome(fromCsvScan, f, extra);
        const csv = await outcome(fromCsv, f, extra);
        compare(doc, scan, csv, context);
        if (scan.error) errors++;
        // The scanner itself, with the text cut at random points (inside quoted fields, between
        // a CR and its LF, between a doubled quote's halves...), reads what it reads whole.
        const text = doc.text.replace(/^\ufeff/, "");
        const whole = scanChunks(text, doc.delimiter);
        expect(scanChunks(text, doc.delimiter, cutsFor(rnd, text)), context).toEqual(whole);
        // With fields left unread (CsvScanner.keep), cut the same way: the same records,
        // lines and error, the unread fields as blanks of their length.
        const keep = Uint8Array.from({ length: 6 }, () => (rnd() < 0.5 ? 1 : 0));
        expect(scanChunks(text, doc.delimiter, cutsFor(rnd, text), keep), context).toEqual(blanked(whole, keep));
      }
      // Both kinds of document come up often enough to mean something.
      expect(errors).toBeGreaterThan(50);
      expect(errors).toBeLessThan(250);
    });
  }

  it("agrees on deliberately broken quoting", async () => {
    const docs = [
      'a,b\n1,"x"y\n', 'a,b\n1,"x" \n', 'a,b\n1,"x"\t\n', 'a;b\n1;"x",\n', 'a,b\n1,"x"\\\n',
      'a,b\n1,b"c\n', 'a,b\nb"c,1\n', 'a,b\n1, "x"\n', 'a,b\n"x"y"z,1\n', 'a,b\n1,x"\n',
      'a,b\n1,"x', 'a,b\n1,"x\n', 'a,b\n1,"x\n\n\n', 'a,b\n1,"x""', 'a,b\n"1,2\n3,4\n', '"a,b\n',
      'a,b\n1,"x"\ry\n', 'a,b\n1,"x"\r', 'a,b\n1,2\n3,"4"5\n6,7\n', 'a,b\n1,"x\ny"z\n',
    ];
    for (const text of docs) {
      const f = file(text, ".csv");
      const doc = { text, delimiter: text.startsWith("a;") ? ";" : "," };
      const scan = await outcome(fromCsvScan, f, doc);
      expect(scan.error, text).toBeDefined();
      compare(doc, scan, await outcome(fromCsv, f, doc), JSON.stringify(text));
    }
  });

  it("agrees on a large document whose 1 MiB chunks end inside quoted fields", async () => {
    const doc = makeDoc(mulberry32(99), true);
    const bytes = Buffer.from(doc.text);
    expect(bytes.length).toBeGreaterThan(4 << 20);
    // readText reads 1 MiB at a time: count the chunk ends that fall inside a quoted field.
    let inside = 0;
    let quotes = 0;
    let end = 1 << 20;
    for (let i = bytes.indexOf(34); i !== -1 && end < bytes.length; i = bytes.indexOf(34, i + 1)) {
      for (; end <= i && end < bytes.length; end += 1 << 20) if (quotes % 2 === 1) inside++;
      quotes++;
    }
    expect(inside).toBeGreaterThan(0);
    const f = file(bytes, ".csv");
    const extra = { delimiter: doc.delimiter };
    const scan = await outcome(fromCsvScan, f, extra);
    expect(scan.error).toBeUndefined();
    expect(scan.rows.length).toBeGreaterThan(40000);
    expect(scan).toEqual(await outcome(fromCsv, f, extra));
  });

  it("gives the same rows with columns left unread, those as blanks, on the large document", async () => {
    const doc = makeDoc(mulberry32(99), true);
    const f = file(doc.text, ".csv");
    const full = await outcome(fromCsvScan, f, { delimiter: doc.delimiter });
    const asked: string[][] = [];
    const keep = Uint8Array.of(1, 0, 1, 0, 0, 1);
    const part = await readAll(fromCsvScan, f, { delimiter: doc.delimiter, project: (h) => (asked.push(h), keep) });
    // Asked once, with the header; rows and lines as without it.
    expect(asked).toEqual([full.header]);
    expect({ ...part, rows: [], raws: [] }).toEqual({ ...full, rows: [], raws: [] });
    const blanks = { count: 0 };
    const mismatched = part.rows.flatMap((row, r) => row.flatMap((v, i) => {
      const want = full.rows[r][i] as string;
      if (keep[i] !== 0 || v === want) return v === want ? [] : [`row ${r} col ${i}`];
      blanks.count++;
      return v === " ".repeat(want.length) ? [] : [`row ${r} col ${i}: ${JSON.stringify(v)} for ${JSON.stringify(want)}`];
    }));
    expect(mismatched).toEqual([]);
    // The first 1 MiB chunk is scanned before the header is known; the rest is projected.
    expect(blanks.count).toBeGreaterThan(10000);
  });

  const customers = fileURLToPath(new URL("../../bench/data/medium/customers.csv", import.meta.url));
  it.skipIf(!existsSync(customers))("agrees on the bench's customers.csv", async () => {
    const scan = await outcome(fromCsvScan, customers, {});
    expect(scan.rows.length).toBeGreaterThan(0);
    expect(scan).toEqual(await outcome(fromCsv, customers, {}));
  });
});
