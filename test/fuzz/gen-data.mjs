// Data cases: a small shop whose one export (any format, maybe gzipped) is mutated, labelled
// with what DATA.md requires of each command that reads it; and, now and then, a hostile
// input built from a recipe (a gzip bomb, a 50 MB cell, a 200 MB line, /dev/zero, ...).
import { gzipSync } from "node:zlib";
import { EXPORTS, makeShop, structurallyBroken, toCsv, toJson, toNdjson, touchSegment } from "./shop.mjs";

const AS_OF = "2026-06-01";
/** Values of typed columns that DATA.md's Types table does not accept. */
const BAD_VALUES = {
  decimal: ["1e309", "1,5", "NaN", "Infinity", "1e5", "0x10", "1_000", "12.3.4", "--5", "5-"],
  integer: ["2.5", "1e3", "NaN", "seven", "1,000"],
  date: ["2025-13-01", "2025-02-30", "1990-1-5", "31.12.1990", "2025-00-10", "20250101x"],
  datetime: ["2025-10-07T09:50:26+05:99", "2025-13-07T09:50:26Z", "2025-10-07T25:00:00", "2025-10-07T09:61", "2025-10-07T09:50:26+24:00", "yesterday"],
  bool: ["maybe", "2", "oui", "t"],
};
/** Odd but valid values: any exit is fine. */
const ODD_VALUES = { date: ["0042-01-01", "2024-02-29"], datetime: ["0042-01-01T00:00:00Z", "2025-10-07 09:50:26 +0200", "2025-10-07T09:50:26,5Z"], decimal: ["-0", ".5", "5.", "+7"] };
const TYPED = {
  customers: [["birthday", "date"], ["created_at", "datetime"], ["email_marketing", "bool"]],
  orders: [["total", "decimal"], ["created_at", "datetime"]],
  order_items: [["quantity", "integer"], ["price", "decimal"]],
  visits: [["visited_at", "datetime"]],
  carts: [["total", "decimal"], ["updated_at", "datetime"]],
  email_events: [["at", "datetime"]],
};
const INVALID_UTF8 = [[0xff], [0xc3], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80]];

/** Commands that read `target` (a segment `t` reads it), and which of them must reject a structural error. */
function commandsFor(rng, target, broken, valueError, extra = {}) {
  const json = rng.chance(0.3) ? ["--json"] : [];
  const structural = broken !== null;
  const validate = { args: ["validate", "--exports", ...json], expect: structural || valueError ? "mustReject" : "any", needLine: extra.needLine && (structural || valueError), why: broken ?? (valueError ? extra.why : undefined) };
  const readsAll = structural || extra.rejectAll;
  const others = [
    { args: ["preview", "t", "--json", "--as-of", AS_OF], expect: readsAll ? "mustReject" : "any" },
    { args: ["preview", "t", "--as-of", AS_OF], expect: readsAll ? "mustReject" : "any" },
    { args: ["run", "--as-of", AS_OF, ...json], expect: readsAll ? "mustReject" : "any" },
    { args: ["fields", ...json], expect: readsAll && target === "customers" ? "mustReject" : "any" },
    { args: ["export", "t", "--fresh", "--format", "csv", "--out", "-", "--as-of", AS_OF], expect: readsAll ? "mustReject" : "any" },
    { args: ["rfm", "--as-of", AS_OF, ...json], expect: readsAll && (target === "customers" || target === "orders") ? "mustReject" : "any" },
  ];
  const cmds = [validate];
  if (rng.chance(0.4)) cmds.push(rng.pick(others));
  if (extra.onlyOthers) return [rng.pick(others.slice(0, 3))];
  return cmds.map((c) => ({ ...c, needLine: c.expect === "mustReject" && extra.needLine, why: c.expect === "mustReject" ? (broken ?? extra.why) : undefined }));
}

function serialise(rng, name, table, format) {
  if (format === "csv") return Buffer.from(toCsv(table, { eol: rng.chance(0.2) ? "\r\n" : "\n", bom: rng.chance(0.15) }));
  if (format === "ndjson") return Buffer.from(toNdjson(name, table));
  return Buffer.from(toJson(name, table, rng.chance(0.5)));
}

/** Byte-level mutations: they may or may not break the file; the reference reading says which. */
export const BYTE_MUTATIONS = {
  truncate: (rng, b) => b.subarray(0, rng.int(1, Math.max(1, b.length - 1))),
  strayQuote: (rng, b) => splice(b, rng.int(0, b.length), Buffer.from(rng.pick(['"', '"', "'", '""', '"x"']))),
  fieldCount: (rng, b, fmt) => {
    const lines = b.toString("latin1").split("\n");
    if (lines.length < 3) return splice(b, b.length, Buffer.from(fmt === "csv" ? "x,y,z,w\n" : '{"a":\n'));
    const k = rng.int(1, lines.length - 2);
    lines[k] = rng.chance(0.5) ? `${lines[k]},extra` : lines[k].replace(/,[^,]*$/, "");
    return Buffer.from(lines.join("\n"), "latin1");
  },
  invalidUtf8: (rng, b) => splice(b, rng.int(0, b.length), Buffer.from(rng.pick(INVALID_UTF8))),
  bom: (rng, b) => splice(b, rng.chance(0.3) ? 0 : rng.int(0, b.length), Buffer.from("\ufeff")),
  nul: (rng, b) => {
    let out = b;
    for (let n = rng.int(1, 3); n > 0; n--) out = splice(out, rng.int(0, out.length), Buffer.from([0]));
    return out;
  },
  lineEnds: (rng, b) => {
    const mode = rng.pick(["cr", "crlf", "mix", "lfcr"]);
    const s = b.toString("latin1");
    if (mode === "cr") return Buffer.from(s.replaceAll("\r\n", "\n").replaceAll("\n", "\r"), "latin1");
    if (mode === "crlf") return Buffer.from(s.replaceAll("\r\n", "\n").replaceAll("\n", "\r\n"), "latin1");
    if (mode === "lfcr") return Buffer.from(s.replaceAll("\n", "\n\r"), "latin1");
    return Buffer.from(s.replace(/\n/g, () => rng.pick(["\n", "\r\n", "\r", "\n"])), "latin1");
  },
};

function splice(b, at, ins) {
  return Buffer.concat([b.subarray(0, at), ins, b.subarray(at)]);
}

/** Table-level mutations: a known value error, duplicate ids or headers, deep JSON. */
function tableMutation(rng, name, t, format) {
  const table = t[name];
  if (!table.rows.length) table.rows.push(table.columns.map(() => ""));
  const row = rng.pick(table.rows);
  const choices = ["badValue", "oddValue", "dupHeader", "deepJson"];
  if (name === "orders") choices.push("dupOrderId");
  if (name === "customers") choices.push("dupCustomerId", "emptyCustomerId", "dupCustomerId");
  let m = rng.pick(choices);
  if (m === "badValue" || m === "oddValue") {
    const [col, type] = rng.pick(TYPED[name]);
    const pool = m === "badValue" ? BAD_VALUES[type] : ODD_VALUES[type] ?? ["  "];
    row[table.columns.indexOf(col)] = rng.pick(pool);
    return { m, valueError: m === "badValue", why: m === "badValue" ? `${name}.${col} is ${JSON.stringify(row[table.columns.indexOf(col)])}` : undefined };
  }
  if (m === "dupCustomerId" && table.rows.length > 1) {
    table.rows[table.rows.length - 1][0] = table.rows[0][0];
    return { m, valueError: true, rejectAll: true, why: "duplicate customer id" };
  }
  if (m === "emptyCustomerId" || m === "dupCustomerId") {
    row[0] = rng.pick(["", "  "]);
    return { m, valueError: true, rejectAll: true, why: "empty customer id" };
  }
  if (m === "dupOrderId" && name === "orders" && table.rows.length > 1) {
    table.rows[1][0] = table.rows[0][0];
    return { m, valueError: false };
  }
  if (m === "dupHeader") {
    const k = rng.int(0, table.columns.length - 1);
    const col = table.columns[k];
    const dup = format === "csv" ? rng.pick([col, col.toUpperCase(), ` ${col} `]) : col.toUpperCase() === col ? `${col}_` : rng.pick([col.toUpperCase(), col[0].toUpperCase() + col.slice(1)]);
    table.columns.push(dup);
    for (const r of table.rows) r.push(r[k]);
    // The customers export has no rule that lets a repeated column through (facts ignore one, docs/data.md).
    const repeat = dup.trim().toLowerCase() === col.toLowerCase();
    return { m, valueError: name === "customers" && repeat, why: `duplicate header ${JSON.stringify(dup)}` };
  }
  // Deep JSON: only JSON formats nest; in CSV it is just text.
  m = "deepJson";
  const depth = rng.pick([50, 1000, 5000]);
  const col = rng.pick(table.columns.filter((c) => !["id", "customer_id", "order_id", "tags", "channels"].includes(c)));
  row[table.columns.indexOf(col)] = format === "csv" ? "[".repeat(depth) + "]".repeat(depth) : { deep: depth };
  return { m, valueError: format !== "csv", why: `a ${depth}-deep JSON value in ${name}.${col}` };
}

function withDeep(text) {
  return text.replace(/\{"deep":(\d+)\}/g, (_, d) => "[".repeat(Number(d)) + "]".repeat(Number(d)));
}

/** Hostile inputs, from recipes: expensive, so a small share of the cases. */
export const HOSTILE_DATA = ["bombNul", "bombCyrillic", "cell50mb", "line200mb", "devZero", "wideHeader"];

function hostile(which, rng, files, config) {
  const cust = "id,city\nC001,Moscow\n";
  if (which === "bombNul") {
    // Without a newline the NULs are a 2-field row (valid, any exit); after one, a 1-field row (broken).
    const broken = rng.chance(0.5);
    files.push({ path: "data/customers.csv.gz", gzip: true, recipe: { type: "repeat", prefix: broken ? "id,city\nC001,Moscow\n" : "id,city\nC001,", unit: "\0", unitTimes: 1 << 20, count: 1100 } });
    return { target: "customers", broken: broken ? "1 GiB NUL row of 1 field" : null };
  }
  if (which === "bombCyrillic") {
    const fmt = rng.pick(["csv", "ndjson"]);
    const prefix = fmt === "csv" ? "id,city\nC001," : '{"id":"C001","city":"';
    files.push({ path: `data/customers.${fmt}.gz`, gzip: true, recipe: { type: "repeat", prefix, unit: fmt === "csv" ? "Привет; мир без конца " : "Привет, мир без конца ", unitTimes: 1000, count: 30_000 } });
    return { target: "customers", broken: fmt === "ndjson" ? "unterminated JSON line" : null };
  }
  if (which === "cell50mb") {
    files.push({ path: "data/customers.csv", recipe: { type: "repeat", prefix: 'id,city\nC001,"', unit: "abcdefgh,\n", count: 5_000_000, suffix: '"\nC002,Paris\n' } });
    return { target: "customers", broken: null };
  }
  if (which === "line200mb") {
    files.push({ path: "data/customers.csv", text: cust });
    files.push({ path: "data/visits.ndjson", recipe: { type: "repeat", prefix: '{"customer_id":"C001","visited_at":"2025-01-01T00:00:00Z","page":"', unit: "/p".repeat(512), count: 200_000, suffix: '"}\n' } });
    return { target: "visits", broken: null };
  }
  if (which === "devZero") {
    config.push("sources:", "  orders: { file: /dev/zero, format: " + rng.pick(["csv", "ndjson", "json"]) + " }");
    files.push({ path: "data/customers.csv", text: cust });
    return { target: "orders", broken: "an endless file of NULs" };
  }
  // wideHeader: 100,000 columns and a row to match.
  files.push({ path: "data/customers.csv", recipe: { type: "repeat", prefix: "id", unit: ",c{i}", count: 100_000, suffix: "\nC001" + ",x".repeat(100_000) + "\n" } });
  return { target: "customers", broken: null };
}

/** One data case. `hostileKind` replaces the mutated shop with that hostile input. */
export function genData(rng, { hostileKind } = {}) {
  const files = [];
  const config = ["data: data", "segments: segments", "timezone: UTC"];
  if (hostileKind) {
    const { target, broken } = hostile(hostileKind, rng, files, config);
    files.push({ path: "segments/t.yaml", text: touchSegment("t", target) });
    files.push({ path: "segment.config.yaml", text: config.join("\n") + "\n" });
    // One command: a hostile case costs seconds per run.
    const commands = rng.chance(0.5)
      ? [{ args: ["validate", "--exports"], expect: broken ? "mustReject" : "any", why: broken ?? undefined }]
      : [{ args: rng.pick([["preview", "t", "--json", "--as-of", AS_OF], ["run", "--as-of", AS_OF], ["fields"]]), expect: broken && target === "customers" ? "mustReject" : "any", why: broken ?? undefined }];
    return { label: `hostile ${hostileKind} in ${target}`, files, commands };
  }
  const t = makeShop(rng);
  const present = EXPORTS.filter((e) => e === "customers" ? rng.chance(0.9) : e === "order_items" ? rng.chance(0.5) : rng.chance(0.55));
  if (present.includes("order_items") && !present.includes("orders")) present.push("orders");
  if (!present.length) present.push("customers");
  const target = rng.pick(present);
  const formats = Object.fromEntries(present.map((e) => [e, rng.weighted([[5, "csv"], [2, "ndjson"], [2, "json"]])]));
  const gz = Object.fromEntries(present.map((e) => [e, rng.chance(0.15)]));
  const fmt = formats[target];
  let label = `${target}.${fmt}${gz[target] ? ".gz" : ""}`;
  let tm = null;
  const mutation = rng.weighted([[4, "table"], [6, "bytes"], [1, "gzipCut"]]);
  if (mutation === "table" || mutation === "both") {
    tm = tableMutation(rng, target, t, fmt);
    label += ` ${tm.m}${tm.why ? ` (${tm.why})` : ""}`;
  }
  for (const e of present) {
    let bytes = serialise(rng, e, t[e], formats[e]);
    if (e === target) {
      if (tm?.m === "deepJson") bytes = Buffer.from(withDeep(bytes.toString("utf8")));
      if (mutation === "bytes" || mutation === "both") {
        const byteMut = rng.pick(Object.keys(BYTE_MUTATIONS).filter((k) => k !== "fieldCount" || fmt === "csv"));
        bytes = BYTE_MUTATIONS[byteMut](rng, bytes, fmt);
        label += ` ${byteMut}`;
      }
    }
    const name = `data/${e}.${formats[e]}${gz[e] || (e === target && mutation === "gzipCut") ? ".gz" : ""}`;
    if (e === target && mutation === "gzipCut") {
      const z = gzipSync(bytes);
      bytes = z.subarray(0, rng.int(10, z.length - 1));
      label += " gzip cut short";
      files.push({ path: name, b64: bytes.toString("base64") });
      continue;
    }
    if (gz[e]) files.push({ path: name, b64: gzipSync(bytes).toString("base64") });
    else files.push({ path: name, b64: bytes.toString("base64") });
  }
  const targetFile = files.find((f) => f.path.startsWith(`data/${target}.`));
  const broken = structurallyBroken(fmt, Buffer.from(targetFile.b64, "base64"), targetFile.path.endsWith(".gz"));
  // A gzip cut short is broken whatever the bytes before the cut hold.
  const brokenWhy = mutation === "gzipCut" ? broken ?? "gzip cut short" : broken;
  files.push({ path: "segments/t.yaml", text: touchSegment("t", present.includes("customers") || target !== "customers" ? target : "orders") });
  if (rng.chance(0.4)) files.push({ path: "segments/u.yaml", text: "code: u\nname: U\nfilters:\n  - { field: city, not_in: [Moscow] }\n" });
  files.push({ path: "segment.config.yaml", text: config.join("\n") + "\n" });
  const needLine = fmt !== "json" && mutation !== "gzipCut" && !/no header/.test(brokenWhy ?? "");
  const commands = commandsFor(rng, target, brokenWhy, tm?.valueError ?? false, { needLine, why: tm?.why, rejectAll: tm?.rejectAll && !brokenWhy });
  return { label: `${label}${brokenWhy ? ` [broken: ${brokenWhy}]` : ""}`, files, commands };
}
