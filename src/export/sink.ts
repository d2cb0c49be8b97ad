/**
 * Where a writer's bytes go: a file staged beside its target (moved into place only when the
 * whole output is written, so a failed export never leaves half a file or loses the old one),
 * or a stream such as stdout. Writes wait for the stream to drain, so memory stays bounded
 * however many rows go through, and `end()` waits until every write has completed: a write
 * that fails (a full disk, `> /dev/full`) fails the output, however late the stream says
 * so. A closed pipe (`segment export x --out - | head`) ends the output quietly: the sink
 * drops what comes after, and the command ends with success.
 */
import { closeSync, fchmodSync, openSync, rmSync } from "node:fs";
import { Writable } from "node:stream";
import { bestEffort, fsyncAsync, namePath, onFile, tempBeside, writeAllAsync, type StagedFile } from "../fs-atomic.js";

/** Errors that mean the reader went away: the output ends, without failing. */
const GONE = new Set(["EPIPE", "ERR_STREAM_DESTROYED", "ERR_STREAM_WRITE_AFTER_END"]);

/** A byte sink with backpressure. */
export class Sink {
  /** True once the reader went away (EPIPE): writes are dropped from then on. */
  closed = false;
  private failure?: Error;
  private inflight = 0;
  private idle: Array<() => void> = [];

  constructor(readonly stream: Writable, private readonly onEnd: () => Promise<void> = async () => {}) {
    stream.on("error", (e) => this.fail(e));
  }

  /** Writes a chunk; the promise, when there is one, resolves once the stream has drained. */
  write(chunk: string | Uint8Array): Promise<void> | undefined {
    if (this.failure) throw this.failure;
    if (this.closed) return undefined;
    this.inflight++;
    const more = this.stream.write(chunk, (e) => {
      if (e) this.fail(e);
      if (--this.inflight === 0) for (const f of this.idle.splice(0)) f();
    });
    return more ? undefined : this.drained();
  }

  /** Resolves when the stream wants more (at once when it does already); rejects once a write failed. */
  drained(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed || !this.stream.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => {
        this.stream.off("drain", done);
        this.stream.off("close", done);
        this.stream.off("error", done);
        if (this.failure) reject(this.failure);
        else resolve();
      };
      this.stream.on("drain", done);
      this.stream.on("close", done);
      this.stream.on("error", done);
    });
  }

  /** Resolves when every write so far has completed; rejects if one failed. */
  async flushed(): Promise<void> {
    if (this.inflight > 0 && !this.closed) await new Promise<void>((resolve) => this.idle.push(resolve));
    if (this.failure) throw this.failure;
  }

  /** Ends the output: every write completed (for a file: flushed and fsynced). */
  async end(): Promise<void> {
    await this.flushed();
    await this.onEnd();
    if (this.failure) throw this.failure;
  }

  /** The error that failed the output, if any. */
  get error(): Error | undefined {
    return this.failure;
  }

  private fail(e: Error): void {
    if (GONE.has((e as NodeJS.ErrnoException).code ?? "")) {
      this.closed = true;
      for (const f of this.idle.splice(0)) f();
    } else this.failure ??= e;
  }
}

/** A sink over a stream the caller owns (stdout): ended by waiting for its writes, never closed. */
export function streamSink(stream: Writable): Sink {
  return new Sink(stream);
}

/** A file written aside of `file` (same folder), fsynced on end; the caller moves it into place. */
export interface StagedSink {
  sink: Sink;
  staged: StagedFile;
  /** Removes the temp file (after a failure); its descriptor is closed once no write is in flight. */
  discard(): void;
}

/** Opens a temp file beside `file` with `mode` (set explicitly, whatever the umask). */
export function stagedFileSink(file: string, mode: number): StagedSink {
  const tmp = tempBeside(file);
  const fd = openSync(tmp, "wx", mode);
  try {
    onFile(tmp, () => fchmodSync(fd, mode));
  } catch (e) {
    bestEffort(() => closeSync(fd));
    bestEffort(() => rmSync(tmp, { force: true }));
    throw e;
  }
  const out = new FileWritable(fd, tmp);
  const sink = new Sink(out, async () => {
    await new Promise<void>((resolve, reject) => {
      out.once("error", reject);
      out.end(() => resolve());
    });
    // An fsync error is never retried: the pages it could not write may be dropped already.
    // On libuv's threads, so the run's other writes go on meanwhile (src/engine/run.ts stageStateAndOutputs).
    await fsyncAsync(fd).catch((e: unknown) => {
      throw namePath(e, tmp);
    });
    out.closeFd();
  });
  return {
    sink,
    staged: { tmp, file },
    discard() {
      // Runs while the error that failed the output is on its way: clean-up must not replace it.
      out.destroy();
      bestEffort(() => out.closeFd());
      bestEffort(() => rmSync(tmp, { force: true }));
    },
  };
}

/**
 * A Writable over a file descriptor it never closes on its own (unlike fs.WriteStream, whose
 * destroy closes the fd later, when the number may already belong to another file).
 * `closeFd` closes it once no write is in flight.
 */
class FileWritable extends Writable {
  private inflight = 0;
  private closeWanted = false;
  private fdClosed = false;

  constructor(private readonly fd: number, private readonly file: string) {
    super({ highWaterMark: 1 << 16 });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.inflight++;
    const done = (e: unknown) => {
      this.inflight--;
      // A close wanted during a write comes from discard(), after a failure already reported.
      try {
        this.maybeClose();
      } catch {
        // Nothing more to report.
      }
      cb(e ? (namePath(e, this.file) as Error) : null);
    };
    writeAllAsync(this.fd, chunk).then(() => done(null), done);
  }

  /** Closes the descriptor now, or when the write in flight completes. */
  closeFd(): void {
    this.closeWanted = true;
    this.maybeClose();
  }

  private maybeClose(): void {
    if (this.closeWanted && !this.fdClosed && this.inflight === 0) {
      this.fdClosed = true;
      onFile(this.file, () => closeSync(this.fd));
    }
  }
}
