/**
 * Turns raw record batches into typed batches of canonical columns: the source-to-canonical
 * mapping, per-column parsers and the bad-value checks of DATA.md.
 */
import { guardRegexps } from "../safe-regex.js";
import { DataError, type Problem } from "../errors.js";
import type { ResolvedSource } from "./sources.js";
import type { ColumnMapping } from "../config/load-config.js";
import {
  compileDateFormat, parseBool, parseDate, parseDateTime, parseDecimal, parseId, parseInteger, parseList,
  plainDateAt, plainDateTimeAt, plainNumberAt,
  TYPE_EXPECTATION, type DateFormat,
} from "../schema/parse-value.js";
import { rowCount, type RawCell, type RecordBatch } from "./records.js";
import type { CellBlock } from "./scan-bytes.js";
import type { ValueType } from "../table/value-type.js";
import { BitSet } from "../table/bitset.js";
import { rawCellText } from "../table/value-text.js";
import { customFieldName, SCHEMAS } from "../schema/exports.js";
import { keyIn, type IdForm } from "../table/id-index.js";

/**
 * Typed values of one column of a batch. Nulls are marked the way customer columns mark
 * them: a clear bit in `validity` (the value slot then holds 0, "" or an empty list).
 * Dates are day numbers, datetimes epoch ms.
 *
 * An id column the caller looks up by number (ColumnPlan.key) may come with `keys`: for
 * each row whose cell is an id of the column's form, its number, with "" in `values`; NaN
 * and the id in `values` for every other row. Only byte-scanned batches have them.
 */
export type TypedValues =
  | { type: "id" | "string"; values: string[]; validity: BitSet; keys?: Float64Array }
  | { type: "integer" | "decimal" | "date" | "datetime"; values: Float64Array; validity: BitSet }
  | { type: "bool"; values: Uint8Array; validity: BitSet }
  | { type: "list"; values: string[][]; validity: BitSet };

/** A batch of rows with typed canonical columns (and, for customers, raw custom-field text). */
export interface TypedBatch {
  length: number;
  lines: Int32Array;
  columns: Record<string, TypedValues>;
  /** Custom fields (and fact custom columns being inferred): trimmed text or null, typed after inference. */
  custom: Record<string, Array<string | null>>;
  /** The file the rows came from, as messages show it. */
  display?: string;
}

/** A bad value found while typing a row. */
export interface BadValue {
  row: number;
  problem: Problem;
}

interface ColumnPlan {
  name: string;
  type: ValueType;
  index: number;
  format?: DateFormat;
  timezone: string;
  /** A derived column: the source value mapped by the config's `values` rules. */
  derive?: (cell: RawCell) => RawCell;
  /** An id column looked up by number: its ids of this form are read as `keys`, not strings. */
  key?: IdForm;
}

/** The function of a mapping's `values` and `default`: the first rule that fits gives the value. */
export function deriver(mapping: ColumnMapping): ((cell: RawCell) => RawCell) | undefined {
  if (!mapping.values && mapping.default === undefined) return undefined;
  guardRegexps();
  const rules = (mapping.values ?? []).map((v) => ({ exact: v.regex ? undefined : v.match, re: v.regex ? new RegExp(v.regex.source, v.regex.flags) : undefined, to: v.to }));
  const fallback = mapping.default;
  return (cell) => {
    const text = cell === null || cell === undefined ? "" : typeof cell === "object" ? jsonText(cell) : String(cell).trim();
    for (const r of rules) if (r.re ? r.re.test(text) : r.exact === text) return r.to;
    return fallback ?? cell;
  };
}

/** A fact export's column mapped to no canonical column: a custom fact column `<name>`. */
export interface ExtraColumn {
  header: string;
  name: string;
}

/** How a fact export's custom columns are read: typed (after inference) or as raw text (for it). */
export interface CustomReading {
  /** Inferred types: a wanted custom column with a type here is typed like a canonical one. */
  types?: Readonly<Record<string, ValueType>>;
  /** Custom columns to hand over as raw text in `TypedBatch.custom` (to infer their types). */
  raw?: readonly string[];
  /** Names the language already gives a field of this export: columns of those names are ignored. */
  taken?: ReadonlySet<string>;
  /** The customers' custom fields to read (by name, without `custom.`); default all. */
  customers?: readonly string[];
}

/** How the current header maps onto canonical and custom columns. */
export interface HeaderPlan {
  columns: ColumnPlan[];
  custom: Array<{ name: string; index: number }>;
  /** A fact export's custom columns, in header order. */
  extra: ExtraColumn[];
  /** Canonical columns that the export lacks. */
  missing: string[];
  /** Mapped source columns not found in the header. */
  unmatched: Array<{ column: string; from: string }>;
  /** Width of the header this plan was made for. */
  width: number;
  /** Fact columns read into nothing: not in `ignore`, and with no name of their own (blank, or one taken). */
  ignored: string[];
}

const normalise = (s: string) => s.trim().toLowerCase();

/**
 * Two columns whose names match alike (ignoring case and the spaces around them): which one
 * a field reads would be a guess, so the export is refused.
 */
function duplicateColumn(source: ResolvedSource, header: string[], first: number, again: number): DataError {
  const [a, b] = [header[first], header[again]];
  const csv = source.format === "csv";
  const where = csv ? `columns ${first + 1} and ${again + 1}` : "two keys";
  return new DataError([{
    file: source.display, line: csv ? 1 : undefined, col: csv ? again + 1 : undefined,
    message: a === b ? `the column ${JSON.stringify(a)} appears twice (${where})` : `the columns ${JSON.stringify(a)} and ${JSON.stringify(b)} differ only in case or spaces (${where}), and names are matched ignoring both`,
    hint: `rename or drop one of them in the export (sources.${source.name}.ignore skips both)`,
  }]);
}

/** Builds the column plan for a header; `wanted` limits the columns typed. */
export function planHeader(header: string[], source: ResolvedSource, timezone: string, wanted?: readonly string[], reading: CustomReading = {}): HeaderPlan {
  const schema = SCHEMAS[source.name];
  const byName = new Map<string, number>();
  const skipped = new Set(source.options.ignore.map(normalise));
  header.forEach((h, i) => {
    const key = normalise(h);
    const first = byName.get(key);
    if (first === undefined) byName.set(key, i);
    else if (key !== "" && !skipped.has(key)) throw duplicateColumn(source, header, first, i);
  });
  const used = new Set<number>();
  const columns: ColumnPlan[] = [];
  const missing: string[] = [];
  const unmatched: HeaderPlan["unmatched"] = [];
  for (const [name, type] of Object.entries(schema.columns)) {
    const mapping = source.options.columns[name];
    const from = mapping?.from ?? name;
    const index = byName.get(normalise(from));
    if (index === undefined) {
      if (mapping && mapping.from !== name) unmatched.push({ column: name, from });
      missing.push(name);
      continue;
    }
    used.add(index);
    if (wanted && !wanted.includes(name)) continue;
    columns.push({
      name, type, index,
      format: mapping?.format ? compileDateFormat(mapping.format) : undefined,
      timezone: mapping?.timezone ?? timezone,
      derive: mapping ? deriver(mapping) : undefined,
    });
  }
  // The columns mapped to nothing: custom fields of the customers, custom fact columns of
  // the other exports, both named by customFieldName.
  const custom: HeaderPlan["custom"] = [];
  const ignoredColumns: string[] = [];
  const extra: ExtraColumn[] = [];
  const facts = source.name !== "customers";
  const ignored = new Set(source.options.ignore.map(normalise));
  const seen = new Set<string>();
  header.forEach((h, index) => {
    if (used.has(index) || h.trim() === "" || ignored.has(normalise(h))) return;
    const name = customFieldName(h);
    // A fact column whose name a field already has, or repeats another's, is said to be ignored.
    if (name === "" || seen.has(name) || (facts && (name in schema.columns || reading.taken?.has(name)))) {
      if (facts) ignoredColumns.push(h);
      return;
    }
    seen.add(name);
    if (!facts) {
      if (!reading.customers || reading.customers.includes(name)) custom.push({ name, index });
      return;
    }
    extra.push({ header: h, name });
    const type = reading.types?.[name];
    if (type && (!wanted || wanted.includes(name))) columns.push({ name, type, index, timezone });
    if (reading.raw?.includes(name)) custom.push({ name, index });
  });
  return { columns, custom, extra, missing, unmatched, width: header.length, ignored: ignoredColumns };
}


/** A JSON cell's value as JSON text (the readers refuse values nested past MAX_JSON_DEPTH, so this cannot overflow). */
function jsonText(raw: RawCell): string {
  return JSON.stringify(raw) ?? String(raw);
}

/** Text of a raw cell, trimmed; null when empty or missing. Objects and arrays are not text. */
function textOf(cell: RawCell): string | null | undefined {
  if (cell === null || cell === undefined) return null;
  if (typeof cell === "string") {
    const t = cell.trim();
    return t === "" ? null : t;
  }
  if (typeof cell === "number" || typeof cell === "boolean") return String(cell);
  return undefined;
}

/** `17850.0` -> `17850` (an id a spreadsheet wrote as a number); other ids as they are. */
export function dropDecimalZeros(id: string): string {
  return /^-?\d+\.0+$/.test(id) ? id.slice(0, id.indexOf(".")) : id;
}

/**
 * What to do about a value that does not read as its column's type, from its shape: a date
 * format to set, a decimal comma, thousands separators to remove.
 */
export function badValueHint(type: ValueType, text: string, source: string, column: string, decimal: "." | ","): string | undefined {
  const t = text.trim();
  const setFormat = (f: string) => `set the column's format: sources.${source}.columns.${column}: { format: ${f} }`;
  if (type === "date" || type === "datetime") {
    if (/^\d{8}$/.test(t)) return setFormat("YYYYMMDD");
    if (/^\d{8}[ T]?\d{4,6}$/.test(t)) return setFormat(t.length > 13 ? "YYYYMMDDHHmmss" : "YYYYMMDDHHmm");
    if (/^\d{1,2}\.\d{1,2}\.\d{4}/.test(t)) return setFormat(t.length > 10 ? "DD.MM.YYYY HH:mm" : "DD.MM.YYYY");
    if (/^\d{1,2}\/\d{1,2}\/\d{4}/.test(t)) return `${setFormat("MM/DD/YYYY")} (or DD/MM/YYYY: the export's country tells which)`;
    return undefined;
  }
  if (type === "integer" || type === "decimal") {
    if (/^-?\d{1,3}(,\d{3})+(\.\d+)?$/.test(t) && decimal === ".") return "the number has thousands separators (1,234.00): export numbers without them; `decimal: \",\"` would read 1,234 as 1.234";
    if (/^-?\d{1,3}(\.\d{3})+(,\d+)?$/.test(t) && decimal === ",") return "the number has thousands separators (1.234,00): export numbers without them";
    if (/^-?\d+,\d+$/.test(t) && decimal === ".") return "for a decimal comma set the source's `decimal: \",\"`";
  }
  return undefined;
}

/** Types one raw batch. Rows with a bad value are reported in `bad` and left out of the result. */
export function typeBatch(batch: RecordBatch, plan: HeaderPlan, source: ResolvedSource): { typed: TypedBatch; bad: BadValue[] } {
  const n = rowCount(batch);
  const cells = batch.cells;
  const opts = source.options;
  const listSep = opts.listSeparator ?? (opts.delimiter === ";" ? "," : ";");
  const ok = new Uint8Array(n).fill(1);
  const bad: BadValue[] = [];
  const columns: Record<string, TypedValues> = {};
  const reject = (row: number, col: ColumnPlan, raw: RawCell, message?: string) => {
    if (!ok[row]) return;
    ok[row] = 0;
    const hint = col.format ? `expected the format ${col.format.source}` : undefined;
    bad.push({
      row,
      problem: {
        file: source.display, line: batch.lines[row], col: source.format === "csv" ? col.index + 1 : undefined,
        path: col.name, value: typeof raw === "string" ? raw : jsonText(raw),
        message: message ?? `expected ${TYPE_EXPECTATION[col.type]}`,
        hint: hint ?? (typeof raw === "string" ? badValueHint(col.type, raw, source.name, col.name, opts.decimal) : undefined),
      },
    });
  };

  const dropZeros = source.ids?.dropDecimalZeros === true;
  for (const col of plan.columns) {
    // A derived column reads one-cell rows of its derived values (the source rows stay as
    // they are: a source column may feed two columns).
    const derive = col.derive;
    const idx = col.index;
    const raw = cellReader(batch, idx);
    const cellAt = derive ? (r: number) => derive(raw(r)) : raw;
    switch (col.type) {
      case "id":
      case "string": {
        if (col.type === "id" && col.key && cells && !derive && !dropZeros) {
          columns[col.name] = keyedIds(cells, idx, col.key, n, (r) => reject(r, col, cellAt(r)));
          break;
        }
        const values = new Array<string>(n);
        const validity = BitSet.full(n);
        for (let r = 0; r < n; r++) {
          const cell = cellAt(r);
          const t = textOf(cell);
          let v = t === undefined || t === null ? "" : col.type === "id" ? parseId(t) : t;
          if (dropZeros && col.type === "id") v = dropDecimalZeros(v);
          if (t === undefined) reject(r, col, cell);
          values[r] = v;
          if (v === "") validity.delete(r);
        }
        columns[col.name] = { type: col.type, values, validity };
        break;
      }
      case "integer":
      case "decimal":
      case "date":
      case "datetime": {
        const values = new Float64Array(n);
        const validity = BitSet.full(n);
        // Plain numbers and dates of scanned bytes are read in place; the rest as text below.
        const inPlace = cells && !derive && !col.format ? placeReader(col, opts.decimal) : undefined;
        const block = inPlace ? cells : undefined;
        for (let r = 0; r < n; r++) {
          if (block && inPlace) {
            const k = r * block.width + idx;
            const at = block.starts[k], end = block.ends[k];
            if (at === end) {
              validity.delete(r);
              continue;
            }
            const v = block.escaped[k] === 1 ? undefined : inPlace(block.text, at, end);
            if (v !== undefined) {
              values[r] = v;
              continue;
            }
          }
          const raw = cellAt(r);
          if (typeof raw === "number" && (col.type === "integer" || col.type === "decimal")) {
            // JSON's 1e309 parses to Infinity: not a number any shop wrote.
            if (!Number.isFinite(raw)) reject(r, col, raw, "a number too large to hold (it reads as infinity)");
            else if (col.type === "integer" && !Number.isSafeInteger(raw)) reject(r, col, raw);
            values[r] = raw;
            continue;
          }
          const t = textOf(raw);
          if (t === null) {
            validity.delete(r);
            continue;
          }
          let v: number | undefined;
          if (t !== undefined) {
            if (col.type === "integer") v = parseInteger(t, opts.decimal);
            else if (col.type === "decimal") v = parseDecimal(t, opts.decimal);
            else if (col.type === "date") v = parseDate(t, col.format);
            else v = parseDateTime(t, col.timezone, col.format);
          }
          if (v === undefined) {
            reject(r, col, raw);
            validity.delete(r);
          } else values[r] = v;
        }
        columns[col.name] = { type: col.type, values, validity };
        break;
      }
      case "bool": {
        const values = new Uint8Array(n);
        const validity = BitSet.full(n);
        for (let r = 0; r < n; r++) {
          const raw = cellAt(r);
          if (typeof raw === "boolean") {
            values[r] = raw ? 1 : 0;
            continue;
          }
          const t = textOf(raw);
          const v = t === null || t === undefined ? undefined : parseBool(t);
          if (v === undefined) {
            if (t !== null) reject(r, col, raw);
            validity.delete(r);
          } else values[r] = v ? 1 : 0;
        }
        columns[col.name] = { type: "bool", values, validity };
        break;
      }
      case "list": {
        const values = new Array<string[]>(n);
        const validity = BitSet.full(n);
        for (let r = 0; r < n; r++) {
          const raw = cellAt(r);
          if (Array.isArray(raw)) {
            const items: string[] = [];
            let good = true;
            for (const item of raw) {
              const t = textOf(item as RawCell);
              if (t === undefined) good = false;
              else if (t !== null) items.push(t);
            }
            if (!good) reject(r, col, raw, "expected a list of strings");
            values[r] = items;
            continue;
          }
          const t = textOf(raw);
          if (t === undefined) reject(r, col, raw, "expected a list of strings");
          if (t === undefined || t === null) {
            values[r] = [];
            validity.delete(r);
          } else values[r] = parseList(t, listSep);
        }
        columns[col.name] = { type: "list", values, validity };
        break;
      }
    }
  }

  const custom: Record<string, Array<string | null>> = {};
  for (const c of plan.custom) {
    const values = new Array<string | null>(n);
    const cellAt = cellReader(batch, c.index);
    for (let r = 0; r < n; r++) {
      const cell = cellAt(r);
      const t = textOf(cell);
      // A custom column is never a list (docs/data.md): a JSON array or object there is a bad row.
      if (t === undefined) {
        reject(r, { name: c.name, type: "string", index: c.index, timezone: "UTC" }, cell, "expected a text, number or true/false, not a JSON array or object");
        values[r] = null;
      } else values[r] = t;
    }
    custom[c.name] = values;
  }

  const lines = Int32Array.from(batch.lines);
  bad.sort((a, b) => a.row - b.row);
  if (bad.length === 0) return { typed: { length: n, lines, columns, custom, display: source.display }, bad };
  return { typed: { ...compact({ length: n, lines, columns, custom }, ok), display: source.display }, bad };
}

/**
 * An id column of scanned bytes with `keys` (TypedValues): a cell that is plainly an id of
 * `form` is read as its number, any other as text the usual way.
 */
function keyedIds(block: CellBlock, idx: number, form: IdForm, n: number, reject: (r: number) => void): TypedValues {
  const values = new Array<string>(n);
  const keys = new Float64Array(n);
  const validity = BitSet.full(n);
  for (let r = 0; r < n; r++) {
    const k = r * block.width + idx;
    const at = block.starts[k], end = block.ends[k];
    const key = block.escaped[k] === 1 ? -1 : keyIn(block.text, at, end, form);
    if (key >= 0) {
      keys[r] = key;
      values[r] = "";
      continue;
    }
    keys[r] = NaN;
    const t = textOf(block.cell(r, idx));
    const v = t === undefined || t === null ? "" : parseId(t);
    if (t === undefined) reject(r);
    values[r] = v;
    if (v === "") validity.delete(r);
  }
  return { type: "id", values, validity, keys };
}

/** The cells of one column of a batch, by row. */
function cellReader(batch: RecordBatch, index: number): (r: number) => RawCell {
  const cells = batch.cells;
  if (cells) return (r) => cells.cell(r, index);
  const rows = batch.rows;
  return (r) => rows[r][index];
}

/**
 * The in-place reader of a number or date column's plainest values (parse-value.ts); an
 * empty cell is null before it is asked. Undefined from it: the text is typed as usual.
 */
function placeReader(col: ColumnPlan, decimal: "." | ","): ((t: string, at: number, end: number) => number | undefined) | undefined {
  const separator = decimal.charCodeAt(0);
  switch (col.type) {
    case "integer": return (t, at, end) => plainNumberAt(t, at, end, undefined);
    case "decimal": return (t, at, end) => plainNumberAt(t, at, end, separator);
    case "date": return plainDateAt;
    case "datetime": return (t, at, end) => plainDateTimeAt(t, at, end, col.timezone);
    default: return undefined;
  }
}

/** Keeps only the rows flagged in `keep`. */
function compact(b: TypedBatch, keep: Uint8Array): TypedBatch {
  const idx: number[] = [];
  for (let r = 0; r < b.length; r++) if (keep[r]) idx.push(r);
  const pick = <T>(arr: ArrayLike<T>): T[] => idx.map((r) => arr[r]);
  const columns: Record<string, TypedValues> = {};
  for (const [name, col] of Object.entries(b.columns)) {
    const validity = new BitSet(idx.length);
    idx.forEach((r, k) => {
      if (col.validity.has(r)) validity.add(k);
    });
    switch (col.type) {
      case "integer": case "decimal": case "date": case "datetime":
        columns[name] = { type: col.type, values: Float64Array.from(pick(col.values)), validity };
        break;
      case "bool":
        columns[name] = { type: "bool", values: Uint8Array.from(pick(col.values)), validity };
        break;
      case "list":
        columns[name] = { type: "list", values: pick(col.values), validity };
        break;
      default:
        columns[name] = { type: col.type, values: pick(col.values), validity, ...(col.keys ? { keys: Float64Array.from(pick(col.keys)) } : {}) };
    }
  }
  const custom: TypedBatch["custom"] = {};
  for (const [name, values] of Object.entries(b.custom)) custom[name] = pick(values);
  return { length: idx.length, lines: Int32Array.from(pick(b.lines)), columns, custom };
}

/** Raw text of a row for the rejected-rows file. */
export function rawRowText(row: RawCell[], delimiter: string): string {
  return row.map(rawCellText).join(delimiter);
}
