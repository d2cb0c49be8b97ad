#!/usr/bin/env node
// An after_run hook for `segment run` (docs/run.md): reads the run summary from stdin and
// appends one line per customer who entered a segment to a file, e.g. a queue a mailer
// reads. Wire it in segment.config.yaml:
//
//   hooks:
//     after_run: [node, docs/hooks/append-entered.mjs, out/entered.log]
//
// Each line: run id, as-of day, segment code, customer id, tab-separated. To post to a URL
// instead, replace the appendFileSync call with a fetch() to your own service.
import { appendFileSync, readFileSync } from 'node:fs';

const target = process.argv[2] ?? 'entered.log';
const summary = JSON.parse(readFileSync(0, 'utf8'));
let lines = '';
for (const f of summary.files) {
  if (f.kind !== 'entered' || f.format !== 'csv') continue;
  // The CSV has a header `id`; a cell starting with ' was neutralised for spreadsheets.
  const ids = readFileSync(f.path, 'utf8').split('\n').slice(1).filter(Boolean);
  for (const id of ids) lines += `${summary.run_id}\t${summary.as_of}\t${f.segment}\t${id.replace(/^"|"$/g, '')}\n`;
}
appendFileSync(target, lines);
console.log(`append-entered: ${lines ? lines.trim().split('\n').length : 0} entered customers appended to ${target}`);
