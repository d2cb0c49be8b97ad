/**
 * `segment history (--customer ID | --segment CODE) [--since DATE] [--json]`: the enter
 * and leave events of one customer or one segment, newest run first.
 *
 * Cost: streams the history files of the committed runs line by line; memory does not grow
 * with the history.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { StateStore, type HistoryEvent } from "../../state/snapshot.js";
import type { Io } from "../io.js";
import { configFrom, type GlobalOptions } from "../shared-options.js";

/** Help text shown after the options. */
export const HELP = `
Examples:
  $ segment history --customer C0011
  $ segment history --segment tea-repeat-offer --since 2026-11-01
  $ segment history --segment tea-repeat-offer --json | jq '.events[] | select(.event == "enter")'
`;

interface HistoryOptions extends GlobalOptions {
  customer?: string;
  segment?: string;
  since?: string;
}

/** Registers the command. */
export function register(program: Command, io: () => Io): void {
  program
    .command("history")
    .description("enter and leave events of a customer or a segment, newest first")
    .option("--customer <id>", "events of one customer")
    .option("--segment <code>", "events of one segment")
    .option("--since <date>", "only runs as of this day or later (YYYY-MM-DD)")
    .addHelpText("after", HELP)
    .action(async (_opts, cmd: Command) => {
      await run(cmd.optsWithGlobals() as HistoryOptions, io());
    });
}

/** Runs the command; returns the number of events printed. */
export async function run(opts: HistoryOptions, io: Io): Promise<number> {
  if ((opts.customer === undefined) === (opts.segment === undefined)) throw new UsageError("history takes --customer ID or --segment CODE (one of them)");
  if (opts.since !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(opts.since)) throw new UsageError(`--since takes a date YYYY-MM-DD, not "${opts.since}"`);
  const config = configFrom(opts, io.cwd);
  const store = new StateStore(config.state);
  const manifest = store.current();
  const runs = [...(manifest?.runs ?? [])].reverse().filter((r) => opts.since === undefined || r.as_of >= opts.since);
  const wanted = (e: HistoryEvent) => (opts.customer !== undefined ? e.customer_id === opts.customer : e.segment === opts.segment);
  let n = 0;
  // Streamed: a segment's history can be long. The shape is docs/json.md's.
  if (opts.json) io.out('{"events": [');
  for (const r of runs) {
    const file = store.historyFiles({ ...manifest!, runs: [r] })[0];
    if (!file) continue;
    const lines = createInterface({ input: createReadStream(file, "utf8"), crlfDelay: Infinity });
    for await (const line of lines) {
      if (line === "") continue;
      const e = JSON.parse(line) as HistoryEvent;
      if (!wanted(e)) continue;
      if (opts.json) io.out(`${n ? "," : ""}\n${JSON.stringify(e)}`);
      else io.out(`${e.as_of}  run ${e.run_id}  ${e.event === "enter" ? "enter" : "leave"}  ${opts.customer !== undefined ? e.segment : e.customer_id}\n`);
      n++;
    }
  }
  if (opts.json) io.out(n ? "\n]}\n" : "]}\n");
  else if (n === 0) io.info(manifest ? "no events" : "no runs yet: `segment run` records the history");
  return n;
}
