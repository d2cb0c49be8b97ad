/**
 * `segment run`: evaluate the active segments in one pass over the data, diff each against
 * the previous snapshot, and commit the new snapshot, the history and the output files.
 *
 * Which segments are computed: dynamic ones every run; static ones on their first run and
 * when their definition's hash changes (name, description, active and analytics do not
 * count), otherwise frozen; inactive ones never (their last members are kept). Segments not
 * computed are handed to the engine as stored members, so a segment referencing them sees
 * those. A definition removed from the folder keeps its members and history, marked
 * archived. With codes, only those and what they depend on are computed; the other
 * segments keep their state as it is.
 */
import { randomBytes } from "node:crypto";
import { readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { endPhase } from "../timings.js";
import type { Config } from "../config/load-config.js";
import { bestEffort, discardStaged, moveIntoPlace, pathExists, stageCopy, type StagedFile } from "../fs-atomic.js";
import { outputFile, stageTable } from "../export/files.js";
import { reportWarnings, type Format, type WriteReport } from "../export/writer.js";
import type { SegmentDef } from "../segment/ast.js";
import { RunLock } from "../state/lock.js";
import { nextCounts, StateStore, type HistoryGroup, type Manifest, type SegmentState, FORMAT_VERSION } from "../state/snapshot.js";
import { diffMemberships, type Membership } from "../table/membership.js";
import { Engine, leftOutText, type EngineContext, type Evaluation } from "./engine.js";
import { GuardError, isSystemError, StateError, StorageError, UsageError, type Problem } from "../errors.js";
import { formatDay } from "../table/time.js";
import { runHook, type HookOutcome } from "./hook.js";
import { OutputRows, withId } from "./outputs.js";

/** What a run is given from outside, besides the engine's context. */
export interface RunContext extends EngineContext {
  pid: number;
  /** A monotonic clock in ms, for elapsed times. */
  clock(): number;
  warn(message: string): void;
  /**
   * Called at each named step of the run (RUN_STEPS), so a test can kill the process
   * there; the CLI wires it to SEGMENT_TEST_ABORT_AT.
   */
  checkpoint?(step: RunStep): void;
  /** Where the after_run hook's output goes. */
  hookOutput?(chunk: Buffer): void;
  /** The random part of run ids (4 hex digits by default); tests make it repeat. */
  idSuffix?(): string;
}

/**
 * The named steps of a run, in order. The snapshot's steps (member-file-written to
 * history-written) come while the output files are being staged (stageStateAndOutputs below), so
 * some output files may be staged before them; "outputs-staged" is when both are done.
 */
export const RUN_STEPS = [
  "locked", "collected", "evaluated",
  "member-file-written", "members-written", "manifest-written", "history-written",
  "outputs-staged", "committed", "outputs-moved", "done",
] as const;
/** One of them. */
export type RunStep = (typeof RUN_STEPS)[number];

/** Options of a run. */
export interface RunOptions {
  /** Only these codes and what they depend on. */
  codes?: string[];
  asOf?: string;
  dryRun?: boolean;
  /** Commit even when a guard trips. */
  force?: boolean;
  formats: Format[];
  /** Columns of the output files besides `id` (any field `export --fields` takes). */
  fields?: string[];
  /** Run for an as-of day earlier than the last committed run's. */
  allowBackdate?: boolean;
}

/** One segment in the run summary. */
export interface SegmentSummary {
  code: string;
  type: "dynamic" | "static";
  active: boolean;
  members: number;
  entered: number;
  left: number;
  /** Why it was not computed: "inactive", "static, frozen", "not named"; null when computed. */
  skipped: string | null;
  elapsed_ms: number;
}

/** The run summary of CLI.md. */
export interface RunSummary {
  run_id: string;
  as_of: string;
  started_at: string;
  finished_at: string;
  dry_run: boolean;
  segments: SegmentSummary[];
  /** Facts of unknown customers, and facts dated after the as-of day, per export read. */
  orphans: Record<string, number>;
  left_out: Record<string, number>;
  /** Items of no order (order_items rows whose order is empty or unknown) that segments testing items met; 0 when none tests items. */
  items_without_order: number;
  /** Rows read per export. */
  rows: Record<string, number>;
  /** The files this run wrote (empty for a dry run). */
  files: Array<{ segment: string; kind: OutputKind; format: string; path: string }>;
  /** Guards that tripped: overridden with --force, or only reported by a dry run. */
  guards_tripped: string[];
}

/** Runs the segments of a project and commits the result. */
export async function runSegments(config: Config, ctx: RunContext, opts: RunOptions): Promise<{ summary: RunSummary; engine: Engine; hook?: HookOutcome }> {
  const startedAt = new Date(ctx.now).toISOString();
  const definitions = Engine.definitions(config, ctx.cwd);
  const store = new StateStore(config.state);
  let lock: RunLock | undefined;
  let moved = false;
  try {
    refuseWorldWritable(config.state, "state");
    refuseWorldWritable(config.out, "out");
    store.checkFormat();
    if (!opts.dryRun) {
      store.ensure();
      lock = RunLock.acquire(config.state, ctx);
    }
    const step = (s: RunStep) => ctx.checkpoint?.(s);
    step("locked");
    if (!opts.dryRun) {
      store.collect();
      removeStaleTemps(config.out);
    }
    step("collected");
    let t = performance.now();
    const prev = store.current();
    endPhase("state: read the last snapshot", t);
    const engine = new Engine(config, ctx);
    refuseBackdate(prev, formatDay(engine.asOfDay(opts.asOf)), opts.allowBackdate === true);
    const decision = decide(definitions, prev, opts.codes);
    const stored = new Map<string, Membership>();
    for (const code of decision.stored) stored.set(code, prev ? store.members(prev, code) : []);
    const t0 = ctx.clock();
    const ev = await engine.evaluate({ definitions, codes: decision.compute, asOf: opts.asOf, stored, outputs: withId(opts.fields ?? []) });
    const elapsed = Math.round(ctx.clock() - t0);
    step("evaluated");
    // Two runs in one second share the time part: the random part must then differ from
    // every run the state knows (runs are serialised by the lock, so this is enough).
    let runId = runIdOf(ctx.now, ctx.idSuffix);
    while (prev?.runs.some((r) => r.run_id === runId) || pathExists(path.join(config.state, "snapshots", runId))) runId = runIdOf(ctx.now, ctx.idSuffix);
    const finishedAt = new Date(ctx.now + elapsed).toISOString();
    t = performance.now();
    const { manifest, changed, events, outputs, segments } = assemble(definitions, prev, store, ev, decision, stored, { runId, finishedAt, startedAt, out: config.out, elapsed });
    const rows = { ...engine.project.report.rows } as Record<string, number>;
    manifest.runs[manifest.runs.length - 1].rows = rows;
    const tripped = checkGuards(config, definitions, prev, segments, rows);
    endPhase("state: diff against it", t);
    t = performance.now();
    if (tripped.length && !opts.force && !opts.dryRun) throw new GuardError(tripped);
    const staged = opts.dryRun ? [] : await stageStateAndOutputs(store, { manifest, changed, events, prev }, () => stageOutputs(outputs, opts.formats, ev, config.timezone, ctx.warn), step);
    const summary: RunSummary = {
      run_id: runId, as_of: ev.plan.asOf, started_at: startedAt, finished_at: finishedAt, dry_run: opts.dryRun === true, segments,
      orphans: { ...engine.project.report.orphans } as Record<string, number>,
      left_out: Object.fromEntries(Object.entries(ev.facts.leftOut).filter(([, n]) => n)) as Record<string, number>,
      items_without_order: ev.facts.unmatchedItems,
      rows,
      files: opts.dryRun ? [] : staged.map((f) => fileEntry(f.file)),
      guards_tripped: tripped.map((p) => p.message),
    };
    if (opts.dryRun) return { summary, engine };
    step("outputs-staged");
    try {
      t = performance.now();
      store.point(manifest);
      step("committed");
      endPhase("state: commit", t);
      // The state is committed; the files of this run replace the last run's.
      t = performance.now();
      moveIntoPlace(staged);
    } catch (e) {
      discardStaged(staged);
      throw e;
    }
    moved = true;
    step("outputs-moved");
    store.collect();
    endPhase("move outputs, collect old snapshots", t);
    step("done");
    const held = lock;
    lock = undefined;
    held?.release();
    // The run is committed: the hook sees its summary and files, and cannot undo it.
    const hook = config.hooks.afterRun ? await runHook(config.hooks.afterRun, summary, ctx.hookOutput ?? (() => {})) : undefined;
    return { summary, engine, hook };
  } catch (e) {
    // The lock goes whatever happened; if even that fails, the next run takes it over (its pid is gone).
    const held = lock;
    if (held) bestEffort(() => held.release());
    if (!isSystemError(e)) throw e;
    throw new StorageError(e, storageHint(store.committedRun !== undefined, moved, config));
  }
}

/** What a run that failed on a file left behind, for the message. */
function storageHint(committed: boolean, moved: boolean, config: Config): string {
  if (!committed) return "nothing was committed: the state and out/ are as the last run left them; free some space or fix the folder, then run again";
  if (!moved) return `the run is committed (the state and the history are this run's), but ${config.out} may still hold files of the last run: the next run rewrites them; this run's enters and leaves are in \`segment history\``;
  return "the run is committed and out/ holds its files; only removing what the last run left (or the lock) failed: the next run does it";
}

/** A folder anyone may write to could have its files swapped under us: refuse it (exit 2). */
function refuseWorldWritable(dir: string, what: "state" | "out"): void {
  if (!pathExists(dir)) return;
  const mode = statSync(dir).mode & 0o7777;
  if ((mode & 0o002) === 0) return;
  const message = `the ${what} folder ${dir} is writable by everyone (mode ${mode.toString(8).padStart(4, "0")}): its files hold customer data, and anyone could replace them`;
  const hint = `make it yours alone: chmod 700 ${dir}`;
  if (what === "state") throw new StateError(message, hint);
  throw new UsageError(message, hint);
}

/** A run for a day before the last committed one's would diff backwards in time: refused unless asked for. */
function refuseBackdate(prev: Manifest | undefined, asOf: string, allowed: boolean): void {
  const last = prev?.runs[prev.runs.length - 1];
  if (!last || allowed || asOf >= last.as_of) return;
  throw new UsageError(
    `as of ${asOf} is earlier than the last committed run's as-of ${last.as_of} (run ${last.run_id}): its enters and leaves would go back in time`,
    "check the clock and --as-of; to run for an earlier day anyway, add --allow-backdate",
  );
}

interface Decision {
  /** Codes to compute. */
  compute: string[];
  /** Codes whose stored members are used. */
  stored: string[];
  /** Why each defined code is not computed. */
  skipped: Map<string, string>;
}

/** Which segments to compute and which to take as stored. */
function decide(defs: SegmentDef[], prev: Manifest | undefined, codes: string[] | undefined): Decision {
  const skipped = new Map<string, string>();
  const stored: string[] = [];
  for (const d of defs) {
    const was = prev?.segments[d.code];
    if (!d.active) skipped.set(d.code, "inactive");
    else if (d.type === "static" && was && !was.archived && was.hash === d.hash) skipped.set(d.code, "static, frozen");
    else continue;
    stored.push(d.code);
  }
  const wanted = codes ?? defs.map((d) => d.code);
  const compute = wanted.filter((c) => !skipped.has(c));
  if (codes) {
    const named = new Set(codes);
    for (const d of defs) if (!named.has(d.code) && !skipped.has(d.code)) skipped.set(d.code, "not named");
  }
  return { compute, stored, skipped };
}

/** The new manifest, the changed memberships, the history events, the staged outputs and the summary rows. */
function assemble(
  defs: SegmentDef[], prev: Manifest | undefined, store: StateStore, ev: Evaluation, decision: Decision, stored: ReadonlyMap<string, Membership>,
  run: { runId: string; startedAt: string; finishedAt: string; out: string; elapsed: number },
): { manifest: Manifest; changed: Map<string, Membership>; events: HistoryGroup[]; outputs: OutputFile[]; segments: SegmentSummary[] } {
  const segmentsState: Record<string, SegmentState> = {};
  const changed = new Map<string, Membership>();
  const events: HistoryGroup[] = [];
  const outputs: OutputFile[] = [];
  const summary: SegmentSummary[] = [];
  const computed = new Set(ev.computed);
  let fileNo = 0;
  const nextFile = () => `${fileNo++}.ids`;
  const byCode = new Map(defs.map((d) => [d.code, d]));
  // Segments removed from the folder: kept, archived.
  for (const [code, was] of Object.entries(prev?.segments ?? {})) {
    if (!byCode.has(code)) segmentsState[code] = { ...was, archived: true, file: nextFile() };
  }
  for (const d of defs) {
    const was = prev?.segments[d.code];
    if (!computed.has(d.code)) {
      if (was) segmentsState[d.code] = { ...was, name: d.name, type: d.type, active: d.active, archived: undefined, file: nextFile() };
      else if (!d.active) {
        segmentsState[d.code] = { code: d.code, name: d.name, type: d.type, active: false, hash: d.hash, created: run.runId, computed: "", members: 0, entered: 0, left: 0, counts: [], file: nextFile() };
        changed.set(d.code, []);
      }
      summary.push({ code: d.code, type: d.type, active: d.active, members: was?.members ?? 0, entered: 0, left: 0, skipped: decision.skipped.get(d.code) ?? "not computed", elapsed_ms: 0 });
      // out/ is the latest run: its members as kept, and nobody entered or left in this run
      // (a consumer that mails whoever is in entered.csv must not mail them again).
      if (was) {
        const dir = path.join(run.out, d.code);
        // Read once: handed to the engine already, and to the commit as unchanged members.
        const kept = stored.get(d.code) ?? store.members(prev!, d.code);
        changed.set(d.code, kept);
        outputs.push({ dir, code: d.code, kind: "members", ids: kept }, { dir, code: d.code, kind: "entered", ids: [] }, { dir, code: d.code, kind: "left", ids: [] });
      }
      continue;
    }
    const members = ev.members.get(d.code)!;
    const before = was ? store.members(prev!, d.code) : [];
    const { entered, left } = diffMemberships(before, members);
    const at = run.finishedAt;
    if (entered.length) events.push({ run_id: run.runId, as_of: ev.plan.asOf, at, segment: d.code, event: "enter", ids: entered });
    if (left.length) events.push({ run_id: run.runId, as_of: ev.plan.asOf, at, segment: d.code, event: "leave", ids: left });
    segmentsState[d.code] = {
      code: d.code, name: d.name, type: d.type, active: d.active, hash: d.hash,
      created: was?.created ?? run.runId, computed: run.runId,
      members: members.length, entered: entered.length, left: left.length,
      counts: nextCounts(was?.counts, members.length), file: nextFile(),
    };
    changed.set(d.code, members);
    const dir = path.join(run.out, d.code);
    outputs.push({ dir, code: d.code, kind: "members", ids: members }, { dir, code: d.code, kind: "entered", ids: entered }, { dir, code: d.code, kind: "left", ids: left });
    summary.push({ code: d.code, type: d.type, active: d.active, members: members.length, entered: entered.length, left: left.length, skipped: null, elapsed_ms: run.elapsed });
  }
  const entered = summary.reduce((n, s) => n + s.entered, 0);
  const left = summary.reduce((n, s) => n + s.left, 0);
  const manifest: Manifest = {
    format_version: FORMAT_VERSION,
    run_id: run.runId,
    segments: segmentsState,
    runs: [...(prev?.runs ?? []), { run_id: run.runId, as_of: ev.plan.asOf, started_at: run.startedAt, finished_at: run.finishedAt, computed: [...computed], entered, left }],
  };
  return { manifest, changed, events, outputs, segments: summary };
}

/** The files a run writes per segment. */
export type OutputKind = "members" | "entered" | "left";

/** One output file to write: whose ids, where. */
interface OutputFile {
  dir: string;
  code: string;
  kind: OutputKind;
  ids: Membership;
}

/**
 * Writes the new snapshot and history aside (StateStore.writeAside) while `stage` writes the
 * output files aside: nothing either writes is referenced before the commit point, and each
 * goes on while the disk takes the other's bytes. On a failure the staged outputs are
 * removed and the outputs' error is thrown first; the snapshot files left aside are removed
 * by the next run (StateStore.collect). Returns the staged outputs.
 */
async function stageStateAndOutputs(store: StateStore, next: { manifest: Manifest; changed: ReadonlyMap<string, Membership>; events: readonly HistoryGroup[]; prev: Manifest | undefined }, stage: () => Promise<StagedFile[]>, step: (s: RunStep) => void): Promise<StagedFile[]> {
  const t = performance.now();
  const state = store.writeAside(next.manifest, next.changed, next.events, next.prev, step).then(() => endPhase("state: write aside", t));
  const outputs = stage().then((s) => {
    endPhase("write the outputs", t);
    return s;
  });
  const [written, staged] = await Promise.allSettled([state, outputs]);
  if (staged.status === "rejected") throw staged.reason;
  if (written.status === "rejected") {
    discardStaged(staged.value);
    throw written.reason;
  }
  return staged.value;
}

/** Writes every output file aside, in every format; on a failure none are left. */
async function stageOutputs(outputs: OutputFile[], formats: Format[], ev: Evaluation, timezone: string, warn: (m: string) => void): Promise<StagedFile[]> {
  const staged: StagedFile[] = [];
  // A run's message names no missing ids: its rows need not count them.
  const rows = new OutputRows(ev, false);
  const reports: Array<{ file: string; report: WriteReport }> = [];
  try {
    for (let k = 0; k < outputs.length; k++) {
      const o = outputs[k];
      // The same ids as the segment's file before (entered.csv is members.csv in a first run):
      // the same bytes, copied instead of written again.
      const copy = k > 0 && outputs[k - 1].code === o.code && sameIds(outputs[k - 1].ids, o.ids);
      for (let f = 0; f < formats.length; f++) {
        const file = outputFile(o.dir, o.kind, formats[f]);
        if (copy) {
          // The previous file's staged copy and report in this format, formats.length back.
          staged.push(stageCopy(staged[staged.length - formats.length].tmp, file));
          reports.push({ file, report: reports[reports.length - formats.length].report });
          continue;
        }
        const { staged: s, report } = await stageTable(file, formats[f], { timezone }, { name: o.code, columns: rows.columns }, rows.tableRows(o.ids));
        staged.push(s);
        reports.push({ file, report });
      }
    }
  } catch (e) {
    discardStaged(staged);
    throw e;
  }
  for (const r of reports) for (const w of reportWarnings(r.report, r.file)) warn(w);
  return staged;
}

/** Whether two memberships hold the same ids in the same order. */
function sameIds(a: Membership, b: Membership): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A written file as the summary lists it. */
function fileEntry(file: string): RunSummary["files"][number] {
  const segment = path.basename(path.dirname(file));
  const [kind, format] = path.basename(file).split(".") as [OutputKind, string];
  return { segment, kind, format, path: file };
}

/**
 * The guards that trip: a dynamic segment whose member count changes since its last run by
 * more than its (or the config's) max_change, or falls below min_members; an export whose
 * row count fell by more than the config's max_input_drop since the last run.
 */
export function checkGuards(config: Config, defs: SegmentDef[], prev: Manifest | undefined, segments: SegmentSummary[], rows: Record<string, number>): Problem[] {
  const problems: Problem[] = [];
  const byCode = new Map(defs.map((d) => [d.code, d]));
  for (const s of segments) {
    const d = byCode.get(s.code);
    if (!d || s.skipped !== null || d.type !== "dynamic") continue;
    const guard = { ...config.guard, ...d.guard };
    const was = prev?.segments[s.code];
    const before = was && was.computed ? was.members : undefined;
    if (guard.maxChange !== undefined && before !== undefined && before > 0) {
      const change = Math.abs(s.members - before) / before;
      if (change > guard.maxChange) {
        problems.push({ file: d.file, message: `segment ${s.code} would go from ${before} to ${s.members} members (${pct(s.members - before, before)}), more than its guard max_change ${pct1(guard.maxChange)}`, hint: "if the data is right, run again with --force" });
      }
    }
    if (guard.minMembers !== undefined && s.members < guard.minMembers) {
      problems.push({ file: d.file, message: `segment ${s.code} would have ${s.members} members${before !== undefined ? ` (it had ${before})` : ""}, fewer than its guard min_members ${guard.minMembers}`, hint: "if the data is right, run again with --force" });
    }
  }
  const last = prev?.runs[prev.runs.length - 1]?.rows;
  if (config.guard.maxInputDrop !== undefined && last) {
    for (const [name, now] of Object.entries(rows)) {
      const before = last[name];
      if (before === undefined || before === 0 || now >= before) continue;
      const drop = (before - now) / before;
      if (drop > config.guard.maxInputDrop) {
        problems.push({ message: `the ${name} export has ${now} rows, ${pct(now - before, before)} since the last run (${before}): more than the guard max_input_drop ${pct1(config.guard.maxInputDrop)}`, hint: "a truncated export? check it; if it is right, run again with --force" });
      }
    }
  }
  return problems;
}

function pct(delta: number, base: number): string {
  const p = Math.round((delta / base) * 1000) / 10;
  return `${p > 0 ? "+" : ""}${p}%`;
}

function pct1(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}

/** Removes temp files a killed run staged in out/<code>/ (call under the lock). */
function removeStaleTemps(out: string): void {
  if (!pathExists(out)) return;
  for (const code of readdirSync(out)) {
    const dir = path.join(out, code);
    if (!statSync(dir).isDirectory()) continue;
    for (const f of readdirSync(dir)) if (/^\..+\.[0-9a-f]{12}\.tmp$/.test(f)) rmSync(path.join(dir, f), { force: true });
  }
}

/** A run id that sorts by time: `20261201T101500Z-3fa9`. */
function runIdOf(now: number, suffix: () => string = () => randomBytes(2).toString("hex")): string {
  const t = new Date(now).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  return `${t}-${suffix()}`;
}

/** The one line a run prints on stderr (cron mail stays short). */
export function summaryLine(s: RunSummary): string {
  const computed = s.segments.filter((x) => x.skipped === null);
  const entered = computed.reduce((n, x) => n + x.entered, 0);
  const left = computed.reduce((n, x) => n + x.left, 0);
  const skipped = s.segments.length - computed.length;
  const orphans = Object.entries(s.orphans).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(", ");
  const leftOut = leftOutText(s.left_out);
  return `${s.dry_run ? "dry run" : `run ${s.run_id}`} as of ${s.as_of}: ${computed.length} segment${computed.length === 1 ? "" : "s"} computed${skipped ? `, ${skipped} skipped` : ""}; +${entered} entered, -${left} left` +
    (orphans ? `; orphans: ${orphans}` : "") + (leftOut ? `; left out after the as-of day: ${leftOut}` : "") +
    (s.items_without_order > 0 ? `; items of no order: ${s.items_without_order}` : "");
}
