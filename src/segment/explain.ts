/** The plan as text: the tree of each segment and the shared fact aggregates it reads. */
import type { NodePlan, Plan, SegmentPlan } from "./plan.js";

/** Renders the plan's segments (all, or those in `only`) and the aggregates they use; tests assert on this text. */
export function explainPlan(plan: Plan, only?: Set<string>): string {
  const lines: string[] = [];
  const used = new Set<number>();
  for (const seg of plan.segments) {
    if (only && !only.has(seg.code)) continue;
    lines.push(...explainSegment(seg, used));
  }
  const aggs = plan.aggregates.filter((a) => used.has(a.id));
  if (aggs.length) {
    lines.push(`fact aggregates (one streaming pass per export; facts dated after ${plan.asOf} ${plan.timezone} are left out):`);
    for (const a of aggs) lines.push(`  #${a.id} ${a.label}: ${a.measures.join(", ")}${a.joinsItems ? " (joins order_items by order_id)" : ""}`);
  }
  return lines.join("\n") + "\n";
}

function explainSegment(seg: SegmentPlan, used: Set<number>): string[] {
  const lines = [`segment ${seg.code} (${seg.type}${seg.active ? "" : ", inactive"}): ${seg.name}`];
  const walk = (node: NodePlan, depth: number) => {
    const pad = "  ".repeat(depth);
    if (node.kind === "group") {
      lines.push(`${pad}${node.not ? "NOT " : ""}${node.match.toUpperCase()}${depth === 0 ? "" : ` (${node.label})`}`);
      for (const c of node.children) walk(c, depth + 1);
      return;
    }
    const input = node.input;
    let via = "";
    if (input.kind === "metric") {
      used.add(input.aggregate);
      via = `  [#${input.aggregate}.${input.metric}]`;
    } else if (input.kind === "exists") {
      input.aggregates.forEach((id) => used.add(id));
      via = `  [${input.aggregates.map((id) => `#${id}.count ${input.negate ? "= 0" : "> 0"}`).join(" and ")}]`;
    }
    lines.push(`${pad}${node.label}${via}`);
  };
  walk(seg.root, 1);
  return lines;
}
