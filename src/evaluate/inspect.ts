/** What preview shows besides members: the per-node funnel and one customer's trace. */
import type { NodePlan } from "../segment/plan.js";
import { BitSet } from "../table/bitset.js";
import { cellAt } from "../table/column.js";
import { traceText } from "../table/value-text.js";
import type { EvalState } from "./eval-state.js";
import type { LoweredGroup, LoweredNode } from "./lower.js";
import { evaluateNode } from "./logical.js";

/** How many customers pass each node on its own, and (for `all` groups) after each step. */
export interface FunnelRow {
  depth: number;
  label: string;
  /** Customers passing this node alone. */
  alone: number;
  /** Customers left after this node within its `all` group (running intersection), when in one. */
  cumulative?: number;
}

/**
 * The per-filter funnel of a segment. Each filter runs once over every customer and groups
 * combine their children's sets: kernels test rows one by one, so a node's rows within any
 * candidate set are its rows overall within that set (what evaluateGroup computes).
 */
export function funnel(root: LoweredGroup, state: EvalState): FunnelRow[] {
  const rows: FunnelRow[] = [];
  const full = BitSet.full(state.size);
  const walk = (node: LoweredNode, depth: number): BitSet => {
    const row: FunnelRow = { depth, label: labelOf(node.plan), alone: 0 };
    rows.push(row);
    let alone: BitSet;
    if (node.kind === "filter") alone = node.run(full, state);
    else {
      const all = node.plan.match === "all";
      const acc: BitSet = all ? full.clone() : new BitSet(state.size);
      for (const child of node.children) {
        const at = rows.length;
        const r = walk(child, depth + 1);
        if (all) rows[at].cumulative = acc.and(r).count();
        else acc.or(r);
      }
      alone = node.plan.not ? full.clone().andNot(acc) : acc;
    }
    row.alone = alone.count();
    return alone;
  };
  walk(root, 0);
  return rows;
}

/** A node's label as the funnel and the trace show it. */
export function labelOf(node: NodePlan): string {
  if (node.kind === "filter") return node.label;
  return `${node.not ? "NOT " : ""}${node.label}: ${node.match}`;
}

/** One node's value and verdict for one customer, for `preview --customer`. */
export interface CustomerTrace {
  depth: number;
  label: string;
  value?: string;
  pass: boolean;
}

/** Explains one customer: each node's computed value and whether it passed. */
export function traceCustomer(root: LoweredGroup, row: number, state: EvalState): CustomerTrace[] {
  const out: CustomerTrace[] = [];
  const one = new BitSet(state.size);
  one.add(row);
  const walk = (node: LoweredNode, depth: number) => {
    const pass = evaluateNode(node, one, state).has(row);
    const t: CustomerTrace = { depth, label: labelOf(node.plan), pass };
    if (node.kind === "filter") t.value = valueOf(node, row, state);
    out.push(t);
    if (node.kind === "group") for (const c of node.children) walk(c, depth + 1);
  };
  walk(root, 0);
  return out;
}

function valueOf(node: LoweredNode & { kind: "filter" }, row: number, state: EvalState): string {
  const input = node.plan.input;
  switch (input.kind) {
    case "exists": {
      const table = input.aggregates.map((id) => state.plan.aggregates.find((a) => a.id === id)!.table);
      return input.aggregates.map((id, k) => `${state.facts.get(id)!.count[row]} matching ${table[k]}`).join(", ");
    }
    case "segment":
      return input.codes.map((c) => `${c}: ${state.segments.get(c)!.has(row) ? "member" : "not a member"}`).join(", ");
    default: {
      const col = state.inputColumn(input);
      if (!col) return input.kind === "column" ? "null (no such column)" : "null";
      return traceText(col.type, cellAt(col, row), state.timezone);
    }
  }
}
