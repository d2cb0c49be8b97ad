/**
 * `segment export`: a segment's members (or the entered or left of the last run) with
 * per-customer fields, from the last snapshot or evaluated now (`fresh`), through the
 * shared writers.
 *
 * From the snapshot, no definition is read or evaluated: the ids come from the state, and
 * the data is read only for the fields (the customers, and one pass per fact export a
 * field needs). Fresh, the segments are evaluated as preview does, and entered and left
 * are against the last snapshot (everyone entered when there is none). The state is never
 * written.
 */
import { phase } from "../timings.js";
import type { Config } from "../config/load-config.js";
import { UsageError } from "../errors.js";
import { writeRows, type TableWriter, type WriteReport } from "../export/writer.js";
import { parseDate } from "../schema/parse-value.js";
import { choiceHint } from "../suggest.js";
import { StateStore, type Manifest } from "../state/snapshot.js";
import { diffMemberships, toMembership, type Membership } from "../table/membership.js";
import type { CellValue } from "../table/column.js";
import { Engine, type EngineContext, type Evaluation } from "./engine.js";
import { defaultOutputFields, OutputRows, withId } from "./outputs.js";

/** Which ids of a segment to export. */
export const EXPORT_WHAT = ["members", "entered", "left"] as const;
export type ExportWhat = (typeof EXPORT_WHAT)[number];

/** What to export. */
export interface ExportRequest {
  /** Segment codes, or every segment. */
  codes: string[] | "all";
  what: ExportWhat;
  /** Evaluate now instead of reading the last snapshot. */
  fresh: boolean;
  /** With `fresh`: the as-of day, `YYYY-MM-DD`. */
  asOf?: string;
  /** Field names (default: the customer columns and the order metrics); `id` is put first unless named. */
  fields?: string[];
}

/** One exported segment, as the summary (and the xlsx summary sheet) shows it. */
export interface ExportedSegment {
  code: string;
  name: string;
  members: number;
  entered: number;
  left: number;
  /** The as-of day its members are of. */
  asOf: string;
  /** The ids exported, sorted. */
  ids: Membership;
}

/** An export read and evaluated, ready to write. */
export interface PreparedExport {
  segments: ExportedSegment[];
  rows: OutputRows;
  evaluation: Evaluation;
  engine: Engine;
  /** The run whose snapshot was read, or undefined when fresh. */
  runId?: string;
}

/** The columns of the summary sheet. */
export const SUMMARY_COLUMNS = [
  { name: "segment", type: "string" }, { name: "name", type: "string" }, { name: "members", type: "integer" },
  { name: "entered", type: "integer" }, { name: "left", type: "integer" }, { name: "as_of", type: "date" },
] as const;

/** Reads what an export needs and evaluates its fields. */
export async function prepareExport(config: Config, ctx: EngineContext, req: ExportRequest): Promise<PreparedExport> {
  const store = new StateStore(config.state);
  const engine = new Engine(config, ctx);
  let segments: Omit<ExportedSegment, "ids">[];
  let ids: Membership[];
  let runId: string | undefined;
  let ev: Evaluation;
  if (req.fresh) {
    const definitions = Engine.definitions(config, ctx.cwd);
    const codes = req.codes === "all" ? definitions.map((d) => d.code).sort() : req.codes;
    if (codes.length === 0) throw new UsageError("there are no segment definitions to export", "add one to the segments folder");
    const fields = await fieldsFor(engine, req.fields);
    ev = await engine.evaluate({ definitions, codes, asOf: req.asOf, outputs: fields });
    const prev = readSnapshot(store, codes, "members", false);
    const byCode = new Map(definitions.map((d) => [d.code, d]));
    segments = [];
    ids = [];
    for (const code of codes) {
      const members = ev.members.get(code)!;
      const { entered, left } = diffMemberships(prev?.members.get(code) ?? [], members);
      segments.push({ code, name: byCode.get(code)!.name, members: members.length, entered: entered.length, left: left.length, asOf: ev.plan.asOf });
      ids.push(req.what === "members" ? members : req.what === "entered" ? entered : left);
    }
  } else {
    const snap = readSnapshot(store, req.codes, req.what);
    // Without a snapshot there is nothing to export, and no reason to read the data.
    if (!snap) throw new UsageError("there is no snapshot yet: `segment run` has not committed a run in this project", "run `segment run` first, or export with --fresh to evaluate now");
    runId = snap.manifest.run_id;
    const codes = [...snap.members.keys()];
    if (codes.length === 0) throw new UsageError("the last snapshot has no segments to export", "run `segment run` first, or export with --fresh to evaluate now");
    const asOfOf = new Map(snap.manifest.runs.map((r) => [r.run_id, r.as_of]));
    segments = codes.map((code) => {
      const seg = snap.manifest.segments[code];
      const last = seg.computed === snap.manifest.run_id;
      return { code, name: seg.name, members: seg.members, entered: last ? seg.entered : 0, left: last ? seg.left : 0, asOf: asOfOf.get(seg.computed) ?? "" };
    });
    ids = codes.map((code) => snap.members.get(code)!);
    const fields = await fieldsFor(engine, req.fields);
    // Fields are of the day the last run was as of, like its members (unless --as-of says otherwise).
    ev = await engine.evaluate({ definitions: [], codes: [], asOf: req.asOf ?? snap.manifest.runs.at(-1)?.as_of, outputs: fields });
  }
  return { segments: segments.map((s, i) => ({ ...s, ids: ids[i] })), rows: new OutputRows(ev), evaluation: ev, engine, runId };
}

/** The fields asked for, `id` first; or the defaults for this data. */
async function fieldsFor(engine: Engine, fields: string[] | undefined): Promise<string[]> {
  if (fields && fields.length) return withId(fields);
  return defaultOutputFields(await engine.schema());
}

/**
 * Writes a prepared export: one table per segment where the format takes several (xlsx,
 * after a summary sheet when there is more than one segment); otherwise one table, with a
 * `segment` column first when there is more than one segment.
 */
export async function writeExport(p: PreparedExport, writer: TableWriter, opts: { multiTable: boolean; all: boolean }): Promise<WriteReport> {
  return phase("write the export", () => writeTables(p, writer, opts), () => ({ rows: p.segments.reduce((n, s) => n + s.ids.length, 0) }));
}

async function writeTables(p: PreparedExport, writer: TableWriter, opts: { multiTable: boolean; all: boolean }): Promise<WriteReport> {
  const columns = p.rows.columns;
  if (opts.multiTable) {
    if (opts.all) {
      await writer.table({ name: "summary", columns: [...SUMMARY_COLUMNS] });
      await writeRows(writer, p.segments.map((s) => [s.code, s.name, s.members, s.entered, s.left, parseDate(s.asOf) ?? null]));
    }
    for (const s of p.segments) {
      await writer.table({ name: s.code, columns });
      await writeRows(writer, p.rows.rows(s.ids));
    }
    return writer.end();
  }
  if (!opts.all) {
    await writer.table({ name: p.segments[0].code, columns });
    await writeRows(writer, p.rows.rows(p.segments[0].ids));
    return writer.end();
  }
  await writer.table({ name: "segments", columns: [{ name: "segment", type: "string" }, ...columns] });
  for (const s of p.segments) await writeRows(writer, withSegment(s.code, p.rows.rows(s.ids)));
  return writer.end();
}

function* withSegment(code: string, rows: Iterable<CellValue[]>): Generator<CellValue[]> {
  for (const r of rows) yield [code, ...r];
}


/**
 * The manifest and the ids wanted of the current snapshot: members, or the entered or left
 * of the last run. A run committing meanwhile may collect the snapshot just read: then it
 * is read again from the new commit point.
 */
function readSnapshot(store: StateStore, codes: string[] | "all", what: ExportWhat, strict = true): { manifest: Manifest; members: Map<string, Membership> } | undefined {
  for (let attempt = 0; ; attempt++) {
    try {
      const manifest = store.current();
      if (!manifest) return undefined;
      const known = Object.keys(manifest.segments).sort();
      const wanted = codes === "all" ? known.filter((c) => !manifest.segments[c].archived) : codes;
      const missing = strict ? wanted.filter((c) => !manifest.segments[c]) : [];
      if (missing.length) {
        const hint = choiceHint(missing[0], known) ?? (known.length ? `in the snapshot: ${known.join(", ")}` : undefined);
        throw new UsageError(`${missing.map((c) => `\`${c}\``).join(", ")} ${missing.length === 1 ? "is" : "are"} not in the last snapshot (segment run has not computed ${missing.length === 1 ? "it" : "them"})`, `${hint ? `${hint}; ` : ""}run \`segment run\`, or export with --fresh to evaluate now`);
      }
      const members = new Map<string, Membership>();
      if (what === "members") for (const c of wanted) members.set(c, manifest.segments[c] ? store.members(manifest, c) : []);
      else {
        const event = what === "entered" ? "enter" : "leave";
        const byCode = new Map<string, string[]>(wanted.map((c) => [c, []]));
        for (const e of store.runEvents(manifest.run_id)) if (e.event === event) byCode.get(e.segment)?.push(e.customer_id);
        for (const [c, list] of byCode) members.set(c, toMembership(list));
      }
      return { manifest, members };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT" && attempt < 3) continue;
      throw e;
    }
  }
}
