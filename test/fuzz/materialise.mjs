// Writes a case's project folder from its description (case.json): small files as text or
// base64, big ones (bombs, huge cells and lines) from a recipe, so that no big input is ever
// stored, only the few numbers that make it. Gzipped recipes are cached across runs.
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, createWriteStream, existsSync, mkdirSync, readdirSync, renameSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import process from "node:process";
import { gzipSync, createGzip } from "node:zlib";

const CACHE = path.join(tmpdir(), "segment-fuzz-cache");
const BLOCK = 1 << 20;

/** The chunks of a `repeat` recipe: prefix, `count` copies of `unit` (itself repeated `unitTimes`; {i} and {i1} numbered), suffix. */
function* repeatChunks({ prefix = "", unit: one, unitTimes = 1, count, suffix = "" }) {
  const unit = one.repeat(unitTimes);
  if (prefix) yield Buffer.from(prefix);
  const numbered = unit.includes("{i");
  if (!numbered) {
    const one = Buffer.from(unit);
    const per = Math.max(1, Math.floor(BLOCK / one.length));
    const block = Buffer.concat(Array(Math.min(per, count)).fill(one));
    let left = count;
    while (left >= per) {
      yield block;
      left -= per;
    }
    if (left > 0) yield Buffer.concat(Array(left).fill(one));
  } else {
    let parts = [];
    let size = 0;
    for (let i = 0; i < count; i++) {
      const s = unit.replaceAll("{i1}", String(i + 1)).replaceAll("{i}", String(i));
      parts.push(s);
      size += s.length;
      if (size >= BLOCK) {
        yield Buffer.from(parts.join(""));
        parts = [];
        size = 0;
      }
    }
    if (parts.length) yield Buffer.from(parts.join(""));
  }
  if (suffix) yield Buffer.from(suffix);
}

async function writeRecipe(file, entry) {
  const recipe = entry.recipe;
  if (recipe.type !== "repeat") throw new Error(`unknown recipe ${recipe.type}`);
  if (!entry.gzip) {
    await pipeline(repeatChunks(recipe), createWriteStream(file));
    return;
  }
  const key = createHash("sha256").update(JSON.stringify(recipe)).digest("hex").slice(0, 24);
  const cached = path.join(CACHE, `${key}.gz`);
  if (!existsSync(cached)) {
    mkdirSync(CACHE, { recursive: true });
    const tmp = `${cached}.${process.pid}.tmp`;
    await pipeline(repeatChunks(recipe), createGzip({ level: 9 }), createWriteStream(tmp));
    renameSync(tmp, cached);
  }
  copyFileSync(cached, file);
}

/** The bytes of a small file entry: text or base64, gzipped and cut as the entry says. */
export function entryBytes(entry) {
  let bytes = entry.b64 !== undefined ? Buffer.from(entry.b64, "base64") : Buffer.from(entry.text ?? "", "utf8");
  if (entry.gzip) bytes = gzipSync(bytes);
  if (entry.cut !== undefined) bytes = bytes.subarray(0, entry.cut);
  return bytes;
}

function chmodTree(dir, dirMode, fileMode) {
  chmodSync(dir, dirMode);
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory()) chmodTree(p, dirMode, fileMode);
    else if (st.isFile()) chmodSync(p, fileMode);
  }
}

/**
 * Writes the case's project into `dir` (which exists). When a command runs as another user,
 * the folder is opened up to everyone first, then the case's own chmods are applied.
 * `skipBig` leaves recipe files out (a saved finding's folder, to look at).
 */
export async function materialise(c, dir, { skipBig = false } = {}) {
  for (const d of c.dirs ?? []) mkdirSync(path.join(dir, d), { recursive: true });
  for (const entry of c.files ?? []) {
    const file = path.join(dir, entry.path);
    mkdirSync(path.dirname(file), { recursive: true });
    if (entry.recipe) {
      if (!skipBig) await writeRecipe(file, entry);
    } else {
      writeFileSync(file, entryBytes(entry));
    }
  }
  for (const s of c.symlinks ?? []) {
    mkdirSync(path.dirname(path.join(dir, s.path)), { recursive: true });
    symlinkSync(s.target, path.join(dir, s.path));
  }
  if (skipBig) return;
  if ((c.commands ?? []).some((cmd) => cmd.asNobody)) chmodTree(dir, 0o777, 0o666);
  for (const m of c.chmods ?? []) chmodSync(path.join(dir, m.path), m.mode);
}
