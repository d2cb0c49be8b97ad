/**
 * `segment list`: every defined segment with its state: type (static locked), active,
 * members now, entered and left at its last run, created and last computed, and the member
 * counts of its last runs as a sparkline. With --archived, also the segments removed from
 * the folder but kept in the state.
 *
 * Cost: reads the definitions and the state's manifest; no data.
 */
import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { Engine } from "../../engine/engine.js";
import { StateStore } from "../../state/snapshot.js";
import type { Io } from "../io.js";
import { renderTable } from "../table.js";
import { configFrom, type GlobalOptions } from "../shared-options.js";

/** Help text shown after the options. */
export const HELP = `
Examples:
  $ segment list
  $ segment list --sort members --active
  $ segment list --json
`;

interface ListOptions extends GlobalOptions {
  sort?: string;
  active?: boolean;
  inactive?: boolean;
  archived?: boolean;
}

/** One row of the list. */
export interface ListRow {
  code: string;
  name: string;
  type: "dynamic" | "static";
  active: boolean;
  archived: boolean;
  /** Members at the last run that computed it; null when never computed. */
  members: number | null;
  entered: number | null;
  left: number | null;
  /** Run ids. */
  created: string | null;
  computed: string | null;
  /** Member counts of the last runs that computed it, oldest first. */
  counts: number[];
}

const SORTS = ["code", "members", "created"];
const SPARK = "▁▂▃▄▅▆▇█";

/** Registers the command. */
export function register(program: Command, io: () => Io): void {
  program
    .command("list")
    .description("list every segment: type, active, members, last entered/left, a sparkline of its size")
    .option("--sort <key>", `sort by ${SORTS.join(", ")}`, "code")
    .option("--active", "only active segments")
    .option("--inactive", "only inactive segments")
    .option("--archived", "also segments removed from the folder but kept in the state")
    .addHelpText("after", HELP)
    .action(async (_opts, cmd: Command) => {
      run(cmd.optsWithGlobals() as ListOptions, io());
    });
}

/** Runs the command. */
export function run(opts: ListOptions, io: Io): ListRow[] {
  const sort = opts.sort ?? "code";
  if (!SORTS.includes(sort)) throw new UsageError(`--sort takes ${SORTS.join(", ")}, not "${sort}"`);
  const config = configFrom(opts, io.cwd);
  const defs = Engine.definitions(config, io.cwd);
  const manifest = new StateStore(config.state).current();
  const rows: ListRow[] = defs.map((d) => {
    const s = manifest?.segments[d.code];
    return {
      code: d.code, name: d.name, type: d.type, active: d.active, archived: false,
      members: s && s.computed ? s.members : null, entered: s && s.computed ? s.entered : null, left: s && s.computed ? s.left : null,
      created: s?.created ?? null, computed: s?.computed || null, counts: s?.counts ?? [],
    };
  });
  if (opts.archived) {
    for (const s of Object.values(manifest?.segments ?? {})) {
      if (!s.archived || defs.some((d) => d.code === s.code)) continue;
      rows.push({ code: s.code, name: s.name, type: s.type, active: false, archived: true, members: s.members, entered: s.entered, left: s.left, created: s.created, computed: s.computed || null, counts: s.counts });
    }
  }
  let shown = rows.filter((r) => (opts.active ? r.active : true) && (opts.inactive ? !r.active : true));
  shown = shown.sort((a, b) => (sort === "members" ? (b.members ?? -1) - (a.members ?? -1) : 0) || (sort === "created" ? String(a.created ?? "~").localeCompare(String(b.created ?? "~")) : 0) || (a.code < b.code ? -1 : 1));
  if (opts.json) io.out(JSON.stringify({ segments: shown }, null, 2) + "\n");
  else io.out(renderList(shown, io));
  return shown;
}

/** The member counts as a sparkline, scaled between their minimum and maximum. */
export function sparkline(counts: number[]): string {
  if (counts.length === 0) return "";
  const lo = Math.min(...counts), hi = Math.max(...counts);
  return counts.map((c) => SPARK[hi === lo ? 3 : Math.round(((c - lo) / (hi - lo)) * (SPARK.length - 1))]).join("");
}

function renderList(rows: ListRow[], io: Io): string {
  const head = ["CODE", "NAME", "TYPE", "ACTIVE", "MEMBERS", "ENTERED", "LEFT", "CREATED", "COMPUTED", "SIZE"];
  const cells = rows.map((r) => [
    r.code, r.name,
    r.type === "static" ? "static 🔒" : "dynamic",
    r.archived ? "archived" : r.active ? "yes" : "no",
    r.members === null ? "-" : String(r.members), r.entered === null ? "-" : `+${r.entered}`, r.left === null ? "-" : `-${r.left}`,
    r.created ?? "-", r.computed ?? "-", sparkline(r.counts),
  ]);
  // The run ids and the name give way first (widest first), the code last and least; on a
  // narrow terminal the run ids are left out (`list --json` has them).
  const [header, ...body] = renderTable(head, cells, { width: io.width, shrink: [1, 7, 8, 9, 0], min: { 0: 16, 1: 12, 7: 8, 8: 8, 9: 6 }, drop: [7, 8] });
  return [header, ...body.map((text, k) => (rows[k].active ? text : io.style.gray(text)))].join("\n") + "\n";
}
