#!/usr/bin/env node
// The crash soak: npm run crash-soak [-- --kills 1000] [--seed 7] [--customers 200]
//                                    [--parallel 2] [--keep] [--verbose]
//
// The random-kill loop of test/run-crash.test.ts, standalone and as long as you like, on
// the built binary (bin/segment.js, dist/: `npm run build` first; the soak runs a copy of
// them made at its start, so a rebuild meanwhile does not disturb it). In each of --parallel
// projects (temp folders), chains of 1 to 4 `segment run`s are killed with SIGKILL at a
// random moment (seeded), one time in four 0..T ms after the spawn (T: the median time of
// the last ten clean runs), else 0..1.1 S ms after the run's own lock appeared (S: their
// median time under the lock); then a clean run. The data are generated from the seed (--customers
// customers with orders, in three versions with their as-of days); every run changes
// version, so every run has customers entering and leaving.
//
// After each killed run: current.json parses and points to a snapshot whose manifest,
// member files and listed history files parse; the state is either exactly the previous
// committed one (what it references, byte for byte) or one more run fully committed, with
// the expected members and events; the lock file, if left, parses. After each clean run:
// exit 0, the killed run's lock taken over with a warning, the --json summary and
// out/<code>/members|entered|left.csv equal to the diff against the committed state, the
// history (files; every 5th time also `segment history --segment X --json`) exactly the
// committed runs' events, and no leftover (only the current snapshot and the committed
// runs' history files; nothing in out/ ending in .tmp).
//
// Versions come in any order, so a run's as-of may be before the last one's: every run
// passes --allow-backdate.
//
// Expected members come from clean runs of the same binary in sibling projects, one per
// version of the data (no reference evaluator here: test/run-crash.test.ts has that).
//
// Prints the kills: before the lock, under the lock before the commit, after the commit;
// how many left a temp file of current.json or an empty lock (both must be cleaned up or
// taken over by the next run: an empty lock is aged by 10 s first, as a dead run's would
// be); and every violation. Exit 1 when there was one. --keep keeps the temp folders (kept
// anyway on a violation); --verbose prints every killed run.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { mulberry32 } from './common.mjs';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');

const { values: opts } = parseArgs({
  options: {
    kills: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '7' },
    customers: { type: 'string', default: '200' },
    parallel: { type: 'string', default: '2' },
    keep: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
  },
});
const KILLS = Number(opts.kills);
const SEED = Number(opts.seed);
const CUSTOMERS = Number(opts.customers);
const PARALLEL = Number(opts.parallel);
for (const [name, v] of [['--kills', KILLS], ['--seed', SEED], ['--customers', CUSTOMERS], ['--parallel', PARALLEL]]) {
  if (!Number.isInteger(v) || v < 0 || (name !== '--seed' && v < 1)) {
    console.error(`${name} takes a whole number${name === '--seed' ? '' : ' of at least 1'}`);
    process.exit(2);
  }
}
if (!existsSync(join(REPO, 'dist', 'cli', 'main.js'))) {
  console.error('dist/ is missing: run `npm run build` first');
  process.exit(2);
}

// A copy of the build (bin/, dist/, package.json for "type": "module"; node_modules linked).
const ROOT = mkdtempSync(join(tmpdir(), 'segment-soak-'));
const BUILD = join(ROOT, 'build');
for (const d of ['bin', 'dist', 'package.json']) cpSync(join(REPO, d), join(BUILD, d), { recursive: true });
symlinkSync(join(REPO, 'node_modules'), join(BUILD, 'node_modules'));
const BIN = join(BUILD, 'bin', 'segment.js');


// ---------------------------------------------------------------------------------------
// The data: a generated shop in three versions, each with its as-of day.
// ---------------------------------------------------------------------------------------

const CITIES = ['Moscow', 'Kazan', 'Saint Petersburg', 'Novosibirsk', ''];
const STATUSES = ['paid', 'complete', 'cancelled', 'refunded'];
const AS_OF = ['2026-03-31', '2026-04-15', '2026-05-05'];
const DAY = 86_400_000;

function generateVersions() {
  const rand = mulberry32(SEED);
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  const id = (i) => `C${String(i + 1).padStart(5, '0')}`;
  const base = Array.from({ length: CUSTOMERS }, (_, i) => ({ id: id(i), city: pick(CITIES) }));
  let orderNo = 0;
  const ordersAround = (asOf, c) => {
    const out = [];
    const n = Math.floor(rand() * 4);
    for (let k = 0; k < n; k++) {
      const at = new Date(Date.parse(`${asOf}T12:00:00Z`) - Math.floor(rand() * 90 * DAY)).toISOString().replace(/\.\d{3}Z$/, 'Z');
      out.push({ id: `O${++orderNo}`, customer_id: c.id, created_at: at, status: pick(STATUSES), total: (Math.floor(rand() * 15000) / 100).toFixed(2) });
    }
    return out;
  };
  return AS_OF.map((asOf) => {
    // A third of the customers move, and everyone's orders are drawn anew around the day.
    const customers = base.map((c) => ({ ...c, city: rand() < 0.33 ? pick(CITIES) : c.city }));
    const orders = customers.flatMap((c) => ordersAround(asOf, c));
    return {
      asOf,
      customers: 'id,first_name,city\n' + customers.map((c) => `${c.id},N${c.id},${c.city}`).join('\n') + '\n',
      orders: 'id,customer_id,created_at,status,total\n' + orders.map((o) => `${o.id},${o.customer_id},${o.created_at},${o.status},${o.total}`).join('\n') + '\n',
    };
  });
}

const DEFS = {
  moscow: 'code: moscow\nname: Lives in Moscow\nfilters:\n  - { field: city, in: [Moscow] }\n',
  kazan: 'code: kazan\nname: Lives in Kazan\nfilters:\n  - { field: city, in: [Kazan] }\n',
  'recent-buyers': 'code: recent-buyers\nname: Bought in the last 30 days\nfilters:\n  - field: orders.last_at\n    where: { status: [paid, complete] }\n    between: [-30d, today]\n',
  'big-spenders': 'code: big-spenders\nname: Spent 150 or more\nfilters:\n  - field: orders.revenue\n    where: { status: [paid, complete] }\n    gte: 150\n',
  'big-list': 'code: big-list\nname: Big spenders, frozen list\ntype: static\nfilters:\n  - field: orders.revenue\n    where: { status: [paid, complete] }\n    gte: 150\n',
};
const CODES = Object.keys(DEFS).sort();
const STATIC = new Set(['big-list']);
const CONFIG = 'data: data\nsegments: segments\nstate: .segment\nout: out\ntimezone: UTC\n';

// ---------------------------------------------------------------------------------------
// Processes.
// ---------------------------------------------------------------------------------------

/** Runs the binary; opts: killAfterMs, or lockFile + killAfterLockMs; also lockFile alone to time the lock. */
function start(args, cwd, opts = {}) {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, NO_COLOR: '1' };
    delete env.SEGMENT_TEST_ABORT_AT;
    const t0 = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const kill = () => child.kill('SIGKILL');
    let timer = opts.killAfterMs === undefined ? undefined : setTimeout(kill, opts.killAfterMs);
    let lockAt;
    const poll = opts.lockFile === undefined ? undefined : setInterval(() => {
      try {
        if (JSON.parse(readFileSync(opts.lockFile, 'utf8')).pid !== child.pid) return;
      } catch {
        return;
      }
      lockAt = performance.now() - t0;
      clearInterval(poll);
      if (opts.killAfterLockMs !== undefined) timer = setTimeout(kill, opts.killAfterLockMs);
    }, 1);
    let hung = false;
    const guard = setTimeout(() => {
      hung = true;
      kill();
    }, 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearInterval(poll);
      clearTimeout(guard);
      resolve({ args, code, signal: hung ? 'hung' : signal, stdout, stderr, pid: child.pid, ms: performance.now() - t0, lockAt });
    });
  });
}

const show = (r) => `$ segment ${r.args.join(' ')}: ${r.signal ? `killed by ${r.signal}` : `exit ${r.code}`}\n${r.stderr.trim().replace(/^/gm, '  ')}`;

// ---------------------------------------------------------------------------------------
// The state on disk, checked.
// ---------------------------------------------------------------------------------------

class Violation extends Error {}
const check = (ok, message) => {
  if (!ok) throw new Violation(message);
};

function tree(dir) {
  const out = {};
  if (!existsSync(dir)) return out;
  const walk = (d, rel) => {
    for (const name of readdirSync(d).sort()) {
      const full = join(d, name);
      const r = rel === '' ? name : `${rel}/${name}`;
      if (statSync(full).isDirectory()) {
        out[`${r}/`] = '(folder)';
        walk(full, r);
      } else out[r] = readFileSync(full).toString('base64');
    }
  };
  walk(dir, '');
  return out;
}

function parseJson(file, what) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Violation(`${what}: ${e.message}`);
  }
}

/** The committed state, every referenced file parsed; null before the first commit. */
function readState(stateDir) {
  const current = join(stateDir, 'current.json');
  if (!existsSync(current)) return null;
  const pointer = parseJson(current, 'current.json does not parse');
  check(pointer.format_version === 1, `current.json: format_version ${pointer.format_version}`);
  const m = /^snapshots\/([^/]+)$/.exec(String(pointer.snapshot));
  check(m, `current.json points to ${pointer.snapshot}`);
  const runId = m[1];
  const snap = join(stateDir, 'snapshots', runId);
  check(existsSync(snap), `current.json points to a missing snapshot ${runId}`);
  const manifest = parseJson(join(snap, 'manifest.json'), `manifest of ${runId} does not parse`);
  check(manifest.run_id === runId, `manifest of ${runId} says run_id ${manifest.run_id}`);
  check(manifest.segments && Array.isArray(manifest.runs), `manifest of ${runId} has no segments or runs`);
  const runs = manifest.runs.map((r) => r.run_id);
  check(new Set(runs).size === runs.length, `manifest of ${runId} lists a run twice`);
  check(runs.at(-1) === runId, `manifest of ${runId} does not end with its own run`);
  const members = new Map();
  for (const [code, seg] of Object.entries(manifest.segments)) {
    const file = join(snap, 'members', String(seg.file));
    check(existsSync(file), `members file of ${code} missing in ${runId}`);
    const text = readFileSync(file, 'utf8');
    check(text === '' || text.endsWith('\n'), `members file of ${code} in ${runId} is cut short`);
    const ids = text === '' ? [] : text.slice(0, -1).split('\n').map((l) => {
      let id;
      try {
        id = JSON.parse(l);
      } catch {
        throw new Violation(`members file of ${code} in ${runId}: ${JSON.stringify(l)} does not parse`);
      }
      check(typeof id === 'string', `members file of ${code} in ${runId}: ${l} is not a string`);
      return id;
    });
    check(ids.every((id, i) => i === 0 || ids[i - 1] < id), `members file of ${code} in ${runId} is not sorted and unique`);
    members.set(code, ids);
  }
  const events = [];
  const referenced = { 'current.json': readFileSync(current).toString('base64') };
  for (const [rel, bytes] of Object.entries(tree(snap))) referenced[`snapshots/${runId}/${rel}`] = bytes;
  for (const r of runs) {
    const file = join(stateDir, 'history', `${r}.ndjson`);
    check(existsSync(file), `history file of committed run ${r} is missing`);
    const text = readFileSync(file, 'utf8');
    referenced[`history/${r}.ndjson`] = Buffer.from(text).toString('base64');
    for (const line of text.split('\n')) {
      if (line === '') continue;
      let e;
      try {
        e = JSON.parse(line);
      } catch {
        throw new Violation(`history file of ${r}: ${JSON.stringify(line)} does not parse`);
      }
      check(e.run_id === r, `history file of ${r} holds an event of run ${e.run_id}`);
      events.push(e);
    }
  }
  return { runId, runs, members, events, referenced };
}

// ---------------------------------------------------------------------------------------
// What the committed runs should have left.
// ---------------------------------------------------------------------------------------

const minus = (a, b) => {
  const drop = new Set(b);
  return a.filter((x) => !drop.has(x));
};
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const eventKeys = (events) => events.map((e) => `${e.run_id}|${e.as_of}|${e.segment}|${e.customer_id}|${e.event}`).sort();

/** A run on version v after the membership prev (undefined: the first committed run). */
function runOutcome(expected, prev, v) {
  const out = new Map();
  for (const code of CODES) {
    const before = prev?.get(code);
    if (STATIC.has(code) && before !== undefined) {
      out.set(code, { members: before, entered: [], left: [], computed: false });
      continue;
    }
    const members = expected[v].get(code);
    out.set(code, { members, entered: minus(members, before ?? []), left: minus(before ?? [], members), computed: true });
  }
  return out;
}
const membersOf = (o) => new Map([...o].map(([code, x]) => [code, x.members]));

class Model {
  constructor(expected) {
    this.expected = expected;
    this.runs = [];
  }

  get lastVersion() {
    return this.runs.at(-1)?.v;
  }

  members() {
    let m;
    for (const r of this.runs) m = membersOf(runOutcome(this.expected, m, r.v));
    return m;
  }

  next(v) {
    return runOutcome(this.expected, this.members(), v);
  }

  events(extra) {
    const out = [];
    let m;
    for (const r of extra ? [...this.runs, extra] : this.runs) {
      const o = runOutcome(this.expected, m, r.v);
      for (const [segment, x] of o) {
        for (const customer_id of x.entered) out.push({ run_id: r.run_id, as_of: AS_OF[r.v], segment, customer_id, event: 'enter' });
        for (const customer_id of x.left) out.push({ run_id: r.run_id, as_of: AS_OF[r.v], segment, customer_id, event: 'leave' });
      }
      m = membersOf(o);
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------
// Projects.
// ---------------------------------------------------------------------------------------

let projectNo = 0;

function newProject(versions) {
  const dir = join(ROOT, `p${++projectNo}`);
  mkdirSync(join(dir, 'segments'), { recursive: true });
  writeFileSync(join(dir, 'segment.config.yaml'), CONFIG);
  for (const [code, text] of Object.entries(DEFS)) writeFileSync(join(dir, 'segments', `${code}.yaml`), text);
  const p = {
    dir,
    state: join(dir, '.segment'),
    lockFile: join(dir, '.segment', 'lock'),
    write(v) {
      mkdirSync(join(dir, 'data'), { recursive: true });
      writeFileSync(join(dir, 'data', 'customers.csv'), versions[v].customers);
      writeFileSync(join(dir, 'data', 'orders.csv'), versions[v].orders);
    },
  };
  return p;
}

function readLock(p) {
  if (!existsSync(p.lockFile)) return null;
  try {
    return JSON.parse(readFileSync(p.lockFile, 'utf8'));
  } catch {
    return 'unreadable';
  }
}

/** Ids of an output CSV (our ids need no quoting). */
function csvIds(file) {
  check(existsSync(file), `${file} is missing`);
  const lines = readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l !== '');
  check(lines[0] === 'id', `${file}: header ${JSON.stringify(lines[0])}`);
  return lines.slice(1);
}

/** Expected members of each version: a clean first run in a sibling project on it. */
async function expectedMembers(versions) {
  const out = [];
  for (let v = 0; v < versions.length; v++) {
    const p = newProject(versions);
    p.write(v);
    const r = await start(['run', '--as-of', AS_OF[v], '--json'], p.dir);
    check(r.code === 0 && r.signal === null, `sibling run on version ${v}:\n${show(r)}`);
    out.push(readState(p.state).members);
    rmSync(p.dir, { recursive: true, force: true });
  }
  for (const code of CODES) {
    if (STATIC.has(code)) continue;
    for (let a = 0; a < out.length; a++) {
      for (let b = 0; b < out.length; b++) {
        if (a !== b && (minus(out[b].get(code), out[a].get(code)).length === 0 || minus(out[a].get(code), out[b].get(code)).length === 0)) {
          console.error(`note: with this seed, ${code} has no ${minus(out[b].get(code), out[a].get(code)).length ? 'leaver' : 'newcomer'} from version ${a} to ${b}`);
        }
      }
    }
  }
  return out;
}

const CURRENT_TEMP = /^\.current\.json\.[0-9a-f]{12}\.tmp$/;
const TAKEOVER = 'took over a stale lock';

/** The state is the previous one or one more run fully committed; returns the new run id or null. */
function previousOrCommitted(p, before, model, v) {
  const now = readState(p.state);
  if (now === null) {
    check(before === null, 'the committed state disappeared');
    return null;
  }
  if (before !== null && now.runId === before.runId) {
    const changed = Object.keys({ ...before.referenced, ...now.referenced }).filter((k) => before.referenced[k] !== now.referenced[k]);
    check(changed.length === 0, `not committed, but what the committed state references changed: ${changed.join(', ')}`);
    return null;
  }
  check(same(now.runs, [...model.runs.map((r) => r.run_id), now.runId]), `new snapshot ${now.runId} lists runs ${now.runs.join(', ')}; expected ${[...model.runs.map((r) => r.run_id), now.runId].join(', ')}`);
  const want = membersOf(model.next(v));
  for (const code of CODES) check(same(now.members.get(code), want.get(code)), `new snapshot ${now.runId}: members of ${code} differ from a clean run's`);
  check(same(eventKeys(now.events), eventKeys(model.events({ run_id: now.runId, v }))), `new snapshot ${now.runId}: the history differs from the committed runs' events`);
  return now.runId;
}

/** A clean run on v and everything it must leave. */
async function cleanRun(p, model, v, lockLeft, stats, cliHistory) {
  p.write(v);
  if (existsSync(p.state)) stats.currentTemps += readdirSync(p.state).filter((f) => CURRENT_TEMP.test(f)).length;
  const expected = model.next(v);
  const r = await start(['run', '--as-of', AS_OF[v], '--json', '--allow-backdate'], p.dir, { lockFile: p.lockFile });
  check(r.code === 0 && r.signal === null, `clean run failed:\n${show(r)}`);
  if (lockLeft === 'unreadable') check(r.stderr.includes(TAKEOVER), `clean run: no takeover warning for the empty lock:\n${show(r)}`);
  else if (lockLeft !== null) check(r.stderr.includes(`${TAKEOVER} left by pid ${lockLeft.pid}`), `clean run: no takeover warning for the lock of pid ${lockLeft.pid}:\n${show(r)}`);
  if (lockLeft === null) check(!r.stderr.includes(TAKEOVER), `clean run: a takeover warning, but no lock was left:\n${show(r)}`);
  const summary = JSON.parse(r.stdout);
  for (const [code, o] of expected) {
    const row = summary.segments.find((s) => s.code === code);
    check(row, `summary has no row for ${code}`);
    const want = { members: o.members.length, entered: o.entered.length, left: o.left.length, skipped: o.computed ? null : 'static, frozen' };
    const got = { members: row.members, entered: row.entered, left: row.left, skipped: row.skipped };
    check(same(got, want), `summary row of ${code}: ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
    for (const kind of ['members', 'entered', 'left']) {
      check(same(csvIds(join(p.dir, 'out', code, `${kind}.csv`)), o[kind]), `out/${code}/${kind}.csv differs from the diff against the committed state`);
    }
  }
  model.runs.push({ run_id: summary.run_id, v });
  const view = readState(p.state);
  check(same(view.runs, model.runs.map((x) => x.run_id)), `after the clean run: runs ${view.runs.join(', ')}; expected ${model.runs.map((x) => x.run_id).join(', ')}`);
  const want = model.members();
  for (const code of CODES) check(same(view.members.get(code), want.get(code)), `after the clean run: members of ${code}`);
  check(same(eventKeys(view.events), eventKeys(model.events())), 'after the clean run: history files differ from the committed runs\' events');
  const extra = Object.keys(tree(p.state)).filter((rel) => !(rel === 'current.json' || rel === 'snapshots/' || rel === 'history/' ||
    rel.startsWith(`snapshots/${view.runId}/`) || (rel.startsWith('history/') && view.runs.includes(rel.slice(8).replace(/\.ndjson$/, '')))));
  check(extra.length === 0, `leftovers not collected: ${extra.join(', ')}`);
  const temps = Object.keys(tree(join(p.dir, 'out'))).filter((rel) => rel.endsWith('.tmp'));
  check(temps.length === 0, `temp files left in out/: ${temps.join(', ')}`);
  if (cliHistory) {
    const code = CODES[model.runs.length % CODES.length];
    const h = await start(['history', '--segment', code, '--json'], p.dir);
    check(h.code === 0, `history failed:\n${show(h)}`);
    // history --json: { events: [...] } (docs/json.md).
    const got = JSON.parse(h.stdout).events;
    check(same(eventKeys(got), eventKeys(model.events().filter((e) => e.segment === code))), `history --segment ${code} differs from the committed runs' events`);
    const order = new Map(model.runs.map((x, i) => [x.run_id, i]));
    const idx = got.map((e) => order.get(e.run_id) ?? -1);
    check(same(idx, [...idx].sort((a, b) => b - a)), `history --segment ${code} is not newest run first`);
  }
  return r;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// ---------------------------------------------------------------------------------------
// The soak.
// ---------------------------------------------------------------------------------------

const stats = { kills: 0, beforeLock: 0, lockedNotCommitted: 0, afterCommit: 0, finishedFirst: 0, cleanRuns: 0, takeovers: 0, currentTemps: 0, emptyLocks: 0 };
const violations = [];
const t0 = performance.now();
let nextReport = 100;

async function soak(k, versions, expected) {
  const rand = mulberry32(SEED * 1000 + k);
  const other = (model) => (model.lastVersion === undefined ? Math.floor(rand() * versions.length) : (model.lastVersion + 1 + Math.floor(rand() * (versions.length - 1))) % versions.length);
  while (!stopped && stats.kills < KILLS && violations.length < 10) {
    const p = newProject(versions);
    const model = new Model(expected);
    const durations = [];
    const spans = [];
    let chainNo = 0;
    let where = '';
    try {
      // A fresh project every 30 chains: the checks read the whole history, which grows.
      while (!stopped && stats.kills < KILLS && chainNo < 30) {
        chainNo++;
        const chain = 1 + Math.floor(rand() * 4);
        let lockLeft = null;
        for (let i = 0; i < chain && !stopped && stats.kills < KILLS; i++) {
          const v = other(model);
          const fromLock = existsSync(p.state) && rand() < 0.75;
          const delay = Math.round(rand() * (fromLock ? 1.1 * (spans.length ? median(spans.slice(-10)) : 150) : durations.length ? median(durations.slice(-10)) : 400));
          where = `${p.dir}, chain ${chainNo}, run ${i + 1} on version ${v} killed ${delay} ms after ${fromLock ? 'its lock' : 'the spawn'}`;
          p.write(v);
          const before = readState(p.state);
          const r = await start(['run', '--as-of', AS_OF[v], '--json', '--allow-backdate'], p.dir, fromLock ? { lockFile: p.lockFile, killAfterLockMs: delay } : { killAfterMs: delay });
          const lock = readLock(p);
          if (opts.verbose) console.error(`  ${where}: ${r.signal ?? `exit ${r.code}`} after ${Math.round(r.ms)} ms${r.lockAt === undefined ? '' : `, lock at ${Math.round(r.lockAt)} ms`}`);
          if (r.signal === 'SIGKILL') stats.kills++;
          else {
            check(r.code === 0 && r.signal === null, `a run that was not killed failed:\n${show(r)}`);
            stats.finishedFirst++;
            check(lock === null, 'a finished run left its lock');
            if (lockLeft !== null && lockLeft !== 'unreadable') check(r.stderr.includes(`${TAKEOVER} left by pid ${lockLeft.pid}`), `no takeover warning:\n${show(r)}`);
          }
          if (lock === 'unreadable') {
            // Killed between creating its lock and writing it: nothing else changed, and the
            // clean run must take the empty lock over once it is a dead run's (aged, not waited for).
            stats.emptyLocks++;
            check(readState(p.state)?.runId === before?.runId, 'killed while taking the lock, yet the state changed');
            stats.beforeLock++;
            const old = new Date(Date.now() - 10_000);
            utimesSync(p.lockFile, old, old);
            lockLeft = lock;
            break;
          }
          const runId = previousOrCommitted(p, before, model, v);
          if (runId !== null) {
            model.runs.push({ run_id: runId, v });
            if (r.signal === 'SIGKILL') stats.afterCommit++;
          } else {
            check(r.signal === 'SIGKILL', 'a run that finished did not commit');
            if (lock === null || lock.pid !== r.pid) stats.beforeLock++;
            else stats.lockedNotCommitted++;
          }
          lockLeft = lock;
          if (stats.kills >= nextReport) {
            nextReport += 100;
            console.error(`  ${stats.kills} kills, ${Math.round((performance.now() - t0) / 1000)} s`);
          }
        }
        where = `${p.dir}, clean run after chain ${chainNo}`;
        const r = await cleanRun(p, model, other(model), lockLeft, stats, chainNo % 5 === 0);
        if (lockLeft !== null) stats.takeovers++;
        stats.cleanRuns++;
        durations.push(r.ms);
        if (r.lockAt !== undefined) spans.push(r.ms - r.lockAt);
      }
      if (!opts.keep) rmSync(p.dir, { recursive: true, force: true });
    } catch (e) {
      if (!(e instanceof Violation)) throw e;
      violations.push(`${where}: ${e.message}`);
      console.error(`VIOLATION (project kept): ${where}\n  ${e.message.replace(/\n/g, '\n  ')}`);
    }
  }
}

console.error(`crash soak: seed ${SEED}, ${KILLS} kills, ${CUSTOMERS} customers, ${PARALLEL} projects at a time, in ${ROOT}`);
const versions = generateVersions();
const expected = await expectedMembers(versions);
// An unexpected error in one project stops the others (after their current run), then is thrown.
let stopped = false;
const ends = await Promise.allSettled(Array.from({ length: PARALLEL }, (_, k) => soak(k + 1, versions, expected).catch((e) => {
  stopped = true;
  throw e;
})));
for (const end of ends) if (end.status === 'rejected') throw end.reason;
const s = Math.round((performance.now() - t0) / 1000);
console.log(`crash soak, seed ${SEED}: ${stats.kills} kills in ${s} s (${CUSTOMERS} customers, ${PARALLEL} projects at a time)`);
console.log(`  killed before taking the lock:        ${stats.beforeLock}`);
console.log(`  killed under the lock, before commit: ${stats.lockedNotCommitted}`);
console.log(`  killed after the commit:              ${stats.afterCommit}`);
console.log(`  runs that finished before the kill:   ${stats.finishedFirst}`);
console.log(`  clean runs checked:                   ${stats.cleanRuns} (a killed run's lock taken over: ${stats.takeovers})`);
console.log(`  kills that left a .current.json temp: ${stats.currentTemps} (removed by the next run)`);
console.log(`  kills that left an empty lock:        ${stats.emptyLocks} (taken over by the next run)`);
console.log(`  invariant violations:                 ${violations.length}`);
for (const v of violations) console.log(`    - ${v.replace(/\n/g, '\n      ')}`);
if (violations.length === 0 && !opts.keep) rmSync(ROOT, { recursive: true, force: true });
else console.log(`  temp folders kept in ${ROOT}`);
process.exit(violations.length ? 1 : 0);
