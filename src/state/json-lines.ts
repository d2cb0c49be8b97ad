/**
 * JSON lines written to a file descriptor as bytes: the member files and the history of a
 * commit. A first run at a million customers writes about six million history lines (a
 * gigabyte) and as many member lines. Made as strings, each line was a concatenation, a
 * JSON.stringify and a share of a join and a UTF-8 encode: about 10 s of a 1M run. Here the
 * constant parts of a line are encoded once and copied, and an id is copied code unit by
 * code unit when it is printable ASCII without `"` or `\`, which is what shops' ids are.
 * Any other id is written as JSON.stringify makes it, so the bytes are always exactly
 * `JSON.stringify(id)` in UTF-8.
 */
import { writeAll } from "../fs-atomic.js";

/** Bytes gathered before each write(2): a first run's history is more than any one string can hold. */
const CHUNK = 1 << 20;

/** Most UTF-8 bytes JSON.stringify can make of one UTF-16 code unit (`\u001f` is six). */
const MAX_BYTES_PER_UNIT = 6;

export class JsonLines {
  private buf = Buffer.allocUnsafe(CHUNK);
  private at = 0;

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

  /** Writes out what is gathered. */
  flush(): void {
    if (this.at > 0) writeAll(this.fd, this.buf.subarray(0, this.at));
    this.at = 0;
  }

  /** Makes room for `n` more bytes: writes out what is gathered first when they would pass the chunk. */
  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n);
  }
}
