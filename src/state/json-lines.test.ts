/**
 * The byte writer of member and history lines. The expected bytes are JSON.stringify's,
 * encoded by Buffer.from: the engine the writer must agree with, computed independently of it.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { JsonLines } from "./json-lines.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The bytes `write` leaves in a new file. */
async function written(write: (out: JsonLines) => void | Promise<void>): Promise<Buffer> {
  const dir = mkdtempSync(path.join(tmpdir(), "segment-lines-"));
  dirs.push(dir);
  const file = path.join(dir, "f");
  const fd = openSync(file, "wx");
  const out = new JsonLines(fd);
  await write(out);
  await out.end();
  closeSync(fd);
  return readFileSync(file);
}

/** A seeded generator (mulberry32), so a failure names ids that can be made again. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Code units ids are made of: mostly plain, some that JSON escapes or UTF-8 widens, lone surrogates. */
const UNITS = ["C", "0", "7", "-", " ", "~", '"', "\\", "\n", "\t", "\u0000", "\u001f", "\u007f", "é", "М", "€", "\u2028", "😀", "\ud83d", "\ude00"];

function id(next: () => number): string {
  const n = Math.floor(next() * 12);
  let s = "";
  for (let i = 0; i < n; i++) s += next() < 0.8 ? String.fromCharCode(48 + Math.floor(next() * 10)) : UNITS[Math.floor(next() * UNITS.length)];
  return s;
}

describe("JsonLines", () => {
  it("writes each id exactly as JSON.stringify does, across many chunks", async () => {
    const next = random(7);
    const ids = Array.from({ length: 200_000 }, () => id(next));
    const head = Buffer.from('{"k":');
    const tail = Buffer.from("}\n");
    const bytes = await written(async (out) => {
      for (const s of ids) {
        out.bytes(head);
        out.string(s);
        out.bytes(tail);
        if (out.full) await out.flush();
      }
    });
    // Over 1 MiB, so the writer flushed more than once.
    expect(bytes.length).toBeGreaterThan(2 << 20);
    expect(bytes.equals(Buffer.from(ids.map((s) => `{"k":${JSON.stringify(s)}}\n`).join(""), "utf8"))).toBe(true);
    const back = bytes.toString("utf8").trimEnd().split("\n").map((l) => (JSON.parse(l) as { k: string }).k);
    // Lone surrogates come back as written: JSON.stringify escapes them.
    expect(back).toEqual(ids);
  });

  it("writes an id longer than its buffer, plain and escaped", async () => {
    const plain = "C".repeat(3 << 20);
    const escaped = "\u0001".repeat(300_000);
    const bytes = await written((out) => {
      out.string("a");
      out.string(plain);
      out.string(escaped);
      out.string("");
    });
    expect(bytes.equals(Buffer.from(['"a"', JSON.stringify(plain), JSON.stringify(escaped), '""'].join(""), "utf8"))).toBe(true);
  });
});
