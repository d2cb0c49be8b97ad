/**
 * The library API (docs/api.md): what a Node or TypeScript script needs to segment and score
 * a project without shelling out to the CLI. `import { openProject } from "segment"`.
 *
 * A project is its config (found and validated as the CLI does) and its folder. Each call
 * reads the exports afresh, so a script may change them between calls; nothing here writes
 * state or files. Like the CLI's entry, and unlike the engine below it, this is where the
 * working folder and the clock are read (as defaults). Errors are the CLI's: SegmentError subclasses with `exitCode` and
 * `problems` (file, line, column, message, hint).
 */
import { loadConfig, type Config } from "../config/load-config.js";
import { formatDay } from "../table/time.js";
import type { CellValue } from "../table/column.js";
import type { ValueType } from "../table/value-type.js";
import { Engine } from "../engine/engine.js";
import { OutputRows, withId } from "../engine/outputs.js";
import { rfmReport, type RfmJson, type RfmRow } from "../engine/rfm-report.js";

export { DataError, DefinitionError, ConfigError, UsageError, SegmentError, type Problem } from "../errors.js";
export type { RfmJson as RfmSummary, RfmRow } from "../engine/rfm-report.js";

/** Where the project is and what to override of its config (the CLI's global flags). */
export interface OpenOptions {
  /** The folder relative paths are read from; default the current one. */
  cwd?: string;
  /** The config file; default `segment.config.yaml` in `cwd` (defaults when there is none). */
  config?: string;
  data?: string;
  segments?: string;
  timezone?: string;
  /** "Now", epoch ms: the as-of day when none is given; default the clock. */
  now?: number;
}

/** A value of an output row: numbers, bools, text, lists; dates as `YYYY-MM-DD`, datetimes as Date. */
export type FieldValue = number | boolean | string | string[] | Date | null;

/** One evaluated segment. */
export interface SegmentResult {
  code: string;
  name: string;
  /** Member ids in ascending order. */
  members: string[];
  /** One object per member with the fields asked for (`id` first). */
  rows: Array<Record<string, FieldValue>>;
}

/** A project opened for scripting. */
export class SegmentProject {
  constructor(readonly config: Config, private readonly cwd: string, private readonly now: () => number) {}

  /** The segment definitions of the segments folder: code, name, type, active, file. */
  segments(): Array<{ code: string; name: string; type: "dynamic" | "static"; active: boolean; file: string }> {
    return Engine.definitions(this.config, this.cwd).map((d) => ({ code: d.code, name: d.name, type: d.type, active: d.active, file: d.file }));
  }

  /**
   * Evaluates segments now (all defined ones, or `codes` and what they reference), as of
   * `asOf` (default the config's as_of, else today), with `fields` per member (default `id`).
   */
  async evaluate(opts: { codes?: string[]; asOf?: string; fields?: string[] } = {}): Promise<{ asOf: string; customers: number; segments: SegmentResult[] }> {
    const engine = this.engine();
    const definitions = Engine.definitions(this.config, this.cwd);
    const ev = await engine.evaluate({ definitions, codes: opts.codes, asOf: opts.asOf, outputs: withId(opts.fields ?? []) });
    const out = new OutputRows(ev);
    const wanted = opts.codes ?? ev.computed;
    const segments = wanted.map((code): SegmentResult => {
      const members = [...ev.members.get(code)!];
      const rows = [...out.rows(members)].map((cells) => Object.fromEntries(out.columns.map((c, i) => [c.name, fieldValue(c.type, cells[i])])));
      return { code, name: ev.plan.segments.find((s) => s.code === code)?.name ?? code, members, rows };
    });
    return { asOf: ev.plan.asOf, customers: ev.customers.length, segments };
  }

  /**
   * Scores RFM (docs/rfm.md) as of `asOf`, or as of each of `dates` in one pass over the
   * orders (rows then carry `as_of`; `summary.dates` has each day's), the config's method
   * and bins overridden when given.
   */
  async rfm(opts: { asOf?: string; dates?: string[]; method?: "rank" | "quantile" | "thresholds"; bins?: number; grid?: boolean } = {}): Promise<{ summary: RfmJson; rows: RfmRow[] }> {
    const rfm = { ...(opts.method ? { method: opts.method } : {}), ...(opts.bins ? { bins: opts.bins } : {}) };
    const { summary, rows } = await rfmReport(this.engine(), { asOf: opts.asOf, dates: opts.dates, rfm, grid: opts.grid });
    return { summary, rows };
  }

  private engine(): Engine {
    return new Engine(this.config, { cwd: this.cwd, now: this.now() });
  }
}

/** Opens a project: reads and validates its config (a ConfigError lists every problem). */
export function openProject(opts: OpenOptions = {}): SegmentProject {
  const cwd = opts.cwd ?? process.cwd();
  const config = loadConfig({ config: opts.config, data: opts.data, segments: opts.segments, timezone: opts.timezone }, cwd);
  return new SegmentProject(config, cwd, () => opts.now ?? Date.now());
}

function fieldValue(type: ValueType, v: CellValue): FieldValue {
  if (v === null) return null;
  if (type === "date" && typeof v === "number") return formatDay(v);
  if (type === "datetime" && typeof v === "number") return new Date(v);
  return v;
}
