#!/usr/bin/env node
// The fault suite: npm run faults [-- --seed 1] [--sample N] [--parallel 2] [--json] [--keep] [--verbose]
//
// Runs the built binary (a copy of bin/ and dist/ made at the start) on a generated shop and
// injects, with test/faults/shim.mjs (a preload wrapping node:fs), a failure into one file
// operation of `segment run` on the state or the out folder: for every operation index of
// the run (counted by a dry counting run first), for each errno (ENOSPC, EIO, EACCES), once
// (only that operation fails) and persistent (it and every one after it fail), and for each
// write a short write (half the bytes written, once, and followed by ENOSPC). Then kills
// with SIGKILL at every named step of RUN_STEPS (five times each) (SEGMENT_TEST_ABORT_AT), a clock going
// backwards, a state from a newer version, and eight concurrent runs (three rounds). It runs
// copies of the build and the shim made at its start, so a rebuild meanwhile does not disturb it.
//
// After each faulted run: a non-zero exit that is not a crash (exit 2, `error: cannot <op>
// <path>: <ERRNO>`, the path of the operation that failed, no stack trace); the lock released
// (or, when releasing it was what failed, left with the run's dead pid); the state byte for
// byte the previous one or one more run fully committed with the expected members and
// history, and the message saying which; out/ unchanged unless the run committed. Then a
// clean run on the next version of the data: exit 0, a stale lock taken over with a warning,
// its --json summary and out/ files the diff against whichever state was committed, the
// state and history exactly the model's, no leftover in the state or out/.
//
// Expected members come from clean runs of the same binary in sibling projects, one per
// version of the data, never from a faulted run. Prints cases and violations per errno,
// step and mode; exit 1 on a violation (the temp folders are then kept).
// The full suite kills five times at each step. --sample N runs N fault cases drawn (seeded)
// from the full list, kills at four steps and one concurrent round: the short version `npm test` runs (test/run-faults.test.ts).
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { Buffer } from 'node:buffer';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { clearTimeout, setTimeout } from 'node:timers';
import { mulberry32 } from '../../bench/common.mjs';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: opts } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    sample: { type: 'string' },
    parallel: { type: 'string', default: '2' },
    customers: { type: 'string', default: '40' },
    json: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
  },
});
const SEED = Number(opts.seed);
const SAMPLE = opts.sample === undefined ? undefined : Number(opts.sample);
const PARALLEL = Number(opts.parallel);
const CUSTOMERS = Number(opts.customers);
const log = (...a) => process.stderr.write(a.join(' ') + '\n');
if (!existsSync(join(REPO, 'dist', 'cli', 'main.js'))) {
  log('dist/ is missing: run `npm run build` first');
  process.exit(2);
}

const ROOT = mkdtempSync(join(tmpdir(), 'segment-faults-'));
const BUILD = join(ROOT, 'build');
for (const d of ['bin', 'dist', 'package.json']) cpSync(join(REPO, d), join(BUILD, d), { recursive: true });
symlinkSync(join(REPO, 'node_modules'), join(BUILD, 'node_modules'));
const BIN = join(BUILD, 'bin', 'segment.js');
const SHIM = join(BUILD, 'shim.mjs');
cpSync(join(REPO, 'test', 'faults', 'shim.mjs'), SHIM);
const { RUN_STEPS } = await import(join(BUILD, 'dist', 'engine', 'run.js'));


// ---------------------------------------------------------------------------------------
// The data: a generated shop in three versions; three segments (two dynamic, one static).
// ---------------------------------------------------------------------------------------

const AS_OF = ['2026-03-31', '2026-04-15', '2026-05-05'];
const DAY = 86_400_000;
function generateVersions() {
  const rand = mulberry32(SEED);
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  const cities = ['Moscow', 'Kazan', 'Saint Petersburg', ''];
  const base = Array.from({ length: CUSTOMERS }, (_, i) => ({ id: `C${String(i + 1).padStart(4, '0')}`, city: pick(cities) }));
  let orderNo = 0;
  return AS_OF.map((asOf) => {
    const customers = base.map((c) => ({ ...c, city: rand() < 0.4 ? pick(cities) : c.city }));
    const orders = customers.flatMap((c) => Array.from({ length: Math.floor(rand() * 3) }, () => ({
      id: `O${++orderNo}`, customer_id: c.id, status: pick(['paid', 'complete', 'cancelled']), total: (Math.floor(rand() * 20000) / 100).toFixed(2),
      created_at: new Date(Date.parse(`${asOf}T12:00:00Z`) - Math.floor(rand() * 60 * DAY)).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    })));
    return {
      customers: 'id,first_name,city\n' + customers.map((c) => `${c.id},N${c.id},${c.city}`).join('\n') + '\n',
      orders: 'id,customer_id,created_at,status,total\n' + orders.map((o) => `${o.id},${o.customer_id},${o.created_at},${o.status},${o.total}`).join('\n') + '\n',
    };
  });
}
const DEFS = {
  moscow: 'code: moscow\nname: Lives in Moscow\nfilters:\n  - { field: city, in: [Moscow] }\n',
  'recent-buyers': 'code: recent-buyers\nname: Bought in the last 30 days\nfilters:\n  - field: orders.last_at\n    where: { status: [paid, complete] }\n    between: [-30d, today]\n',
  'big-list': 'code: big-list\nname: Big spenders, frozen list\ntype: static\nfilters:\n  - field: orders.revenue\n    where: { status: [paid, complete] }\n    gte: 150\n',
};
const CODES = Object.keys(DEFS).sort();
const STATIC = new Set(['big-list']);
const CONFIG = 'data: data\nsegments: segments\nstate: .segment\nout: out\ntimezone: UTC\n';
const VERSIONS = generateVersions();

// ---------------------------------------------------------------------------------------
// Processes, the state on disk, the model of the committed runs (as bench/crash-soak.mjs).
// ---------------------------------------------------------------------------------------

function start(args, cwd, { env = {}, shim = false } = {}) {
  return new Promise((resolve, reject) => {
    const e = { ...process.env, NO_COLOR: '1', ...env };
    if (!('SEGMENT_TEST_ABORT_AT' in env)) delete e.SEGMENT_TEST_ABORT_AT;
    if (!shim) delete e.SEGMENT_FAULT;
    const argv = shim ? ['--import', SHIM, BIN, ...args] : [BIN, ...args];
    const child = spawn(process.execPath, argv, { cwd, env: e, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ args, code, signal, stdout, stderr, pid: child.pid });
    });
  });
}
const show = (r) => `$ segment ${r.args.join(' ')}: ${r.signal ? `killed by ${r.signal}` : `exit ${r.code}`}\n${r.stderr.trim().replace(/^/gm, '    ')}`;

class Violation extends Error {}
const check = (ok, message) => {
  if (!ok) throw new Violation(message);
};
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const minus = (a, b) => {
  const drop = new Set(b);
  return a.filter((x) => !drop.has(x));
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

/** The committed state, every file it references parsed; null before the first commit. */
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
  check(manifest.run_id === runId && Array.isArray(manifest.runs) && manifest.segments, `manifest of ${runId} is not its own or lacks runs`);
  const runs = manifest.runs.map((r) => r.run_id);
  check(new Set(runs).size === runs.length && runs.at(-1) === runId, `manifest of ${runId}: runs ${runs.join(', ')}`);
  const members = new Map();
  for (const [code, seg] of Object.entries(manifest.segments)) {
    const file = join(snap, 'members', String(seg.file));
    check(existsSync(file), `members file of ${code} missing in ${runId}`);
    const text = readFileSync(file, 'utf8');
    check(text === '' || text.endsWith('\n'), `members file of ${code} in ${runId} is cut short`);
    const ids = text === '' ? [] : text.slice(0, -1).split('\n').map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        throw new Violation(`members file of ${code} in ${runId}: ${JSON.stringify(l)} does not parse`);
      }
    });
    check(ids.every((id, i) => typeof id === 'string' && (i === 0 || ids[i - 1] < id)), `members file of ${code} in ${runId} is not sorted strings`);
    check(ids.length === seg.members, `members file of ${code} in ${runId} holds ${ids.length} ids, the manifest says ${seg.members}`);
    members.set(code, ids);
  }
  const events = [];
  const referenced = { 'current.json': readFileSync(current).toString('base64') };
  for (const [rel, bytes] of Object.entries(tree(snap))) referenced[`snapshots/${runId}/${rel}`] = bytes;
  for (const r of runs) {
    const file = join(stateDir, 'history', `${r}.ndjson`);
    check(existsSync(file), `history file of committed run ${r} is missing`);
    const text = readFileSync(file, 'utf8');
    check(text === '' || text.endsWith('\n'), `history file of ${r} is cut short`);
    referenced[`history/${r}.ndjson`] = Buffer.from(text).toString('base64');
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const e = (() => {
        try {
          return JSON.parse(line);
        } catch {
          throw new Violation(`history file of ${r}: ${JSON.stringify(line)} does not parse`);
        }
      })();
      check(e.run_id === r, `history file of ${r} holds an event of run ${e.run_id}`);
      events.push(e);
    }
  }
  return { runId, runs, members, events, referenced };
}

const eventKeys = (events) => events.map((e) => `${e.run_id}|${e.as_of}|${e.segment}|${e.customer_id}|${e.event}`).sort();

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
  constructor(expected, runs = []) {
    this.expected = expected;
    this.runs = [...runs];
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

let projectNo = 0;
function newProject(copyOf) {
  const dir = join(ROOT, `p${++projectNo}`);
  if (copyOf) cpSync(copyOf.dir, dir, { recursive: true });
  else {
    mkdirSync(join(dir, 'segments'), { recursive: true });
    writeFileSync(join(dir, 'segment.config.yaml'), CONFIG);
    for (const [code, text] of Object.entries(DEFS)) writeFileSync(join(dir, 'segments', `${code}.yaml`), text);
  }
  return {
    dir,
    state: join(dir, '.segment'),
    out: join(dir, 'out'),
    lockFile: join(dir, '.segment', 'lock'),
    write(v) {
      mkdirSync(join(dir, 'data'), { recursive: true });
      writeFileSync(join(dir, 'data', 'customers.csv'), VERSIONS[v].customers);
      writeFileSync(join(dir, 'data', 'orders.csv'), VERSIONS[v].orders);
    },
  };
}

function readLock(p) {
  if (!existsSync(p.lockFile)) return null;
  try {
    return JSON.parse(readFileSync(p.lockFile, 'utf8'));
  } catch {
    return 'unreadable';
  }
}

function csvIds(file) {
  check(existsSync(file), `${file} is missing`);
  const lines = readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l !== '');
  check(lines[0] === 'id', `${file}: header ${JSON.stringify(lines[0])}`);
  return lines.slice(1);
}

/** The state is the previous one or one more run (on v) fully committed; the new run id or null. */
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
  check(same(now.runs, [...model.runs.map((r) => r.run_id), now.runId]), `new snapshot ${now.runId} lists runs ${now.runs.join(', ')}`);
  const want = membersOf(model.next(v));
  for (const code of CODES) check(same(now.members.get(code), want.get(code)), `new snapshot ${now.runId}: members of ${code} differ from a clean run's`);
  check(same(eventKeys(now.events), eventKeys(model.events({ run_id: now.runId, v }))), `new snapshot ${now.runId}: the history differs from the committed runs' events`);
  return now.runId;
}

const TAKEOVER = 'took over a stale lock';

/** A clean run on v and everything it must leave; pushes it onto the model. */
async function cleanRun(p, model, v, lockLeft) {
  p.write(v);
  const expected = model.next(v);
  const r = await start(['run', '--as-of', AS_OF[v], '--json'], p.dir);
  check(r.code === 0 && r.signal === null, `the clean run after it failed:\n${show(r)}`);
  if (lockLeft === 'unreadable') check(r.stderr.includes(TAKEOVER), `clean run: no takeover warning for the empty lock:\n${show(r)}`);
  else if (lockLeft !== null) check(r.stderr.includes(`${TAKEOVER} left by pid ${lockLeft.pid}`), `clean run: no takeover warning for the lock of pid ${lockLeft.pid}:\n${show(r)}`);
  else check(!r.stderr.includes(TAKEOVER), `clean run: a takeover warning, but no lock was left:\n${show(r)}`);
  const summary = JSON.parse(r.stdout);
  for (const [code, o] of expected) {
    const row = summary.segments.find((s) => s.code === code);
    const want = { members: o.members.length, entered: o.entered.length, left: o.left.length, skipped: o.computed ? null : 'static, frozen' };
    check(row && same({ members: row.members, entered: row.entered, left: row.left, skipped: row.skipped }, want), `clean run: summary row of ${code} ${JSON.stringify(row)}, expected ${JSON.stringify(want)}`);
    for (const kind of ['members', 'entered', 'left']) check(same(csvIds(join(p.out, code, `${kind}.csv`)), o[kind]), `clean run: out/${code}/${kind}.csv is not the diff against the committed state`);
  }
  model.runs.push({ run_id: summary.run_id, v });
  const view = readState(p.state);
  check(same(view.runs, model.runs.map((x) => x.run_id)), `after the clean run: runs ${view.runs.join(', ')}`);
  const want = model.members();
  for (const code of CODES) check(same(view.members.get(code), want.get(code)), `after the clean run: members of ${code}`);
  check(same(eventKeys(view.events), eventKeys(model.events())), 'after the clean run: the history differs from the committed runs\' events');
  const extra = Object.keys(tree(p.state)).filter((rel) => !(rel === 'current.json' || rel === 'snapshots/' || rel === 'history/' ||
    rel.startsWith(`snapshots/${view.runId}/`) || (rel.startsWith('history/') && view.runs.includes(rel.slice(8).replace(/\.ndjson$/, '')))));
  check(extra.length === 0, `leftovers not collected by the clean run: ${extra.join(', ')}`);
  const temps = Object.keys(tree(p.out)).filter((rel) => rel.endsWith('.tmp'));
  check(temps.length === 0, `temp files left in out/ after the clean run: ${temps.join(', ')}`);
  return r;
}

// ---------------------------------------------------------------------------------------
// The cases.
// ---------------------------------------------------------------------------------------

const ERRNOS = ['ENOSPC', 'EIO', 'EACCES'];
/** The step an operation leads to: the first step after the last one reported. */
const phaseOf = (after) => (after === null ? RUN_STEPS[0] : RUN_STEPS[RUN_STEPS.indexOf(after) + 1] ?? 'released');
const readOps = (file) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);

const figures = new Map(); // key "kind|errno|step|mode" -> { cases, violations }
const violations = [];
const extra = { lockLeftReleaseFaulted: 0, committedThenFailed: 0, notCommitted: 0, emptyLocksLeft: 0, tempsLeft: 0, opsCounted: 0, opsInState: 0, opsInOut: 0 };
const count = (kind, errno, step, mode, bad) => {
  const key = `${kind}|${errno}|${step}|${mode}`;
  const f = figures.get(key) ?? { cases: 0, violations: 0 };
  f.cases++;
  if (bad) f.violations++;
  figures.set(key, f);
};

/** One faulted run from the template (one committed run on version 0), on version 1; then a clean run on 2. */
async function faultCase(template, c) {
  const p = newProject(template.project);
  const model = new Model(template.expected, template.model.runs);
  const logFile = join(p.dir, 'ops.ndjson');
  let step = '?';
  let where = `${c.errno} ${c.mode} at ${c.short ? "write" : "op"} ${c.nth} (${p.dir})`;
  try {
    p.write(1);
    const before = readState(p.state);
    const outBefore = tree(p.out);
    const spec = `under=${p.state}:${p.out},nth=${c.nth},errno=${c.errno}${c.persist ? ',persist=1' : ''}${c.short ? ',short=1' : ''},log=${logFile}`;
    const r = await start(['run', '--as-of', AS_OF[1], '--json'], p.dir, { shim: true, env: { SEGMENT_FAULT: spec } });
    const ops = readOps(logFile);
    const hit = c.short ? ops.find((o) => o.faulted === 'short') : ops.find((o) => o.n === c.nth);
    step = hit ? phaseOf(hit.after) : 'none';
    where = `${c.errno} ${c.mode} at ${c.short ? "write" : "op"} ${c.nth} (${hit ? `${hit.op} ${hit.path}` : 'never reached'}, before step ${step}) in ${p.dir}`;
    if (!hit) return 'unreached';
    const faulted = ops.filter((o) => o.faulted);
    check(r.signal === null, `the faulted run was killed by ${r.signal}:\n${show(r)}`);
    check(!/\bbug\b|^\s+at /m.test(r.stderr), `a stack trace or "bug" after the fault:\n${show(r)}`);
    if (c.short && !c.persist) {
      // A short write alone is no error: the rest must be written, the run whole and committed.
      check(r.code === 0, `after one short write the run exited ${r.code}, not 0:\n${show(r)}`);
      check(readLock(p) === null, 'a finished run left its lock');
      const runId = previousOrCommitted(p, before, model, 1);
      check(runId !== null, 'a finished run did not commit');
      model.runs.push({ run_id: runId, v: 1 });
      for (const [code, o] of runOutcome(template.expected, membersOf(runOutcome(template.expected, undefined, 0)), 1)) {
        for (const kind of ['members', 'entered', 'left']) check(same(csvIds(join(p.out, code, `${kind}.csv`)), o[kind]), `after a short write: out/${code}/${kind}.csv is not whole`);
      }
      await cleanRun(p, model, 2, null);
      count('fault', 'ENOSPC-short', step, c.mode, false);
      if (!opts.keep) rmSync(p.dir, { recursive: true, force: true });
      return 'ok';
    }
    check(r.code === 2, `the faulted run exited ${r.code}, not 2:\n${show(r)}`);
    const named = faulted.some((o) => r.stderr.includes(`${o.path}: ${c.errno} (`));
    check(/^error: cannot /m.test(r.stderr) && named, `the message does not name a faulted path and ${c.errno}:\n${show(r)}`);
    const json = JSON.parse(r.stdout);
    check(json.ok === false && json.error.kind === 'storage' && json.error.exit_code === 2, `--json error object: ${r.stdout}`);
    // The lock: released, unless its release is what failed.
    const lock = readLock(p);
    const releaseFaulted = faulted.some((o) => o.path === p.lockFile);
    if (lock !== null) {
      check(releaseFaulted, `the lock was left behind (${JSON.stringify(lock)}), and no operation on it failed`);
      if (lock === 'unreadable') {
        extra.emptyLocksLeft++;
        const old = new Date(Date.now() - 10_000);
        utimesSync(p.lockFile, old, old);
      } else {
        check(lock.pid === r.pid, `the lock left names pid ${lock.pid}, not the faulted run's ${r.pid}`);
        extra.lockLeftReleaseFaulted++;
      }
    }
    const runId = previousOrCommitted(p, before, model, 1);
    if (runId === null) {
      extra.notCommitted++;
      check(r.stderr.includes('nothing was committed'), `not committed, but the message does not say so:\n${show(r)}`);
      const outNow = Object.fromEntries(Object.entries(tree(p.out)).filter(([k]) => !k.endsWith('.tmp')));
      check(same(outNow, outBefore), 'not committed, yet out/ changed');
    } else {
      extra.committedThenFailed++;
      check(r.stderr.includes('the run is committed'), `committed, but the message does not say so:\n${show(r)}`);
      model.runs.push({ run_id: runId, v: 1 });
    }
    extra.tempsLeft += Object.keys({ ...tree(p.state), ...tree(p.out) }).filter((k) => k.endsWith('.tmp')).length;
    await cleanRun(p, model, 2, lock);
    count('fault', c.errno + (c.short ? '-short' : ''), step, c.mode, false);
    if (!opts.keep) rmSync(p.dir, { recursive: true, force: true });
    return 'ok';
  } catch (e) {
    if (!(e instanceof Violation)) throw e;
    count('fault', c.errno + (c.short ? '-short' : ''), step, c.mode, true);
    violations.push(`${where}: ${e.message}`);
    log(`VIOLATION ${where}\n  ${e.message.replace(/\n/g, '\n  ')}`);
    return 'violation';
  }
}

/** A run killed with SIGKILL at a named step, then a clean run. */
async function killCase(template, stepName) {
  const p = newProject(template.project);
  const model = new Model(template.expected, template.model.runs);
  const where = `killed at ${stepName} (${p.dir})`;
  try {
    p.write(1);
    const before = readState(p.state);
    const r = await start(['run', '--as-of', AS_OF[1], '--json'], p.dir, { env: { SEGMENT_TEST_ABORT_AT: stepName } });
    check(r.signal === 'SIGKILL', `not killed:\n${show(r)}`);
    const lock = readLock(p);
    check(lock !== null && lock !== 'unreadable' && lock.pid === r.pid, 'the killed run\'s lock is not left with its pid');
    const runId = previousOrCommitted(p, before, model, 1);
    check((runId !== null) === (RUN_STEPS.indexOf(stepName) >= RUN_STEPS.indexOf('committed')), `killed at ${stepName}: committed ${runId !== null}`);
    if (runId !== null) model.runs.push({ run_id: runId, v: 1 });
    await cleanRun(p, model, 2, lock);
    count('kill', 'SIGKILL', stepName, 'kill', false);
    if (!opts.keep) rmSync(p.dir, { recursive: true, force: true });
  } catch (e) {
    if (!(e instanceof Violation)) throw e;
    count('kill', 'SIGKILL', stepName, 'kill', true);
    violations.push(`${where}: ${e.message}`);
    log(`VIOLATION ${where}\n  ${e.message.replace(/\n/g, '\n  ')}`);
  }
}

/** Refusals that must change nothing: an as-of before the last run's, a state of a newer version. */
async function refusalCases(template) {
  const attempt = async (name, body) => {
    const p = newProject(template.project);
    try {
      await body(p);
      count('refusal', '-', name, 'once', false);
      if (!opts.keep) rmSync(p.dir, { recursive: true, force: true });
    } catch (e) {
      if (!(e instanceof Violation)) throw e;
      count('refusal', '-', name, 'once', true);
      violations.push(`${name} (${p.dir}): ${e.message}`);
      log(`VIOLATION ${name}\n  ${e.message}`);
    }
  };
  await attempt('clock-backwards', async (p) => {
    p.write(1);
    const state = tree(p.state);
    const out = tree(p.out);
    const r = await start(['run', '--as-of', '2026-03-30'], p.dir);
    check(r.code === 2 && r.stderr.includes(AS_OF[0]) && r.stderr.includes('--allow-backdate'), `an as-of before the last run's is not refused with exit 2, its as-of and the flag:\n${show(r)}`);
    check(same(tree(p.state), state) && same(tree(p.out), out), 'a refused backdated run changed the state or out/');
    const ok = await start(['run', '--as-of', '2026-03-30', '--allow-backdate'], p.dir);
    check(ok.code === 0, `--allow-backdate does not let it run:\n${show(ok)}`);
  });
  await attempt('newer-state', async (p) => {
    const current = join(p.state, 'current.json');
    writeFileSync(current, readFileSync(current, 'utf8').replace('"format_version":1', '"format_version":2'));
    const state = tree(p.state);
    const r = await start(['run', '--as-of', AS_OF[1]], p.dir);
    check(r.code === 2 && r.stderr.includes('newer segment'), `a newer state is not refused with exit 2:\n${show(r)}`);
    check(same(tree(p.state), state), 'a refused newer state was changed');
  });
}

/** Eight runs at once, three rounds: each exits 0 or 4; the state holds exactly the winners' runs. */
async function concurrentCases(template) {
  const p = newProject(template.project);
  const model = new Model(template.expected, template.model.runs);
  try {
    for (let round = 0; round < (SAMPLE === undefined ? 3 : 1); round++) {
      const v = (model.runs.at(-1).v + 1) % 3;
      p.write(v);
      // The third round goes back to the first version, and its earlier as-of.
      const procs = await Promise.all(Array.from({ length: 8 }, () => start(['run', '--as-of', AS_OF[v], '--json', '--allow-backdate'], p.dir)));
      for (const r of procs) check(r.signal === null && (r.code === 0 || r.code === 4), `a concurrent run:\n${show(r)}`);
      const winners = procs.filter((r) => r.code === 0).map((r) => JSON.parse(r.stdout).run_id);
      check(winners.length > 0, 'no concurrent run won');
      const view = readState(p.state);
      check(same([...view.runs.slice(model.runs.length)].sort(), [...winners].sort()), `round ${round}: the runs committed are not the winners'`);
      for (const id of view.runs.slice(model.runs.length)) model.runs.push({ run_id: id, v });
      check(same(eventKeys(view.events), eventKeys(model.events())), `round ${round}: history`);
      check(readLock(p) === null, `round ${round}: a lock is left`);
      count('concurrent', '-', `8 runs, round ${round + 1}`, 'parallel', false);
      extra.concurrentRuns = (extra.concurrentRuns ?? 0) + 8;
    }
    await cleanRun(p, model, (model.runs.at(-1).v + 1) % 3, null);
  } catch (e) {
    if (!(e instanceof Violation)) throw e;
    count('concurrent', '-', '8 runs', 'parallel', true);
    violations.push(`concurrent runs (${p.dir}): ${e.message}`);
    log(`VIOLATION concurrent\n  ${e.message}`);
  }
}

// ---------------------------------------------------------------------------------------
// The suite.
// ---------------------------------------------------------------------------------------

const t0 = performance.now();
log(`fault suite: seed ${SEED}, ${CUSTOMERS} customers, ${PARALLEL} at a time${SAMPLE === undefined ? '' : `, a sample of ${SAMPLE} fault cases`}, in ${ROOT}`);
// Expected members: clean first runs in sibling projects, one per version.
const expected = [];
for (let v = 0; v < 3; v++) {
  const p = newProject();
  p.write(v);
  const r = await start(['run', '--as-of', AS_OF[v]], p.dir);
  if (r.code !== 0) throw new Error(`sibling run on version ${v}:\n${show(r)}`);
  expected.push(readState(p.state).members);
  rmSync(p.dir, { recursive: true, force: true });
}
// The template: one committed run on version 0.
const project = newProject();
project.write(0);
const first = await start(['run', '--as-of', AS_OF[0], '--json'], project.dir);
if (first.code !== 0) throw new Error(`the template's first run:\n${show(first)}`);
const template = { project, expected, model: new Model(expected, [{ run_id: JSON.parse(first.stdout).run_id, v: 0 }]) };

// Every operation of a run on version 1, counted.
const counting = newProject(project);
counting.write(1);
const countLog = join(counting.dir, 'ops.ndjson');
const cr = await start(['run', '--as-of', AS_OF[1]], counting.dir, { shim: true, env: { SEGMENT_FAULT: `under=${counting.state}:${counting.out},log=${countLog}` } });
if (cr.code !== 0) throw new Error(`the counting run:\n${show(cr)}`);
const ops = readOps(countLog);
extra.opsCounted = ops.length;
extra.opsInState = ops.filter((o) => o.path.startsWith(counting.state)).length;
extra.opsInOut = ops.filter((o) => o.path.startsWith(counting.out)).length;
if (extra.opsInState === 0 || extra.opsInOut === 0) throw new Error(`the shim sees no operation in the state (${extra.opsInState}) or out/ (${extra.opsInOut}): it does not intercept the product's calls`);
const opsByKind = {};
for (const o of ops) opsByKind[o.op] = (opsByKind[o.op] ?? 0) + 1;
log(`a run makes ${ops.length} file operations (state ${extra.opsInState}, out ${extra.opsInOut}): ${JSON.stringify(opsByKind)}`);

let cases = [];
for (const errno of ERRNOS) for (const persist of [false, true]) for (const o of ops) cases.push({ nth: o.n, errno, persist, mode: persist ? 'persistent' : 'once' });
// Short writes by their number among writes (the shim counts writes only for them: see shim.mjs).
ops.filter((x) => x.op === 'writeSync' || x.op === 'write').forEach((_, k) => {
  for (const persist of [false, true]) cases.push({ nth: k + 1, errno: 'ENOSPC', short: true, persist, mode: persist ? 'short+persistent' : 'short' });
});
const total = cases.length;
if (SAMPLE !== undefined && SAMPLE < cases.length) {
  const rand = mulberry32(SEED * 7919);
  for (let i = cases.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [cases[i], cases[j]] = [cases[j], cases[i]];
  }
  cases = cases.slice(0, SAMPLE);
}

let done = 0;
let unreached = 0;
const queue = [...cases];
await Promise.all(Array.from({ length: PARALLEL }, async () => {
  while (queue.length && violations.length < 20) {
    const c = queue.shift();
    const outcome = await faultCase(template, c);
    if (outcome === 'unreached') unreached++;
    if (++done % 100 === 0) log(`  ${done}/${cases.length} fault cases, ${Math.round((performance.now() - t0) / 1000)} s`);
    if (opts.verbose) log(`  ${c.errno} ${c.mode} op ${c.nth}: ${outcome}`);
  }
}));
// The sample kills at four steps drawn from the seed (test/run-crash.test.ts kills at each one in npm test).
const stepRand = mulberry32(SEED * 31);
const killSteps = SAMPLE === undefined ? Array.from({ length: 5 }, () => [...RUN_STEPS]).flat() : [...RUN_STEPS].sort(() => stepRand() - 0.5).slice(0, 4);
const killQueue = [...killSteps];
await Promise.all(Array.from({ length: PARALLEL }, async () => {
  while (killQueue.length) await killCase(template, killQueue.shift());
}));
await refusalCases(template);
await concurrentCases(template);

// ---------------------------------------------------------------------------------------
// Figures.
// ---------------------------------------------------------------------------------------

const seconds = Math.round((performance.now() - t0) / 1000);
const rows = [...figures].map(([k, f]) => {
  const [kind, errno, step, mode] = k.split('|');
  return { kind, errno, step, mode, ...f };
});
const sum = (xs) => xs.reduce((n, r) => n + r.cases, 0);
const faults = rows.filter((r) => r.kind === 'fault');
const kills = rows.filter((r) => r.kind === 'kill');
const report = {
  seed: SEED, seconds, ops_per_run: extra.opsCounted, ops_in_state: extra.opsInState, ops_in_out: extra.opsInOut, ops_by_kind: opsByKind,
  fault_cases_listed: total, fault_cases_run: sum(faults), unreached, kills: sum(kills),
  refusals: sum(rows.filter((r) => r.kind === 'refusal')), concurrent_runs: extra.concurrentRuns ?? 0,
  not_committed: extra.notCommitted, committed_then_failed: extra.committedThenFailed, locks_left_release_faulted: extra.lockLeftReleaseFaulted,
  empty_locks_left: extra.emptyLocksLeft, temp_files_left_then_cleaned: extra.tempsLeft,
  violations: violations.length, rows,
};
if (opts.json) process.stdout.write(JSON.stringify(report) + '\n');
else {
  const out = (s) => process.stdout.write(s + '\n');
  out(`fault suite, seed ${SEED}: ${report.fault_cases_run} injected faults and ${report.kills} kills in ${seconds} s; ${report.violations} violations`);
  out(`  a run: ${report.ops_per_run} file operations on the state (${report.ops_in_state}) and out/ (${report.ops_in_out})`);
  out(`  faulted runs that committed nothing: ${report.not_committed}; that failed after the commit: ${report.committed_then_failed}`);
  out(`  locks left because their release failed (taken over next): ${report.locks_left_release_faulted}; empty locks: ${report.empty_locks_left}; temp files left, then cleaned: ${report.temp_files_left_then_cleaned}`);
  out(`  refusals (clock backwards, newer state): ${report.refusals}; concurrent runs: ${report.concurrent_runs}`);
  // Per errno x mode, and per step x mode.
  const table = (title, keyOf) => {
    const acc = new Map();
    for (const r of rows) {
      const k = keyOf(r);
      const a = acc.get(k) ?? { cases: 0, violations: 0 };
      a.cases += r.cases;
      a.violations += r.violations;
      acc.set(k, a);
    }
    out(`  ${title}:`);
    for (const [k, a] of [...acc].sort()) out(`    ${k.padEnd(44)} ${String(a.cases).padStart(5)} cases, ${a.violations} violations`);
  };
  table('faults by errno and mode', (r) => (r.kind === 'fault' ? `${r.errno} ${r.mode}` : `${r.kind} ${r.mode}`));
  const order = (s) => String(RUN_STEPS.indexOf(s) < 0 ? 99 : RUN_STEPS.indexOf(s)).padStart(2, '0');
  table('faults and kills by step (the step the operation led to)', (r) => `${order(r.step)} ${r.step} ${r.kind === 'fault' ? 'fault' : r.kind}`);
  table('faults by errno, step and mode', (r) => (r.kind === 'fault' ? `${r.errno} ${r.mode} ${r.step}` : `${r.kind} ${r.step}`));
  for (const v of violations) out(`  - ${v.replace(/\n/g, '\n    ')}`);
}
if (violations.length === 0 && !opts.keep) rmSync(ROOT, { recursive: true, force: true });
else log(`temp folders kept in ${ROOT}`);
process.exit(violations.length ? 1 : 0);
