/**
 * JSON lines written to a file descriptor as bytes: the member files and the history of a
 * commit. A first run at a million customers writes about six million history lines (a
 * gigabyte) and as many member lines. Made as strings, each line was a concatenation, a
 * JSON.stringify and a share of a join and a UTF-8 encode: about 10 s of a 1M run. Here the
 * constant parts of a line are encoded once and copied, and an id is copied code unit by
 * code unit when it is printable ASCII without `"` or `\`, which is what shops' ids are.
 * Any other id is written as JSON.stringify makes it, so the bytes are always exactly
 * `JSON.stringify(id)` in UTF-8.
 *
 * Writing a gigabyte is slower than making it here (the disk takes about 270 MB/s), so the
 * writes go out asynchronously, one chunk in flight while the next is filled: the disk and
 * the making of lines overlap, and other work of the run (its output files) goes on between
 * chunks. A writer checks `full` after each line and then awaits `flush()`. Every
 * SYNC_EVERY bytes it also starts an fdatasync, not waited for until end(): the disk then
 * writes the file back while the rest of it is made, instead of all of it in the final
 * fsync (which found 940 MB to write at a million customers, 3.5 s with nothing else to do).
 */
import { fdatasyncAsync, writeAllAsync } from "../fs-atomic.js";

/** Bytes gathered before each write(2) (`full`): a first run's history is more than any one string can hold. */
const CHUNK = 1 << 20;

/** Bytes written between the fdatasyncs started while the file is written. */
const SYNC_EVERY = 32 << 20;

/** Most UTF-8 bytes JSON.stringify can make of one UTF-16 code unit (`\u001f` is six). */
const MAX_BYTES_PER_UNIT = 6;

export class JsonLines {
  // Twice the chunk, so the line that fills a chunk fits without growing the buffer.
  private buf = Buffer.allocUnsafe(2 * CHUNK);
  /** The buffer of the write in flight, filled again once it is done. */
  private spare = Buffer.allocUnsafe(2 * CHUNK);
  private inFlight: Promise<void> | undefined;
  private at = 0;
  private unsynced = 0;
  private syncing: Promise<void> | undefined;

  constructor(private readonly fd: number) {}

  /** Writes `bytes` as they are. */
  bytes(bytes: Uint8Array): void {
    this.room(bytes.length);
    this.buf.set(bytes, this.at);
    this.at += bytes.length;
  }

  /** Writes `s` as a JSON string, quotes included. */
  string(s: string): void {
    this.room(s.length * MAX_BYTES_PER_UNIT + 2);
    const buf = this.buf;
    let p = this.at;
    buf[p++] = 34;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c > 0x7e || c === 34 || c === 92) {
        this.at += buf.write(JSON.stringify(s), this.at, "utf8");
        return;
      }
      buf[p++] = c;
    }
    buf[p++] = 34;
    this.at = p;
  }

  /** True once a chunk is gathered: the writer should await flush(). */
  get full(): boolean {
    return this.at >= CHUNK;
  }

  /**
   * Starts writing out what is gathered, once the write before it is done, and resolves then:
   * the new write goes on while the writer fills the other buffer.
   */
  async flush(): Promise<void> {
    await this.inFlight;
    this.inFlight = undefined;
    if (this.at === 0) return;
    const filled = this.buf;
    const written = writeAllAsync(this.fd, filled.subarray(0, this.at));
    // A failed write rejects the next flush or end(); until then it must not count as unhandled.
    written.catch(() => undefined);
    this.inFlight = written;
    this.unsynced += this.at;
    if (this.unsynced >= SYNC_EVERY) {
      this.unsynced = 0;
      // One at a time: waiting for the last one holds the writer to the disk's pace (other
      // work of the run goes on meanwhile), and takes its error.
      await this.syncing;
      // After the write in flight, so what it syncs is the file so far; end() takes its error.
      const synced = written.then(() => fdatasyncAsync(this.fd));
      synced.catch(() => undefined);
      this.syncing = synced;
    }
    // The spare's write is done (awaited above): it takes the next lines.
    this.buf = this.spare;
    this.spare = filled;
    this.at = 0;
  }

  /** Writes out everything and resolves once it is written. */
  async end(): Promise<void> {
    await this.flush();
    await this.inFlight;
    this.inFlight = undefined;
    await this.syncing;
  }

  /** Resolves once no write or sync is in flight, failed or not: after an error, before the file is closed. */
  async idle(): Promise<void> {
    await Promise.allSettled([this.inFlight, this.syncing]);
  }

  /** Makes room for `n` more bytes, growing the buffer (a long id) rather than writing. */
  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(grown, 0, 0, this.at);
    this.buf = grown;
  }
}
