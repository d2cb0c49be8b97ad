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
import path from "node:path";
import type { Config } from "../config/load-config.js";
import { discardStaged, moveIntoPlace, type StagedFile } from "../fs-atomic.js";
import { stageIdList, type IdListFormat } from "../export/id-lists.js";
import type { SegmentDef } from "../segment/ast.js";
import { RunLock } from "../state/lock.js";
import { nextCounts, StateStore, type HistoryEvent, type Manifest, type SegmentState, FORMAT_VERSION } from "../state/snapshot.js";
import { diffMemberships, type Membership } from "../table/membership.js";
import { Engine, leftOutText, type EngineContext, type Evaluation } from "./engine.js";

/** What a run is given from outside, besides the engine's context. */
export interface RunContext extends EngineContext {
  pid: number;
  /** A monotonic clock in ms, for elapsed times. */
  clock(): number;
  warn(message: string): void;
}

/** Options of a run. */
export interface RunOptions {
  /** Only these codes and what they depend on. */
  codes?: string[];
  asOf?: string;
  dryRun?: boolean;
  formats: IdListFormat[];
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
}

/** Runs the segments of a project and commits the result. */
export async function runSegments(config: Config, ctx: RunContext, opts: RunOptions): Promise<{ summary: RunSummary; engine: Engine }> {
  const startedAt = new Date(ctx.now).toISOString();
  const definitions = Engine.definitions(config, ctx.cwd);
  const store = new StateStore(config.state);
  let lock: RunLock | undefined;
  if (!opts.dryRun) {
    store.ensure();
    lock = RunLock.acquire(config.state, ctx);
  }
  try {
    if (!opts.dryRun) store.collect();
    const prev = store.current();
    const engine = new Engine(config, ctx);
    const decision = decide(definitions, prev, opts.codes);
    const stored = new Map<string, Membership>();
    for (const code of decision.stored) stored.set(code, prev ? store.members(prev, code) : []);
    const t0 = ctx.clock();
    const ev = await engine.evaluate({ definitions, codes: decision.compute, asOf: opts.asOf, stored });
    const elapsed = Math.round(ctx.clock() - t0);
    const runId = runIdOf(ctx.now);
    const finishedAt = new Date(ctx.now + elapsed).toISOString();
    const { manifest, changed, events, staged, segments } = assemble(definitions, prev, store, ev, decision, { runId, finishedAt, startedAt, formats: opts.formats, out: config.out, elapsed, stage: !opts.dryRun });
    const summary: RunSummary = {
      run_id: runId, as_of: ev.plan.asOf, started_at: startedAt, finished_at: finishedAt, dry_run: opts.dryRun === true, segments,
      orphans: { ...engine.project.report.orphans } as Record<string, number>,
      left_out: Object.fromEntries(Object.entries(ev.facts.leftOut).filter(([, n]) => n)) as Record<string, number>,
    };
    if (opts.dryRun) {
      discardStaged(staged);
      return { summary, engine };
    }
    try {
      store.commit(manifest, changed, events, prev);
    } catch (e) {
      discardStaged(staged);
      throw e;
    }
    // The state is committed; the files of this run replace the last run's.
    moveIntoPlace(staged);
    store.collect();
    return { summary, engine };
  } finally {
    lock?.release();
  }
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
  defs: SegmentDef[], prev: Manifest | undefined, store: StateStore, ev: Evaluation, decision: Decision,
  run: { runId: string; startedAt: string; finishedAt: string; formats: IdListFormat[]; out: string; elapsed: number; stage: boolean },
): { manifest: Manifest; changed: Map<string, Membership>; events: HistoryEvent[]; staged: StagedFile[]; segments: SegmentSummary[] } {
  const segmentsState: Record<string, SegmentState> = {};
  const changed = new Map<string, Membership>();
  const events: HistoryEvent[] = [];
  const staged: StagedFile[] = [];
  const summary: SegmentSummary[] = [];
  const computed = new Set(ev.computed);
  let fileNo = 0;
  const nextFile = () => `${fileNo++}.ids`;
  const byCode = new Map(defs.map((d) => [d.code, d]));
  // Segments removed from the folder: kept, archived.
  for (const [code, was] of Object.entries(prev?.segments ?? {})) {
    if (!byCode.has(code)) segmentsState[code] = { ...was, archived: true, file: nextFile() };
  }
  try {
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
        if (run.stage && was) {
          const dir = path.join(run.out, d.code);
          const kept = store.members(prev!, d.code);
          staged.push(...stageIdList(dir, "members", kept, run.formats), ...stageIdList(dir, "entered", [], run.formats), ...stageIdList(dir, "left", [], run.formats));
        }
        continue;
      }
      const members = ev.members.get(d.code)!;
      const before = was ? store.members(prev!, d.code) : [];
      const { entered, left } = diffMemberships(before, members);
      const at = run.finishedAt;
      for (const id of entered) events.push({ run_id: run.runId, as_of: ev.plan.asOf, at, segment: d.code, customer_id: id, event: "enter" });
      for (const id of left) events.push({ run_id: run.runId, as_of: ev.plan.asOf, at, segment: d.code, customer_id: id, event: "leave" });
      segmentsState[d.code] = {
        code: d.code, name: d.name, type: d.type, active: d.active, hash: d.hash,
        created: was?.created ?? run.runId, computed: run.runId,
        members: members.length, entered: entered.length, left: left.length,
        counts: nextCounts(was?.counts, members.length), file: nextFile(),
      };
      changed.set(d.code, members);
      if (run.stage) {
        const dir = path.join(run.out, d.code);
        staged.push(...stageIdList(dir, "members", members, run.formats), ...stageIdList(dir, "entered", entered, run.formats), ...stageIdList(dir, "left", left, run.formats));
      }
      summary.push({ code: d.code, type: d.type, active: d.active, members: members.length, entered: entered.length, left: left.length, skipped: null, elapsed_ms: run.elapsed });
    }
  } catch (e) {
    discardStaged(staged);
    throw e;
  }
  const entered = summary.reduce((n, s) => n + s.entered, 0);
  const left = summary.reduce((n, s) => n + s.left, 0);
  const manifest: Manifest = {
    format_version: FORMAT_VERSION,
    run_id: run.runId,
    segments: segmentsState,
    runs: [...(prev?.runs ?? []), { run_id: run.runId, as_of: ev.plan.asOf, started_at: run.startedAt, finished_at: run.finishedAt, computed: [...computed], entered, left }],
  };
  return { manifest, changed, events, staged, segments: summary };
}

/** A run id that sorts by time: `20261201T101500Z-3fa9`. */
function runIdOf(now: number): string {
  const t = new Date(now).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  return `${t}-${randomBytes(2).toString("hex")}`;
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
    (orphans ? `; orphans: ${orphans}` : "") + (leftOut ? `; left out after the as-of day: ${leftOut}` : "");
}
