/**
 * Rows of an output: for each customer id, the values of the plan's output fields (export
 * columns, `run --fields`), read from the evaluation's columns. An id no longer in the
 * customers (a customer who left a segment and the shop) gets its id and nulls.
 */
import type { ColumnSpec, IdRows } from "../export/writer.js";
import { RFM_FIELDS } from "../segment/fields.js";
import type { DataSchema, OutputPlan } from "../segment/plan.js";
import { cellAt, type CellValue, type Column } from "../table/column.js";
import type { Membership } from "../table/membership.js";
import type { Evaluation } from "./engine.js";

/** The fields an export shows when none are asked for: the customer columns, then the order metrics and RFM (CLI.md). */
export function defaultOutputFields(schema: DataSchema): string[] {
  const fields = Object.keys(schema.customers);
  if (!fields.includes("id")) fields.unshift("id");
  if (schema.facts.includes("orders")) fields.push("orders.count", "orders.revenue", "orders.last_at", ...RFM_FIELDS);
  return fields;
}

/** `fields` with `id` first unless it is named somewhere in them. */
export function withId(fields: readonly string[]): string[] {
  return fields.includes("id") ? [...fields] : ["id", ...fields];
}

/** The columns and rows of an evaluation's outputs. */
export class OutputRows {
  readonly columns: ColumnSpec[];
  /** Ids asked for that are not in the customers (counted unless `countMissing` is false). */
  missing = 0;
  private readonly sources: Array<{ plan: OutputPlan; column: Column | undefined }>;
  /** True when every output is the id: a row is then the id itself, whether a customer has it or not. */
  private readonly idsOnly: boolean;

  constructor(private readonly ev: Evaluation, private readonly countMissing = true) {
    this.sources = ev.plan.outputs.map((plan) => ({ plan, column: ev.state.inputColumn(plan.input) }));
    this.columns = ev.plan.outputs.map((o) => ({ name: o.field, type: o.type }));
    this.idsOnly = this.sources.every((s) => s.plan.input.kind === "column" && s.plan.input.column === "id");
  }

  /**
   * The rows of ids for a writer (writeTable): a run's files of ids (the default) need no
   * customer looked up, and are the ids as they are (IdRows), 6M rows in a first run at 1M.
   */
  tableRows(ids: Membership): Iterable<CellValue[]> | IdRows {
    return this.idsOnly && !this.countMissing ? { ids } : this.rows(ids);
  }

  /** One row per id, in the order given. */
  *rows(ids: Membership): Generator<CellValue[]> {
    const index = this.ev.customers.index;
    const n = this.sources.length;
    for (const id of ids) {
      const row = index.get(id);
      const values = new Array<CellValue>(n);
      for (let i = 0; i < n; i++) {
        const s = this.sources[i];
        if (row === undefined) values[i] = s.plan.input.kind === "column" && s.plan.input.column === "id" ? id : null;
        else values[i] = s.column ? cellAt(s.column, row) : null;
      }
      if (row === undefined) this.missing++;
      yield values;
    }
  }
}
