/**
 * Bytes of an export file, gunzipped when it ends in `.gz`, decoded to text chunks with the
 * BOM dropped. Invalid bytes and a truncated gzip stream become data errors that name the
 * line and column where they were met.
 */
import { fsProblem } from "../text-bytes.js";
import { createReadStream } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { createGunzip } from "node:zlib";
import { DataError } from "../errors.js";

/** Largest decompressed size accepted from one `.gz` export: beyond it we assume a gzip bomb. */
export const MAX_GUNZIPPED_BYTES = 64 * 1024 ** 3;

const MSG_NUL = "a NUL byte: the file is damaged or not text";
const MSG_GZIP_CUT = "the gzip stream ends early (the file is cut short or damaged)";
const msgInvalidBytes = (enc: string) => `bytes that are not valid ${enc}`;

/** The bytes of `file`, gunzipped when its name ends in `.gz`, chunk by chunk. */
export function fileBytes(file: string, chunkBytes = 1 << 20): AsyncIterable<Buffer> {
  if (!file.toLowerCase().endsWith(".gz")) return chunksOf(new FileChunks(file, chunkBytes));
  const raw = createReadStream(file, { highWaterMark: chunkBytes });
  raw.on("error", () => undefined);
  return raw.pipe(createGunzip());
}

async function* chunksOf(chunks: FileChunks): AsyncGenerator<Buffer> {
  try {
    for (let c = await chunks.next(); c; c = await chunks.next()) yield c;
  } finally {
    await chunks.close();
  }
}

/**
 * A plain (not gzipped) file's bytes, chunk by chunk from one file handle, read in order
 * (so a pipe reads too): straight into a buffer the caller reuses (`into`), or into a new
 * one (`next`). A read stream makes a new buffer for every chunk, and the byte scan then
 * joined it to the rest of the last one: two fresh megabytes a chunk.
 */
export class FileChunks {
  private handle?: FileHandle;

  constructor(readonly file: string, readonly chunkBytes = 1 << 20) {}

  /** Reads the next chunk into `target` from `at` on (room for chunkBytes); its length, 0 at the end. */
  async into(target: Buffer, at: number): Promise<number> {
    this.handle ??= await open(this.file, "r");
    const { bytesRead } = await this.handle.read(target, at, this.chunkBytes, null);
    return bytesRead;
  }

  /** The next chunk in a buffer of its own, or undefined at the end. */
  async next(): Promise<Buffer | undefined> {
    const b = Buffer.allocUnsafe(this.chunkBytes);
    const n = await this.into(b, 0);
    return n === 0 ? undefined : b.subarray(0, n);
  }

  async close(): Promise<void> {
    const h = this.handle;
    this.handle = undefined;
    await h?.close();
  }
}

/** Where decoding starts when a reader hands over the rest of a file (after a line end). */
export interface ResumeAt {
  /** Line of the first byte given. */
  line: number;
}

/** Streams the decoded text of `file` (shown in messages as `display`). */
export function readText(file: string, display: string, encoding = "utf-8", chunkBytes?: number): AsyncGenerator<string> {
  return decodeBytes(fileBytes(file, chunkBytes), display, encoding, file.toLowerCase().endsWith(".gz"));
}

/**
 * Decodes byte chunks of one file as readText does. With `resume`, the bytes are the rest of
 * a file from the start of a line a reader has already checked: no BOM is dropped there, and
 * CR line ends are not looked for again (the reader only hands over files with LFs).
 */
export async function* decodeBytes(bytes: AsyncIterable<Buffer>, display: string, encoding: string, gz: boolean, resume?: ResumeAt): AsyncGenerator<string> {
  const decoder = new TextDecoder(encoding, { fatal: true, ignoreBOM: resume !== undefined });
  let line = resume?.line ?? 1;
  let col = 1;
  let total = 0;
  // Old Mac line ends (CR alone): told by the first chunk, then read as LFs.
  let crOnly: boolean | undefined = resume ? false : undefined;
  const advance = (text: string) => {
    let last = -1;
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) {
      line++;
      last = i;
    }
    col = last === -1 ? col + text.length : text.length - last;
  };
  try {
    for await (const chunk of bytes) {
      total += chunk.length;
      if (gz && total > MAX_GUNZIPPED_BYTES) {
        throw new DataError([{ file: display, line, col, message: `decompresses to more than ${MAX_GUNZIPPED_BYTES} bytes`, hint: "unpack it yourself if it is genuine" }]);
      }
      let text: string;
      try {
        text = decoder.decode(chunk, { stream: true });
      } catch {
        const bad = firstBadOffset(chunk, encoding);
        advance(new TextDecoder(encoding).decode(chunk.subarray(0, bad)));
        throw new DataError([{
          file: display, line, col,
          message: msgInvalidBytes(encoding),
          value: chunk.subarray(bad, bad + 4).toString("hex"),
          hint: `save the file as ${encoding}, or set the source's encoding (e.g. windows-1251) in the config`,
        }]);
      }
      // A first chunk with CRs and no LF at all: CR line ends (a CRLF or LF file has LFs there).
      if (crOnly === undefined && text !== "") crOnly = text.includes("\r") && !text.includes("\n");
      if (crOnly) text = text.replaceAll("\r", "\n");
      const nul = text.indexOf("\0");
      if (nul !== -1) {
        advance(text.slice(0, nul));
        throw new DataError([{ file: display, line, col, message: MSG_NUL, hint: "export the file again; a NUL is never text in an export (a file padded by a crash, or not a text file)" }]);
      }
      advance(text);
      if (text) yield text;
    }
    const tail = decoder.decode();
    if (tail) yield crOnly ? tail.replaceAll("\r", "\n") : tail;
  } catch (e) {
    throw readProblem(e, display, line, col, encoding);
  }
}

/**
 * What a failure while reading an export's bytes is for the user: a DataError for a cut or
 * damaged gzip stream, a file ending inside a character or a file that cannot be read;
 * anything else as it was.
 */
export function readProblem(e: unknown, display: string, line: number, col: number, encoding: string): unknown {
  if (e instanceof DataError) return e;
  const err = e as NodeJS.ErrnoException;
  if (err.code === "Z_BUF_ERROR" || err.code === "Z_DATA_ERROR" || /unexpected end of file|incorrect header check/i.test(err.message)) {
    return new DataError([{ file: display, line, col, message: err.code === "Z_DATA_ERROR" ? "not a valid gzip stream" : MSG_GZIP_CUT, hint: "export the file again" }]);
  }
  if (err instanceof TypeError) {
    return new DataError([{ file: display, line, col, message: msgInvalidBytes(encoding), hint: "the file ends inside a character: export it again" }]);
  }
  if (err.syscall !== undefined && typeof err.code === "string") {
    const [message, hint] = fsProblem(err, "export");
    return new DataError([{ file: display, message, hint: err.code === "ENOENT" ? "check the data folder and the source's file name in the config" : hint }]);
  }
  return e;
}

/** Offset of the first byte of `buf` that does not decode, skipping a sequence begun in the previous chunk. */
function firstBadOffset(buf: Buffer, encoding: string): number {
  if (encoding.toLowerCase().replace("-", "") === "utf8") {
    let i = 0;
    while (i < buf.length && i < 3 && (buf[i] & 0xc0) === 0x80) i++;
    while (i < buf.length) {
      const b = buf[i];
      const n = b < 0x80 ? 0 : b >= 0xc2 && b < 0xe0 ? 1 : b >= 0xe0 && b < 0xf0 ? 2 : b >= 0xf0 && b < 0xf5 ? 3 : -1;
      if (n < 0) return i;
      // A sequence running past the chunk continues in the next one; the bad byte lies before it.
      if (i + n >= buf.length) return i;
      for (let k = 1; k <= n; k++) if ((buf[i + k] & 0xc0) !== 0x80) return i;
      const cp = n === 2 ? ((b & 0x0f) << 12) | ((buf[i + 1] & 0x3f) << 6) : 0;
      if (n === 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) return i;
      i += n + 1;
    }
    return buf.length;
  }
  for (let i = 0; i < buf.length; i++) {
    try {
      new TextDecoder(encoding, { fatal: true }).decode(buf.subarray(i, i + 1));
    } catch {
      return i;
    }
  }
  return buf.length;
}
