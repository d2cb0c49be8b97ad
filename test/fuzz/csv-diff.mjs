// The differential part: the product's CSV scanner (dist/ingest/scan-csv.js, through the file
// reader and through CsvScanner cut at random points) against csv-parse with fromCsv's
// options, on mutated CSV. Compared: accept or reject, the header, the rows, the raw bad
// rows. Not compared: line numbers and messages, where scan-csv.ts documents differences.
import { parse } from "csv-parse/sync";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { TextDecoder } from "node:util";
import { ROOT } from "./exec.mjs";
import { BYTE_MUTATIONS } from "./gen-data.mjs";
import { makeShop, toCsv } from "./shop.mjs";

const CELLS = ["", " ", "a,b", 'say "hi"', "line\nbreak", "cr\rhere", "crlf\r\nin", "tab\there", "Москва", "🍵", "\0", "\ufeff", '"', ";", "|", "'x"];
const DELIMITERS = [",", ",", ",", ";", "\t", "|", " ", "🍵", "é"];

let product;
async function load() {
  if (!product) {
    const scan = await import(pathToFileURL(path.join(ROOT, "dist", "ingest", "scan-csv.js")).href);
    const errors = await import(pathToFileURL(path.join(ROOT, "dist", "errors.js")).href);
    product = { ...scan, DataError: errors.DataError };
  }
  return product;
}

/** A random CSV document as bytes, with its delimiter, from the shop or from odd cells. */
export function genCsvDiff(rng) {
  const delimiter = rng.pick(DELIMITERS);
  let table;
  if (rng.chance(0.4)) {
    table = makeShop(rng).customers;
  } else {
    const cols = rng.int(1, 6);
    table = {
      columns: Array.from({ length: cols }, (_, i) => (rng.chance(0.1) ? rng.pick(CELLS) : `c${i}`)),
      rows: Array.from({ length: rng.int(0, 8) }, () => Array.from({ length: cols }, () => (rng.chance(0.5) ? rng.pick(CELLS) : rng.word()))),
    };
  }
  let bytes = Buffer.from(toCsv(table, { delimiter, eol: rng.pick(["\n", "\r\n"]), bom: rng.chance(0.2) }));
  const muts = [];
  for (let n = rng.weighted([[1, 0], [5, 1], [2, 2], [1, 3]]); n > 0; n--) {
    const m = rng.pick(Object.keys(BYTE_MUTATIONS));
    muts.push(m);
    bytes = BYTE_MUTATIONS[m](rng, bytes, "csv");
  }
  if (rng.chance(0.15)) bytes = Buffer.concat([bytes, Buffer.from(rng.pick(["\r", '"', delimiter, "\n\n", "\r\n\r\n", " "]))]);
  const cuts = Array.from({ length: rng.int(0, 6) }, () => rng.next());
  return { label: `csv-diff delimiter ${JSON.stringify(delimiter)} ${muts.join("+") || "clean"}`, csv: { b64: bytes.toString("base64"), delimiter, cuts } };
}

/** fromCsv's reading of records: empty lines skipped, the first record the header, rows of another length bad. */
function sortRecords(records, delimiter) {
  let header;
  const rows = [];
  const bad = [];
  for (const r of records) {
    if (r.length === 1 && r[0] === "") continue;
    if (!header) header = r;
    else if (r.length !== header.length) bad.push(r.join(delimiter));
    else rows.push(r);
  }
  if (!header) return { rejected: "the file is empty" };
  return { header, rows, bad };
}

/**
 * csv-parse's reading of the bytes. With `asReadText`, first what readText (text-stream.ts)
 * does before any reader sees the text, by its documented rules (docs/data.md): a NUL byte
 * anywhere is refused; a text with CRs and no LF (the files here are one chunk) has CR line
 * ends, read as LFs.
 */
function reference(bytes, delimiter, asReadText = false) {
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { rejected: "invalid UTF-8" };
  }
  if (asReadText) {
    if (text.includes("\0")) return { rejected: "a NUL byte" };
    if (text.includes("\r") && !text.includes("\n")) text = text.replaceAll("\r", "\n");
  }
  try {
    return sortRecords(parse(text, { delimiter, relax_column_count: true, skip_empty_lines: false, record_delimiter: ["\r\n", "\n"], bom: true }), delimiter);
  } catch (e) {
    return { rejected: `csv-parse: ${e.code ?? e.message}` };
  }
}

async function viaReader(p, file, delimiter) {
  const bad = [];
  const rows = [];
  let header;
  try {
    for await (const b of p.fromCsvScan({ file, display: "f.csv", encoding: "utf-8", delimiter, onBad: (_problem, raw) => bad.push(raw) })) {
      header = b.header;
      rows.push(...b.rows);
    }
    return { header, rows, bad };
  } catch (e) {
    if (e instanceof p.DataError) return { rejected: e.message.split("\n").slice(0, 2).join(" ") };
    return { crash: `${e?.name}: ${e?.message}`, stack: e?.stack };
  }
}

function viaChunks(p, bytes, delimiter, cuts) {
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { rejected: "invalid UTF-8" };
  }
  // readText drops one BOM before the scanner sees the text; TextDecoder did the same.
  const at = [...new Set(cuts.map((c) => Math.floor(c * text.length)))].sort((a, b) => a - b).filter((i) => i > 0 && i < text.length && !(text.charCodeAt(i) >= 0xdc00 && text.charCodeAt(i) <= 0xdfff));
  const scanner = new p.CsvScanner(delimiter, "f.csv");
  const records = [];
  try {
    let from = 0;
    for (const i of [...at, text.length]) {
      scanner.push(text.slice(from, i));
      records.push(...scanner.take().records);
      from = i;
    }
    scanner.end();
    records.push(...scanner.take().records);
  } catch (e) {
    if (e instanceof p.DataError) return { rejected: e.message };
    return { crash: `${e?.name}: ${e?.message}`, stack: e?.stack };
  }
  return sortRecords(records, delimiter);
}

const verdict = (r) => (r.crash ? "crash" : r.rejected ? "reject" : "accept");
/**
 * scan-csv.ts's documented difference that changes the verdict: after a closing quote csv-parse
 * takes a NUL for the end of input and reads on, where the scanner refuses the quoting.
 */
const documented = (r, ref) => r.rejected && !ref.rejected && /Invalid Closing Quote: got "\\u0000"/.test(r.rejected);
const same = (a, b) => JSON.stringify([a.header, a.rows, a.bad]) === JSON.stringify([b.header, b.rows, b.bad]);

/** Runs one csv-diff case in `dir`; returns the findings (empty when all three readings agree). */
export async function checkCsvDiff(c, dir) {
  const p = await load();
  const bytes = Buffer.from(c.csv.b64, "base64");
  const file = path.join(dir, "f.csv");
  writeFileSync(file, bytes);
  const refs = { reader: reference(bytes, c.csv.delimiter, true), chunks: reference(bytes, c.csv.delimiter) };
  const results = { reader: await viaReader(p, file, c.csv.delimiter), chunks: viaChunks(p, bytes, c.csv.delimiter, c.csv.cuts) };
  const findings = [];
  for (const [how, r] of Object.entries(results)) {
    const ref = refs[how];
    if (r.crash) {
      findings.push({ class: "crash", command: `csv-diff (${how})`, detail: r.crash, excerpt: r.stack?.split("\n").slice(0, 6).join("\n") });
    } else if (documented(r, ref)) {
      continue;
    } else if (verdict(r) !== verdict(ref) || (verdict(r) === "accept" && !same(r, ref))) {
      const show = (x) => (x.rejected ? `rejects (${x.rejected.slice(0, 160)})` : `accepts ${JSON.stringify({ header: x.header, rows: x.rows, bad: x.bad }).slice(0, 300)}`);
      findings.push({ class: "csv-diff-mismatch", command: `csv-diff (${how})`, detail: `scan-csv ${show(r)}; csv-parse ${show(ref)}` });
    }
  }
  return findings;
}
