#!/usr/bin/env node
// Runs the built CLI in this process and records what the process cost, so the product
// code needs no change for the bench:
//
//   SEGMENT_BENCH_OUT=/tmp/x.json node bench/measure.mjs validate --exports
//
// is `segment validate --exports`, and at exit writes to $SEGMENT_BENCH_OUT:
//   maxRSS       peak resident set size, KiB (process.resourceUsage())
//   userMs/sysMs CPU time of the whole process (all threads, zlib included)
//   rchar        bytes this process read through read() syscalls (/proc/self/io, Linux),
//                modules included; null where /proc is missing
import { readFileSync, writeFileSync } from 'node:fs';
import v8 from 'node:v8';
import { performance } from 'node:perf_hooks';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// The same heap setting as bin/segment.js, so the bench measures what users run.
v8.setFlagsFromString('--max-semi-space-size=64');

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const outFile = process.env.SEGMENT_BENCH_OUT;

function rchar() {
  try {
    const m = /^rchar:\s*(\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

process.on('exit', (code) => {
  if (!outFile) return;
  const u = process.resourceUsage();
  // The product's own phase timings (src/timings.ts: performance.measure entries named segment:*).
  const phases = performance.getEntriesByType('measure').filter((e) => e.name.startsWith('segment:'))
    .map((e) => ({ name: e.name.slice(8), startMs: +e.startTime.toFixed(1), ms: +e.duration.toFixed(1), ...(e.detail ?? {}) }));
  writeFileSync(outFile, JSON.stringify({ maxRSS: u.maxRSS, userMs: u.userCPUTime / 1000, sysMs: u.systemCPUTime / 1000, rchar: rchar(), code, phases }));
});

const { main } = await import(pathToFileURL(join(REPO, 'dist', 'cli', 'main.js')).href);
// The CLI parses argv as bin/segment.js sees it: [node, script, ...args]. The wrapper's own
// path is replaced by the launcher's, so commander skips the same two entries.
await main([process.argv[0], join(REPO, 'bin', 'segment.js'), ...process.argv.slice(2)]);
