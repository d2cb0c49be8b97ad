/**
 * The byte scan of the CSV reader (scan-csv.ts, `fromCsvScan` with `project`): records found
 * in the file's bytes as field ranges, without a string per field. A batch's rows are then
 * one decoded text and the ranges of their fields in it (`CellBlock`); typeBatch parses
 * numbers and dates in place and cuts strings only for the text columns it reads.
 *
 * It reads the plain case only and hands everything else to the string scanner: a record
 * it cannot take as it is (a quoting error, a field count other than the header's, a field
 * or row past a limit) is IRREGULAR, and the reader then goes on from the start of that
 * record's batch with the string scanner, which gives the rows, bad rows and errors it
 * always did. So the byte scan never decides an error, only where the plain case ends.
 */
import { isAscii } from "node:buffer";
import type { Limits } from "../config/load-config.js";

const LF = 10;
const CR = 13;
const QUOTE = 34;

/** The bytes end inside the record: scan it again with more bytes. */
export const INCOMPLETE = -1;
/** A record the string scanner must read (see the file comment). */
export const IRREGULAR = -2;

/**
 * The rows of a batch: `width` fields a row, each a range of `text`, the batch's bytes
 * decoded as Latin-1, one character a byte. Its ASCII characters are the file's; a byte of
 * a multi-byte UTF-8 character is a character of its own there, which no digit, sign or
 * separator equals, so the in-place readers of numbers, dates and ids (typed-batch.ts) read
 * such a field as no plain value and ask `cell`, which decodes its bytes as UTF-8. `bytes`
 * holds them for a batch that is not all ASCII.
 */
export class CellBlock {
  constructor(
    readonly text: string,
    /** Start and end of row r's field c at [r * width + c]. */
    readonly starts: Int32Array,
    readonly ends: Int32Array,
    /** 1 where a quoted field holds doubled quotes, which its text has as one. */
    readonly escaped: Uint8Array,
    readonly width: number,
    readonly length: number,
    /** The batch's bytes (ranges are theirs too) when some are not ASCII. */
    readonly bytes?: Buffer,
  ) {}

  /** The text of row r's field c, as the string scanner gives it. */
  cell(r: number, c: number): string {
    const k = r * this.width + c;
    const at = this.starts[k], end = this.ends[k];
    const bytes = this.bytes;
    const s = bytes !== undefined && !asciiIn(bytes, at, end) ? bytes.toString("utf8", at, end) : this.text.slice(at, end);
    return this.escaped[k] === 1 ? s.replaceAll("\"\"", "\"") : s;
  }

  /** Row r's fields. */
  record(r: number): string[] {
    const out = new Array<string>(this.width);
    for (let c = 0; c < this.width; c++) out[c] = this.cell(r, c);
    return out;
  }
}

/**
 * Scans records of a header `width` wide, field ranges in bytes, into growing arrays of
 * one batch. Delimiters are one ASCII byte other than a quote, CR or LF.
 */
export class ByteRecords {
  starts: Int32Array;
  ends: Int32Array;
  escaped: Uint8Array;
  /** Rows in the batch. */
  rows = 0;
  /** Bytes of the rows' fields (at least their characters). */
  bytes = 0;
  /** LFs inside quoted fields of the last record scanned. */
  innerLines = 0;
  /** The last record scanned was an empty line (one empty field), which readers skip. */
  empty = false;
  /** Fields of the last record scanned. */
  fields = 0;

  /**
   * `width` fields a row; with `exact` false (a header, whose width is not known yet) at most
   * `width`, and the batch holds one row.
   */
  constructor(private readonly width: number, private readonly delimiter: number, private readonly limits: Limits, capacity: number, private readonly exact = true) {
    this.starts = new Int32Array(width * capacity);
    this.ends = new Int32Array(width * capacity);
    this.escaped = new Uint8Array(width * capacity);
  }

  /** Starts a new batch. */
  clear(): void {
    this.rows = 0;
    this.bytes = 0;
  }

  /** Moves the ranges of the batch so far by `by` bytes (its bytes were copied to a new buffer). */
  shift(by: number): void {
    const n = this.rows * this.width;
    for (let k = 0; k < n; k++) {
      this.starts[k] += by;
      this.ends[k] += by;
    }
  }

  /**
   * Scans the record at `p` of `b` (up to `n`) as the batch's next row. Returns where the
   * next record starts, INCOMPLETE or IRREGULAR. An empty line is scanned (`empty`) but not
   * added.
   */
  record(b: Uint8Array, p: number, n: number): number {
    const { width, delimiter: d } = this;
    const base = this.rows * width;
    const { fieldChars, recordChars } = this.limits;
    let nf = 0;
    let inner = 0;
    let bytes = 0;
    for (;;) {
      if (nf === width) return IRREGULAR;
      const k = base + nf;
      let start: number;
      let end: number;
      let next: number;
      let last = false;
      if (p < n && b[p] === QUOTE) {
        start = p + 1;
        let escaped = 0;
        let i = start;
        for (;;) {
          while (i < n && b[i] !== QUOTE) {
            if (b[i] === LF) inner++;
            i++;
          }
          if (i + 1 >= n) return INCOMPLETE;
          if (b[i + 1] !== QUOTE) break;
          escaped = 1;
          i += 2;
        }
        end = i;
        const c = b[i + 1];
        if (c === d) next = i + 2;
        else if (c === LF) {
          next = i + 2;
          last = true;
        } else if (c === CR) {
          if (i + 2 >= n) return INCOMPLETE;
          if (b[i + 2] !== LF) return IRREGULAR;
          next = i + 3;
          last = true;
        } else return IRREGULAR;
        this.escaped[k] = escaped;
      } else {
        let i = p;
        let c = 0;
        while (i < n && (c = b[i]) !== d && c !== LF && c !== QUOTE) i++;
        if (i === n) return INCOMPLETE;
        if (c === QUOTE) return IRREGULAR;
        start = p;
        end = i;
        next = i + 1;
        if (c === LF) {
          last = true;
          // The CR of a CRLF is no part of the field.
          if (end > start && b[end - 1] === CR) end--;
        }
        this.escaped[k] = 0;
      }
      const len = end - start;
      if (len > fieldChars) return IRREGULAR;
      bytes += len;
      this.starts[k] = start;
      this.ends[k] = end;
      nf++;
      p = next;
      if (last) break;
    }
    if (bytes > recordChars) return IRREGULAR;
    this.innerLines = inner;
    this.fields = nf;
    // One empty field: an empty line (or `""`), skipped by every reader.
    this.empty = nf === 1 && bytes === 0;
    if (this.empty) return p;
    if (nf !== width && this.exact) return IRREGULAR;
    this.rows++;
    this.bytes += bytes;
    return p;
  }

  /**
   * The batch's rows as a CellBlock over the bytes of `b` from `from` to `to`, decoded in one
   * call as Latin-1, which copies them (about twice as fast as the UTF-8 decoder on ASCII,
   * and a one-byte string where UTF-8 text would make a two-byte one); ranges become offsets
   * from `from`, the same in the text and in the copy of the bytes a block that is not all
   * ASCII keeps (CellBlock).
   */
  block(b: Buffer, from: number, to: number): CellBlock {
    const raw = b.subarray(from, to);
    const text = b.toString("latin1", from, to);
    const width = this.exact ? this.width : this.fields;
    const n = this.rows * width;
    const starts = this.starts.slice(0, n);
    const ends = this.ends.slice(0, n);
    for (let k = 0; k < n; k++) {
      starts[k] -= from;
      ends[k] -= from;
    }
    return new CellBlock(text, starts, ends, this.escaped.slice(0, n), width, this.rows, isAscii(raw) ? undefined : Buffer.from(raw));
  }
}

/** Whether bytes `at` to `end` of `b` are all ASCII. */
function asciiIn(b: Uint8Array, at: number, end: number): boolean {
  for (let i = at; i < end; i++) if (b[i] >= 0x80) return false;
  return true;
}
