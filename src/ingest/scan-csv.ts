/**
 * CSV reader on a hand-written RFC 4180 scanner: the records, lines, bad rows and errors of
 * `fromCsv` (csv-parse) without csv-parse, which is the largest single cost of reading.
 *
 * The scanner walks the decoded text with charCodeAt and slices each field once. Its state
 * survives chunk boundaries, so a record (or one huge quoted field) cut by a chunk is resumed
 * where it stopped instead of being scanned again from its start.
 *
 * Where it differs from fromCsv, on purpose (the tests pin each one):
 * - a quote inside an unquoted field is a DataError like the other quoting errors; fromCsv
 *   lets csv-parse's error through as is (its code, INVALID_OPENING_QUOTE, lacks `CSV_`);
 * - error lines count LFs only, like `lines`; csv-parse counts every CR as well, so its
 *   lines run late after a CRLF inside quotes or a lone CR;
 * - "got X" after a closing quote names the character (JSON-quoted); csv-parse shows its
 *   first UTF-8 byte as Latin-1 ("Ã" for "é") and takes a NUL there for the end of input.
 */
import { DataError } from "../errors.js";
import { DEFAULT_LIMITS, LIMIT_KEYS, type Limits } from "../config/load-config.js";
import { DEFAULT_BATCH, fieldCountHint, fieldCountMessage, limitError, type RawCell, type ReaderOptions, type RecordBatch, type RecordReader } from "./records.js";
import { isUtf8 } from "node:buffer";
import { CellBlock, ByteRecords, INCOMPLETE, IRREGULAR } from "./scan-bytes.js";
import { decodeBytes, FileChunks, readProblem, readText } from "./text-stream.js";

// Same texts as fromCsv.
const HINT_FIELD_COUNT = "check for an unquoted delimiter or a missing cell; quote cells that hold the delimiter";
const HINT_QUOTE = "a quote inside a quoted cell must be doubled (\"\"); the rest of the file cannot be trusted past this point";

const LF = 10;
const CR = 13;
const QUOTE = 34;
const BOM = 0xfeff;

// Where the scanner stands between two characters; a chunk may end in any of them.
/** At the start of a field. */
const FIELD = 0;
/** Inside an unquoted field. */
const UNQUOTED = 1;
/** Inside a quoted field. */
const QUOTED = 2;
/** Just after a quote inside a quoted field: a doubled quote or the closing one. */
const QUOTE_SEEN = 3;
/** After a closing quote and a CR: only LF may follow. */
const CLOSED_CR = 4;

/** Blanks by length: what an unread field becomes (see CsvScanner.keep). */
const BLANKS = Array.from({ length: 256 }, (_, n) => " ".repeat(n));

/**
 * Splits CSV text, given chunk by chunk, into records of string fields. Completed records
 * pile up until `take()`. Quoting errors throw a DataError naming the line and the field.
 * Chunks may be cut anywhere except inside a surrogate pair (readText's never are).
 */
export class CsvScanner {
  /**
   * Fields the caller reads (1) and does not (0), by position; unset: all. An unquoted field
   * at a 0 comes as blanks of its length (under 256) instead of its text, so no string is
   * cut for a column nobody reads, while every limit and error stays the same: they look
   * only at lengths, quoting and line ends. Applies to text pushed after it is set.
   */
  keep: Uint8Array | undefined;
  private records: string[][] = [];
  private starts: number[] = [];
  private state = FIELD;
  /**
   * Fields of the current record read so far: the first `nf` of this reused array. Each
   * record is copied out at its end into an array of its exact size, which allocates half
   * of what growing a fresh array does (about 1.5x faster overall, with less GC).
   */
  private readonly fields: string[] = [];
  private nf = 0;
  /** Text of the current field taken from earlier chunks (or from before a doubled quote). */
  private part = "";
  /** Line of the next character: 1 + the LFs read so far, wherever they were. */
  private line = 1;
  /** Line where the current record starts. */
  private recordLine = 1;
  private atStart = true;
  private lastWasLf = false;
  /** First UTF-16 unit of the delimiter; `wide` when it is a surrogate pair. */
  private readonly delim: number;
  private readonly wide: boolean;

  /** With `resumeLine`, the text given is the rest of a file from the start of that line (no BOM is dropped there). */
  constructor(private readonly delimiter: string, private readonly file: string, private readonly limits: Limits = DEFAULT_LIMITS, resumeLine?: number) {
    if (resumeLine !== undefined) {
      this.line = resumeLine;
      this.recordLine = resumeLine;
      this.atStart = false;
    }
    const cp = delimiter.codePointAt(0);
    // LF and CR always end records for csv-parse, and a quote delimiter makes no sense: the
    // config refuses these, so meeting one here is a bug.
    if (cp === undefined || String.fromCodePoint(cp) !== delimiter || cp === LF || cp === CR || cp === QUOTE) {
      throw new Error(`CSV delimiter must be one character other than a quote or a line break, got ${JSON.stringify(delimiter)}`);
    }
    this.delim = delimiter.charCodeAt(0);
    this.wide = delimiter.length === 2;
  }

  /** Records completed so far, with the line where each starts; empty lines come as `[""]`. */
  take(): { records: string[][]; starts: number[] } {
    const out = { records: this.records, starts: this.starts };
    this.records = [];
    this.starts = [];
    return out;
  }

  /** Scans the next chunk of text. */
  push(text: string): void {
    const n = text.length;
    if (n === 0) return;
    let i = 0;
    if (this.atStart) {
      // readText drops the BOM; csv-parse (bom: true) would drop a second one too.
      this.atStart = false;
      if (text.charCodeAt(0) === BOM) i = 1;
    }
    // The hot state lives in locals while the chunk is scanned and is stored back at its end.
    const { records, starts, fields, delim: d, wide, keep } = this;
    let { state, nf, part, line, recordLine } = this;
    /** Start of the current field's text not yet copied into `part`. */
    let start = i;
    while (i < n) {
      if (state === FIELD) {
        if (text.charCodeAt(i) === QUOTE) {
          state = QUOTED;
          start = ++i;
          continue;
        }
        state = UNQUOTED;
        start = i;
      }

      if (state === UNQUOTED) {
        let c = 0;
        while (i < n && (c = text.charCodeAt(i)) !== d && c !== LF && c !== QUOTE) i++;
        if (i === n) break;
        if (c === d) {
          // A delimiter outside the BMP is a surrogate pair: its first half alone is text.
          if (wide && !text.startsWith(this.delimiter, i)) {
            i++;
            continue;
          }
          const len = part.length + i - start;
          fields[nf] = keep !== undefined && keep[nf] === 0 && len < BLANKS.length ? BLANKS[len] : part + text.slice(start, i);
          nf++;
          part = "";
          state = FIELD;
          i += wide ? 2 : 1;
          continue;
        }
        if (c === LF) {
          fields[nf] = keep !== undefined && keep[nf] === 0 ? blankBeforeLf(part, text, start, i) : beforeLf(part, text, start, i);
          nf++;
          part = "";
          records.push(fields.slice(0, nf));
          starts.push(recordLine);
          nf = 0;
          recordLine = ++line;
          state = FIELD;
          i++;
          continue;
        }
        // csv-parse takes a quote only at the very start of a field.
        throw this.broken(line, nf, `Invalid Opening Quote: a quote is found on field ${nf}`);
      }

      if (state === QUOTED) {
        // Delimiters, CR and LF are text here; LFs still count as lines.
        for (; i < n; i++) {
          const c = text.charCodeAt(i);
          if (c === QUOTE) break;
          if (c === LF) line++;
        }
        if (i === n) break;
        part += text.slice(start, i);
        state = QUOTE_SEEN;
        i++;
        continue;
      }

      if (state === QUOTE_SEEN) {
        const c = text.charCodeAt(i);
        if (c === QUOTE) {
          // A doubled quote: the second one starts the next run of the field's text.
          state = QUOTED;
          start = i++;
          continue;
        }
        if (c === d && (!wide || text.startsWith(this.delimiter, i))) {
          fields[nf++] = part;
          part = "";
          state = FIELD;
          i += wide ? 2 : 1;
          continue;
        }
        if (c === LF || c === CR) {
          // Both line ends finish the record in CLOSED_CR; an LF is left for it to read.
          state = CLOSED_CR;
          if (c === CR) i++;
          continue;
        }
        throw this.broken(line, nf, `Invalid Closing Quote: got ${JSON.stringify(String.fromCodePoint(text.codePointAt(i) ?? c))}`);
      }

      // CLOSED_CR: after a closing quote (and a CR, which must be the first half of CRLF).
      if (text.charCodeAt(i) !== LF) throw this.broken(line, nf, "Invalid Closing Quote: got \"\\r\"");
      fields[nf++] = part;
      part = "";
      records.push(fields.slice(0, nf));
      starts.push(recordLine);
      nf = 0;
      recordLine = ++line;
      state = FIELD;
      i++;
    }
    // The chunk ended inside a field: keep its text so far for the next chunk.
    if (state === UNQUOTED || state === QUOTED) part += text.slice(start, n);
    this.checkOpenRecord(part, nf, line);
    this.state = state;
    this.nf = nf;
    this.part = part;
    this.line = line;
    this.recordLine = recordLine;
    this.lastWasLf = text.charCodeAt(n - 1) === LF;
  }

  /** Ends the text: completes a last record without a line end, or throws on an open quote. */
  end(): void {
    const { state, nf } = this;
    if (state === QUOTED) {
      // csv-parse names the line of the last character, which an LF ending the text is on.
      const line = this.lastWasLf ? this.line - 1 : this.line;
      throw this.broken(line, nf, "Quote Not Closed: the parsing is finished with an opening quote");
    }
    if (state === CLOSED_CR) throw this.broken(this.line, nf, "Invalid Closing Quote: got \"\\r\"");
    // Text after the last LF is a record, even a lone delimiter; a final CR stays in its field.
    if (state !== FIELD || nf > 0) {
      const record = this.fields.slice(0, nf);
      record.push(this.part);
      this.records.push(record);
      this.starts.push(this.recordLine);
    }
    this.state = FIELD;
    this.nf = 0;
    this.part = "";
  }

  /**
   * Stops a record that is still open at a chunk's end once it passes a limit, so a file
   * with no line end (a gzip bomb of NULs, /dev/zero) fails at the limit, not at the
   * engine's string length after a gigabyte. Completed records are checked by the reader.
   */
  private checkOpenRecord(part: string, nf: number, line: number): void {
    const { fieldChars, recordChars, columns } = this.limits;
    if (part.length > fieldChars) throw limitError(this.file, line, nf + 1, "a cell", fieldChars, "characters", LIMIT_KEYS.fieldChars);
    if (nf > columns) throw limitError(this.file, this.recordLine, columns + 1, "a row", columns, "fields", LIMIT_KEYS.columns);
    let chars = part.length;
    for (let k = 0; k < nf; k++) chars += this.fields[k].length;
    if (chars > recordChars) throw limitError(this.file, this.recordLine, nf + 1, "a row", recordChars, "characters", LIMIT_KEYS.recordChars);
  }

  private broken(line: number, fieldIndex: number, what: string): DataError {
    return new DataError([{ file: this.file, line, col: fieldIndex + 1, message: `broken quoting: ${what}`, hint: HINT_QUOTE }]);
  }
}

/** An unquoted field ending at the LF at `lf`, without the CR of a CRLF (which may lie in `part`). */
function beforeLf(part: string, text: string, start: number, lf: number): string {
  if (lf > start) return part + text.slice(start, text.charCodeAt(lf - 1) === CR ? lf - 1 : lf);
  return part.charCodeAt(part.length - 1) === CR ? part.slice(0, -1) : part;
}

/** beforeLf's field as blanks of its length (its text when that is too long for BLANKS). */
function blankBeforeLf(part: string, text: string, start: number, lf: number): string {
  const len = lf > start ? part.length + lf - start - (text.charCodeAt(lf - 1) === CR ? 1 : 0) : part.length - (part.charCodeAt(part.length - 1) === CR ? 1 : 0);
  return len < BLANKS.length ? BLANKS[len] : beforeLf(part, text, start, lf);
}

/** A batch holds at most about this many characters of rows, however few rows that is. */
export const MAX_BATCH_CHARS = 32_000_000;

/** Checks a completed record against the limits; returns its length in characters. */
function checkRecord(record: string[], line: number, file: string, limits: Limits): number {
  if (record.length > limits.columns) throw limitError(file, line, limits.columns + 1, "a row", limits.columns, "fields", LIMIT_KEYS.columns);
  let chars = 0;
  for (let i = 0; i < record.length; i++) {
    const n = record[i].length;
    if (n > limits.fieldChars) throw limitError(file, line, i + 1, "a cell", limits.fieldChars, "characters", LIMIT_KEYS.fieldChars);
    chars += n;
  }
  if (chars > limits.recordChars) throw limitError(file, line, 1, "a row", limits.recordChars, "characters", LIMIT_KEYS.recordChars);
  return chars;
}

/** Sorts scanned records into the header, bad rows and batches of rows: what both of fromCsvScan's scans share. */
class Batcher {
  header: string[] | undefined;
  /** Which fields the caller reads, once the header is known (ReaderOptions.project). */
  keep: Uint8Array | undefined;
  /** Characters in the rows of the batch being filled: a batch of long rows goes out early. */
  chars = 0;
  yielded = false;
  private rows: RawCell[][] = [];
  private lines: number[] = [];

  constructor(private readonly opts: ReaderOptions, private readonly limits: Limits, private readonly batchSize: number) {}

  *take(records: string[][], starts: number[]): Generator<RecordBatch> {
    const { opts, limits } = this;
    for (let k = 0; k < records.length; k++) {
      const record = records[k];
      // An empty line: already counted by the scanner's line numbers.
      if (record.length === 1 && record[0] === "") continue;
      this.chars += checkRecord(record, starts[k], opts.display, limits);
      const header = this.header;
      if (!header) {
        this.header = record;
        this.keep = opts.project?.(record);
        continue;
      }
      if (record.length !== header.length) {
        opts.onBad({
          file: opts.display, line: starts[k], col: Math.min(record.length, header.length) + 1,
          message: fieldCountMessage(record.length, header.length),
          hint: fieldCountHint(opts.delimiter, HINT_FIELD_COUNT),
        }, record.join(opts.delimiter));
        continue;
      }
      this.rows.push(record);
      this.lines.push(starts[k]);
      if (this.rows.length >= this.batchSize || this.chars > MAX_BATCH_CHARS) {
        yield this.batch();
      }
    }
  }

  /** A batch of rows the byte scan read (scan-bytes.ts). */
  cells(block: CellBlock, lines: number[]): RecordBatch {
    this.yielded = true;
    this.chars = 0;
    return { header: this.header!, rows: [], lines, cells: block };
  }

  /** The last batch, once the text has ended. */
  *finish(): Generator<RecordBatch> {
    if (!this.header) throw new DataError([{ file: this.opts.display, line: 1, col: 1, message: "the file is empty: a CSV export needs a header row", hint: "export the file again with its header" }]);
    // A header-only file still yields once, so callers can check its columns.
    if (this.rows.length || !this.yielded) yield this.batch();
  }

  private batch(): RecordBatch {
    const out = { header: this.header!, rows: this.rows, lines: this.lines };
    this.yielded = true;
    this.rows = [];
    this.lines = [];
    this.chars = 0;
    return out;
  }
}

/**
 * Streams the records of a CSV export; the first record is the header. Same results as
 * fromCsv. With `project`, plain UTF-8 files are scanned as bytes (fromCsvBytes) and their
 * batches come as `cells`.
 */
export const fromCsvScan: RecordReader = async function* fromCsvScan(opts) {
  const batcher = new Batcher(opts, opts.limits ?? DEFAULT_LIMITS, opts.batchSize ?? DEFAULT_BATCH);
  if (opts.project && opts.byteScan !== false && bytesFit(opts)) yield* fromCsvBytes(opts, batcher);
  else yield* fromText(opts, batcher, readText(opts.file, opts.display, opts.encoding, opts.chunkBytes));
};

/** The string scan over decoded text, from the start of the file or (with `resumeLine`) of a line. */
async function* fromText(opts: ReaderOptions, batcher: Batcher, text: AsyncIterable<string>, resumeLine?: number): AsyncGenerator<RecordBatch> {
  const scanner = new CsvScanner(opts.delimiter, opts.display, opts.limits ?? DEFAULT_LIMITS, resumeLine);
  scanner.keep = batcher.keep;
  const take = function* () {
    const { records, starts } = scanner.take();
    const known = batcher.header !== undefined;
    yield* batcher.take(records, starts);
    if (!known && batcher.header) scanner.keep = batcher.keep;
  };
  for await (const chunk of text) {
    scanner.push(chunk);
    yield* take();
  }
  scanner.end();
  yield* take();
  yield* batcher.finish();
}

/** Delimiters the byte scan reads: none of them can be part of a number or a date. */
const BYTE_DELIMITERS = new Set([",", ";", "\t", "|"]);

/** Whether the byte scan can read the file: UTF-8, not gzipped, a common delimiter. */
function bytesFit(opts: ReaderOptions): boolean {
  return /^utf-?8$/i.test(opts.encoding) && BYTE_DELIMITERS.has(opts.delimiter) && !opts.file.toLowerCase().endsWith(".gz");
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];
const startsWithBom = (b: Uint8Array, at: number) => b[at] === UTF8_BOM[0] && b[at + 1] === UTF8_BOM[1] && b[at + 2] === UTF8_BOM[2];

/** A first chunk shorter than this may decode to no text at all (a BOM, part of a character): the string scan's. */
const MIN_FIRST_CHUNK = 8;

/**
 * The byte scan (scan-bytes.ts): records found in the bytes, a batch decoded at once.
 * Whatever it does not read as it is, it hands to the string scan from the start of the
 * batch it is in (or of the file, for the header), with the file's own chunks from there:
 * a chunk readText would refuse (a NUL, bytes that are not UTF-8) is handed over as it
 * arrives, before any record in it is read. So batches, rows, bad rows and errors, and the
 * order they come in, are fromText's for the whole file; the tests check it on generated
 * files.
 */
async function* fromCsvBytes(opts: ReaderOptions, batcher: Batcher): AsyncGenerator<RecordBatch> {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const batchSize = opts.batchSize ?? DEFAULT_BATCH;
  const delimiter = opts.delimiter.charCodeAt(0);
  const chunks = new FileChunks(opts.file, opts.chunkBytes);
  try {
    yield* scanBytes(opts, batcher, chunks, limits, batchSize, delimiter);
  } finally {
    await chunks.close();
  }
}

async function* scanBytes(opts: ReaderOptions, batcher: Batcher, chunks: FileChunks, limits: Limits, batchSize: number, delimiter: number): AsyncGenerator<RecordBatch> {
  const utf8 = new Utf8Chunks();
  /** Line of the byte at `p`. */
  let line = 1;
  const read = async <T>(f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      throw readProblem(e, opts.display, line, 1, opts.encoding);
    }
  };
  const next = () => read(() => chunks.next());
  /** The bytes from the start of the batch being scanned (`from`) on; `bounds`: where later chunks of the file start in them. */
  let buf: Buffer = Buffer.alloc(0);
  let bounds: number[] = [];
  let from = 0;
  let fromLine: number | undefined;
  let p = 0;
  /** A chunk read but not added: the string scan's. */
  let refused: Buffer | undefined;
  let ended = false;
  /** Where the batch being scanned starts, and its line (see `held` below). */
  let at = 0;
  let atLine = 1;
  /** Where the chunk the held batches end in ends (Infinity while it is the last chunk read). */
  let releaseAt = Infinity;
  /** Moves the ranges of the rows scanned so far when `buf` is cut and copied. */
  let shiftRows: (by: number) => void = () => undefined;
  /** The buffer `buf` is the start of, reused from chunk to chunk. */
  let store: Buffer = Buffer.alloc(0);
  /**
   * Adds the file's next chunk to `buf` (false at its end, or when the chunk is refused):
   * the bytes from `from` on move to the front of `store` (every range moves with them),
   * and the chunk is read in after them.
   */
  const more = async (): Promise<boolean> => {
    const kept = buf.length - from;
    const room = kept + chunks.chunkBytes;
    if (store.length < room) {
      const grown = Buffer.allocUnsafe(Math.max(room, store.length * 2));
      buf.copy(grown, 0, from);
      store = grown;
    } else if (from > 0) store.copyWithin(0, from, buf.length);
    bounds = bounds.filter((b) => b > from).map((b) => b - from);
    shiftRows(-from);
    p -= from;
    at -= from;
    const last = releaseAt === Infinity;
    if (!last) releaseAt -= from;
    from = 0;
    buf = store.subarray(0, kept);
    const n = await read(() => chunks.into(store, kept));
    if (n === 0) {
      ended = true;
      return false;
    }
    const chunk = store.subarray(kept, kept + n);
    if (chunk.includes(0) || !utf8.accepts(chunk)) {
      // The string scan reads it after `buf`, which the next read would overwrite: a copy.
      refused = Buffer.from(chunk);
      return false;
    }
    if (kept > 0) bounds.push(kept);
    buf = store.subarray(0, kept + n);
    if (last) releaseAt = kept;
    return true;
  };
  /** The string scan of the bytes from `from` on, in the file's chunks. */
  const strings = (resumeLine?: number) => {
    const cuts = [...bounds.filter((b) => b > from), buf.length];
    const pieces = cuts.map((end, k) => buf.subarray(k === 0 ? from : cuts[k - 1], end)).filter((x) => x.length > 0);
    const rest = async function* () {
      yield* pieces;
      if (refused) yield refused;
      if (ended) return;
      for (let c = await next(); c; c = await next()) yield c;
    };
    return fromText(opts, batcher, decodeBytes(rest(), opts.display, opts.encoding, false, resumeLine === undefined ? undefined : { line: resumeLine }), resumeLine);
  };

  // CR line ends (told by a first chunk with CRs and no LF) and a second BOM are the string scan's.
  await more();
  if (buf.length < MIN_FIRST_CHUNK || (!buf.includes(LF) && buf.includes(CR))) return yield* strings();
  p = startsWithBom(buf, 0) ? 3 : 0;
  if (startsWithBom(buf, p)) return yield* strings();

  // The header: one plain record.
  const head = new ByteRecords(limits.columns + 1, delimiter, limits, 1, false);
  let headEnd = head.record(buf, p, buf.length);
  while (headEnd === INCOMPLETE && buf.length <= limits.recordChars && await more()) headEnd = head.record(buf, p, buf.length);
  if (headEnd < 0 || head.empty || head.innerLines > 0) return yield* strings();
  const header = head.block(buf, p, headEnd).record(0);
  yield* batcher.take([header], [1]);
  line = 2;
  p = headEnd;
  from = p;
  fromLine = line;

  const recs = new ByteRecords(header.length, delimiter, limits, batchSize);
  shiftRows = (by) => recs.shift(by);
  let lines: number[] = [];
  /**
   * Batches scanned but held back: the string scan yields a batch only after the chunk its
   * last row ends in has been scanned to its end without an error. `held[0]` starts at
   * `from` (and `fromLine`), where the string scan takes over if the bytes after them turn out
   * to be its; the batch being scanned starts at `at`.
   */
  let held: CellBlock[] = [];
  let heldLines: number[][] = [];
  at = from;
  atLine = line;
  const release = function* () {
    for (let k = 0; k < held.length; k++) yield batcher.cells(held[k], heldLines[k]);
    held = [];
    heldLines = [];
    from = at;
    fromLine = atLine;
  };
  for (;;) {
    const q = recs.record(buf, p, buf.length);
    if (q === IRREGULAR) return yield* strings(fromLine);
    if (q === INCOMPLETE) {
      // A batch is handed over whole: past the size a batch may have, it is the string scan's.
      if (buf.length - at > MAX_BATCH_CHARS || !(await more())) {
        // Text after the last LF is the string scan's too (a final CR stays in its field there).
        if (ended && p === buf.length) break;
        return yield* strings(fromLine);
      }
      continue;
    }
    if (!recs.empty) lines.push(line);
    line += 1 + recs.innerLines;
    // A row that ends the chunk the held batches end in, or later: the string scan has read
    // that chunk to its end without an error, and yielded them.
    if (held.length > 0 && q >= releaseAt) yield* release();
    p = q;
    const chars = (batcher.yielded || held.length > 0 ? 0 : batcher.chars) + recs.bytes;
    if (chars > MAX_BATCH_CHARS) return yield* strings(fromLine);
    if (recs.rows >= batchSize) {
      held.push(recs.block(buf, at, p));
      heldLines.push(lines);
      if (held.length === 1) releaseAt = chunkEnd(bounds, p - 1);
      recs.clear();
      lines = [];
      at = p;
      atLine = line;
    }
  }
  yield* release();
  if (recs.rows > 0) yield batcher.cells(recs.block(buf, at, p), lines);
  yield* batcher.finish();
}

/** Where the chunk holding byte `at` ends, by the starts of the chunks after the first (`bounds`); Infinity in the last. */
function chunkEnd(bounds: readonly number[], at: number): number {
  for (const b of bounds) if (b > at) return b;
  return Infinity;
}

/**
 * Whether readText's decoder (UTF-8, fatal, streaming) takes each chunk of a file in turn,
 * told without decoding it: the chunk's whole characters must be UTF-8, and a character it
 * ends inside must have begun well; that rest is kept for the next chunk.
 */
class Utf8Chunks {
  private rest = Buffer.alloc(0);

  accepts(chunk: Buffer): boolean {
    const all = this.rest.length > 0 ? Buffer.concat([this.rest, chunk]) : chunk;
    const cut = unfinishedAt(all);
    if (!isUtf8(all.subarray(0, cut))) return false;
    const rest = all.subarray(cut);
    if (rest.length > 0) {
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(rest, { stream: true });
      } catch {
        return false;
      }
    }
    this.rest = Buffer.from(rest);
    return true;
  }
}

/** Where a character that `b` ends inside begins (b.length when it ends between characters). */
function unfinishedAt(b: Uint8Array): number {
  for (let i = b.length - 1; i >= 0 && i >= b.length - 3; i--) {
    const c = b[i];
    if (c < 0x80) return b.length;
    if (c >= 0xc0) return i + (c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2) > b.length ? i : b.length;
  }
  return b.length;
}
