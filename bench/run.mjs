#!/usr/bin/env node
// The bench: npm run bench [-- --scale small|medium|medium-x10|large] [--regen]
//                          [--warmup N] [--only TEXT] [--cpu-prof]
//
// 1. Builds dist/ if dist/cli/main.js is missing.
// 2. Generates bench/data/<scale>/ (bench/generate.mjs) if it is missing, was made for
//    other counts or seed, or --regen is given, and prints how long that took.
// 3. Writes bench/data/<scale>/segment.config.yaml (data: that folder, segments: the
//    repository's segments/, timezone UTC) and all-segments.yaml (every example segment
//    in one file, so one `preview` evaluates them all in one run).
// 4. Runs each command through bench/measure.mjs in a child process, `--warmup` times
//    unmeasured (default 1 on small, 0 otherwise) and then once measured: wall time, peak
//    RSS of the child, CPU time, bytes of input it reads, rows/s.
// 5. Times the CSV scanner on its worst input, a quoted field given one character at a
//    time (bench/scanner.mjs, in a child process; the same at every scale).
// 6. Prints a table and writes bench/results-<scale>.json (git-ignored).
//
// --only A,B runs the commands whose label contains A or B (`startup` is always run;
// `scanner` selects the scanner); at the suite's scales (100k, 1m, 1m-x10) it picks the
// suite's steps the same way (`run`, `preview`, `second`, `export`...), and the export,
// which exports the run's largest segment, needs `run` too;
// --cpu-prof passes --cpu-prof to the measured runs (profiles in bench/data/<scale>/profiles/).
// A child's warnings on stderr (e.g. MaxListenersExceededWarning) are kept in the results.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { codeVersion, ensureBuilt, measureCommand } from './common.mjs';
import { SCALES, ensureGenerated } from './generate.mjs';
import { writeBenchConfig, writeSuiteProject } from './suite.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const REPO = join(BENCH, '..');
const SCANNER = join(BENCH, 'scanner.mjs');
const SEGMENTS = join(REPO, 'segments');
const AS_OF = '2026-11-23';

/** Export name -> [file, manifest row key]. */
const EXPORTS = {
  customers: ['customers.csv', 'customers'],
  orders: ['orders.csv', 'orders'],
  order_items: ['order_items.csv', 'items'],
  visits: ['visits.ndjson', 'visits'],
  carts: ['carts.json', 'carts'],
  email_events: ['email_events.csv.gz', 'email_events'],
};
const TABLE_EXPORT = { orders: 'orders', visits: 'visits', carts: 'carts', emails: 'email_events', rfm: 'orders' };
const ITEM_COLUMNS = new Set(['product_id', 'sku', 'name', 'category', 'quantity', 'price']);

function parseArgs(argv) {
  const o = { scale: 'small', regen: false, warmup: undefined, only: undefined, cpuProf: false };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    if (a === '--scale') o.scale = argv[++k];
    else if (a === '--regen') o.regen = true;
    else if (a === '--warmup') o.warmup = Number(argv[++k]);
    else if (a === '--only') o.only = argv[++k];
    else if (a === '--cpu-prof') o.cpuProf = true;
    else throw new Error(`unknown argument ${a} (see the header of bench/run.mjs)`);
  }
  if (!SCALES[o.scale]) throw new Error(`unknown scale ${o.scale}: one of ${Object.keys(SCALES).join(', ')}`);
  o.warmup ??= o.scale === 'small' ? 1 : 0;
  if (!Number.isInteger(o.warmup) || o.warmup < 0) throw new Error('--warmup takes a whole number');
  return o;
}



/** Whether --only picks the command of this label (any when --only is not given). */
function picked(opts, label) {
  return !opts.only || opts.only.split(',').some((t) => label.includes(t));
}

async function ensureData(scale, regen) {
  const dir = join(BENCH, 'data', scale);
  return { dir, ...(await ensureGenerated(dir, SCALES[scale], { regen, label: scale })) };
}

/** The example segments, parsed: code -> definition. */
function loadSegments() {
  const defs = new Map();
  for (const f of readdirSync(SEGMENTS).filter((x) => /\.ya?ml$/.test(x)).sort()) {
    const v = parse(readFileSync(join(SEGMENTS, f), 'utf8'));
    for (const d of Array.isArray(v) ? v : [v]) defs.set(d.code, d);
  }
  return defs;
}

/** The exports one segment reads (customers always), following `segment` references. */
function exportsOf(code, defs, seen = new Set()) {
  const out = new Set(['customers']);
  if (seen.has(code)) return out;
  seen.add(code);
  const walk = (node) => {
    for (const f of node.filters ?? []) {
      const field = String(f.field);
      if (field === 'segment') {
        for (const c of [...(f.in ?? []), ...(f.not_in ?? [])]) for (const e of exportsOf(c, defs, seen)) out.add(e);
        continue;
      }
      const [table, rest] = field.split('.', 2);
      if (!rest || !TABLE_EXPORT[table]) continue;
      out.add(TABLE_EXPORT[table]);
      const whereKeys = Object.keys(f.where ?? {});
      if (table === 'orders' && (ITEM_COLUMNS.has(rest) || whereKeys.some((k) => ITEM_COLUMNS.has(k)))) out.add('order_items');
    }
    for (const g of node.groups ?? []) walk(g);
  };
  walk(defs.get(code));
  return out;
}

function writeProject(dir, defs) {
  writeBenchConfig(dir, 'bench/run.mjs: the bench data with the repository\'s example segments', '.', JSON.stringify(SEGMENTS));
  writeFileSync(join(dir, 'all-segments.yaml'), '# Written by bench/run.mjs: every example segment, for one preview run.\n' + stringify([...defs.values()]));
  mkdirSync(join(dir, 'no-segments'), { recursive: true });
}


/** Runs bench/scanner.mjs; its figures and summary line, or why it failed. */
function runScanner() {
  const r = spawnSync(process.execPath, [SCANNER, '--json'], { cwd: REPO, encoding: 'utf8' });
  if (r.status !== 0) return { error: `exit ${r.status ?? r.signal}: ${r.stderr.trim().split('\n').slice(0, 3).join(' | ')}` };
  return JSON.parse(r.stdout);
}

function fmtBytes(n) {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : `${(n / 1e6).toFixed(1)} MB`;
}

function printTable(rows) {
  const head = ['command', 'wall s', 'cpu s', 'peak RSS MB', 'input', 'rows', 'rows/s', 'members'];
  const body = rows.map((r) => [
    r.label,
    (r.wallMs / 1000).toFixed(2),
    r.cpuMs === null ? '' : (r.cpuMs / 1000).toFixed(2),
    r.maxRssMB === null ? '' : r.maxRssMB.toFixed(0),
    r.inputBytes ? fmtBytes(r.inputBytes) : '',
    r.rows ? r.rows.toLocaleString('en-US') : '',
    r.rowsPerSec ? Math.round(r.rowsPerSec).toLocaleString('en-US') : '',
    r.members ?? '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => String(b[i]).length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) console.log(line(b));
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  ensureBuilt();
  const { dir, manifest, generatedNow } = await ensureData(opts.scale, opts.regen);
  if (SCALES[opts.scale].csv) return suite(opts, dir, manifest, generatedNow);
  const defs = loadSegments();
  writeProject(dir, defs);

  const all = Object.keys(EXPORTS);
  // --no-cache: each preview is timed reading its exports (what its input and rows/s columns
  // say); the project's state stays between benches, and with it the preview cache.
  const asOf = ['--json', '--as-of', AS_OF, '--no-cache'];
  const commands = [
    { label: 'startup (segment --version)', args: ['--version'], exports: [] },
    { label: 'validate --exports', args: ['validate', '--exports'], exports: all },
    { label: 'fields --json', args: ['fields', '--json'], exports: all },
    ...[...defs.keys()].map((code) => ({ label: `preview ${code}`, args: ['preview', code, ...asOf], exports: [...exportsOf(code, defs)] })),
    {
      label: `preview all ${defs.size} in one run`,
      args: ['preview', 'all-segments.yaml', ...asOf, '--segments', 'no-segments'],
      exports: [...new Set([...defs.keys()].flatMap((c) => [...exportsOf(c, defs)]))],
    },
  ].filter((c) => c.label.startsWith('startup') || picked(opts, c.label));

  const profDir = join(dir, 'profiles');
  const flags = opts.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [];
  const customers = manifest.rows.customers;
  const results = [];
  console.log(`\nscale ${opts.scale}: ${fmtBytes(manifest.totalBytes)} of exports; ${opts.warmup} warm-up run(s) per command, then one measured\n`);
  for (const cmd of commands) {
    process.stdout.write(`  ${cmd.label.padEnd(36)} `);
    for (let w = 0; w < opts.warmup; w++) await measureCommand(dir, cmd.args, []);
    const loadBefore = loadavg()[0];
    const version = codeVersion();
    const run = await measureCommand(dir, cmd.args, flags);
    const inputBytes = cmd.exports.reduce((s, e) => s + manifest.bytes[EXPORTS[e][0]], 0);
    const rows = cmd.exports.reduce((s, e) => s + manifest.rows[EXPORTS[e][1]], 0);
    const u = run.usage;
    let members;
    let counts;
    if (run.code === 0 && cmd.args[0] === 'preview') {
      // preview --json: { segments: [{ code, count, ... }] } (docs/json.md).
      const { segments } = JSON.parse(run.stdout);
      counts = Object.fromEntries(segments.map((x) => [x.code, x.count]));
      members = segments.length > 1 ? `${segments.length} segments` : `${segments[0].count} (${((100 * segments[0].count) / customers).toFixed(1)}%)`;
    }
    const r = {
      label: cmd.label,
      args: cmd.args,
      exitCode: run.code,
      wallMs: +run.wallMs.toFixed(1),
      cpuMs: u.userMs === undefined ? null : +(u.userMs + u.sysMs).toFixed(1),
      maxRssMB: u.maxRSS === undefined ? null : +(u.maxRSS / 1024).toFixed(1),
      exports: cmd.exports,
      inputBytes,
      rows,
      rowsPerSec: rows ? +(rows / (run.wallMs / 1000)).toFixed(0) : 0,
      readBytes: u.rchar ?? null,
      stdoutBytes: run.stdoutBytes,
      // 1-minute load average before and after: above ~1 on this 2-core box, something else was running
      load1: [+loadBefore.toFixed(2), +loadavg()[0].toFixed(2)],
      code: version,
      members,
      counts,
      warnings: [...new Set(run.stderr.split('\n').filter((l) => /Warning/.test(l)).map((l) => l.replace(/^\(node:\d+\) /, '')))],
    };
    results.push(r);
    const status = run.code === 0 ? '' : `  EXIT ${run.code}: ${run.stderr.trim().split('\n').slice(0, 3).join(' | ')}`;
    const warn = r.warnings.length ? `  (stderr: ${r.warnings.join(' | ').slice(0, 100)})` : '';
    console.log(`${(r.wallMs / 1000).toFixed(2).padStart(8)} s  ${String(r.maxRssMB ?? '?').padStart(8)} MB  load ${r.load1.join('->')}${status}${warn}`);
    globalThis.gc?.();
  }

  let scanner;
  if (!opts.only || opts.only.split(',').some((t) => 'scanner'.includes(t))) {
    process.stdout.write(`  ${'scanner (bench/scanner.mjs)'.padEnd(36)} `);
    scanner = runScanner();
    console.log(scanner.error ? `FAILED ${scanner.error}` : `${String(scanner.oneCharMs).padStart(8)} ms (one character per push)`);
  }

  console.log('');
  printTable(results);
  if (scanner && !scanner.error) console.log(`\nscanner: ${scanner.summary}`);
  const builds = new Set(results.map((r) => r.code.distBuilt));
  if (builds.size > 1) console.log(`\nwarning: dist/ was rebuilt during the bench (${[...builds].join(', ')}): the commands did not all run the same code`);
  const report = {
    scale: opts.scale,
    asOf: AS_OF,
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, totalMemGB: +(totalmem() / 2 ** 30).toFixed(1), node: process.version, platform: process.platform },
    data: { dir, seed: manifest.seed, rows: manifest.rows, bytes: manifest.bytes, totalBytes: manifest.totalBytes },
    generation: { seconds: manifest.seconds, generatedNow },
    warmup: opts.warmup,
    results,
    scanner,
  };
  const file = join(BENCH, `results-${opts.scale}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  console.log(`\nwritten ${file}`);
  if (results.some((r) => r.exitCode !== 0) || scanner?.error) process.exitCode = 1;
}

// ---------------------------------------------------------------------------
// The suite (scales 100k, 1m, 1m-x10): the performance issue's sequence of commands
// ---------------------------------------------------------------------------
function phaseLines(phases) {
  return (phases ?? []).map((p) => {
    const mbs = p.bytes && (p.readMs ?? p.ms) > 0 ? `  ${(p.bytes / 1e6).toFixed(0)} MB at ${(p.bytes / 1e6 / ((p.readMs ?? p.ms) / 1000)).toFixed(0)} MB/s` : '';
    const rows = p.rows !== undefined ? `  ${p.rows.toLocaleString('en-US')} rows` : '';
    const read = p.readMs !== undefined ? ` (reader ${(p.readMs / 1000).toFixed(2)} s)` : '';
    return `      ${p.name.padEnd(36)} ${(p.ms / 1000).toFixed(2).padStart(7)} s${read}${rows}${mbs}`;
  });
}

/** The id in the first row of a customers CSV (the bench's ids are never quoted). */
function firstCustomerId(file) {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(4096);
    return buf.toString('utf8', 0, readSync(fd, buf, 0, buf.length, 0)).split('\n')[1].split(',')[0];
  } finally {
    closeSync(fd);
  }
}

async function suite(opts, dataDir, manifest, generatedNow) {
  const { dir, codes } = writeSuiteProject(join(dataDir, 'suite'), dataDir, 'bench/run.mjs');
  const count = codes.length;
  const asOf = ['--as-of', AS_OF];
  const flags = opts.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', join(dataDir, 'profiles')] : [];
  console.log(`\nscale ${opts.scale}: ${fmtBytes(manifest.totalBytes)} of exports, ${count} segments (segments/ and bench/suite/)\n`);
  const results = [];
  const step = async (label, args) => {
    if (!picked(opts, label)) return undefined;
    process.stdout.write(`  ${label.padEnd(40)} `);
    const loadBefore = loadavg()[0];
    const run = await measureCommand(dir, args, flags);
    const u = run.usage;
    const r = {
      label, args, exitCode: run.code, wallMs: +run.wallMs.toFixed(1),
      cpuMs: u.userMs === undefined ? null : +(u.userMs + u.sysMs).toFixed(1),
      maxRssMB: u.maxRSS === undefined ? null : +(u.maxRSS / 1024).toFixed(1),
      phases: u.phases ?? [], load1: [+loadBefore.toFixed(2), +loadavg()[0].toFixed(2)], code: codeVersion(),
      stdout: run.stdout,
    };
    results.push(r);
    const status = run.code === 0 ? '' : `  EXIT ${run.code}: ${run.stderr.trim().split('\n').slice(0, 3).join(' | ')}`;
    console.log(`${(r.wallMs / 1000).toFixed(2).padStart(8)} s  cpu ${((r.cpuMs ?? 0) / 1000).toFixed(2).padStart(7)} s  ${String(r.maxRssMB ?? '?').padStart(8)} MB  load ${r.load1.join('->')}${status}`);
    for (const l of phaseLines(r.phases)) console.log(l);
    globalThis.gc?.();
    return r;
  };
  const run = await step(`run (${count} segments)`, ['run', ...asOf, '--json']);
  let members = {};
  if (run?.exitCode === 0) members = Object.fromEntries(JSON.parse(run.stdout).segments.map((x) => [x.code, x.members]));
  const pv = ['preview', 'all-suite.yaml', ...asOf, '--json', '--segments', 'no-segments'];
  const p1 = await step('preview all (first)', pv);
  const p2 = await step('preview all (second, unchanged exports)', pv);
  // The second preview reads the stored results back; a trace (--customer) turns that off,
  // so this one evaluates all of them from the cached columns and aggregates, as a preview
  // after an edit of every segment would.
  const firstId = firstCustomerId(join(dataDir, 'customers.csv'));
  const p3 = await step('preview all (evaluated from the cache)', [...pv, '--customer', firstId]);
  const counts = (r) => (r.exitCode === 0 ? Object.fromEntries(JSON.parse(r.stdout).segments.map((x) => [x.code, x.count])) : {});
  for (const p of [p1, p2, p3].filter(Boolean)) {
    const c = counts(p);
    const differ = Object.keys(members).filter((k) => c[k] !== members[k]);
    if (differ.length) console.log(`  warning: ${p.label} counts differ from the run's for ${differ.join(', ')}`);
  }
  const largest = Object.entries(members).sort((a, b) => b[1] - a[1])[0];
  if (largest) await step(`export ${largest[0]} (${largest[1].toLocaleString('en-US')}) --format xlsx`, ['export', largest[0], '--format', 'xlsx', '--out', join(dir, 'out', 'largest.xlsx')]);
  for (const r of results) delete r.stdout;
  const report = {
    scale: opts.scale, asOf: AS_OF, date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, totalMemGB: +(totalmem() / 2 ** 30).toFixed(1), node: process.version, platform: process.platform },
    data: { dir: dataDir, seed: manifest.seed, rows: manifest.rows, bytes: manifest.bytes, totalBytes: manifest.totalBytes },
    generation: { seconds: manifest.seconds, generatedNow },
    members, results,
  };
  const file = join(BENCH, `results-${opts.scale}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  console.log(`\nwritten ${file}`);
  if (results.some((r) => r.exitCode !== 0)) process.exitCode = 1;
}

await main();
