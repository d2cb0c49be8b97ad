// `npm run fuzz -- --budget 15m --seed 1 [--parallel 2] [--kind data|definitions|config|fs|csv-diff]
// [--keep] [--cases N] [--timeout 30s] [--rss-mb 600] [--replay DIR] [--case N] [--save-regression NAME]`:
// seeded, time-bounded fuzzing of the built binary. Exit 0 with no findings, 1 otherwise.
import process from "node:process";
import { distinctFindings, generateCase, KINDS, replayCase, runCase, runFuzz, saveRegression } from "./fuzz.mjs";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

function duration(s) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s ?? "");
  if (!m) throw new Error(`not a duration: ${s} (e.g. 90s, 15m)`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? "s"];
}

function parseArgs(argv) {
  const o = { seed: 1, parallel: 2, kinds: [...KINDS], keep: false, budgetMs: 15 * 60_000, cases: Infinity, timeoutMs: 30_000, rssLimitMb: 600 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => argv[++i];
    if (a === "--budget") o.budgetMs = duration(v());
    else if (a === "--seed") o.seed = Number(v());
    else if (a === "--parallel") o.parallel = Number(v());
    else if (a === "--kind") o.kinds = v().split(",");
    else if (a === "--keep") o.keep = true;
    else if (a === "--cases") o.cases = Number(v());
    else if (a === "--timeout") o.timeoutMs = duration(v());
    else if (a === "--rss-mb") o.rssLimitMb = Number(v());
    else if (a === "--replay") o.replay = v();
    else if (a === "--case") o.caseNo = Number(v());
    else if (a === "--save-regression") o.saveAs = v();
    else if (a === "--no-regressions") o.noRegressions = true;
    else throw new Error(`unknown option ${a}`);
  }
  for (const k of o.kinds) if (!KINDS.includes(k)) throw new Error(`unknown kind ${k} (one of ${KINDS.join(", ")})`);
  return o;
}

function printFindings(findings) {
  for (const f of findings) {
    console.log(`${f.class}: segment ${(f.args ?? []).join(" ")} -> ${f.exit ?? ""} ${f.detail}\n  case: ${f.label}\n${f.excerpt ? f.excerpt.replace(/^/gm, "  | ") + "\n" : ""}  repro: ${f.repro ?? ""}`);
  }
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const common = { timeoutMs: o.timeoutMs, rssLimitMb: o.rssLimitMb };
  if (o.replay || o.caseNo !== undefined) {
    let res;
    if (o.replay) res = await replayCase(path.resolve(o.replay), common);
    else {
      const c = generateCase(o.kinds[0], o.seed, o.caseNo);
      res = { case: c, ...(await runCase(c, { ...common, base: mkdtempSync(path.join(tmpdir(), "segment-fuzz-replay-")), keep: true })) };
    }
    console.log(`case: ${res.case.label}\nfolder: ${res.dir}`);
    for (const cmd of res.case.commands ?? []) console.log(`  $ segment ${cmd.args.join(" ")}   (expect ${cmd.expect}${cmd.why ? `: ${cmd.why}` : ""})`);
    printFindings(res.findings.map((f) => ({ ...f, label: res.case.label })));
    if (o.saveAs) console.log(`saved as ${saveRegression(res.dir, o.saveAs)}`);
    process.exitCode = res.findings.length ? 1 : 0;
    return;
  }
  console.log(`fuzz: seed ${o.seed}, budget ${Math.round(o.budgetMs / 1000)} s, parallel ${o.parallel}, kinds ${o.kinds.join(",")}`);
  const r = await runFuzz({ ...o, ...common, regressions: !o.noRegressions });
  console.log(`\n${Math.round(r.ms / 1000)} s; cases kept under ${r.base}`);
  console.log("kind          cases  commands  case-s  findings");
  for (const [kind, k] of Object.entries(r.counts)) {
    const by = Object.entries(k.findings).map(([c, n]) => `${c} ${n}`).join(", ") || "-";
    console.log(`${kind.padEnd(13)} ${String(k.cases).padStart(5)} ${String(k.commands).padStart(9)} ${String(Math.round(k.ms / 1000)).padStart(7)}  ${by}`);
  }
  const distinct = distinctFindings(r.findings);
  console.log(`\n${r.findings.length} findings, ${distinct.length} distinct:`);
  printFindings(distinct.map((f) => ({ ...f, detail: `${f.detail}${f.count > 1 ? ` (x${f.count})` : ""}` })));
  process.exitCode = r.findings.length ? 1 : 0;
}

main().catch((e) => {
  console.error(e?.stack ?? e);
  process.exitCode = 2;
});
