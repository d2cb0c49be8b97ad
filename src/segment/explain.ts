/** The compiled plan as text: the kernel tree of each segment and the shared fact aggregates. */
import type { AggSpec } from "../facts/fact-spec.js";
import { needsItems } from "../facts/fact-spec.js";
import type { CompiledPlans, PlanNode, SegmentPlan } from "./compile.js";

/** Renders plans and aggregates; tests assert on this text. */
export function explainPlans(compiled: CompiledPlans, only?: Set<string>): string {
  const lines: string[] = [];
  const used = new Set<number>();
  for (const plan of compiled.plans) {
    if (only && !only.has(plan.def.code)) continue;
    lines.push(...explainSegment(plan, used));
  }
  const specs = compiled.specs.filter((s) => used.has(s.id));
  if (specs.length) {
    lines.push("fact aggregates (one streaming pass per export):");
    for (const s of specs) lines.push(`  #${s.id} ${specText(s)}`);
  }
  return lines.join("\n") + "\n";
}

function explainSegment(plan: SegmentPlan, used: Set<number>): string[] {
  const d = plan.def;
  const lines = [`segment ${d.code} (${d.type}${d.active ? "" : ", inactive"}): ${d.name}`];
  const walk = (node: PlanNode, depth: number) => {
    const pad = "  ".repeat(depth);
    if (node.kind === "group") {
      lines.push(`${pad}${node.not ? "NOT " : ""}${node.match.toUpperCase()}${depth === 0 ? "" : ` (${node.label})`}`);
      for (const c of node.children) walk(c, depth + 1);
      return;
    }
    const src = node.source;
    let via = "";
    if (src.kind === "metric") {
      used.add(src.spec.id);
      via = `  [#${src.spec.id}.${src.metric}]`;
    } else if (src.kind === "exists") {
      src.specs.forEach((s) => used.add(s.id));
      via = `  [${src.specs.map((s) => `#${s.id}.count ${src.negate ? "= 0" : "> 0"}`).join(" and ")}]`;
    } else if (src.kind === "column" && src.column?.kind === "string") {
      via = `  [dictionary of ${src.column.dict.length} values]`;
    }
    lines.push(`${pad}${node.label}${via}`);
  };
  walk(plan.root, 1);
  return lines;
}

function specText(s: AggSpec): string {
  const conds = [...s.rowConds, ...s.itemConds].map((c) => `${c.level === "item" ? "item " : ""}${c.label}`);
  const measures = [...s.needs].join(", ");
  return `${s.table}${conds.length ? ` where ${conds.join(" and ")}` : ""}: ${measures}${needsItems(s) ? " (joins order_items by order_id)" : ""}`;
}
