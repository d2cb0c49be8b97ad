#!/usr/bin/env node
// The CSV scanner on its worst input: one large quoted field full of doubled quotes and
// CRLFs, given to push() one character at a time, as a stream cut after every character
// would give it. The input is that of the test "reads a field cut into single characters
// whole" in src/ingest/scan-csv.test.ts, which checks what is read; this file measures how
// fast, so that no test depends on the machine's speed.
//
//   node bench/scanner.mjs [--json]     (npm run bench runs it; reads the built dist/)
//
// Prints the best of RUNS runs of: that text one character per push, the same text in one
// push, and four times the text one character per push, with the cost per character. The
// scanner keeps its state between pushes; one that rescanned the open field on every push
// would take 4x as long per character for 4x the text. This one's cost per character rises
// at first (collecting the pieces of the growing field) and then levels off, at about
// 100-150 ns on the 2-core bench machine up to 20M characters. --json prints the figures
// (milliseconds, characters) and the summary line as one object.
import { existsSync } from 'node:fs';
import v8 from 'node:v8';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const SCANNER = join(REPO, 'dist', 'ingest', 'scan-csv.js');
const REPEATS = 50_000;
const GROWTH = 4;
const RUNS = 5;
const LIMITS = { fieldChars: 100_000_000, recordChars: 100_000_000, columns: 2_000 };

// The same heap setting as bin/segment.js, as in measure.mjs: each pushed character leaves
// short-lived strings behind, and the young generation's size sets what collecting them costs.
v8.setFlagsFromString('--max-semi-space-size=32');

/** The test's document: a header, one quoted field of `repeats` times `ab,"c""d` + CRLF, two plain records. */
function pathological(repeats) {
  const body = 'ab,"c""d\r\n'.repeat(repeats);
  return { body, text: 'x,y\n"' + body.replaceAll('"', '""') + '",2\n3,4' };
}

/** Milliseconds to scan `text` in pieces of `step` characters (Infinity: one push), best of RUNS. */
function time(CsvScanner, { body, text }, step) {
  let best = Infinity;
  for (let run = 0; run < RUNS; run++) {
    // The larger document's field (2.6M characters) is past the default limits.field_chars
    // (1M): what is timed is the scanner, so its limits are raised as a config would.
    const scanner = new CsvScanner(',', 'bench.csv', LIMITS);
    const t0 = performance.now();
    if (step === Infinity) scanner.push(text);
    else for (let i = 0; i < text.length; i += step) scanner.push(text.slice(i, i + step));
    scanner.end();
    const { records } = scanner.take();
    best = Math.min(best, performance.now() - t0);
    // A wrong reading would make the figure meaningless.
    if (records.length !== 3 || records[1][0] !== body) throw new Error('the scanner misread the bench input');
  }
  return best;
}

/** Runs the measurements; resolves with the figures (milliseconds, characters). */
async function benchScanner() {
  if (!existsSync(SCANNER)) throw new Error(`${SCANNER} is missing: run npm run build`);
  const { CsvScanner } = await import(pathToFileURL(SCANNER).href);
  const once = pathological(REPEATS);
  const larger = pathological(GROWTH * REPEATS);
  const oneCharMs = time(CsvScanner, once, 1);
  const wholeMs = time(CsvScanner, once, Infinity);
  const largerOneCharMs = time(CsvScanner, larger, 1);
  return {
    chars: once.text.length,
    runs: RUNS,
    oneCharMs: +oneCharMs.toFixed(1),
    wholeMs: +wholeMs.toFixed(1),
    largerChars: larger.text.length,
    largerOneCharMs: +largerOneCharMs.toFixed(1),
    oneCharNsPerChar: +((oneCharMs * 1e6) / once.text.length).toFixed(1),
    largerNsPerChar: +((largerOneCharMs * 1e6) / larger.text.length).toFixed(1),
  };
}

/** The figures as one line for a person. */
function summarize(r) {
  const m = (n) => `${(n / 1e6).toFixed(2)}M`;
  return `a quoted field of ${m(r.chars)} characters, one character per push: ${r.oneCharMs} ms (${r.oneCharNsPerChar} ns/char); ` +
    `in one push: ${r.wholeMs} ms; ${m(r.largerChars)} characters, one per push: ${r.largerOneCharMs} ms (${r.largerNsPerChar} ns/char); best of ${r.runs}`;
}

const r = await benchScanner();
const summary = summarize(r);
console.log(process.argv.includes('--json') ? JSON.stringify({ ...r, summary }) : `scanner: ${summary}`);
