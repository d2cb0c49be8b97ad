/**
 * Regression cases of issue 11's findings on hostile or broken input, through the built
 * binary: each failed before its fix (a stack trace with exit 1, a hang, a run over a
 * gigabyte, or broken data accepted with exit 0), and must now end in exit 2 or 3 with a
 * message naming the file (and line and column where there is one), or read right.
 *
 * Expected values are worked out by hand on shops of a few rows written here; where memory
 * is the finding, the child runs with a small V8 heap (--max-old-space-size), so a reader
 * that holds the whole input dies instead of passing.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { BIN, describeRun, expectExit, previewed, projectDir, segment, type RunResult } from "./helpers.js";

const CONFIG = "data: data\nsegments: segments\nstate: .segment\nout: out\ntimezone: UTC\n";

/** Five customers: two in Moscow (C1, C4), C2 in Kazan, C3 in Omsk, C5 without a city. */
const CUSTOMERS = "id,first_name,city,birthday\nC1,Anna,Moscow,1990-05-01\nC2,Boris,Kazan,1985-02-10\nC3,Vera,Omsk,0042-03-05\nC4,Gleb,Moscow,\nC5,Dina,,2000-12-31\n";
/** Orders: C1 two (1500, 2500), C2 one (700), C3 one (4000). */
const ORDERS = "id,customer_id,created_at,status,total\nO1,C1,2026-01-10T10:00:00Z,complete,1500\nO2,C1,2026-02-10T10:00:00Z,complete,2500\nO3,C2,2026-03-01T09:00:00Z,complete,700\nO4,C3,2026-03-05T12:00:00Z,complete,4000\n";

const MOSCOW = "code: moscow\nname: Moscow\nfilters:\n  - { field: city, eq: Moscow }\n";
const BUYERS = "code: buyers\nname: Two orders or more\nfilters:\n  - { field: orders.count, gte: 2 }\n";

function shop(extra: Record<string, string> = {}): string {
  return projectDir({
    "segment.config.yaml": CONFIG,
    "data/customers.csv": CUSTOMERS,
    "data/orders.csv": ORDERS,
    "segments/moscow.yaml": MOSCOW,
    "segments/buyers.yaml": BUYERS,
    ...extra,
  });
}

/** The binary with a V8 heap of `heapMb`: a reader holding a gigabyte of input dies here. */
function segmentSmallHeap(args: string[], cwd: string, heapMb = 256): RunResult {
  const r = spawnSync(process.execPath, [`--max-old-space-size=${heapMb}`, BIN, ...args], { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  return { args, cwd, code: r.status ?? -1, signal: r.signal, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/** Exit `code` with no stack trace, and stderr naming `place`. */
function expectFailure(r: RunResult, code: number, place: string | RegExp): void {
  expectExit(r, code);
  expect(r.stderr, describeRun(r)).not.toMatch(/^\s+at |bug: |RangeError|TypeError|Invalid string length|Maximum call stack/m);
  if (typeof place === "string") expect(r.stderr, describeRun(r)).toContain(place);
  else expect(r.stderr, describeRun(r)).toMatch(place);
}

describe("YAML that would crash or be misread", () => {
  // Nine levels of ten aliases each: 10^9 copies when expanded.
  const bomb = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]", ...Array.from({ length: 8 }, (_, i) => `a${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(", ")}]`)].join("\n") + "\n";

  it("an alias bomb in a segment file is a definition problem at its first alias, not `Excessive alias count` with a stack", () => {
    const r = segment(["validate"], shop({ "segments/bomb.yaml": `code: bomb\nname: b\n${bomb}filters:\n  - { field: city, eq: x }\n` }));
    // Line 4 is `a1: &a1 [*a0, ...`: the first `*`, column 10.
    expectFailure(r, 2, "segments/bomb.yaml:4:10: YAML aliases expand past 100 copies");
  });

  it("an alias bomb in the config is a config problem", () => {
    const r = segment(["validate"], shop({ "segment.config.yaml": CONFIG + bomb }));
    expectFailure(r, 2, /segment\.config\.yaml:\d+:\d+: YAML aliases expand past 100 copies/);
  });

  it("an alias inside the node it names is a problem (it made a value containing itself: `Converting circular structure to JSON`)", () => {
    const r = segment(["preview", "segments/circ.yaml", "--json"], shop({ "segments/circ.yaml": "code: circ\nname: c\nfilters: &f [{ field: city, in: *f }]\n" }));
    // `filters: &f [{ field: city, in: ` is 32 characters: the alias starts at column 33.
    expectExit(r, 2);
    expect(r.stderr).toContain("segments/circ.yaml:3:33: the alias `*f` is inside the node it names");
    expect(r.stderr).not.toMatch(/bug: |circular structure/);
  });

  it("tags are refused where they stand (`!foo`, `!!int abc`, `!!js/function`); `!!str` is taken", () => {
    const dir = shop({ "segments/tagged.yaml": "code: tagged\nname: !foo bar\nfilters:\n  - { field: city, eq: !!int abc }\n  - { field: city, ne: !!js/function x }\n" });
    const r = segment(["validate"], dir);
    expectFailure(r, 2, "segments/tagged.yaml:2:7: YAML tag `!foo` is not supported");
    // `  - { field: city, eq: !!int abc }`: the tag's first `!` is the 24th character.
    expect(r.stderr).toContain("segments/tagged.yaml:4:24: YAML tag `!!int` is not supported");
    expect(r.stderr).toContain("segments/tagged.yaml:5:24: YAML tag `!!js/function` is not supported");
    const ok = segment(["validate"], shop({ "segments/str.yaml": "code: str\nname: !!str 0042\nfilters:\n  - { field: city, eq: !!str Moscow }\n" }));
    expectExit(ok, 0);
  });

  it("bytes that are not UTF-8 in a segment file are a problem at their line and column, not a silent U+FFFD", () => {
    const dir = shop();
    writeFileSync(path.join(dir, "segments", "bad.yaml"), Buffer.concat([Buffer.from("code: bad\nname: b\nfilters:\n  - { field: city, eq: \"Mos"), Buffer.from([0xff]), Buffer.from("cow\" }\n")]));
    // `  - { field: city, eq: "Mos` is 27 characters: the bad byte is column 28 of line 4.
    expectFailure(segment(["validate"], dir), 2, "segments/bad.yaml:4:28: bytes that are not valid UTF-8 (ff636f77)");
  });

  it("a NUL byte in a segment file is a problem at its place", () => {
    const dir = shop({ "segments/nul.yaml": "code: nul\nname: n\nfilters:\n  - { field: city, eq: \"Mos\0cow\" }\n" });
    expectFailure(segment(["validate"], dir), 2, "segments/nul.yaml:4:28: a NUL byte");
  });

  it("YAML nested thousands deep is a problem, not a stack overflow", () => {
    let text = "{ filters: [{ field: city, eq: x }] }";
    for (let i = 0; i < 3000; i++) text = `{ groups: [${text}] }`;
    expectFailure(segment(["validate"], shop({ "segments/deep.yaml": `code: deep\nname: d\ngroups: [${text}]\n` })), 2, "segments/deep.yaml:1:1: YAML nested too deeply");
  });

  it("groups nested past 32 levels are refused with the path", () => {
    let text = "{ filters: [{ field: city, eq: x }] }";
    for (let i = 0; i < 40; i++) text = `{ groups: [${text}] }`;
    expectFailure(segment(["validate"], shop({ "segments/deep.yaml": `code: deep\nname: d\ngroups: [${text}]\n` })), 2, "groups nested more than 32 levels deep");
  });
});

describe("files and folders of the wrong shape", () => {
  it("a config that is a folder, or a symlink loop, is a config problem naming it", () => {
    const dir = shop();
    const folder = path.join(dir, "as-folder");
    mkdirSync(path.join(folder, "cfg.yaml"), { recursive: true });
    expectFailure(segment(["validate", "--config", "as-folder/cfg.yaml"], dir), 2, "as-folder/cfg.yaml: the config file is a folder, not a file");
    symlinkSync("loop-b.yaml", path.join(dir, "loop-a.yaml"));
    symlinkSync("loop-a.yaml", path.join(dir, "loop-b.yaml"));
    expectFailure(segment(["validate", "--config", "loop-a.yaml"], dir), 2, "loop-a.yaml: the config file is a symlink loop");
  });

  it("a segment file that is a folder or a symlink loop is a definition problem, the others still checked", () => {
    const dir = shop({ "segments/broken.yaml": "code: broken\nname: b\nfilters:\n  - { field: nope, eq: 1 }\n" });
    mkdirSync(path.join(dir, "segments", "folder.yaml"));
    symlinkSync("y.yaml", path.join(dir, "segments", "x.yaml"));
    symlinkSync("x.yaml", path.join(dir, "segments", "y.yaml"));
    const r = segment(["validate"], dir);
    expectFailure(r, 2, "segments/folder.yaml: the segment file is a folder, not a file");
    expect(r.stderr).toContain("segments/x.yaml: the segment file is a symlink loop");
    // `  - { field: nope, eq: 1 }`: the value `nope` starts at the 14th character.
    expect(r.stderr).toContain("segments/broken.yaml:4:14: filters[0].field: unknown field `nope`");
  });

  it("a segments folder that is missing or is a file is a problem for validate, run and list (it said `ok ... 0 segments`)", () => {
    const missing = shop();
    const dir = path.join(missing, "elsewhere");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "segment.config.yaml"), CONFIG.replace("data: data", "data: ../data"));
    for (const cmd of [["validate"], ["run"], ["list"]]) expectFailure(segment(cmd, dir), 2, "segments/: the segments folder does not exist");
    const asFile = shop();
    writeFileSync(path.join(asFile, "segment.config.yaml"), CONFIG.replace("segments: segments", "segments: data/customers.csv"));
    expectFailure(segment(["validate"], asFile), 2, "data/customers.csv: the segments folder is a file, not a folder");
    // A definition file named on the command line needs no folder.
    writeFileSync(path.join(dir, "m.yaml"), MOSCOW);
    const p = segment(["preview", "m.yaml", "--json"], dir);
    expect(previewed(p).members).toEqual(["C1", "C4"]);
  });

  it("a source file that is /dev/zero stops at its first byte, a NUL (it read 1.1 GB and crashed)", () => {
    const dir = shop({ "segment.config.yaml": CONFIG + "sources:\n  visits: { file: /dev/zero, format: ndjson }\n", "segments/visitors.yaml": "code: visitors\nname: v\nfilters:\n  - { field: visits.count, gte: 1 }\n" });
    expectFailure(segmentSmallHeap(["preview", "visitors"], dir), 3, "/dev/zero:1:1: a NUL byte: the file is damaged or not text");
  });
});

// The permission cases must bite when the tests run as root (CI): the binary then runs as
// `nobody` through setpriv, on a project it may read except for the part made unreadable.
const asRoot = process.getuid?.() === 0;
function segmentAsUser(args: string[], cwd: string): RunResult {
  if (!asRoot) return segment(args, cwd);
  const r = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, BIN, ...args], { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1", HOME: "/tmp" }, timeout: 120_000 });
  return { args, cwd, code: r.status ?? -1, signal: r.signal, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}
/** A shop every user may read (a temp folder is 0700). */
function openShop(): string {
  const dir = shop();
  spawnSync("chmod", ["-R", "a+rX", dir]);
  chmodSync(dir, 0o777);
  return dir;
}

describe(`unreadable files and folders${asRoot ? " (run as nobody via setpriv)" : ""}`, () => {
  it("an unreadable config is a config problem (it was EACCES with a stack)", () => {
    const dir = openShop();
    chmodSync(path.join(dir, "segment.config.yaml"), 0);
    expectFailure(segmentAsUser(["validate"], dir), 2, "segment.config.yaml: permission denied: the config file cannot be read by this user");
  });

  it("an unreadable segment file and an unreadable segments folder are definition problems", () => {
    const dir = openShop();
    chmodSync(path.join(dir, "segments", "moscow.yaml"), 0);
    expectFailure(segmentAsUser(["validate"], dir), 2, "segments/moscow.yaml: permission denied: the segment file cannot be read");
    chmodSync(path.join(dir, "segments"), 0);
    expectFailure(segmentAsUser(["validate"], dir), 2, "segments/: permission denied: the segments folder cannot be read");
  });

  it("an unreadable data folder or export is a data problem (exit 3)", () => {
    const dir = openShop();
    chmodSync(path.join(dir, "data", "orders.csv"), 0);
    expectFailure(segmentAsUser(["preview", "buyers"], dir), 3, "data/orders.csv: permission denied: the export cannot be read");
    chmodSync(path.join(dir, "data", "orders.csv"), 0o644);
    // Traversable but not listable: the listing fails, not a file.
    chmodSync(path.join(dir, "data"), 0o311);
    expectFailure(segmentAsUser(["preview", "moscow"], dir), 3, "data/: permission denied: the data folder cannot be read");
  });
});

describe("exports nested, bombed or huge", () => {
  it("a JSON value nested 5,000 deep is a data problem at its line (the bad-row formatter overflowed)", () => {
    const deep = "[".repeat(5000) + "]".repeat(5000);
    const dir = shop({ "data/visits.ndjson": `{"customer_id":"C1","visited_at":"2026-01-01T00:00:00Z","source":"ads"}\n{"customer_id":"C2","visited_at":"2026-01-02T00:00:00Z","source":${deep}}\n` });
    expectFailure(segment(["validate", "--exports"], dir), 3, "data/visits.ndjson:2: source: a value nested more than 64 levels deep");
  });

  it("a value of a bad row is cut to 100 characters in messages, whole with --verbose", () => {
    const long = "x".repeat(5000);
    const dir = shop({ "data/orders.csv": ORDERS + `O5,C2,2026-03-06,complete,${long}\n` });
    const r = segment(["validate", "--exports"], dir);
    expectFailure(r, 3, `data/orders.csv:6:5: total: expected a number such as 1234.56 (value "${"x".repeat(100)}… (5000 characters)")`);
    expect(r.stderr.length).toBeLessThan(2000);
    const v = segment(["validate", "--exports", "--verbose"], dir);
    expectExit(v, 3);
    expect(v.stderr).toContain(`(value "${long}")`);
  });

  const csvBomb = (fill: Buffer): Buffer => {
    // 1.5 GiB would take a minute to compress here; 64 MiB without a line end is as fatal
    // to a reader that waits for one, and 32 to 64 times the cell limit.
    const head = Buffer.from("id,customer_id,created_at,status,total\nO1,C1,2026-01-10,complete,");
    return gzipSync(Buffer.concat([head, fill]), { level: 1 });
  };

  it("a gzip bomb of NULs in a CSV export stops at the first NUL, in a 256 MB heap", () => {
    const dir = shop();
    rmSync(path.join(dir, "data", "orders.csv"));
    writeFileSync(path.join(dir, "data", "orders.csv.gz"), csvBomb(Buffer.alloc(64 << 20)));
    // `O1,C1,2026-01-10,complete,` is 26 characters: the first NUL is column 27 of line 2.
    expectFailure(segmentSmallHeap(["preview", "buyers"], dir), 3, "data/orders.csv.gz:2:27: a NUL byte: the file is damaged or not text");
  });

  it("a gzip bomb of Cyrillic in a CSV cell stops at the cell limit, in a 256 MB heap", () => {
    const dir = shop();
    rmSync(path.join(dir, "data", "orders.csv"));
    writeFileSync(path.join(dir, "data", "orders.csv.gz"), csvBomb(Buffer.from("Ж".repeat(32 << 20))));
    expectFailure(segmentSmallHeap(["preview", "buyers"], dir), 3, "data/orders.csv.gz:2:5: a cell of more than 1,000,000 characters (limits.field_chars)");
  });

  it("a gzip bomb of Cyrillic without line ends in NDJSON, and one inside a JSON string, stop at the record limit", () => {
    const text = Buffer.from("Ж".repeat(20_000_000));
    const nd = shop({ "segments/visitors.yaml": "code: visitors\nname: v\nfilters:\n  - { field: visits.count, gte: 1 }\n" });
    writeFileSync(path.join(nd, "data", "visits.ndjson.gz"), gzipSync(Buffer.concat([Buffer.from('{"customer_id":"C1","visited_at":"2026-01-01T00:00:00Z","page":"'), text]), { level: 1 }));
    expectFailure(segmentSmallHeap(["preview", "visitors"], nd), 3, "data/visits.ndjson.gz:1:1: a line of more than 16,000,000 characters (limits.record_chars)");
    const js = shop({ "segments/carts.yaml": "code: carts\nname: c\nfilters:\n  - { field: carts.count, gte: 1 }\n" });
    writeFileSync(path.join(js, "data", "carts.json.gz"), gzipSync(Buffer.concat([Buffer.from('[{"customer_id":"C1","updated_at":"2026-01-01T00:00:00Z","note":"'), text]), { level: 1 }));
    expectFailure(segmentSmallHeap(["preview", "carts"], js), 3, "data/carts.json.gz:1:2: an element of more than 16,000,000 characters (limits.record_chars)");
  });

  it("a 50 MB quoted cell stops `fields` at the cell limit (it took 1.47 GB)", () => {
    const dir = shop({ "data/orders.csv": ORDERS + `O5,C2,2026-03-06,"${"n".repeat(50_000_000)}",10\n` });
    expectFailure(segmentSmallHeap(["fields"], dir), 3, "data/orders.csv:6:4: a cell of more than 1,000,000 characters (limits.field_chars)");
  });

  it("100,000 header columns stop at the column limit (it took 1.24 GB)", () => {
    const names = Array.from({ length: 100_000 }, (_, i) => `c${i}`);
    const dir = shop({ "data/orders.csv": `id,customer_id,created_at,total,${names.join(",")}\nO1,C1,2026-01-01,5,${names.map(() => "1").join(",")}\n` });
    expectFailure(segmentSmallHeap(["fields"], dir), 3, "data/orders.csv:1:2001: a row of more than 2,000 fields (limits.columns)");
  });

  it("a 20 MB NDJSON line stops at the record limit; the limits can be raised or lowered in the config", () => {
    const line = `{"customer_id":"C1","visited_at":"2026-01-01T00:00:00Z","page":"${"p".repeat(20_000_000)}"}\n`;
    const dir = shop({ "data/visits.ndjson": `{"customer_id":"C2","visited_at":"2026-01-01T00:00:00Z"}\n${line}` });
    expectFailure(segmentSmallHeap(["validate", "--exports"], dir), 3, "data/visits.ndjson:2:1: a line of more than 16,000,000 characters (limits.record_chars)");
    const small = shop({ "segment.config.yaml": CONFIG + "limits: { record_chars: 100 }\n", "data/visits.ndjson": `{"customer_id":"C2","visited_at":"2026-01-01T00:00:00Z"}\n{"customer_id":"C1","visited_at":"2026-01-01T00:00:00Z","page":"${"p".repeat(80)}"}\n` });
    expectFailure(segment(["validate", "--exports"], small), 3, "data/visits.ndjson:2:1: a line of more than 100 characters (limits.record_chars)");
    const raised = shop({ "segment.config.yaml": CONFIG + "limits: { field_chars: 30000000, record_chars: 30000000 }\n", "data/visits.ndjson": `{"customer_id":"C2","visited_at":"2026-01-01T00:00:00Z"}\n${line}` });
    expectExit(segment(["validate", "--exports"], raised), 0);
    expectFailure(segment(["validate"], shop({ "segment.config.yaml": CONFIG + "limits: { field_chars: 0 }\n" })), 2, "limits.field_chars: expected a whole number >= 1");
  });
});

describe("definitions that hang or take the memory", () => {
  const city = "a".repeat(30) + "!";

  it("catastrophic backtracking `(a+)+$` on thirty a and a `!` answers (it ran past 60 s): no member", () => {
    const dir = shop({ "data/customers.csv": `id,city\nC1,${city}\nC2,aaa\n`, "segments/rx.yaml": "code: rx\nname: r\nfilters:\n  - { field: city, matches: \"(a+)+$\" }\n" });
    // (a+)+$ needs only a's to the end: C2 ("aaa") matches, C1 ends in "!".
    expect(previewed(segment(["preview", "rx", "--json"], dir)).members).toEqual(["C2"]);
  });

  it("a pattern the linear engine cannot run is refused when it could backtrack exponentially, kept when it cannot", () => {
    const bad = shop({ "segments/rx.yaml": "code: rx\nname: r\nfilters:\n  - { field: city, matches: \"/(a+)+$/u\" }\n  - { field: city, matches: \"(\\\\w)\\\\1+\" }\n" });
    const r = segment(["validate"], bad);
    // `  - { field: city, matches: "/(a+)+$/u" }`: the value's quote is the 29th character.
    expectFailure(r, 2, "segments/rx.yaml:4:29: filters[0].matches: this regular expression could take exponential time on unlucky data (a repeated group that itself repeats)");
    expect(r.stderr).toContain("filters[1].matches: this regular expression could take exponential time on unlucky data (a backreference)");
    // A counted repeat over 16 and a lookahead: no linear engine, but no nested repeat either.
    const ok = shop({ "segments/rx.yaml": "code: rx\nname: r\nfilters:\n  - { field: city, matches: \"^[A-Z][a-z]{2,40}$\" }\n  - { field: city, matches: \"^(?=M)\" }\n" });
    expect(previewed(segment(["preview", "rx", "--json"], ok)).members).toEqual(["C1", "C4"]);
  });

  it("a 64 KiB pattern is refused by validate and preview alike (preview crashed with `Regular expression too large`)", () => {
    const dir = shop({ "segments/rx.yaml": `code: rx\nname: r\nfilters:\n  - { field: city, matches: "${"(?:ab)".repeat(11_000)}" }\n` });
    expectFailure(segment(["validate"], dir), 2, "filters[0].matches: the regular expression is 66000 characters long: at most 1000 are accepted");
    expectFailure(segment(["preview", "rx"], dir), 2, "at most 1000 are accepted");
  });

  it("a 10 MB unknown field name answers at once without a suggestion search, and is not echoed whole", () => {
    const r = segment(["validate"], shop({ "segments/f.yaml": `code: f\nname: f\nfilters:\n  - { field: ${"x".repeat(10_000_000)}, eq: 1 }\n` }));
    expectFailure(r, 2, `unknown field \`${"x".repeat(100)}… (10000000 characters)\``);
    expect(r.stderr.length).toBeLessThan(2000);
  });

  it("`in` with a million values is refused before parsing; 100,001 values by the list limit", () => {
    const million = Array.from({ length: 1_000_000 }, (_, i) => i).join(",");
    // 999,999 commas in the list, plus `code: `, `name: `, `filters:`, `- `, `field: `, `city,` and `in: `.
    expectFailure(segmentSmallHeap(["validate"], shop({ "segments/in.yaml": `code: in\nname: i\nfilters:\n  - { field: city, in: [${million}] }\n` })), 2, "segments/in.yaml:1:1: the file holds about 1,000,006 YAML items: at most 300,000 are read");
    const over = Array.from({ length: 100_001 }, (_, i) => i).join(",");
    expectFailure(segment(["validate"], shop({ "segments/in.yaml": `code: in\nname: i\nfilters:\n  - { field: city, in: [${over}] }\n` })), 2, "filters[0].in: `in` takes at most 100,000 values, this list has 100,001");
  });

  it("a chain of 20,000 segments each referencing the next evaluates (the recursive dependency walk overflowed)", () => {
    const n = 20_000;
    const defs = Array.from({ length: n }, (_, i) => `- code: s${i}\n  name: s${i}\n  filters: [{ field: segment, in: [s${i + 1}] }]\n`).join("") + `- code: s${n}\n  name: end\n  filters: [{ field: city, eq: Moscow }]\n`;
    const dir = projectDir({ "segment.config.yaml": CONFIG, "data/customers.csv": CUSTOMERS, "segments/chain.yaml": defs });
    // s0 holds whoever s20000 holds: the Moscow customers.
    expect(previewed(segment(["preview", "s0", "--json"], dir)).members).toEqual(["C1", "C4"]);
    // Closing the chain into a cycle: one problem, its text cut to the ends of the cycle.
    const cycle = defs.replace(`filters: [{ field: city, eq: Moscow }]`, "filters: [{ field: segment, in: [s0] }]");
    writeFileSync(path.join(dir, "segments", "chain.yaml"), cycle);
    const r = segment(["validate"], dir);
    expectFailure(r, 2, "segments reference each other in a cycle: s0 -> s1 -> s2 -> s3 -> s4 -> s5 -> ... -> s19999 -> s20000 -> s0 (20001 segments)");
    expect(r.stderr.length).toBeLessThan(1000);
  });
});

describe("broken data that was accepted in silence", () => {
  it("a NUL byte in an export is a data error at its line and column", () => {
    const dir = shop({ "data/orders.csv": ORDERS.replace("O3,C2", "O3,C\u00002") });
    // Line 4 is `O3,C<NUL>2,...`: the NUL is its fifth character.
    expectFailure(segment(["preview", "buyers"], dir), 3, "data/orders.csv:4:5: a NUL byte");
  });

  it("an empty NDJSON file is an error like an empty CSV or JSON file (it was zero rows, exit 0)", () => {
    const dir = shop({ "data/visits.ndjson": "" });
    expectFailure(segment(["validate", "--exports"], dir), 3, "data/visits.ndjson:1:1: the file is empty");
  });

  it("CR-only line ends are read as line ends (the orders read as one row, 0 buyers)", () => {
    const dir = shop({ "data/orders.csv": ORDERS.replaceAll("\n", "\r") });
    // C1 has two orders (O1, O2): the only customer with two or more.
    expect(previewed(segment(["preview", "buyers", "--json"], dir)).members).toEqual(["C1"]);
  });

  it("a header with a repeated name is refused (the first one won: a segment on the second read nothing)", () => {
    const dir = shop({ "data/orders.csv": "id,customer_id,created_at,status,total,total\nO1,C1,2026-01-10,complete,0,1500\n" });
    expectFailure(segment(["preview", "buyers"], dir), 3, 'data/orders.csv:1:6: the column "total" appears twice (columns 5 and 6)');
  });

  it("a JSON array in a custom field is a bad row, as docs/data.md says (it was joined, nested arrays and all)", () => {
    const dir = shop({ "data/customers.csv": "", "segments/cards.yaml": "code: cards\nname: c\nfilters:\n  - { field: custom.card, eq: gold }\n" });
    rmSync(path.join(dir, "data", "customers.csv"));
    writeFileSync(path.join(dir, "data", "customers.ndjson"), '{"id":"C1","card":"gold"}\n{"id":"C2","card":[["gold"]]}\n');
    expectFailure(segment(["preview", "cards"], dir), 3, "data/customers.ndjson:2: card: expected a text, number or true/false, not a JSON array or object");
  });

  it("a BOM between JSON tokens is refused: JSON's whitespace has none (it was skipped)", () => {
    const dir = shop({ "data/visits.json": "[]\n\uFEFF" });
    expectFailure(segment(["validate", "--exports"], dir), 3, "data/visits.json:2:1: unexpected text after the end of the JSON array");
  });

  it("JSON keys that differ only in case are refused", () => {
    const dir = shop({ "data/visits.ndjson": '{"customer_id":"C1","visited_at":"2026-01-01T00:00:00Z","Source":"ads","source":"seo"}\n' });
    expectFailure(segment(["validate", "--exports"], dir), 3, 'data/visits.ndjson:1: the keys "Source" and "source" differ only in case or spaces');
  });

  it("years 0000-0099 are those years, not 1900-1999 (Date.UTC)", () => {
    const dir = shop({ "segments/ancient.yaml": "code: ancient\nname: a\nfilters:\n  - { field: birthday, lt: 0100-01-01 }\n" });
    // Only C3's birthday, 0042-03-05, is before the year 100.
    expect(previewed(segment(["preview", "ancient", "--json"], dir)).members).toEqual(["C3"]);
  });

  it("offset minutes over 59 are a bad value (+05:99 was read as +06:39)", () => {
    const dir = shop({ "data/orders.csv": ORDERS + "O5,C2,2026-03-06T10:00:00+05:99,complete,10\n" });
    expectFailure(segment(["preview", "buyers"], dir), 3, 'data/orders.csv:6:3: created_at: expected a datetime such as 2025-10-07T09:50:26Z or 2025-10-07 09:50:26 +0200 (value "2026-03-06T10:00:00+05:99")');
  });

  it("1e309 in a JSON export is a bad value, not Infinity", () => {
    const dir = shop({ "segments/big.yaml": "code: big\nname: b\nfilters:\n  - { field: orders.revenue, gt: 1000 }\n" });
    rmSync(path.join(dir, "data", "orders.csv"));
    writeFileSync(path.join(dir, "data", "orders.ndjson"), '{"id":"O1","customer_id":"C1","created_at":"2026-01-10T10:00:00Z","total":1e309}\n');
    expectFailure(segment(["preview", "big"], dir), 3, "data/orders.ndjson:1: total: a number too large to hold (it reads as infinity)");
  });

  it("a repeated order id is a data error naming both rows, even with --max-bad-rows (it was counted twice)", () => {
    const dir = shop({ "data/orders.csv": ORDERS + "O3,C2,2026-03-01T09:00:00Z,complete,700\n" });
    // C2 would have two orders, and be a buyer, if O3 counted twice.
    const r = segment(["preview", "buyers", "--max-bad-rows", "10"], dir);
    expectFailure(r, 3, "data/orders.csv:6: id: duplicate order id (first at data/orders.csv:4)");
  });

  it("a repeated numeric order id is found however its cells are written (read as numbers or as text)", () => {
    // Plain numbers are read from the bytes as numbers; " 1003" (a space) and "'1003" (a
    // spreadsheet's apostrophe) are read as text and trimmed to the same id.
    for (const again of ["1003", " 1003", "'1003", "\"1003\""]) {
      const orders = ORDERS.replace(/\nO(\d)/g, "\n100$1") + `${again},C2,2026-03-01T09:00:00Z,complete,700\n`;
      const dir = shop({ "data/orders.csv": orders });
      expectFailure(segment(["preview", "buyers"], dir), 3, "data/orders.csv:6: id: duplicate order id (first at data/orders.csv:4)");
    }
  });

  it("bad RFM thresholds fail validate", () => {
    const dir = shop({ "segment.config.yaml": CONFIG + "rfm:\n  method: thresholds\n  thresholds: { recency: [300, 100, 30, 10], frequency: [1, 2, 3, 4], monetary: [100, 200, 300, 400] }\n" });
    expectFailure(segment(["validate"], dir), 2, "rfm.thresholds.recency: expected 4 increasing numbers");
  });
});

describe("names that could lead out of their folders", () => {
  it("a segment code with `../`, `/` or a NUL is refused, so no output path is built from it", () => {
    for (const code of ["../escape", "/abs", "a\\0b"]) {
      const r = segment(["validate"], shop({ "segments/x.yaml": `code: "${code}"\nname: x\nfilters:\n  - { field: city, eq: x }\n` }));
      expectFailure(r, 2, "segments/x.yaml:1:7: code:");
    }
  });

  it("a current.json or manifest that points outside the state folder is refused as damaged, and nothing is read there", () => {
    const dir = shop();
    expectExit(segment(["run", "--as-of", "2026-04-01"], dir), 0);
    const state = path.join(dir, ".segment");
    const current = path.join(state, "current.json");
    const good = readFileSync(current, "utf8");
    writeFileSync(current, JSON.stringify({ format_version: 1, snapshot: "../../etc" }) + "\n");
    expectFailure(segment(["run", "--as-of", "2026-04-01"], dir), 2, 'points to "../../etc", not a snapshot of this folder');
    writeFileSync(current, good);
    const manifestFile = path.join(state, JSON.parse(good).snapshot, "manifest.json");
    const manifest = JSON.parse(readFileSync(manifestFile, "utf8"));
    manifest.segments.moscow.file = "../../../../etc/passwd";
    writeFileSync(manifestFile, JSON.stringify(manifest));
    expectFailure(segment(["export", "moscow", "--out", "-"], dir), 2, 'names the member file "../../../../etc/passwd" for moscow');
  });
});
