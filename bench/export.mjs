#!/usr/bin/env node
// The export bench: npm run bench:export [-- --sizes 100k,1m] [--formats csv,xlsx,xml,json,ndjson]
//                                        [--only writer|e2e] [--regen] [--keep]
//
// 1. Writer only. For each (format, rows) a child process (so peak RSS is that run's) writes
//    `rows` synthetic customer rows of 27 columns of mixed types (ids, names, e-mails, Cyrillic
//    cities, dates, datetimes, decimals, bools, lists, nulls) through dist/export/writer.js
//    into a staged file (stagedFileSink, as `segment export` does), then removes it. It
//    reports the time from table() to end() (the fsync included), rows/s, output bytes,
//    peak RSS (process.resourceUsage().maxRSS) and RSS, heap and external memory sampled
//    40 times during the run (with, for xlsx, the bytes queued in the zip stream), so that
//    memory growing with rows shows where it goes. A `gen` run makes the same rows and
//    writes nothing: the cost of the rows themselves.
// 2. End to end. For each size N, bench/data/export-<N>/ gets a generated project
//    (bench/generate.mjs: N customers, 2N orders of one item each, 1,000 visits, carts and
//    e-mail events; regenerated only when missing, made for other counts or seed, or with
//    --regen) and a segments/ folder with `everyone`, a segment every customer is in. Then
//    `segment run --as-of 2026-11-23` once (state and out/ reset first, so the snapshot
//    is this build's), and `segment export everyone --format F --out FILE` per format
//    through bench/measure.mjs: wall and CPU time, peak RSS, file size; the member count
//    the command prints is checked against N. Files are removed after (--keep keeps them).
// 3. Prints both tables, per format whether peak RSS stayed flat from the smallest size to
//    the largest (flatness() below), and writes bench/results-export.json (git-ignored).
//    A warning names the runs that ran another build when dist/ is rebuilt meanwhile.
//
// Sizes take k and m (100k, 1m) or plain numbers. Both parts run the same sizes.
// The writer children run with --max-semi-space-size=32, the launcher's setting when the
// figures in docs/performance.md were taken (it is 64 since; measure.mjs follows the launcher).
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { codeVersion, ensureBuilt, measureCommand, mulberry32, runChild } from './common.mjs';
import { DEFAULT_SEED, ensureGenerated } from './generate.mjs';
import { writeBenchConfig } from './suite.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const REPO = join(BENCH, '..');
const SELF = fileURLToPath(import.meta.url);
const AS_OF = '2026-11-23';
const ALL_FORMATS = ['csv', 'xlsx', 'xml', 'json', 'ndjson'];
/** The launcher's heap setting (bin/segment.js), for the writer children too. */
const NODE_FLAGS = ['--max-semi-space-size=32'];
/** RSS samples per writer run. */
const SAMPLES = 40;

// ---------------------------------------------------------------------------
// arguments
// ---------------------------------------------------------------------------
function parseSize(s) {
  const m = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(s.trim().replace(/_/g, ''));
  if (!m) throw new Error(`--sizes takes numbers such as 100k,1m, not ${s}`);
  const n = Number(m[1]) * { '': 1, k: 1e3, m: 1e6 }[m[2].toLowerCase()];
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--sizes takes whole positive numbers, not ${s}`);
  return n;
}

function sizeLabel(n) {
  if (n % 1e6 === 0) return `${n / 1e6}m`;
  if (n % 1e3 === 0) return `${n / 1e3}k`;
  return String(n);
}

function parseArgs(argv) {
  const o = { sizes: [100_000, 1_000_000], formats: ALL_FORMATS, only: undefined, regen: false, keep: false };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    const value = () => {
      const v = argv[++k];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--sizes') o.sizes = value().split(',').map(parseSize);
    else if (a === '--formats') o.formats = value().split(',').map((f) => f.trim());
    else if (a === '--only') o.only = value();
    else if (a === '--regen') o.regen = true;
    else if (a === '--keep') o.keep = true;
    else throw new Error(`unknown argument ${a} (see the header of bench/export.mjs)`);
  }
  for (const f of o.formats) if (!['csv', 'xlsx', 'xls', 'xml', 'json', 'ndjson'].includes(f)) throw new Error(`unknown format ${f}`);
  if (o.only !== undefined && !['writer', 'e2e'].includes(o.only)) throw new Error('--only takes writer or e2e');
  return o;
}

// ---------------------------------------------------------------------------
// synthetic rows (the writer-only part): a customer row as `segment export` writes it
// ---------------------------------------------------------------------------
const COLUMNS = [
  ['id', 'id'], ['email', 'string'], ['phone', 'string'], ['first_name', 'string'], ['last_name', 'string'],
  ['sex', 'string'], ['birthday', 'date'], ['created_at', 'datetime'], ['country', 'string'], ['region', 'string'],
  ['city', 'string'], ['source', 'string'], ['tags', 'list'], ['customer_group', 'string'], ['manager', 'string'],
  ['email_marketing', 'bool'], ['sms_marketing', 'bool'], ['channels', 'list'], ['custom.loyalty_card', 'bool'],
  ['custom.bonus_points', 'integer'], ['custom.discount_rate', 'decimal'], ['custom.last_call', 'date'],
  ['custom.last_login_at', 'datetime'], ['custom.favourite_tea', 'string'], ['orders.count', 'integer'],
  ['orders.revenue', 'decimal'], ['orders.last_at', 'datetime'],
].map(([name, type]) => ({ name, type }));


const PLACES = [
  ['RU', 'Moscow', 'Moscow'], ['RU', 'Москва', 'Москва'], ['RU', 'Saint Petersburg', 'Saint Petersburg'],
  ['RU', 'Санкт-Петербург', 'Санкт-Петербург'], ['RU', 'Tatarstan', 'Kazan'], ['RU', 'Свердловская область', 'Екатеринбург'],
  ['DE', 'Berlin', 'Berlin'], ['JP', '大阪府', '大阪'], ['GB', 'England', 'London'], ['KZ', 'Almaty', 'Almaty'], [null, null, null],
];
const FIRST = ['Ivan', 'Anna', 'Алёна', 'Пётр', 'Maria', 'Sergey', 'Olga', 'Фёдор', 'Lukas', 'さくら', 'Júlia', 'James'];
const LAST = ['Ivanov', 'Smirnova', 'Королёв', 'Фёдорова', 'Schmidt', "O'Neill", '佐藤', 'Santos', 'Akhmetov', 'Sokolov'];
const SOURCES = ['google', 'yandex', 'direct', 'instagram'];
const GROUPS = ['Retail', 'VIP', 'Wholesale', null];
const MANAGERS = ['Anna Orlova', 'Pavel Kim', 'Olga Sidorova'];
const TAGS = [null, null, null, ['vip'], ['wholesale'], ['vip', 'wholesale'], ['tea-club'], ['tea-club', 'vip']];
const CHANNELS = [null, ['telegram'], ['telegram', 'whatsapp'], ['viber'], ['whatsapp'], null];
const TEAS = ['Da Hong Pao', 'Sencha', 'Pu-erh, shou', 'Da Hong Pao "Big Red Robe"', 'Молочный улун', 'Gyokuro', null];
const DAY = 86_400_000;
const START = Date.UTC(2024, 10, 23);
const SPAN = Date.UTC(2026, 10, 23) - START;

/** A row maker: row(i) is a fresh array of 27 typed values, the same for the same i and seed. */
function rowMaker(seed) {
  const f = mulberry32(seed);
  const pick = (arr) => arr[Math.floor(f() * arr.length)];
  const int = (a, b) => a + Math.floor(f() * (b - a + 1));
  return (i) => {
    const place = pick(PLACES);
    const created = START + Math.floor(f() * SPAN);
    const count = f() < 0.3 ? 0 : int(1, 40);
    return [
      `C${String(i + 1).padStart(7, '0')}`,
      f() < 0.92 ? `client${i + 1}@example.ru` : null,
      f() < 0.85 ? `+7 9${int(10, 99)} ${int(100, 999)}-${int(10, 99)}-${int(10, 99)}` : null,
      pick(FIRST),
      pick(LAST),
      f() < 0.52 ? 'female' : f() < 0.96 ? 'male' : null,
      f() < 0.9 ? int(-7305, 13500) : null, // 1950..2006
      created,
      place[0], place[1], place[2],
      pick(SOURCES),
      pick(TAGS),
      pick(GROUPS),
      f() < 0.7 ? null : pick(MANAGERS),
      f() < 0.65,
      f() < 0.1 ? null : f() < 0.4,
      pick(CHANNELS),
      f() < 0.2 ? null : f() < 0.5,
      int(0, 50) * 10,
      f() < 0.1 ? null : int(0, 30) / 2,
      f() < 0.6 ? null : Math.floor((created + f() * (START + SPAN - created)) / DAY),
      f() < 0.3 ? null : created + Math.floor(f() * (START + SPAN - created)),
      pick(TEAS),
      count,
      count ? int(49_000, 20_000_000) / 100 : 0,
      count ? created + Math.floor(f() * (START + SPAN - created)) : null,
    ];
  };
}

// ---------------------------------------------------------------------------
// the writer child: node bench/export.mjs --child-writer FORMAT ROWS FILE
// ---------------------------------------------------------------------------
const MB = 1 << 20;

async function writerChild(format, rows, file) {
  const { openWriter } = await import(pathToFileURL(join(REPO, 'dist', 'export', 'writer.js')).href);
  const { stagedFileSink } = await import(pathToFileURL(join(REPO, 'dist', 'export', 'sink.js')).href);
  const row = rowMaker(DEFAULT_SEED);
  const staged = format === 'gen' ? undefined : stagedFileSink(file, 0o600);
  const writer = staged ? openWriter(format, staged.sink, { timezone: 'UTC' }) : undefined;
  const every = Math.max(1, Math.floor(rows / SAMPLES));
  const samples = [];
  const t0 = performance.now();
  const sample = (n) => {
    const m = process.memoryUsage();
    // xlsx: the bytes waiting in the stream exceljs's sheet pipes into (archiver's
    // PassThrough, readable-stream 2: its queue is _writableState.length, and writableLength,
    // what the writer reads, is undefined there), and in the file stream behind the sink.
    const pipe = writer?.sheet?.ws?.stream?.pipes?.[0];
    const zipQueued = pipe?.writableLength ?? pipe?._writableState?.length;
    samples.push({
      rows: n,
      ms: +(performance.now() - t0).toFixed(0),
      rssMB: +(m.rss / MB).toFixed(1),
      heapMB: +(m.heapUsed / MB).toFixed(1),
      externalMB: +(m.external / MB).toFixed(1),
      arrayBuffersMB: +(m.arrayBuffers / MB).toFixed(1),
      zipQueuedMB: zipQueued === undefined ? undefined : +(zipQueued / MB).toFixed(2),
      sinkQueuedMB: staged ? +(staged.sink.stream.writableLength / MB).toFixed(2) : undefined,
    });
  };
  const rssStart = process.memoryUsage.rss();
  const cpu0 = process.cpuUsage();
  let report = { rows };
  if (writer) await writer.table({ name: 'everyone', columns: COLUMNS });
  for (let i = 0; i < rows; i++) {
    const values = row(i);
    if (writer) {
      const wait = writer.row(values);
      if (wait) await wait;
    }
    if ((i + 1) % every === 0) sample(i + 1);
  }
  if (writer) report = await writer.end();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  let bytes = 0;
  if (staged) {
    bytes = statSync(staged.staged.tmp).size;
    rmSync(staged.staged.tmp);
  }
  const u = process.resourceUsage();
  process.stdout.write(JSON.stringify({
    format, rows: report.rows, ms, cpuMs: (cpu.user + cpu.system) / 1000, bytes,
    rssStartMB: rssStart / MB, maxRssMB: u.maxRSS / 1024, samples,
  }) + '\n');
}

// ---------------------------------------------------------------------------
// the parent
// ---------------------------------------------------------------------------




const warningsOf = (stderr) => [...new Set(stderr.split('\n').filter((l) => /Warning/.test(l)).map((l) => l.replace(/^\(node:\d+\) /, '')))];
const firstLines = (s) => s.trim().split('\n').slice(0, 3).join(' | ');

async function writerPart(opts, results) {
  const dir = join(BENCH, 'data', 'export-writer');
  mkdirSync(dir, { recursive: true });
  const formats = ['gen', ...opts.formats];
  console.log(`\nwriter only: ${COLUMNS.length} columns, one child process per run, files in ${dir} (removed after)\n`);
  for (const format of formats) {
    for (const rows of opts.sizes) {
      process.stdout.write(`  ${format.padEnd(7)} ${sizeLabel(rows).padStart(5)} rows `);
      const load = loadavg()[0];
      const built = codeVersion().distBuilt;
      const file = join(dir, `rows-${sizeLabel(rows)}.${format === 'xls' ? 'xlsx' : format}`);
      const run = await runChild([...NODE_FLAGS, SELF, '--child-writer', format, String(rows), file], REPO);
      if (run.code !== 0) {
        console.log(`FAILED (exit ${run.code}): ${firstLines(run.stderr)}`);
        results.push({ format, rows, exitCode: run.code, error: firstLines(run.stderr) });
        process.exitCode = 1;
        continue;
      }
      const r = JSON.parse(run.stdout.trim().split('\n').pop());
      const peakSampled = Math.max(...r.samples.map((s) => s.rssMB));
      const res = {
        format,
        rows,
        exitCode: 0,
        ...buildOf(built),
        writeMs: +r.ms.toFixed(1),
        cpuMs: +r.cpuMs.toFixed(1),
        rowsPerSec: Math.round(rows / (r.ms / 1000)),
        bytes: r.bytes,
        processWallMs: +run.wallMs.toFixed(1),
        rssStartMB: +r.rssStartMB.toFixed(1),
        maxRssMB: +r.maxRssMB.toFixed(1),
        peakSampledRssMB: peakSampled,
        load1: [+load.toFixed(2), +loadavg()[0].toFixed(2)],
        warnings: warningsOf(run.stderr),
        samples: r.samples,
      };
      results.push(res);
      console.log(`${(res.writeMs / 1000).toFixed(2).padStart(7)} s  ${res.rowsPerSec.toLocaleString('en-US').padStart(9)} rows/s  ${(res.bytes / 1e6).toFixed(1).padStart(7)} MB  peak RSS ${res.maxRssMB.toFixed(0).padStart(5)} MB  load ${res.load1.join('->')}`);
      globalThis.gc?.();
    }
  }
}

/** bench/data/export-<N>/ with generated data for `customers` (cached like run.mjs's). */
async function ensureProject(customers, regen) {
  const dir = join(BENCH, 'data', `export-${sizeLabel(customers)}`);
  const counts = { customers, orders: 2 * customers, items: 2 * customers, visits: 1000, carts: 1000, emails: 1000 };
  const { manifest, generatedNow } = await ensureGenerated(dir, counts, { regen });
  mkdirSync(join(dir, 'segments'), { recursive: true });
  // Every generated customer has an id (C0000001...), so this matches them all.
  writeFileSync(join(dir, 'segments', 'everyone.yaml'), [
    '# Written by bench/export.mjs: a segment every customer is in.',
    'code: everyone',
    'name: Everyone',
    'filters:',
    '  - { field: id, empty: false }',
    '',
  ].join('\n'));
  writeBenchConfig(dir, 'bench/export.mjs: the generated data with the one segment `everyone`', '.', 'segments');
  return { dir, manifest, generatedNow };
}

/** The build a run started with, and whether dist/ changed while it ran. */
function buildOf(before) {
  const after = codeVersion().distBuilt;
  return after === before ? { distBuilt: before } : { distBuilt: before, rebuiltDuringRun: after };
}

function cliResult(label, args, run, extra) {
  const u = run.usage;
  return {
    label,
    args,
    exitCode: run.code,
    wallMs: +run.wallMs.toFixed(1),
    cpuMs: u.userMs === undefined ? null : +(u.userMs + u.sysMs).toFixed(1),
    maxRssMB: u.maxRSS === undefined ? null : +(u.maxRSS / 1024).toFixed(1),
    readBytes: u.rchar ?? null,
    ...extra,
    warnings: warningsOf(run.stderr),
  };
}

async function e2ePart(opts, results, projects) {
  for (const customers of opts.sizes) {
    console.log('');
    const { dir, manifest, generatedNow } = await ensureProject(customers, opts.regen);
    projects.push({ customers, dir, rows: manifest.rows, bytes: manifest.bytes, totalBytes: manifest.totalBytes, generation: { seconds: manifest.seconds, generatedNow } });
    rmSync(join(dir, '.segment'), { recursive: true, force: true });
    rmSync(join(dir, 'out'), { recursive: true, force: true });
    const outDir = join(dir, 'export-out');
    mkdirSync(outDir, { recursive: true });

    process.stdout.write(`  ${'run --as-of ' + AS_OF} (${sizeLabel(customers)} customers) `.padEnd(46));
    let load = loadavg()[0];
    const runArgs = ['run', '--as-of', AS_OF];
    let built = codeVersion().distBuilt;
    const run = await measureCommand(dir, runArgs, NODE_FLAGS);
    const rr = cliResult('run', runArgs, run, { customers, format: null, load1: [+load.toFixed(2), +loadavg()[0].toFixed(2)], ...buildOf(built) });
    results.push(rr);
    if (run.code !== 0) {
      console.log(`FAILED (exit ${run.code}): ${firstLines(run.stderr)}`);
      process.exitCode = 1;
      continue;
    }
    console.log(`${(rr.wallMs / 1000).toFixed(2).padStart(7)} s  peak RSS ${rr.maxRssMB?.toFixed(0).padStart(5)} MB`);

    for (const format of opts.formats) {
      const file = join(outDir, `everyone.${format === 'xls' ? 'xlsx' : format}`);
      rmSync(file, { force: true });
      const args = ['export', 'everyone', '--format', format, '--out', file];
      process.stdout.write(`  ${`export everyone --format ${format}`.padEnd(44)}`);
      load = loadavg()[0];
      built = codeVersion().distBuilt;
      const ex = await measureCommand(dir, args, NODE_FLAGS);
      const members = Number(/exported (\d+) members/.exec(ex.stderr)?.[1] ?? NaN);
      const bytes = existsSync(file) ? statSync(file).size : null;
      const r = cliResult(`export ${format}`, args, ex, { customers, format, bytes, members, load1: [+load.toFixed(2), +loadavg()[0].toFixed(2)], ...buildOf(built) });
      results.push(r);
      if (!opts.keep) rmSync(file, { force: true });
      if (ex.code !== 0 || members !== manifest.rows.customers) {
        console.log(`FAILED (exit ${ex.code}, ${members} members of ${manifest.rows.customers}): ${firstLines(ex.stderr)}`);
        process.exitCode = 1;
        continue;
      }
      console.log(`${(r.wallMs / 1000).toFixed(2).padStart(7)} s  cpu ${(r.cpuMs / 1000).toFixed(2).padStart(6)} s  peak RSS ${r.maxRssMB.toFixed(0).padStart(5)} MB  ${(bytes / 1e6).toFixed(1).padStart(7)} MB  load ${r.load1.join('->')}`);
      globalThis.gc?.();
    }
  }
}

function printTable(head, body) {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => String(b[i]).length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) console.log(line(b));
}

/**
 * Per format: peak RSS at the smallest and the largest size, less what `gen` (the same rows,
 * nothing written) grows by itself: V8 commits more young-generation pages the longer a
 * process allocates (up to --max-semi-space-size=32), so every 1M run ends some 30-50 MB above
 * its 100k run whatever it writes. Also the RSS growth over the second half of the largest
 * run, which is about zero once memory has levelled off. Flat: the excess is within 30 MB
 * (or 20% of the smaller peak) and the second half grows by less than that too.
 */
function flatness(writer, sizes) {
  if (sizes.length < 2) return [];
  const lo = Math.min(...sizes);
  const hi = Math.max(...sizes);
  const at = (format, rows) => writer.find((r) => r.format === format && r.rows === rows && r.exitCode === 0);
  const genLo = at('gen', lo);
  const genHi = at('gen', hi);
  const genGrowth = genLo && genHi ? genHi.maxRssMB - genLo.maxRssMB : 0;
  const out = [];
  for (const format of [...new Set(writer.map((r) => r.format))]) {
    const a = at(format, lo);
    const b = at(format, hi);
    if (!a || !b) continue;
    const growth = b.maxRssMB - a.maxRssMB;
    const excess = format === 'gen' ? growth : growth - genGrowth;
    const mid = b.samples[Math.floor(b.samples.length / 2) - 1];
    const last = b.samples[b.samples.length - 1];
    const secondHalf = mid && last ? last.rssMB - mid.rssMB : 0;
    const limit = Math.max(30, 0.2 * a.maxRssMB);
    out.push({
      format, rowsLow: lo, rowsHigh: hi, peakLowMB: a.maxRssMB, peakHighMB: b.maxRssMB,
      growthMB: +growth.toFixed(1), excessOverGenMB: +excess.toFixed(1), secondHalfGrowthMB: +secondHalf.toFixed(1),
      flat: format === 'gen' ? null : excess <= limit && secondHalf <= limit,
    });
  }
  return out;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  ensureBuilt(['cli/main.js', 'export/writer.js']);
  const t0 = performance.now();
  const version = codeVersion();
  const writer = [];
  const e2e = [];
  const projects = [];
  if (opts.only !== 'e2e') await writerPart(opts, writer);
  if (opts.only !== 'writer') await e2ePart(opts, e2e, projects);

  const flat = flatness(writer, opts.sizes);
  if (writer.length) {
    console.log('\nwriter only (synthetic rows, 27 columns; gen = making the rows, nothing written)\n');
    printTable(['format', 'rows', 'write s', 'rows/s', 'output MB', 'peak RSS MB'], writer.filter((r) => r.exitCode === 0).map((r) => [
      r.format, r.rows.toLocaleString('en-US'), (r.writeMs / 1000).toFixed(2), r.rowsPerSec.toLocaleString('en-US'),
      (r.bytes / 1e6).toFixed(1), r.maxRssMB.toFixed(0),
    ]));
    if (flat.length) {
      console.log('');
      for (const f of flat) {
        const sign = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(0)}`;
        const vsGen = f.format === 'gen' ? '' : `, ${sign(f.excessOverGenMB)} MB more than gen`;
        console.log(`  ${f.format.padEnd(7)} peak RSS ${f.peakLowMB.toFixed(0)} MB at ${sizeLabel(f.rowsLow)} -> ${f.peakHighMB.toFixed(0)} MB at ${sizeLabel(f.rowsHigh)} (${sign(f.growthMB)} MB${vsGen}; ${sign(f.secondHalfGrowthMB)} MB over the second half of ${sizeLabel(f.rowsHigh)}): ${f.flat === null ? 'the baseline' : f.flat ? 'flat' : 'GROWS'}`);
      }
    }
  }
  if (e2e.length) {
    console.log('\nend to end (segment export everyone, through bench/measure.mjs)\n');
    printTable(['command', 'customers', 'wall s', 'cpu s', 'peak RSS MB', 'file MB'], e2e.map((r) => [
      r.label, r.customers.toLocaleString('en-US'), (r.wallMs / 1000).toFixed(2), r.cpuMs === null ? '' : (r.cpuMs / 1000).toFixed(2),
      r.maxRssMB === null ? '' : r.maxRssMB.toFixed(0), r.bytes == null ? '' : (r.bytes / 1e6).toFixed(1),
    ]));
  }
  const runs = [...writer.map((r) => [`writer ${r.format} ${sizeLabel(r.rows)}`, r]), ...e2e.map((r) => [`${r.label} ${sizeLabel(r.customers)}`, r])];
  const newer = runs.filter(([, r]) => r.distBuilt !== undefined && r.distBuilt !== version.distBuilt).map(([l]) => l);
  const during = runs.filter(([, r]) => r.rebuiltDuringRun).map(([l]) => l);
  if (newer.length || during.length) {
    console.log(`\nwarning: dist/ was rebuilt during the bench (built ${version.distBuilt} at the start): the runs did not all run the same code`);
    if (during.length) console.log(`  rebuilt while running: ${during.join(', ')}`);
    if (newer.length) console.log(`  started on a newer build: ${newer.join(', ')}`);
  }
  const report = {
    asOf: AS_OF,
    date: new Date().toISOString(),
    seconds: +((performance.now() - t0) / 1000).toFixed(1),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, totalMemGB: +(totalmem() / 2 ** 30).toFixed(1), node: process.version, platform: process.platform },
    code: version,
    options: { sizes: opts.sizes, formats: opts.formats, only: opts.only ?? null },
    columns: COLUMNS,
    writer,
    flatness: flat,
    projects,
    e2e,
  };
  const file = join(BENCH, 'results-export.json');
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  console.log(`\nwritten ${file} (${report.seconds} s in all)`);
}

if (process.argv[2] === '--child-writer') {
  const [format, rows, file] = process.argv.slice(3);
  await writerChild(format, Number(rows), file);
} else {
  await main();
}
