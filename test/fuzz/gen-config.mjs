// Config and file-system cases: config values CLI.md and docs/config.md refuse (RFM
// thresholds, zones, shares, delimiters, patterns), alias bombs and random trees in the
// config, and project folders of the wrong shape: a config or segment file that is a
// folder, symlink loops, missing or misplaced folders, and unreadable files (run as nobody).
import YAML from "yaml";
import { makeShop, toCsv, touchSegment } from "./shop.mjs";

const AS_OF = "2026-06-01";
const BASE = { data: "data", segments: "segments", timezone: "UTC" };

function shop(rng) {
  const t = makeShop(rng, { customers: rng.int(3, 10), facts: rng.int(3, 15) });
  return ["customers", "orders", "order_items"].map((e) => ({ path: `data/${e}.csv`, text: toCsv(t[e]) }));
}
const SEGMENTS = [{ path: "segments/t.yaml", text: touchSegment("t", "orders") }];

/** Config values that are config errors (exit 2), each with the commands that must refuse them. */
const BAD_CONFIG = [
  () => ({ rfm: { method: "thresholds", thresholds: { recency: [300, 100, 200, 50], frequency: [1, 2, 3, 4], monetary: [1, 2, 3, 4] } } }),
  () => ({ rfm: { method: "thresholds", thresholds: { recency: [1, 2, 3], frequency: [1, 2, 3, 4], monetary: [1, 2, 3, 4] } } }),
  () => ({ rfm: { method: "thresholds", thresholds: { recency: ["a", "b", "c", "d"], frequency: [1, 2, 3, 4], monetary: [1, 2, 3, 4] } } }),
  () => ({ rfm: { method: "thresholds", bins: 3, thresholds: { recency: [10, 20], frequency: [2, 2], monetary: [1, 5] } } }),
  () => ({ rfm: { method: "thresholds", thresholds: { recency: [1, 2, 3, 4], frequency: [1, 2, 3, 4] } } }),
  () => ({ rfm: { method: "thresholds", thresholds: { recency: [1, 2, "NaN", 4], frequency: [1, 2, 3, 4], monetary: [1, 2, 3, Number.POSITIVE_INFINITY] } } }),
  () => ({ rfm: { bins: 0 } }), () => ({ rfm: { bins: -3 } }), () => ({ rfm: { bins: 2.5 } }), () => ({ rfm: { method: "median" } }),
  () => ({ rfm: { monetary: "max" } }),
  () => ({ rfm: { segments: [{ code: "x", r: [0, 9], f: 1, m: 1 }] } }), () => ({ rfm: { segments: [{ code: "x", r: 1, f: 1, m: 1 }, { code: "x", r: 2, f: 2, m: 2 }] } }),
  () => ({ rfm: { segments: ["champions"] } }),
  () => ({ timezone: "Mars/Olympus" }), () => ({ timezone: 3 }), () => ({ max_bad_rows: -1 }), () => ({ max_bad_rows: "lots" }),
  () => ({ max_orphan_share: "150%" }), () => ({ max_orphan_share: -0.5 }), () => ({ as_of: "2025-13-01" }), () => ({ as_of: "yesterday" }),
  () => ({ sources: { customers: { delimiter: '"' } } }), () => ({ sources: { customers: { delimiter: "ab" } } }), () => ({ sources: { customers: { delimiter: "\n" } } }),
  () => ({ sources: { customers: { encoding: "klingon" } } }), () => ({ sources: { customers: { format: "xlsx" } } }),
  () => ({ sources: { customers: { columns: { customer_group: { from: "city", values: { "/[/": "x" } } } } } }),
  () => ({ sources: { customers: { columns: { birthday: { format: 17 } } } } }), () => ({ sources: { customers: { columns: { id: { from: "id", timezone: "Nowhere/Land" } } } } }),
  () => ({ ids: { drop_decimal_zeros: "sometimes" } }), () => ({ rfm: [1, 2] }), () => ({ sources: [1] }),
];
/** Config oddities where any exit is fine (but not a crash, a hang or an unplaced message). */
const ODD_CONFIG = [
  () => ({ rfm: { bins: 1000 } }), () => ({ rfm: { bins: 1 } }), () => ({ sources: { customers: { delimiter: "🍵" } } }), () => ({ sources: { customers: { delimiter: "\t" } } }),
  () => ({ sources: { customers: { columns: { id: "nope" } } } }), () => ({ sources: { customers: { ignore: ["id"] } } }), () => ({ sources: { orders: { file: "../../../../etc/passwd" } } }),
  () => ({ sources: { customers: { file: "*.csv" } } }), () => ({ sources: { customers: { file: "[.csv" } } }), () => ({ sources: { customers: { file: [] } } }),
  () => ({ timezone: "Etc/GMT+14" }), () => ({ as_of: "0001-01-01" }), () => ({ as_of: "9999-12-31" }), () => ({ max_orphan_share: 0 }),
  () => ({ sources: { customers: { columns: { email: "id", id: "email" } } } }), () => ({ sources: { customers: { list_separator: "," } } }),
];

const CMDS = [["validate"], ["validate", "--json"], ["rfm", "--as-of", AS_OF], ["preview", "t", "--json", "--as-of", AS_OF], ["run", "--as-of", AS_OF], ["fields"]];

function configCase(rng) {
  const mode = rng.weighted([[5, "bad"], [3, "odd"], [1, "aliasBomb"], [1, "random"]]);
  const files = [...shop(rng), ...SEGMENTS];
  let text;
  let expect = "any";
  let why;
  if (mode === "bad" || mode === "odd") {
    const list = mode === "bad" ? BAD_CONFIG : ODD_CONFIG;
    const k = rng.int(0, list.length - 1);
    const extra = list[k]();
    text = YAML.stringify({ ...BASE, ...extra });
    if (mode === "bad") {
      expect = "mustReject";
      why = `config ${JSON.stringify(extra)}`;
    }
  } else if (mode === "aliasBomb") {
    const lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i <= 8; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(",")}]`);
    text = `x-bomb:\n  ${lines.join("\n  ")}\ndata: data\nsegments: segments\nrfm: { exclude_statuses: *a8 }\n`;
  } else {
    const keys = ["data", "segments", "state", "out", "timezone", "rfm", "sources", "max_bad_rows", "as_of", "ids", "guard"];
    const o = { ...BASE };
    for (let n = rng.int(1, 4); n > 0; n--) o[rng.pick(keys)] = rng.pick([null, 0, -1, "", "x", [], {}, [1, "a"], { bins: 5 }, "../..", "/", true]);
    text = YAML.stringify(o);
  }
  files.push({ path: "segment.config.yaml", text });
  const onlyRfm = /rfm/.test(why ?? "") && !/rfm":\[/.test(why ?? "");
  const args = onlyRfm ? rng.pick([["validate"], ["rfm", "--as-of", AS_OF], ["validate", "--json"]]) : rng.pick(CMDS);
  return { label: `config ${mode}${why ? `: ${why}` : ""}`, files, commands: [{ args, expect, why, needLine: expect === "mustReject" }] };
}

/** File-system shapes; `nobody` ones run the binary as uid 65534. */
const FS = {
  configIsDir: () => ({ dirs: ["segment.config.yaml"], expect: "mustReject", why: "the config is a folder" }),
  configMissing: () => ({ noConfig: true, extraArgs: ["--config", "nope.yaml"], expect: "mustReject", why: "the config file does not exist" }),
  segmentFileIsDir: () => ({ dirs: ["segments/x.yaml"], expect: "any" }),
  segmentSymlinkLoop: () => ({ symlinks: [{ path: "segments/a.yaml", target: "b.yaml" }, { path: "segments/b.yaml", target: "a.yaml" }], expect: "any" }),
  dataSymlinkLoop: () => ({ dropData: ["customers.csv"], symlinks: [{ path: "data/customers.csv", target: "customers.csv" }], expect: "any" }),
  folderLoop: () => ({ symlinks: [{ path: "segments/loop", target: "." }, { path: "data/loop", target: ".." }], expect: "any" }),
  segmentsMissing: () => ({ noSegments: true, expect: "any", previewRejects: "no segments folder" }),
  segmentsIsFile: () => ({ noSegments: true, files: [{ path: "segments", text: "code: t\n" }], expect: "mustReject", why: "the segments folder is a file" }),
  dataMissing: () => ({ dropData: ["customers.csv", "orders.csv", "order_items.csv"], noDataDir: true, expect: "mustReject", why: "no data folder" }),
  dataIsFile: () => ({ dropData: ["customers.csv", "orders.csv", "order_items.csv"], noDataDir: true, files: [{ path: "data", text: "id\nC1\n" }], expect: "mustReject", why: "the data folder is a file" }),
  outIsFile: () => ({ files: [{ path: "out", text: "x" }], runOnly: true, expect: "mustReject", why: "the out folder is a file" }),
  stateIsFile: () => ({ files: [{ path: ".segment", text: "x" }], runOnly: true, expect: "mustReject", why: "the state folder is a file" }),
  emptyConfig: () => ({ configText: "", expect: "any" }),
  configDevNull: () => ({ extraArgs: ["--config", "/dev/null"], expect: "any" }),
  unreadableConfig: () => ({ nobody: true, chmods: [{ path: "segment.config.yaml", mode: 0 }], expect: "mustReject", why: "the config is unreadable" }),
  unreadableData: () => ({ nobody: true, chmods: [{ path: "data", mode: 0 }], expect: "mustReject", why: "the data folder is unreadable" }),
  unreadableSegments: () => ({ nobody: true, chmods: [{ path: "segments", mode: 0 }], expect: "mustReject", why: "the segments folder is unreadable" }),
  unreadableSegmentFile: () => ({ nobody: true, chmods: [{ path: "segments/t.yaml", mode: 0 }], expect: "mustReject", why: "a segment file is unreadable" }),
  unreadableExport: (rng) => ({ nobody: true, chmods: [{ path: `data/${rng.pick(["customers", "orders"])}.csv`, mode: 0 }], dataCmd: true, expect: "mustReject", why: "an export is unreadable" }),
  unwritableProject: () => ({ nobody: true, chmods: [{ path: ".", mode: 0o555 }], runOnly: true, expect: "mustReject", why: "run cannot write its state" }),
};

function fsCase(rng) {
  const name = rng.pick(Object.keys(FS));
  const s = FS[name](rng);
  let files = s.noSegments ? [] : [...SEGMENTS];
  files.push(...shop(rng).filter((f) => !(s.dropData ?? []).some((d) => f.path === `data/${d}`)));
  if (!s.noConfig && !(s.dirs ?? []).includes("segment.config.yaml")) files.push({ path: "segment.config.yaml", text: s.configText ?? YAML.stringify(BASE) });
  files.push(...(s.files ?? []));
  let cmds;
  if (s.runOnly) cmds = [["run", "--as-of", AS_OF]];
  else if (s.dataCmd) cmds = [rng.pick([["validate", "--exports"], ["preview", "t", "--json", "--as-of", AS_OF], ["run", "--as-of", AS_OF], ["rfm", "--as-of", AS_OF]])];
  else cmds = [rng.pick([["validate"], ["validate", "--exports", "--json"], ["preview", "t", "--as-of", AS_OF], ["run", "--as-of", AS_OF], ["fields"]])];
  const commands = cmds.map((args) => {
    const full = [...args, ...(s.extraArgs ?? [])];
    let expect = s.expect;
    let why = s.why;
    if (s.previewRejects && args[0] === "preview") {
      expect = "mustReject";
      why = s.previewRejects;
    }
    // `fields` lists the data's fields: a segment file it cannot read may only warn.
    if (/segment/.test(why ?? "") && args[0] === "fields") expect = "any";
    // Only validate --exports, preview and run read the data; only they must refuse a data folder problem.
    if (/data folder/.test(why ?? "") && !(args.includes("--exports") || ["preview", "run", "fields", "rfm"].includes(args[0]))) expect = "any";
    // validate without --exports still checks the definitions against the customers columns: a wrong data folder may only warn.
    if (/data folder/.test(why ?? "") && args[0] === "validate" && !args.includes("--exports")) expect = "any";
    return { args: full, expect, why: expect === "mustReject" ? why : undefined, asNobody: !!s.nobody };
  });
  return { label: `fs ${name}`, files, dirs: s.dirs, symlinks: s.symlinks, chmods: s.chmods, commands };
}

/** One config case. */
export const genConfig = (rng) => configCase(rng);
/** One file-system case. */
export const genFs = (rng) => fsCase(rng);
