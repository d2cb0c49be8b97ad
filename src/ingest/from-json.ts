/**
 * JSON readers: a top-level array of objects, scanned object by object so the whole file is
 * never held, and NDJSON, one object a line.
 */
import { DataError } from "../errors.js";
import { DEFAULT_LIMITS, LIMIT_KEYS, type Limits } from "../config/load-config.js";
import { DEFAULT_BATCH, limitError, MAX_JSON_DEPTH, nestedDeeper, type RawCell, type ReaderOptions, type RecordBatch } from "./records.js";
import { readText } from "./text-stream.js";

const MSG_NOT_ARRAY = "a JSON export must be an array of objects ([{...}, {...}]) or NDJSON";
const MSG_NOT_OBJECT = "expected a JSON object for this row";
const MSG_UNCLOSED = "the JSON array is not closed (the file is cut short?)";

/**
 * Keeps the union of keys seen, in order of first appearance, and turns objects into rows;
 * stops at the limits (keys, characters of a text value, nesting).
 */
class RowShaper {
  readonly header: string[] = [];
  private readonly index = new Map<string, number>();
  /** Keys as columns are matched (trimmed, lower-cased), to refuse two that match alike where the second appears. */
  private readonly matched = new Map<string, string>();
  private readonly ignored: Set<string>;
  constructor(private readonly file: string, private readonly limits: Limits, ignore: readonly string[] = []) {
    this.ignored = new Set(ignore.map((k) => k.trim().toLowerCase()));
  }
  toRow(obj: Record<string, unknown>, line: number): RawCell[] {
    const row: RawCell[] = new Array(this.header.length);
    for (const key in obj) {
      let i = this.index.get(key);
      if (i === undefined) {
        i = this.header.length;
        if (i >= this.limits.columns) throw limitError(this.file, line, undefined, "an export", this.limits.columns, "different keys", LIMIT_KEYS.columns);
        const norm = key.trim().toLowerCase();
        const other = this.matched.get(norm);
        if (other !== undefined && norm !== "" && !this.ignored.has(norm)) {
          throw new DataError([{ file: this.file, line, message: `the keys ${JSON.stringify(other)} and ${JSON.stringify(key)} differ only in case or spaces, and names are matched ignoring both`, hint: "rename or drop one of them in the export" }]);
        }
        this.matched.set(norm, key);
        this.header.push(key);
        this.index.set(key, i);
      }
      const v = obj[key];
      if (typeof v === "string" && v.length > this.limits.fieldChars) throw limitError(this.file, line, undefined, `the value of "${key.slice(0, 40)}": a text`, this.limits.fieldChars, "characters", LIMIT_KEYS.fieldChars);
      if (typeof v === "object" && v !== null && nestedDeeper(v, MAX_JSON_DEPTH)) {
        throw new DataError([{ file: this.file, line, path: key.slice(0, 40), message: `a value nested more than ${MAX_JSON_DEPTH} levels deep`, hint: "a damaged or hostile file: export it again" }]);
      }
      row[i] = v as RawCell;
    }
    return row;
  }
}

/** Where a JSON.parse error points inside `text`, as line and column offsets. */
function jsonErrorPosition(e: unknown, text: string): { dl: number; col: number; reason: string } {
  const msg = (e as Error).message;
  const m = /position (\d+)/.exec(msg);
  const pos = m ? Number(m[1]) : 0;
  const before = text.slice(0, pos);
  const dl = before.split("\n").length - 1;
  const col = pos - (before.lastIndexOf("\n") + 1) + 1;
  return { dl, col, reason: msg.replace(/ in JSON at position \d+.*$/, "").split("\n")[0] };
}

/** Streams the records of a JSON array export. */
export async function* fromJsonArray(opts: ReaderOptions): AsyncGenerator<RecordBatch> {
  const batchSize = opts.batchSize ?? DEFAULT_BATCH;
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const shaper = new RowShaper(opts.display, limits, opts.ignore);
  let rows: RawCell[][] = [];
  let lines: number[] = [];
  let line = 1;
  let col = 0;
  let started = false;
  let closed = false;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let current = "";
  let objLine = 0;
  let objCol = 0;
  const fail = (message: string, hint?: string): never => {
    throw new DataError([{ file: opts.display, line, col, message, hint }]);
  };
  for await (const chunk of readText(opts.file, opts.display, opts.encoding)) {
    // An object still open from the previous chunk continues at this chunk's start.
    let segStart = depth > 0 ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (c === 10) {
        line++;
        col = 0;
      } else col++;
      if (depth > 0) {
        if (inString) {
          if (escaped) escaped = false;
          else if (c === 92) escaped = true;
          else if (c === 34) inString = false;
          continue;
        }
        if (c === 34) inString = true;
        else if (c === 123 || c === 91) depth++;
        else if (c === 125 || c === 93) {
          depth--;
          if (depth === 0) {
            current += chunk.slice(segStart, i + 1);
            segStart = -1;
            const row = parseElement(current, objLine, objCol);
            if (row) {
              rows.push(row);
              lines.push(objLine);
              if (rows.length >= batchSize) {
                yield { header: shaper.header, rows, lines };
                rows = [];
                lines = [];
              }
            }
            current = "";
          }
        }
        continue;
      }
      // JSON's whitespace only: readText has dropped the BOM at the start; one anywhere else is text.
      if (c === 32 || c === 10 || c === 13 || c === 9) continue;
      if (!started) {
        if (c !== 91) fail(MSG_NOT_ARRAY);
        started = true;
        continue;
      }
      if (closed) fail("unexpected text after the end of the JSON array");
      if (c === 44) continue;
      if (c === 93) {
        closed = true;
        continue;
      }
      if (c === 123) {
        depth = 1;
        segStart = i;
        objLine = line;
        objCol = col;
        continue;
      }
      // A non-object element cannot be skipped safely: where it ends is not known without parsing it.
      fail(MSG_NOT_OBJECT, "each element of the array must be an object");
    }
    if (segStart !== -1) current += chunk.slice(segStart);
    if (current.length > limits.recordChars) throw limitError(opts.display, objLine, objCol, "an element", limits.recordChars, "characters", LIMIT_KEYS.recordChars);
  }
  if (!started) fail("the file is empty: expected a JSON array", "export the file again");
  if (!closed) fail(MSG_UNCLOSED, "export the file again");
  if (rows.length) yield { header: shaper.header, rows, lines };

  function parseElement(text: string, atLine: number, atCol: number): RawCell[] | undefined {
    try {
      if (text.length > limits.recordChars) throw limitError(opts.display, atLine, atCol, "an element", limits.recordChars, "characters", LIMIT_KEYS.recordChars);
      return shaper.toRow(JSON.parse(text) as Record<string, unknown>, atLine);
    } catch (e) {
      if (e instanceof DataError) throw e;
      const { dl, col: c, reason } = jsonErrorPosition(e, text);
      opts.onBad({ file: opts.display, line: atLine + dl, col: dl ? c : atCol + c - 1, message: `invalid JSON: ${reason}` }, text);
      return undefined;
    }
  }
}

/** Streams the records of an NDJSON export (blank lines are skipped). */
export async function* fromNdjson(opts: ReaderOptions): AsyncGenerator<RecordBatch> {
  const batchSize = opts.batchSize ?? DEFAULT_BATCH;
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const shaper = new RowShaper(opts.display, limits, opts.ignore);
  let rows: RawCell[][] = [];
  let lines: number[] = [];
  let line = 0;
  let pending = "";
  let empty = true;
  const take = (text: string): void => {
    line++;
    if (text.length > limits.recordChars) throw limitError(opts.display, line, 1, "a line", limits.recordChars, "characters", LIMIT_KEYS.recordChars);
    const t = text.endsWith("\r") ? text.slice(0, -1) : text;
    if (t.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(t);
    } catch (e) {
      const { col, reason } = jsonErrorPosition(e, t);
      opts.onBad({ file: opts.display, line, col, message: `invalid JSON: ${reason}`, hint: "each line must hold one complete JSON object" }, t);
      return;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      opts.onBad({ file: opts.display, line, col: 1, message: MSG_NOT_OBJECT, value: t.slice(0, 40) }, t);
      return;
    }
    rows.push(shaper.toRow(value as Record<string, unknown>, line));
    lines.push(line);
  };
  for await (const chunk of readText(opts.file, opts.display, opts.encoding)) {
    if (empty && chunk.trim() !== "") empty = false;
    let start = 0;
    for (let nl = chunk.indexOf("\n"); nl !== -1; nl = chunk.indexOf("\n", start)) {
      take(pending + chunk.slice(start, nl));
      pending = "";
      start = nl + 1;
      if (rows.length >= batchSize) {
        yield { header: shaper.header, rows, lines };
        rows = [];
        lines = [];
      }
    }
    pending += chunk.slice(start);
    if (pending.length > limits.recordChars) throw limitError(opts.display, line + 1, 1, "a line", limits.recordChars, "characters", LIMIT_KEYS.recordChars);
  }
  if (pending !== "") take(pending);
  // As an empty CSV or JSON file: an export job that died after creating the file.
  if (empty) throw new DataError([{ file: opts.display, line: 1, col: 1, message: "the file is empty", hint: "export it again; if there is nothing to export, remove the file (a missing export means no rows)" }]);
  if (rows.length) yield { header: shaper.header, rows, lines };
}
