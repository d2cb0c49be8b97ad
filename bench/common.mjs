// What the bench scripts share: the seeded PRNG, building dist/ when it is missing, and
// naming the code a run measured.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');

/** mulberry32: the same seed, the same sequence of numbers in [0, 1). */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs `npm run build` unless every one of `files` (paths under dist/) exists. */
export function ensureBuilt(files = ['cli/main.js']) {
  if (files.every((f) => existsSync(join(REPO, 'dist', f)))) return;
  console.log(`dist/ lacks ${files.join(' or ')}: running npm run build`);
  const r = spawnSync('npm', ['run', 'build'], { cwd: REPO, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm run build failed');
}

/** Which code is measured: the commit, whether src/ has uncommitted changes, when dist/ was built. */
export function codeVersion() {
  const git = (...args) => spawnSync('git', args, { cwd: REPO, encoding: 'utf8' }).stdout?.trim() ?? '';
  let newest = 0;
  for (const f of readdirSync(join(REPO, 'dist'), { recursive: true })) newest = Math.max(newest, statSync(join(REPO, 'dist', f)).mtimeMs);
  return { commit: git('rev-parse', '--short', 'HEAD') || null, srcDirty: git('status', '--porcelain', '--', 'src') !== '', distBuilt: new Date(newest).toISOString() };
}
