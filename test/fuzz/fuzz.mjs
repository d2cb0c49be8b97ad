// The fuzzer as a module: runFuzz generates seeded cases of each kind (data, definitions,
// config, fs, csv-diff), runs their commands against the built binary, judges every run, and
// returns per-kind counts and the findings; every regression under regressions/ is replayed
// first. run.mjs is its command line; test/fuzz.test.ts runs a short seeded run.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, lstatSync, chmodSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { checkCsvDiff, genCsvDiff } from "./csv-diff.mjs";
import { ROOT, runSegment } from "./exec.mjs";
import { genConfig, genFs } from "./gen-config.mjs";
import { genData, HOSTILE_DATA } from "./gen-data.mjs";
import { genDefinitions, HOSTILE_DEFINITIONS } from "./gen-definitions.mjs";
import { materialise } from "./materialise.mjs";
import { judgeRun } from "./oracle.mjs";
import { hashSeed, makeRng } from "./rng.mjs";

/** Every kind of case, in the order reports list them. */
export const KINDS = ["data", "definitions", "config", "fs", "csv-diff"];
/** The mix of kinds: one round of the schedule (csv-diff cases run in-process and are cheap). */
const ROUND = ["data", "csv-diff", "definitions", "csv-diff", "data", "csv-diff", "config", "csv-diff", "data", "csv-diff", "definitions", "csv-diff", "fs", "csv-diff", "data", "csv-diff", "definitions", "csv-diff", "config", "csv-diff", "fs", "csv-diff", "data", "csv-diff"];
const HOSTILE = { data: HOSTILE_DATA, definitions: Object.keys(HOSTILE_DEFINITIONS) };
export const REGRESSIONS = path.join(ROOT, "test", "fuzz", "regressions");

/** Hostile cases are slow (a hang costs its timeout): one in this many cases of the kind. */
const HOSTILE_EVERY = { data: 30, definitions: 20 };

/**
 * The hostile input of the n-th case of a kind, if it gets one: every `every`-th case (scaled
 * per kind), cycling through the list, spread over the run rather than all at its start.
 */
function hostileFor(kind, n, every) {
  const list = HOSTILE[kind];
  // 0: none at all (the short test, whose regressions hold the hostile inputs).
  if (!list || every <= 0) return undefined;
  const step = Math.max(1, Math.round((HOSTILE_EVERY[kind] * every) / 30));
  if (n % step === step - 1) return list[Math.floor(n / step) % list.length];
  return undefined;
}

/** The case `n` of `kind` for `seed`: the same arguments always give the same case. */
export function generateCase(kind, seed, n, { hostileEvery = 30 } = {}) {
  const rng = makeRng(hashSeed(seed, kind, n));
  const hostileKind = hostileFor(kind, n, hostileEvery);
  const c = kind === "data" ? genData(rng, { hostileKind }) : kind === "definitions" ? genDefinitions(rng, { hostileKind }) : kind === "config" ? genConfig(rng) : kind === "fs" ? genFs(rng) : genCsvDiff(rng);
  return { kind, seed, n, ...(hostileKind ? { hostile: hostileKind } : {}), ...c };
}

const quote = (a) => (/^[\w./:=@,+-]+$/.test(a) ? a : JSON.stringify(a));

/** Runs one case in a fresh temp folder under `base`; returns { commands, findings, dir }. */
export async function runCase(c, { base, timeoutMs = 30_000, rssLimitMb = 600, keep = false }) {
  // The permission cases run the binary as nobody, who must be able to walk down to the project.
  chmodSync(base, 0o755);
  const dir = mkdtempSync(path.join(base, `${c.kind}-${c.n}-`));
  const project = path.join(dir, "project");
  mkdirSync(project);
  const findings = [];
  let commands = 0;
  const started = Date.now();
  try {
    if (c.kind === "csv-diff") {
      commands = 1;
      for (const f of await checkCsvDiff(c, project)) findings.push({ ...f, args: ["csv-diff"] });
    } else {
      await materialise(c, project);
      const rssDir = path.join(dir, "rss");
      mkdirSync(rssDir);
      chmodSync(dir, 0o755);
      chmodSync(rssDir, 0o777);
      for (const [k, cmd] of c.commands.entries()) {
        commands++;
        // A hostile input gets half the time: what reads it in 15 s reads it, and hangs cost the most.
        const limit = c.hostile ? Math.ceil(timeoutMs / 2) : timeoutMs;
        const r = await runSegment({ args: cmd.args, cwd: project, rssFile: path.join(rssDir, `${k}.kb`), timeoutMs: limit, asNobody: cmd.asNobody, stdin: cmd.stdin });
        for (const f of judgeRun(r, cmd, { rssLimitMb, timeoutMs: limit })) findings.push({ ...f, args: cmd.args, exit: r.signal ?? r.code, expect: cmd.expect });
      }
    }
  } catch (e) {
    findings.push({ class: "harness-error", args: [], detail: String(e?.stack ?? e).slice(0, 600) });
  }
  if (findings.length || keep) {
    // Keep the case: its description (replayable) and its small files to look at.
    writeFileSync(path.join(dir, "case.json"), JSON.stringify(c, null, 1));
    writeFileSync(path.join(dir, "findings.json"), JSON.stringify(findings, null, 1));
    pruneBig(project);
  } else {
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  }
  return { commands, findings, dir, ms: Date.now() - started };
}

/** Removes files over 1 MB from a kept case folder (case.json rebuilds them from their recipe). */
function pruneBig(dir) {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const st = lstatSync(p, { throwIfNoEntry: false });
    if (st?.isDirectory()) pruneBig(p);
    else if (st?.isFile() && st.size > 1 << 20) rmSync(p);
  }
}

/** The one-line command that runs a case again. */
export function reproCommand(c, dir) {
  if (c.fromRegression) return `node test/fuzz/run.mjs --replay ${quote(c.fromRegression)}`;
  return `node test/fuzz/run.mjs --replay ${quote(dir)}    # or: --seed ${c.seed} --kind ${c.kind} --case ${c.n}`;
}

/** Every regression case (test/fuzz/regressions/<name>/case.json). */
export function loadRegressions(dir = REGRESSIONS) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((n) => existsSync(path.join(dir, n, "case.json"))).sort().map((name) => {
    const c = JSON.parse(readFileSync(path.join(dir, name, "case.json"), "utf8"));
    return { ...c, name, fromRegression: path.relative(ROOT, path.join(dir, name)) };
  });
}

/**
 * Runs the fuzzer. Options: seed, cases (a count) and/or budgetMs (wall time for new cases),
 * kinds, parallel, keep, timeoutMs, rssLimitMb, hostileEvery, regressions (replay them first),
 * log (a line printer, or null). Returns { seed, counts: {kind: {cases, commands, findings: {class: n}}}, findings, ms, base }.
 */
export async function runFuzz(opts = {}) {
  const { seed = 1, cases = Infinity, budgetMs = Infinity, kinds = KINDS, parallel = 2, keep = false, timeoutMs = 30_000, rssLimitMb = 600, hostileEvery = 30, regressions = true } = opts;
  const log = opts.log === undefined ? (s) => process.stderr.write(`${s}\n`) : opts.log ?? (() => {});
  const base = opts.base ?? mkdtempSync(path.join(tmpdir(), "segment-fuzz-"));
  chmodSync(base, 0o755);
  const t0 = Date.now();
  const counts = {};
  const findings = [];
  const bump = (kind, res) => {
    const k = (counts[kind] ??= { cases: 0, commands: 0, ms: 0, findings: {} });
    k.cases++;
    k.ms += res.ms;
    k.commands += res.commands;
    for (const f of res.findings) k.findings[f.class] = (k.findings[f.class] ?? 0) + 1;
  };
  const record = (c, res) => {
    bump(c.fromRegression ? "regressions" : c.kind, res);
    for (const f of res.findings) {
      const entry = { kind: c.kind, seed: c.seed, n: c.n, regression: c.name, label: c.label, ...f, dir: res.dir, repro: reproCommand(c, res.dir) };
      findings.push(entry);
      log(`FINDING ${f.class} [${c.name ? `regression ${c.name}` : `seed ${c.seed} ${c.kind} #${c.n}`}] ${c.label}\n  $ segment ${(f.args ?? []).map(quote).join(" ")}  -> ${f.exit ?? ""} ${f.detail}\n${f.excerpt ? f.excerpt.replace(/^/gm, "    | ") + "\n" : ""}  repro: ${entry.repro}`);
    }
  };

  // Regressions first, then new cases; both through the same pool.
  const queue = regressions ? loadRegressions(opts.regressionsDir) : [];
  const perKind = Object.fromEntries(KINDS.map((k) => [k, 0]));
  const round = ROUND.filter((k) => kinds.includes(k));
  let scheduled = 0;
  const next = () => {
    if (queue.length) return queue.shift();
    if (scheduled >= cases || Date.now() - t0 >= budgetMs || !round.length) return null;
    const kind = round[scheduled++ % round.length];
    return generateCase(kind, seed, perKind[kind]++, { hostileEvery });
  };
  let done = 0;
  const worker = async () => {
    for (let c = next(); c; c = next()) {
      const res = await runCase(c, { base, timeoutMs, rssLimitMb, keep });
      record(c, res);
      if (++done % 50 === 0) log(`... ${done} cases, ${findings.length} findings, ${Math.round((Date.now() - t0) / 1000)} s`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, parallel) }, worker));
  if (!keep && !findings.length) rmSync(base, { recursive: true, force: true });
  return { seed, counts, findings, ms: Date.now() - t0, base };
}

/** Replays one saved case folder (case.json inside) or regression; returns the runCase result. */
export async function replayCase(dir, opts = {}) {
  const c = JSON.parse(readFileSync(path.join(dir, "case.json"), "utf8"));
  const base = opts.base ?? mkdtempSync(path.join(tmpdir(), "segment-fuzz-replay-"));
  chmodSync(base, 0o755);
  return { case: c, ...(await runCase(c, { ...opts, base, keep: true })) };
}

/** Copies a kept case into regressions/<name>/ (its case.json only: big inputs stay recipes). */
export function saveRegression(caseDir, name, dir = REGRESSIONS) {
  const target = path.join(dir, name);
  mkdirSync(target, { recursive: true });
  cpSync(path.join(caseDir, "case.json"), path.join(target, "case.json"));
  return target;
}

/** Distinct findings: one per class, command and first message line with numbers and paths blurred. */
export function distinctFindings(findings) {
  const groups = new Map();
  for (const f of findings) {
    const msg = (f.excerpt ?? "").split("\n").find((l) => l.trim()) ?? "";
    const key = [f.class, f.kind, (f.args ?? [])[0], f.detail.replace(/\d+/g, "N"), msg.replace(/\/tmp\/\S+/g, "P").replace(/\d+/g, "N").slice(0, 80)].join("|");
    const g = groups.get(key);
    if (g) g.count++;
    else groups.set(key, { ...f, count: 1 });
  }
  return [...groups.values()];
}
