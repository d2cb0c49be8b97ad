/**
 * `segment fields`: the fields available for filters, with type, source, null count and
 * sample values, custom fields included.
 *
 * Cost: reads every export once, streaming; memory grows with customers, not with facts.
 */
import type { Command } from "commander";
import { describeFields, type FieldInfo } from "../../engine/describe-fields.js";
import { Engine } from "../../engine/engine.js";
import type { Io } from "../io.js";
import { reportIgnored, reportIngest } from "../report-ingest.js";
import { configFrom, type GlobalOptions } from "../shared-options.js";

/** Help text shown after the options. */
export const HELP = `
Reads every export once (streaming) and lists each field a segment can filter on.

Examples:
  $ segment fields
  $ segment fields --json | jq '.[] | select(.source == "customers (custom)")'
  $ segment fields --data fixtures/shopify --config fixtures/shopify/segment.config.yaml
`;

/** Registers the command. */
export function register(program: Command, io: () => Io): void {
  program
    .command("fields")
    .description("list the fields available for filters: type, source, null count, samples")
    .addHelpText("after", HELP)
    .action(async (_opts, cmd: Command) => {
      await run(cmd.optsWithGlobals() as GlobalOptions, io());
    });
}

/** Runs the command. */
export async function run(opts: GlobalOptions, io: Io): Promise<FieldInfo[]> {
  const engine = new Engine(configFrom(opts, io.cwd), { cwd: io.cwd, now: io.now() });
  const fields = await describeFields(engine.project);
  if (opts.json) {
    io.out(JSON.stringify(fields, null, 2) + "\n");
  } else {
    io.out(renderTable(fields));
  }
  reportIngest(engine, io);
  reportIgnored(engine, io);
  return fields;
}

function renderTable(fields: FieldInfo[]): string {
  const rows = fields.map((f) => [
    f.field, f.aggregate ? `${f.type} (per customer)` : f.type, f.source,
    f.nulls === undefined ? "" : `${f.nulls}/${f.rows}`,
    f.samples.map((s) => (s.length > 26 ? s.slice(0, 25) + "…" : s)).join(", "),
  ]);
  const head = ["FIELD", "TYPE", "SOURCE", "NULLS", "SAMPLES"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => [...r[i]].length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c + " ".repeat(widths[i] - [...c].length))).join("  ").trimEnd();
  return [line(head), ...rows.map(line)].join("\n") + "\n";
}
