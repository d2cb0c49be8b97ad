// The bench suite (bench/suite/README.md): the example segments of segments/ and the
// segments of bench/suite/, and a fresh project that runs them, for bench/run.mjs and
// bench/duckdb.mjs.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { REPO } from './common.mjs';

const SEGMENT_DIRS = [join(REPO, 'segments'), join(REPO, 'bench', 'suite')];

/** Every YAML file of the suite (absolute paths, in order) and the codes they define. */
export function loadSuite() {
  const files = [];
  const codes = [];
  for (const dir of SEGMENT_DIRS) {
    for (const f of readdirSync(dir).filter((x) => /\.ya?ml$/.test(x)).sort()) {
      files.push(join(dir, f));
      const v = parse(readFileSync(join(dir, f), 'utf8'));
      for (const d of Array.isArray(v) ? v : [v]) codes.push(d.code);
    }
  }
  return { files, codes };
}

/**
 * A fresh project in `dir` over the exports in `dataDir`: segments/ with copies of the
 * suite, all-suite.yaml (every definition in one file, for one preview), an empty
 * no-segments/ to preview that file alone, and the config (zone UTC, state and out inside).
 * No state, no out: a bench run starts from nothing.
 */
export function writeSuiteProject(dir, dataDir, writer) {
  const { files, codes } = loadSuite();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'segments'), { recursive: true });
  mkdirSync(join(dir, 'no-segments'));
  const texts = files.map((f) => readFileSync(f, 'utf8'));
  files.forEach((f, k) => {
    const to = join(dir, 'segments', basename(f));
    if (existsSync(to)) throw new Error(`two suite files are named ${basename(f)}`);
    writeFileSync(to, texts[k]);
  });
  writeFileSync(join(dir, 'all-suite.yaml'), `# Written by ${writer}: every suite segment, for one preview.\n` + stringify(texts.map((t) => parse(t))));
  writeBenchConfig(dir, `${writer}: the suite over the bench data, remade before every bench`, JSON.stringify(dataDir), 'segments');
  return { dir, files, codes };
}

/**
 * The segment.config.yaml of a bench project: `data` and `segments` as given (YAML
 * scalars), state and out inside the project, zone UTC; `about` opens its comment.
 */
export function writeBenchConfig(dir, about, data, segments) {
  writeFileSync(join(dir, 'segment.config.yaml'), [
    `# Written by ${about}.`,
    `data: ${data}`,
    `segments: ${segments}`,
    'state: .segment',
    'out: out',
    'timezone: UTC',
    '',
  ].join('\n'));
}
