// What the bench scripts share: the seeded PRNG, building dist/ when it is missing, naming
// the code a run measured, and running a child with its output captured.
import { spawn, spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

/** Runs a child; resolves with its exit code, wall time, stdout (first MiB) and stderr (last 4 KB). */
export function runChild(args, cwd, env = {}) {
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout = [];
    let stdoutBytes = 0;
    let stderr = '';
    child.stdout.on('data', (b) => {
      stdoutBytes += b.length;
      if (stdoutBytes < 1 << 20) stdout.push(b);
    });
    child.stderr.on('data', (b) => { stderr = (stderr + b.toString()).slice(-4000); });
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code: code ?? signal, wallMs: performance.now() - t0, stdout: Buffer.concat(stdout).toString(), stdoutBytes, stderr }));
  });
}

/** Runs a segment command through bench/measure.mjs in `dir`: its exit, wall time, output, and the usage measure.mjs recorded. */
export async function measureCommand(dir, args, nodeFlags = []) {
  const tmp = join(tmpdir(), `segment-bench-${process.pid}-${Math.random().toString(36).slice(2)}.json`);
  const run = await runChild([...nodeFlags, join(REPO, 'bench', 'measure.mjs'), ...args], dir, { SEGMENT_BENCH_OUT: tmp });
  let usage = {};
  try {
    usage = JSON.parse(readFileSync(tmp, 'utf8'));
    rmSync(tmp);
  } catch { /* the child died before its exit handler */ }
  return { ...run, usage };
}
