#!/usr/bin/env node
// `segment` against DuckDB: npm run bench:duckdb [-- --scale 100k|1m|1m-x10] [--runs N]
//                                                [--only-segment | --only-duckdb] [--check-ids]
//                                                [--dry-run]
//
// Runs the same 26 segments (the 14 of segments/ and the 12 of bench/suite/) over the same
// CSV files two ways, each as a whole child process, and compares them:
// - segment: `segment run --as-of 2026-11-23 --json` in a fresh project folder
//   (bench/data/duckdb-project-<scale>/: segments/ holds copies of both folders' YAML, the
//   config says `data: bench/data/<scale>`, `timezone: UTC`, state and out inside it), run
//   through bench/measure.mjs (the built CLI with the launcher's heap setting);
// - duckdb: bench/duckdb-child.mjs, which loads the CSVs into an in-memory DuckDB and runs
//   one SQL query per segment, written from the user documentation (not from src/).
// Each is timed as a process: wall time (here), CPU time and peak RSS (the child's own
// process.resourceUsage() at exit). With --runs N they alternate, segment, duckdb, segment,
// duckdb..., N times each, and the median of each figure is reported beside every run.
//
// Prints, per segment, both member counts and whether they are equal, then both wall times,
// CPU times and peak RSS, and segment/duckdb of the wall time. Exits 1 when a count differs
// (after listing a few customers on each side only), or a run fails. --check-ids compares
// the member ids of every segment, not only the counts (one more DuckDB run, not timed,
// that writes them; the product's are its out/<code>/members.csv). Writes
// bench/results-duckdb-<scale>.json (git-ignored). --dry-run runs `segment run --dry-run`:
// the same evaluation and summary, with no state, history or out files written (and so
// no member ids for --check-ids). (On 2026-12-01 a first real run at 1m failed at its
// commit, `RangeError: Invalid string length`, and only the dry run could be compared;
// the state has been written as bytes since 8cba621, and the real run is what is compared.)
//
// DuckDB (@duckdb/node-api, pinned in bench/duckdb/package.json) is installed into
// bench/duckdb/node_modules the first time (npm ci): it is not a dependency of segment.
// The data come from bench/generate.mjs into bench/data/<scale>/ when missing.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { codeVersion, ensureBuilt, measureCommand, runChild } from './common.mjs';
import { SCALES, ensureGenerated } from './generate.mjs';
import { loadSuite, writeSuiteProject } from './suite.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const REPO = join(BENCH, '..');
const CHILD = join(BENCH, 'duckdb-child.mjs');
const DUCK_DIR = join(BENCH, 'duckdb');
const AS_OF = '2026-11-23';

function parseArgs(argv) {
  const o = { scale: '1m', runs: 1, segment: true, duckdb: true, checkIds: false, dryRun: false };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    if (a === '--scale') o.scale = argv[++k];
    else if (a === '--runs') o.runs = Number(argv[++k]);
    else if (a === '--only-duckdb') o.segment = false;
    else if (a === '--only-segment') o.duckdb = false;
    else if (a === '--check-ids') o.checkIds = true;
    else if (a === '--dry-run') o.dryRun = true;
    else throw new Error(`unknown argument ${a} (see the header of bench/duckdb.mjs)`);
  }
  if (!SCALES[o.scale]?.csv) throw new Error(`--scale takes a scale whose exports are all CSV: ${Object.keys(SCALES).filter((s) => SCALES[s].csv).join(', ')}`);
  if (!Number.isInteger(o.runs) || o.runs < 1) throw new Error('--runs takes a whole number from 1');
  if (!o.segment && !o.duckdb) throw new Error('--only-duckdb and --only-segment leave nothing to run');
  if (o.checkIds && o.dryRun) throw new Error('--check-ids reads the member files a run writes, and --dry-run writes none');
  return o;
}

/** Installs bench/duckdb/node_modules from its lock file the first time. */
function ensureDuckDB() {
  if (existsSync(join(DUCK_DIR, 'node_modules', '@duckdb', 'node-api', 'package.json'))) return;
  const ci = existsSync(join(DUCK_DIR, 'package-lock.json'));
  console.log(`bench/duckdb/node_modules is missing: npm ${ci ? 'ci' : 'install'} --prefix bench/duckdb`);
  const r = spawnSync('npm', [ci ? 'ci' : 'install', '--prefix', DUCK_DIR, '--no-audit', '--no-fund'], { cwd: REPO, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('installing DuckDB into bench/duckdb failed');
}

/** The scale's data in bench/data/<scale>/, generated when missing (bench/generate.mjs). */
async function ensureData(scale) {
  const dir = join(BENCH, 'data', scale);
  return { dir, ...(await ensureGenerated(dir, SCALES[scale], { label: scale })) };
}

const firstLines = (s, n = 4) => s.trim().split('\n').slice(-n).join(' | ');

async function runSegment(projectDir, dataDir, dryRun) {
  writeSuiteProject(projectDir, dataDir, 'bench/duckdb.mjs');
  const load1 = loadavg()[0];
  const run = await measureCommand(projectDir, ['run', '--as-of', AS_OF, '--json', ...(dryRun ? ['--dry-run'] : [])]);
  const u = run.usage;
  const r = { tool: 'segment', exitCode: run.code, wallMs: +run.wallMs.toFixed(1), cpuMs: u.userMs === undefined ? null : +(u.userMs + u.sysMs).toFixed(1), maxRssKiB: u.maxRSS ?? null, load1: [+load1.toFixed(2), +loadavg()[0].toFixed(2)] };
  if (run.code !== 0) return { ...r, error: `exit ${run.code}: ${firstLines(run.stderr)}`, stderrTail: run.stderr };
  const summary = JSON.parse(run.stdout);
  r.counts = Object.fromEntries(summary.segments.map((s) => [s.code, s.members]));
  r.evaluateMs = summary.segments.find((s) => s.elapsed_ms != null)?.elapsed_ms ?? null;
  r.stderr = firstLines(run.stderr, 3);
  return r;
}

async function runDuck(dataDir, extra = []) {
  const load1 = loadavg()[0];
  const run = await runChild([CHILD, dataDir, AS_OF, ...extra], REPO);
  const r = { tool: 'duckdb', exitCode: run.code, wallMs: +run.wallMs.toFixed(1), cpuMs: null, maxRssKiB: null, load1: [+load1.toFixed(2), +loadavg()[0].toFixed(2)] };
  if (run.code !== 0) return { ...r, error: `exit ${run.code}: ${firstLines(run.stderr)}`, stderrTail: run.stderr };
  const out = JSON.parse(run.stdout);
  return {
    ...r,
    cpuMs: +(out.usage.userMs + out.usage.sysMs).toFixed(1),
    maxRssKiB: out.usage.maxRSS,
    counts: Object.fromEntries(out.segments.map((s) => [s.code, s.members])),
    version: out.duckdb,
    loadMs: out.loadMs,
    tables: out.tables,
    queryMs: Object.fromEntries(out.segments.map((s) => [s.code, s.ms])),
  };
}

/** Member ids of a segment's out/<code>/members.csv (an id a spreadsheet would run gets a leading '). */
function readIds(file) {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split(/\r?\n/).slice(1).filter(Boolean)
    .map((l) => (l.startsWith('"') ? l.slice(1, -1).replace(/""/g, '"') : l))
    .map((l) => (/^'[=+\-@\t\r]/.test(l) ? l.slice(1) : l));
}

function median(xs) {
  const v = xs.filter((x) => x !== null && x !== undefined).sort((a, b) => a - b);
  if (!v.length) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

const sec = (ms) => (ms === null ? '-' : (ms / 1000).toFixed(2));
const mb = (kib) => (kib === null ? '-' : (kib / 1024).toFixed(0));

function table(head, rows, left = 1) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i < left ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.duckdb) ensureDuckDB();
  if (opts.segment) ensureBuilt();
  const { dir: dataDir, manifest } = await ensureData(opts.scale);
  const { codes } = loadSuite();
  const projectDir = join(BENCH, 'data', `duckdb-project-${opts.scale}`);
  const version = codeVersion();
  const command = `segment run --as-of ${AS_OF} --json${opts.dryRun ? ' --dry-run' : ''}`;
  console.log(`\n${codes.length} segments, as of ${AS_OF}, scale ${opts.scale}; ${opts.runs} run(s) of each${opts.segment && opts.duckdb ? ', alternating' : ''}; segment side: ${command}\n`);

  const runs = [];
  for (let i = 0; i < opts.runs; i++) {
    for (const tool of ['segment', 'duckdb']) {
      if (!opts[tool]) continue;
      process.stdout.write(`  run ${i + 1} ${tool.padEnd(8)} `);
      const r = tool === 'segment' ? await runSegment(projectDir, dataDir, opts.dryRun) : await runDuck(dataDir);
      r.run = i + 1;
      runs.push(r);
      console.log(r.error ? `FAILED ${r.error}` : `${sec(r.wallMs).padStart(8)} s wall  ${sec(r.cpuMs).padStart(8)} s cpu  ${mb(r.maxRssKiB).padStart(6)} MB  load ${r.load1.join('->')}`);
    }
  }
  const ok = (tool) => runs.filter((r) => r.tool === tool && !r.error);
  const failed = runs.filter((r) => r.error);

  // Counts: the last good run of each; every run of one tool must agree with it.
  const last = { segment: ok('segment').at(-1), duckdb: ok('duckdb').at(-1) };
  const unstable = [];
  for (const tool of ['segment', 'duckdb']) {
    for (const r of ok(tool)) if (JSON.stringify(r.counts) !== JSON.stringify(last[tool].counts)) unstable.push(`${tool} run ${r.run}`);
  }
  const segments = codes.map((code) => {
    const s = last.segment?.counts[code] ?? null;
    const d = last.duckdb?.counts[code] ?? null;
    return { code, segment: s, duckdb: d, equal: s !== null && d !== null ? s === d : null, duckdbQueryMs: last.duckdb?.queryMs[code] ?? null };
  });
  console.log('');
  table(['segment', 'segment run', 'duckdb', 'equal', 'duckdb query ms'], segments.map((s) => [s.code, s.segment ?? '-', s.duckdb ?? '-', s.equal === null ? '' : s.equal ? 'yes' : 'NO', s.duckdbQueryMs ?? '-']));

  // Where counts differ (or with --check-ids, everywhere), which customers: DuckDB's member
  // ids (an extra, untimed run) against the product's out/<code>/members.csv of its last run.
  const differing = segments.filter((s) => s.equal === false);
  const differences = {};
  const compare = opts.checkIds && last.segment && last.duckdb ? segments : differing;
  if (compare.length) {
    const idsDir = join(BENCH, 'data', `duckdb-ids-${opts.scale}`);
    rmSync(idsDir, { recursive: true, force: true });
    const r = await runDuck(dataDir, ['--ids-out', idsDir]);
    if (r.error) console.log(`\nthe DuckDB run for member ids failed: ${r.error}`);
    else {
      console.log(`\ncustomers on one side only (first 5), ${compare.length} segments compared:`);
      for (const s of compare) {
        const a = new Set(readIds(join(projectDir, 'out', s.code, 'members.csv')));
        const b = new Set(readIds(join(idsDir, `${s.code}.csv`)));
        const onlySegment = [...a].filter((x) => !b.has(x));
        const onlyDuck = [...b].filter((x) => !a.has(x));
        if (!onlySegment.length && !onlyDuck.length) continue;
        differences[s.code] = { onlySegment: onlySegment.length, onlyDuckdb: onlyDuck.length, examplesSegment: onlySegment.slice(0, 5), examplesDuckdb: onlyDuck.slice(0, 5) };
        console.log(`  ${s.code}: segment only ${onlySegment.length} (${onlySegment.slice(0, 5).join(', ')}); duckdb only ${onlyDuck.length} (${onlyDuck.slice(0, 5).join(', ')})`);
      }
      if (!Object.keys(differences).length) console.log('  none: every segment has the same members on both sides');
      else console.log(`  (segment preview CODE --customer ID --as-of ${AS_OF} in ${projectDir} shows each filter's value for one customer)`);
    }
  }

  const med = {};
  for (const tool of ['segment', 'duckdb']) {
    const rs = ok(tool);
    if (!rs.length) continue;
    med[tool] = { runs: rs.length, wallMs: median(rs.map((r) => r.wallMs)), cpuMs: median(rs.map((r) => r.cpuMs)), maxRssKiB: median(rs.map((r) => r.maxRssKiB)) };
  }
  const ratio = med.segment && med.duckdb ? +(med.segment.wallMs / med.duckdb.wallMs).toFixed(2) : null;
  // segment / duckdb of each run's pair (run i of both), beside the ratio of the medians
  const pairRatios = [];
  for (let i = 1; i <= opts.runs; i++) {
    const a = ok('segment').find((r) => r.run === i);
    const b = ok('duckdb').find((r) => r.run === i);
    if (a && b) pairRatios.push(+(a.wallMs / b.wallMs).toFixed(2));
  }
  console.log('');
  table(['', 'runs', 'wall s (median)', 'cpu s', 'peak RSS MB', 'every run: wall s'], ['segment', 'duckdb'].filter((t) => med[t]).map((t) => [
    t, med[t].runs, sec(med[t].wallMs), sec(med[t].cpuMs), mb(med[t].maxRssKiB), ok(t).map((r) => sec(r.wallMs)).join(' '),
  ]));
  if (last.duckdb) console.log(`\nduckdb ${last.duckdb.version}: loading the CSVs ${sec(last.duckdb.loadMs)} s, the 26 queries ${sec(Object.values(last.duckdb.queryMs).reduce((a, b) => a + b, 0))} s (last run)`);
  if (last.segment?.evaluateMs != null) console.log(`segment: the run's evaluation (elapsed_ms) ${sec(last.segment.evaluateMs)} s of its ${sec(last.segment.wallMs)} s (last run)`);
  if (ratio !== null) console.log(`\nsegment / duckdb, wall time: ${ratio} (medians)${pairRatios.length > 1 ? `; run by run ${pairRatios.join(' ')}` : ''}`);
  if (unstable.length) console.log(`\nwarning: counts changed between runs: ${unstable.join(', ')}`);
  for (const r of failed) console.log(`\n${r.tool} run ${r.run} failed: ${r.error}`);

  const report = {
    scale: opts.scale,
    asOf: AS_OF,
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, totalMemGB: +(totalmem() / 2 ** 30).toFixed(1), node: process.version, platform: process.platform },
    code: version,
    duckdb: last.duckdb?.version ?? null,
    data: { dir: dataDir, rows: manifest.rows, bytes: manifest.bytes, totalBytes: manifest.totalBytes },
    median: med,
    segmentCommand: command,
    ratioWall: ratio,
    pairRatiosWall: pairRatios,
    checkIds: opts.checkIds,
    segments,
    differences,
    unstable,
    runs: runs.map(({ counts: _counts, ...r }) => r),
  };
  const file = join(BENCH, `results-duckdb-${opts.scale}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  console.log(`\nwritten ${file}`);
  if (differing.length || Object.keys(differences).length || failed.length || unstable.length) process.exitCode = 1;
}

await main();
