// RFM for several as-of days and the members of a segment, from a script, no shelling out.
// Run from the repository: node examples/api/rfm-batch.mjs
// (outside it, after `npm install segment`, the import is the same).
import path from "node:path";
import { fileURLToPath } from "node:url";
import { openProject } from "segment";

const here = path.dirname(fileURLToPath(import.meta.url));
// The R package rfm's orders, through examples/rfm's config (data: ../shared/data/rfm).
const project = openProject({ cwd: path.join(here, "..", "rfm") });

for (const asOf of ["2006-06-30", "2006-12-31"]) {
  const { summary, rows } = await project.rfm({ asOf, method: "quantile" });
  const champions = summary.segments.find((s) => s.code === "champions");
  console.log(`${asOf}: ${summary.scored} customers scored, ${champions.customers} champions; first row ${JSON.stringify(rows[0])}`);
}

// Every segment of the project's segments folder, with a field per member.
const { segments } = await project.evaluate({ asOf: "2006-12-31", fields: ["orders.count", "rfm.segment"] });
for (const s of segments) console.log(`${s.code}: ${s.members.length} members, e.g. ${JSON.stringify(s.rows[0])}`);
