// RFM as of several days and the members of the segments, from a script, no shelling out.
// Run from the repository: node examples/api/rfm-batch.mjs
// (outside it, after `npm install segment`, the import is the same).
import path from "node:path";
import { fileURLToPath } from "node:url";
import { openProject } from "segment";

const here = path.dirname(fileURLToPath(import.meta.url));
// The R package rfm's orders, through examples/rfm's config (data: ../shared/data/rfm).
const project = openProject({ cwd: path.join(here, "..", "rfm") });

// Two as-of days in one pass over the orders: one summary per day, rows with as_of.
const { summary, rows } = await project.rfm({ dates: ["2006-06-30", "2006-12-31"], method: "quantile" });
for (const day of summary.dates) {
  const champions = day.segments.find((s) => s.code === "champions");
  const first = rows.find((r) => r.as_of === day.as_of);
  console.log(`${day.as_of}: ${day.scored} customers scored, ${champions.customers} champions; first row ${JSON.stringify(first)}`);
}

// Every segment of the project's segments folder, with a field per member.
const { segments } = await project.evaluate({ asOf: "2006-12-31", fields: ["orders.count", "rfm.segment"] });
for (const s of segments) console.log(`${s.code}: ${s.members.length} members, e.g. ${JSON.stringify(s.rows[0])}`);
