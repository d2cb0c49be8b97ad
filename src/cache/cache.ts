/**
 * The cache of `preview` (docs/performance.md): the customer columns it loaded and the
 * aggregates it computed, in binary files under `<state>/cache/` (files 0600, the folder
 * 0700), so a preview over unchanged exports reads them back instead of parsing the CSV.
 *
 * Every entry is found by a key that hashes everything its content depends on: the cache
 * format, the exports' fingerprints (each file's path, size, mtime, ctime, inode, and a
 * SHA-256 of its first and last 64 KiB), the config's reading options for those exports
 * (mapping, delimiter, ids, limits), and for an aggregate its plan (conditions, measures,
 * cut-off, zone). An export that changes changes its key, so a stale entry is never read:
 * it is only left behind, and the oldest entries are removed past MAX_CACHE_BYTES. Entries
 * are written aside and renamed into place, so a reader sees a whole file or none; a file
 * that does not decode is a miss. Nothing is cached from a read that skipped bad rows.
 *
 * Layout of a file: "SEGCACHE" and a u32 version, a u32 length and a JSON header, then the
 * header's typed arrays, each at an offset that is a multiple of 8. Lists of strings (the
 * customer ids, dictionaries) are two arrays: their UTF-8 bytes one after another, and the
 * UTF-16 offset where each starts in the decoded text; one decode and a slice each reads
 * them back, where a JSON array of a million ids takes most of a second.
 */
import { createHash } from "node:crypto";
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { writeAside } from "../fs-atomic.js";
import type { AggResult } from "../facts/aggregates.js";
import { idColumn, type CustomerTable } from "../ingest/project.js";
import type { ResolvedSource } from "../ingest/sources.js";
import { BitSet } from "../table/bitset.js";
import { idIndex, type IdLookup } from "../table/id-index.js";
import type { Column } from "../table/column.js";
import type { ValueType } from "../table/value-type.js";

/** A segment's result as stored: its rows in one load of the customers, and what else the caller keeps with them (JSON). */
export interface StoredRows<T> {
  rows: BitSet;
  detail: T;
}

/** Bump when what an entry holds, or how it is computed, changes. */
export const CACHE_VERSION = 2;
const MAGIC = "SEGCACHE";
/** Past this, the oldest entries go. */
export const MAX_CACHE_BYTES = 4 * 2 ** 30;
/** Bytes hashed at each end of an export file for its fingerprint. */
const SAMPLE = 64 * 1024;

type Typed = Int32Array | Uint32Array | Float64Array | Uint8Array;
const ARRAYS = { i32: Int32Array, u32: Uint32Array, f64: Float64Array, u8: Uint8Array } as const;
type ArrayKind = keyof typeof ARRAYS;
const kindOf = (a: Typed): ArrayKind => (a instanceof Int32Array ? "i32" : a instanceof Uint32Array ? "u32" : a instanceof Float64Array ? "f64" : "u8");

/** Strings as [offsets, UTF-8 bytes]: string k is text.slice(offsets[k], offsets[k + 1]). */
function packStrings(strings: readonly string[]): [Uint32Array, Uint8Array] {
  const offsets = new Uint32Array(strings.length + 1);
  for (let k = 0; k < strings.length; k++) offsets[k + 1] = offsets[k] + strings[k].length;
  return [offsets, Buffer.from(strings.join(""), "utf8")];
}

/** The strings of packStrings. */
function unpackStrings(offsets: Uint32Array, bytes: Uint8Array): string[] {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
  if (offsets.length === 0 || offsets[offsets.length - 1] !== text.length) throw new Error("strings do not decode");
  const out = new Array<string>(offsets.length - 1);
  for (let k = 0; k < out.length; k++) out[k] = text.slice(offsets[k], offsets[k + 1]);
  return out;
}

/** A hash of parts, as a file name. */
export function keyOf(...parts: unknown[]): string {
  return createHash("sha256").update(JSON.stringify([CACHE_VERSION, ...parts])).digest("hex").slice(0, 40);
}

/**
 * What an export's content is taken to be: its files' identity, size, times and ends; or
 * undefined when a file cannot be read (no cache then: the read says what is wrong).
 */
export function fingerprint(source: ResolvedSource): unknown {
  try {
    return fingerprintOf(source);
  } catch {
    return undefined;
  }
}

function fingerprintOf(source: ResolvedSource): unknown {
  return {
    name: source.name, format: source.format, options: source.options, ids: source.ids, limits: source.limits ?? null,
    files: source.files.map((f) => {
      const st = statSync(f.file);
      const hash = createHash("sha256");
      const fd = openSync(f.file, "r");
      try {
        const buf = Buffer.alloc(Math.min(SAMPLE, st.size));
        hash.update(buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)));
        if (st.size > SAMPLE) hash.update(buf.subarray(0, readSync(fd, buf, 0, Math.min(SAMPLE, st.size - SAMPLE), st.size - Math.min(SAMPLE, st.size - SAMPLE))));
      } finally {
        closeSync(fd);
      }
      return { file: f.file, size: st.size, mtime: st.mtimeMs, ctime: st.ctimeMs, ino: st.ino, dev: st.dev, ends: hash.digest("hex") };
    }),
  };
}

/** The per-table facts an aggregate entry carries besides its arrays. */
export interface AggregateMeta {
  leftOut: number;
  unmatchedItems: number;
  warnings: string[];
  /** The project report's entries for the table's exports (rows, orphans, examples, ignored, extra). */
  report: Record<string, Record<string, unknown>>;
}

/** The cache folder of a project. */
export class Cache {
  constructor(readonly dir: string) {}

  /** An entry, or undefined when there is none (or it does not decode). */
  read(key: string): { header: Record<string, unknown>; arrays: Typed[] } | undefined {
    let buf: Buffer;
    try {
      buf = readWhole(path.join(this.dir, `${key}.bin`));
    } catch {
      return undefined;
    }
    try {
      if (buf.toString("latin1", 0, 8) !== MAGIC || buf.readUInt32LE(8) !== CACHE_VERSION) return undefined;
      const len = buf.readUInt32LE(12);
      const header = JSON.parse(buf.toString("utf8", 16, 16 + len)) as { arrays: Array<[ArrayKind, number, number]> } & Record<string, unknown>;
      // The file sits at the start of its own ArrayBuffer and its body starts 8-aligned, so
      // every array is a view on the bytes read, without a copy.
      const arrays = header.arrays.map(([kind, offset, length]) => new ARRAYS[kind](buf.buffer as ArrayBuffer, 16 + len + align(offset), length) as Typed);
      return { header, arrays };
    } catch {
      return undefined;
    }
  }

  /** The JSON header of an entry alone, without reading its arrays; undefined when there is none. */
  readHeader(key: string): Record<string, unknown> | undefined {
    let fd: number;
    try {
      fd = openSync(path.join(this.dir, `${key}.bin`), "r");
    } catch {
      return undefined;
    }
    try {
      const head = Buffer.alloc(16);
      if (readSync(fd, head, 0, 16, 0) !== 16 || head.toString("latin1", 0, 8) !== MAGIC || head.readUInt32LE(8) !== CACHE_VERSION) return undefined;
      const len = head.readUInt32LE(12);
      const json = Buffer.alloc(len);
      if (readSync(fd, json, 0, len, 16) !== len) return undefined;
      return JSON.parse(json.toString("utf8")) as Record<string, unknown>;
    } catch {
      return undefined;
    } finally {
      closeSync(fd);
    }
  }

  /** Writes an entry (best effort: a cache that cannot be written is no error). */
  write(key: string, header: Record<string, unknown>, arrays: Typed[], trim = true): void {
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      let offset = 0;
      const specs: Array<[ArrayKind, number, number]> = [];
      for (const a of arrays) {
        offset = align(offset);
        specs.push([kindOf(a), offset, a.length]);
        offset += a.byteLength;
      }
      const json = Buffer.from(JSON.stringify({ ...header, arrays: specs }));
      // The body starts 8-aligned in the file after the header's padding.
      const pad = (8 - ((16 + json.length) % 8)) % 8;
      const head = Buffer.alloc(16 + json.length + pad, 0x20);
      head.write(MAGIC, 0, "latin1");
      head.writeUInt32LE(CACHE_VERSION, 8);
      head.writeUInt32LE(json.length + pad, 12);
      json.copy(head, 16);
      const body = Buffer.alloc(offset);
      arrays.forEach((a, k) => body.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), specs[k][1]));
      const staged = writeAside(path.join(this.dir, `${key}.bin`), Buffer.concat([head, body]), 0o600);
      renameSync(staged.tmp, staged.file);
      if (trim) this.trim();
    } catch {
      // A full disk or a read-only state folder: the next preview reads the exports again.
    }
  }

  /** Removes the oldest entries past MAX_CACHE_BYTES (best effort, as writing is). */
  trim(): void {
    try {
      this.trimNow();
    } catch {
      // The folder went away or cannot be listed: nothing to trim.
    }
  }

  private trimNow(): void {
    const files = readdirSync(this.dir).filter((f) => f.endsWith(".bin")).map((f) => {
      const st = statSync(path.join(this.dir, f));
      return { f, size: st.size, t: st.mtimeMs };
    });
    let total = files.reduce((n, x) => n + x.size, 0);
    for (const x of files.sort((a, b) => a.t - b.t)) {
      if (total <= MAX_CACHE_BYTES) break;
      rmSync(path.join(this.dir, x.f), { force: true });
      total -= x.size;
    }
  }

  /**
   * The customers' ids and the columns `wanted` from entries under `base`, or undefined when
   * one is missing. With `into` (a table this read before, under the same base): its ids,
   * with the wanted columns it lacks added to it. With `later`, the wanted columns are only
   * looked up, for their types, and not read; a later call reads them into the table.
   *
   * A column's type is its entry's: the customers entry's `available` is what the read that
   * wrote it inferred, which for a custom field it did not load is "string".
   */
  readCustomers(base: string, wanted: readonly string[] | undefined, into?: CustomerTable, later = false): CustomerTable | undefined {
    let table = into;
    if (!table) {
      const head = this.read(keyOf("customers", base));
      if (!head || head.arrays.length !== 2) return undefined;
      const h = head.header as { available: Array<[string, ValueType]> };
      let ids: string[];
      try {
        ids = unpackStrings(head.arrays[0] as Uint32Array, head.arrays[1] as Uint8Array);
      } catch {
        return undefined;
      }
      let index: IdLookup | undefined;
      table = {
        length: ids.length, ids, columns: new Map([["id", idColumn(ids)]]), derived: false, available: new Map(h.available), complete: false,
        // Built when asked for: a preview from the cache joins no facts.
        get index() {
          return (index ??= idIndex(ids));
        },
      };
    }
    const { available, columns } = table;
    const names = (wanted ?? [...available.keys()]).filter((c) => c !== "id" && available.has(c) && !columns.has(c));
    const read = new Map<string, Column>();
    const types = new Map<string, ValueType>();
    for (const name of names) {
      const key = keyOf("customer-column", base, name);
      if (later) {
        const h = this.readHeader(key) as Partial<ColumnHeader> | undefined;
        if (!h || h.length !== table.length || typeof h.type !== "string") return undefined;
        types.set(name, h.type);
        continue;
      }
      const e = this.read(key);
      const col = e && columnOf(e.header as unknown as ColumnHeader, e.arrays);
      if (!col || col.length !== table.length) return undefined;
      read.set(name, col);
      types.set(name, col.type);
    }
    for (const [name, type] of types) available.set(name, type);
    for (const [name, col] of read) columns.set(name, col);
    if (wanted === undefined && !later) table.complete = true;
    return table;
  }

  /** Writes the customers' ids and each of their columns under `base`. */
  writeCustomers(base: string, t: CustomerTable): void {
    this.write(keyOf("customers", base), { available: [...t.available] }, packStrings(t.ids));
    for (const [name, col] of t.columns) {
      if (name === "id") continue;
      const { header, arrays } = columnEntry(col);
      this.write(keyOf("customer-column", base, name), { ...header }, arrays);
    }
  }

  readAggregate(key: string): { result: AggResult; meta: AggregateMeta } | undefined {
    const e = this.read(key);
    if (!e || e.arrays.length !== 5) return undefined;
    const [count, first, last, revenue, quantity] = e.arrays as [Int32Array, Float64Array, Float64Array, Float64Array, Float64Array];
    return { result: { count, first, last, revenue, quantity }, meta: e.header.meta as AggregateMeta };
  }

  writeAggregate(key: string, result: AggResult, meta: AggregateMeta): void {
    this.write(key, { meta }, [result.count, result.first, result.last, result.revenue, result.quantity]);
  }

  /** What the pass of an aggregate saw (its entry's header), without its arrays. */
  readAggregateMeta(key: string): AggregateMeta | undefined {
    const h = this.readHeader(key);
    return h && Array.isArray(h.arrays) && h.arrays.length === 5 ? (h.meta as AggregateMeta) : undefined;
  }

  /** A segment's stored result over `size` customers (Engine.resultKeys), or undefined. */
  readResult<T>(key: string, size: number): StoredRows<T> | undefined {
    const e = this.read(key);
    if (!e || e.arrays.length !== 1 || e.header.size !== size || !("detail" in e.header)) return undefined;
    const words = e.arrays[0];
    if (!(words instanceof Uint32Array) || words.length !== (size + 31) >>> 5) return undefined;
    return { rows: new BitSet(size, words), detail: e.header.detail as T };
  }

  /** Stores a segment's result; several of them are written before one `trim()`. */
  writeResult<T>(key: string, result: StoredRows<T>): void {
    this.write(key, { size: result.rows.size, detail: result.detail }, [result.rows.words], false);
  }
}

const align = (n: number) => (n + 7) & ~7;

/** A file's bytes in an ArrayBuffer of their own (readFileSync may hand back a slice of a shared pool). */
function readWhole(file: string): Buffer {
  const fd = openSync(file, "r");
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.from(new ArrayBuffer(size));
    let got = 0;
    while (got < size) {
      const n = readSync(fd, buf, got, size - got, got);
      if (n === 0) throw new Error(`${file}: shorter than its size`);
      got += n;
    }
    return buf;
  } finally {
    closeSync(fd);
  }
}

interface ColumnHeader {
  kind: Column["kind"];
  type: ValueType;
  length: number;
}

/** A column's arrays: validity, then codes (and list offsets) and the packed dictionary, or values. */
function columnEntry(col: Column): { header: ColumnHeader; arrays: Typed[] } {
  const header: ColumnHeader = { kind: col.kind, type: col.type, length: col.length };
  const arrays: Typed[] = [col.validity.words];
  switch (col.kind) {
    case "string":
      arrays.push(col.codes, ...packStrings(col.dict));
      break;
    case "list":
      arrays.push(col.offsets, col.codes, ...packStrings(col.dict));
      break;
    default:
      arrays.push(col.values);
  }
  return { header, arrays };
}

/** The column of an entry, or undefined when its arrays do not fit its header. */
function columnOf(h: ColumnHeader, arrays: Typed[]): Column | undefined {
  const validity = new BitSet(h.length, arrays[0] as Uint32Array);
  const base = { validity, length: h.length };
  const dict = (at: number) => {
    try {
      return unpackStrings(arrays[at] as Uint32Array, arrays[at + 1] as Uint8Array);
    } catch {
      return undefined;
    }
  };
  switch (h.kind) {
    case "string": {
      const d = arrays.length === 4 ? dict(2) : undefined;
      return d && { ...base, kind: "string", type: h.type as "string" | "id", codes: arrays[1] as Uint32Array, dict: d };
    }
    case "list": {
      const d = arrays.length === 5 ? dict(3) : undefined;
      return d && { ...base, kind: "list", type: "list", offsets: arrays[1] as Uint32Array, codes: arrays[2] as Uint32Array, dict: d };
    }
    case "number": return { ...base, kind: "number", type: h.type as "integer" | "decimal", values: arrays[1] as Float64Array };
    case "bool": return { ...base, kind: "bool", type: "bool", values: arrays[1] as Uint8Array };
    case "date": return { ...base, kind: "date", type: "date", values: arrays[1] as Int32Array };
    case "datetime": return { ...base, kind: "datetime", type: "datetime", values: arrays[1] as Float64Array };
  }
}
