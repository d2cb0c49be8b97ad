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
import { withProgress } from "../progress.js";
import { fitText, renderTable } from "../table.js";
import { reportIgnored, reportIngest } from "../report-ingest.js";
import { dataConfigFrom, type GlobalOptions } from "../shared-options.js";

/** Help text shown after the options. */
export const HELP = `
Reads every export once (streaming) and lists each field a segment can filter on.

Examples:
  $ segment fields
  $ segment fields --json | jq '.fields[] | select(.source == "customers (custom)")'
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
  const engine = new Engine(dataConfigFrom(opts, io.cwd), { cwd: io.cwd, now: io.now() });
  const fields = await withProgress(io, "reading the exports", () => describeFields(engine.project));
  if (opts.json) {
    io.out(JSON.stringify({ fields }, null, 2) + "\n");
  } else {
    io.out(renderFields(fields, io.width));
  }
  reportIngest(engine, io);
  reportIgnored(engine, io);
  return fields;
}

function renderFields(fields: FieldInfo[], width: number | undefined): string {
  const rows = fields.map((f) => [
    f.field, f.type, f.aggregate ? `${f.source} (per customer)` : f.source,
    f.nulls === undefined ? "" : `${f.nulls}/${f.rows}`,
    f.samples.map((s) => fitText(s, 26)).join(", "),
  ]);
  // Samples give way first, then the source; field names stay whole.
  return renderTable(["FIELD", "TYPE", "SOURCE", "NULLS", "SAMPLES"], rows, { width, shrink: [4, 2], min: { 2: 10, 4: 10 } }).join("\n") + "\n";
}
