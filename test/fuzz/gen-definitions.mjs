// Definition cases: random and well-formed segment YAML over a small clean shop, wrong types
// and shapes SEGMENTS.md calls definition errors, and hostile files (a 10 MB field name, a
// 64 KiB regex, a catastrophic regex, a million-value list, alias bombs, tags, bad bytes,
// 4,000-segment reference chains, cycles, codes that are paths).
import YAML from "yaml";
import { makeShop, toCsv } from "./shop.mjs";

const AS_OF = "2026-06-01";
const STRINGS = ["Moscow", "москва", "", " ", "a\tb", "Paris", "x".repeat(300), "💥", "\u202e", "null", "~", "0x1f"];
const KEYS = ["code", "name", "description", "type", "active", "analytics", "match", "not", "groups", "filters", "field", "where", "eq", "ne", "in", "not_in", "all", "gt", "gte", "lt", "lte", "between", "empty", "contains", "matches", "ignore_year", "guard", "starts_with"];

/** Well-formed filters: a field and an operator that fits it (the evaluator's paths). */
const FILTERS = [
  (r) => ({ field: "city", [r.pick(["eq", "ne", "contains", "not_contains", "starts_with", "ends_with"])]: r.pick(STRINGS.slice(0, 6)) }),
  (r) => ({ field: "city", [r.pick(["in", "not_in"])]: r.shuffle(["Moscow", "Москва", "Paris", "Kazan"]).slice(0, r.int(1, 4)) }),
  (r) => ({ field: "city", matches: r.pick(["^M", "/moscow/i", "a|b", "^$", "(?:x)*", "\\d+"]) }),
  (r) => ({ field: r.pick(["tags", "channels"]), [r.pick(["in", "not_in", "all"])]: r.shuffle(["vip", "wholesale", "telegram", "viber"]).slice(0, r.int(1, 3)) }),
  (r) => ({ field: r.pick(["city", "email", "birthday", "tags", "custom.bonus_points"]), empty: r.chance(0.5) }),
  (r) => ({ field: "birthday", ignore_year: true, between: r.pick([["today", "+3d"], ["12-02", "01-03"], ["02-29", "03-01"], ["-7d", "today"]]) }),
  (r) => ({ field: "age", [r.pick(["gte", "lt", "eq"])]: r.int(-1, 120) }),
  (r) => ({ field: "created_at", between: r.pick([["-90d", "today"], ["2025-01-01", null], [null, "-1y"], ["-1m", "+1m"]]) }),
  (r) => ({ field: "orders.count", [r.pick(["gte", "lt", "eq", "gt", "lte"])]: r.int(0, 3), ...(r.chance(0.5) ? { where: r.pick([{ status: ["complete", "paid"] }, { category: ["Chinese tea"] }, { created_at: { between: ["-365d", "today"] } }]) } : {}) }),
  (r) => ({ field: r.pick(["orders.revenue", "orders.avg_check", "orders.quantity"]), [r.pick(["gt", "lte"])]: r.pick([0, 100, 5000.5, -1]) }),
  (r) => ({ field: r.pick(["orders.last_at", "orders.first_at", "visits.last_at"]), between: r.pick([["-120d", "-90d"], ["-2w", "today"], ["-1y", null]]) }),
  (r) => ({ field: r.pick(["orders.status", "orders.category"]), [r.pick(["eq", "ne", "in", "not_in"])]: r.pick(["complete", ["Chinese tea", "Coffee"]]) }),
  (r) => ({ field: "visits.count", gte: r.int(0, 2), ...(r.chance(0.5) ? { where: { page: { contains: "cat" } } } : {}) }),
  (r) => ({ field: "carts.count", where: { status: ["abandoned"] }, gte: r.int(1, 2) }),
  (r) => ({ field: "emails.count", where: { type: [r.pick(["open", "sent"])] }, gte: 1 }),
  (r) => ({ field: r.pick(["rfm.segment", "rfm.score"]), in: r.pick([["champions", "lost", "no-orders"], ["545", "111"]]) }),
  (r) => ({ field: r.pick(["rfm.r", "rfm.f", "rfm.m", "rfm.recency", "rfm.monetary"]), gte: r.int(1, 5) }),
  (r) => ({ field: "email_marketing", eq: r.pick([true, false, "yes"]) }),
  (r) => ({ field: "custom.bonus_points", between: [r.int(0, 400), r.int(300, 900)] }),
];

/** Filters SEGMENTS.md makes a definition error. */
const WRONG_FILTERS = [
  { field: "orders.count", gte: "abc" }, { field: "orders.count", between: [1] }, { field: "city", in: 5 }, { field: 42, eq: 1 },
  { field: "city", eq: "Moscow", ne: "Paris" }, { field: "city" }, { field: "city", equals: "Moscow" }, { field: "cty", eq: "Moscow" },
  { field: "birthday", gte: "not-a-date" }, { field: "city", matches: "(unclosed" }, { field: "orders.last_at", between: ["-120d", "-90x"] },
  { field: "segment", in: ["no-such-segment"] }, { field: "orders.count", where: { nosuchcolumn: ["x"] }, gte: 1 }, { field: "city", empty: 3 },
  { field: "orders.count", gte: 1, where: "status" }, { field: "birthday", ignore_year: true, between: ["13-01", "14-02"] }, { field: "orders.nosuch", eq: 1 },
  { field: "age", between: [1, 2, 3] }, { field: "tags", all: "vip" }, { eq: "Moscow" }, {}, [], "city = Moscow", null,
];
const WRONG_TOP = [
  (d) => ({ ...d, match: "some" }), (d) => ({ ...d, type: "frozen" }), (d) => ({ code: d.code, name: d.name, filters: [] }), (d) => ({ code: d.code, name: d.name, groups: [] }),
  (d) => ({ ...d, groups: [{ match: "all" }] }), (d) => ({ name: d.name, filters: d.filters }), (d) => ({ code: d.code, filters: d.filters }),
  (d) => ({ ...d, code: "Bad Code" }), (d) => ({ ...d, code: 17 }), (d) => ({ ...d, code: ["a"] }), (d) => ({ ...d, active: "maybe" }),
  (d) => ({ ...d, not: "yes" }), (d) => ({ ...d, code: "x".repeat(65) }), (d) => ({ ...d, filtres: d.filters, filters: undefined }),
];

function filterTree(rng, depth) {
  const n = rng.int(1, 3);
  const g = {};
  if (rng.chance(0.5)) g.match = rng.pick(["all", "any"]);
  if (rng.chance(0.2)) g.not = true;
  g.filters = Array.from({ length: n }, () => rng.pick(FILTERS)(rng));
  if (depth > 0 && rng.chance(0.4)) g.groups = Array.from({ length: rng.int(1, 2) }, () => filterTree(rng, depth - 1));
  return g;
}

/** A well-formed random definition. */
export function validDefinition(rng, code, refs = []) {
  const d = { code, name: `Segment ${code}`, ...(rng.chance(0.3) ? { type: rng.pick(["dynamic", "static"]) } : {}), ...(rng.chance(0.1) ? { active: false } : {}) };
  Object.assign(d, filterTree(rng, 2));
  if (refs.length && rng.chance(0.5)) d.filters.push({ field: "segment", [rng.pick(["in", "not_in"])]: [rng.pick(refs)] });
  return d;
}

function randomValue(rng, depth) {
  const k = rng.int(0, depth > 3 ? 4 : 7);
  if (k === 0) return rng.pick(STRINGS);
  if (k === 1) return rng.pick([0, -1, 1.5, 1e308, -0, 2 ** 53 + 1]);
  if (k === 2) return rng.pick([true, false, null]);
  if (k === 3) return rng.pick(["-90d", "today", "+3d", "2025-02-29", "12-02", "-1y", "1e309"]);
  if (k === 4) return rng.pick(KEYS);
  if (k <= 5) return Array.from({ length: rng.int(0, 4) }, () => randomValue(rng, depth + 1));
  const o = {};
  for (let n = rng.int(0, 5); n > 0; n--) o[rng.chance(0.8) ? rng.pick(KEYS) : rng.word()] = randomValue(rng, depth + 1);
  return o;
}

function yamlText(rng, doc) {
  if (rng.chance(0.3)) return JSON.stringify(doc) + "\n";
  return YAML.stringify(doc, { lineWidth: 0 });
}

/** The clean shop every definition case reads. */
function shopFiles(rng, { city } = {}) {
  const t = makeShop(rng, { customers: rng.int(3, 12), facts: rng.int(3, 20) });
  if (city) t.customers.rows[0][t.customers.columns.indexOf("city")] = city;
  return ["customers", "orders", "order_items", "visits", "carts", "email_events"].map((e) => ({ path: `data/${e}.csv`, text: toCsv(t[e]) }));
}

const CONFIG = { path: "segment.config.yaml", text: "data: data\nsegments: segments\ntimezone: UTC\n" };
const validate = (json, files = []) => ({ args: ["validate", ...files, ...(json ? ["--json"] : [])] });

/** Hostile definitions; each a function of the rng giving { label, files, commands }. */
export const HOSTILE_DEFINITIONS = {
  fieldName10mb: () => ({
    files: [{ path: "segments/x.yaml", recipe: { type: "repeat", prefix: "code: x\nname: X\nfilters:\n  - field: ", unit: "abcdefghij", count: 1_000_000, suffix: "\n    eq: 1\n" } }],
    commands: [{ args: ["validate"], expect: "mustReject", why: "unknown 10 MB field name" }, { args: ["preview", "x", "--json", "--as-of", AS_OF], expect: "mustReject", why: "unknown 10 MB field name" }],
  }),
  regex64k: (rng) => ({
    files: [{ path: "segments/x.yaml", text: `code: x\nname: X\nfilters:\n  - field: city\n    matches: '${rng.chance(0.5) ? "(?:a|b)?".repeat(8192) : "[a-z]".repeat(13107)}'\n` }],
    commands: [{ args: ["preview", "x", "--json", "--as-of", AS_OF], expect: "any" }],
  }),
  catastrophic: () => ({
    city: "a".repeat(30) + "!",
    files: [{ path: "segments/x.yaml", text: "code: x\nname: X\nfilters:\n  - { field: city, matches: '(a+)+$' }\n" }],
    commands: [{ args: ["preview", "x", "--json", "--as-of", AS_OF], expect: "any" }],
  }),
  million: () => ({
    files: [{ path: "segments/x.yaml", recipe: { type: "repeat", prefix: "code: x\nname: X\nfilters:\n  - field: city\n    in: [", unit: "v{i}, ", count: 1_000_000, suffix: "Moscow]\n" } }],
    commands: [{ args: ["preview", "x", "--json", "--as-of", AS_OF], expect: "any" }],
  }),
  aliasBomb: () => {
    const lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
    for (let i = 1; i <= 9; i++) lines.push(`a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(", ")}]`);
    return {
      files: [{ path: "segments/x.yaml", text: `code: x\nname: X\n${lines.join("\n")}\nfilters:\n  - { field: city, in: *a9 }\n` }],
      commands: [{ args: ["validate"], expect: "any" }, { args: ["run", "--as-of", AS_OF], expect: "any" }],
    };
  },
  chain4000: (rng) => {
    const cycle = rng.chance(0.5);
    return {
      files: [{ path: "segments/chain.yaml", recipe: { type: "repeat", prefix: "", unit: "- code: s{i}\n  name: S{i}\n  filters:\n    - { field: segment, in: [s{i1}] }\n", count: 4000, suffix: `- code: s4000\n  name: End\n  filters:\n    - { field: ${cycle ? "segment, in: [s0]" : "city, eq: Moscow"} }\n` } }],
      commands: [{ args: ["validate"], expect: cycle ? "mustReject" : "any", why: cycle ? "a 4001-segment reference cycle" : undefined }, { args: ["preview", "s0", "--json", "--as-of", AS_OF], expect: cycle ? "mustReject" : "any", why: cycle ? "a reference cycle" : undefined }],
    };
  },
};

/** Small hostile or odd files; cheap, so part of the ordinary mix. */
const ODD = {
  tags: (rng) => ({ text: `code: x\nname: ${rng.pick(["!!js/function 'function(){return 1}'", "!foo bar", "!!int abc", "!!binary aGVsbG8=", "!!str", "!!python/object:os.system ls"])}\nfilters:\n  - { field: city, eq: ${rng.pick(["!!int abc", "!foo Moscow", "!!float x", "Moscow"])} }\n`, expect: "any" }),
  badUtf8Name: (rng) => ({ b64: Buffer.concat([Buffer.from("code: x\nname: caf"), Buffer.from(rng.pick([[0xff], [0xc3], [0xed, 0xa0, 0x80]])), Buffer.from("\nfilters:\n  - { field: city, eq: Moscow }\n")]).toString("base64"), expect: "any" }),
  badUtf8Code: (rng) => ({ b64: Buffer.concat([Buffer.from("code: x"), Buffer.from(rng.pick([[0xff], [0xc3, 0x28], [0xfe]])), Buffer.from("\nname: X\nfilters:\n  - { field: city, eq: Moscow }\n")]).toString("base64"), expect: "mustReject", why: "invalid UTF-8 in the code" }),
  nul: (rng) => ({ b64: Buffer.from(`code: x\nname: X${rng.pick(["\0", "\0\0\0"])}\nfilters:\n  - { field: city, eq: "Mos\0cow" }\n`).toString("base64"), expect: "any" }),
  pathCode: (rng) => ({ text: `code: ${rng.pick(['"../x"', "/abs", '"a\\0b"', "..", '"x/../../y"', '"a b"', '"-x"', '""', "~"])}\nname: X\nfilters:\n  - { field: city, eq: Moscow }\n`, expect: "mustReject", why: "a code that breaks ^[a-z0-9][a-z0-9_-]{0,63}$" }),
  cycle: (rng) => ({ text: `- code: p\n  name: P\n  filters: [{ field: segment, in: [q] }]\n- code: q\n  name: Q\n  filters: [{ field: segment, ${rng.pick(["in", "not_in"])}: [${rng.pick(["p", "q"])}] }]\n`, expect: "mustReject", why: "a reference cycle" }),
  aliasSmall: () => ({ text: "base: &b { field: city, eq: Moscow }\ncode: x\nname: X\nfilters: [*b, *b, { <<: *b, eq: Paris }]\n", expect: "any" }),
  anchorLoop: () => ({ text: "code: x\nname: X\nfilters: &f [{ field: city, in: *f }]\n", expect: "any" }),
  multiDoc: () => ({ text: "code: x\nname: X\nfilters: [{ field: city, eq: Moscow }]\n---\ncode: y\nname: Y\nfilters: [{ field: city, eq: Paris }]\n", expect: "any" }),
  notYaml: (rng) => ({ text: rng.pick(["{ unclosed", "code: [x\n", "\t- a\n", ": :\n", "code: x\n  name: y\n", "'", "- - - -\n"]), expect: "mustReject", why: "a file that is not YAML" }),
  scalars: (rng) => ({ text: rng.pick(["42\n", "\"text\"\n", "true\n", "- 42\n"]), expect: "mustReject", why: "a segment file that is not a mapping or a list of them" }),
};

/** One definitions case. */
export function genDefinitions(rng, { hostileKind } = {}) {
  const json = rng.chance(0.3);
  if (hostileKind) {
    const h = HOSTILE_DEFINITIONS[hostileKind](rng);
    return { label: `hostile ${hostileKind}`, files: [CONFIG, ...shopFiles(rng, { city: h.city }), ...h.files], commands: [rng.pick(h.commands)] };
  }
  const mode = rng.weighted([[3, "valid"], [3, "wrong"], [2, "random"], [3, "odd"], [1, "dupCode"]]);
  const files = [CONFIG, ...shopFiles(rng)];
  if (mode === "valid") {
    const codes = Array.from({ length: rng.int(1, 4) }, (_, i) => `s${i}`);
    const defs = codes.map((c, i) => validDefinition(rng, c, codes.slice(i + 1)));
    if (rng.chance(0.3)) files.push({ path: "segments/all.yaml", text: yamlText(rng, defs) });
    else defs.forEach((d) => files.push({ path: `segments/${d.code}.${rng.pick(["yaml", "yml"])}`, text: yamlText(rng, d) }));
    const cmd = rng.pick([["preview", "s0", "--json", "--as-of", AS_OF], ["preview", "s0", "--explain", "--as-of", AS_OF], ["run", "--as-of", AS_OF, ...(json ? ["--json"] : [])], ["preview", "s0", "--customer", "C001", "--json", "--as-of", AS_OF], ["export", "s0", "--fresh", "--format", rng.pick(["csv", "json", "ndjson", "xml"]), "--out", "-", "--as-of", AS_OF]]);
    return { label: "valid random definitions", files, commands: [{ args: cmd, expect: "any" }] };
  }
  if (mode === "wrong") {
    const base = validDefinition(rng, "w");
    const wrongTop = rng.chance(0.35);
    let def;
    let what;
    if (wrongTop) {
      const k = rng.int(0, WRONG_TOP.length - 1);
      def = JSON.parse(JSON.stringify(WRONG_TOP[k](base)));
      what = `wrong top-level shape #${k}`;
    } else {
      const wrong = rng.pick(WRONG_FILTERS);
      def = base;
      def.filters.splice(rng.int(0, def.filters.length), 0, wrong);
      what = `wrong filter ${JSON.stringify(wrong)}`;
    }
    files.push({ path: "segments/w.yaml", text: yamlText(rng, def) });
    const cmd = rng.chance(0.5) ? validate(json) : { args: ["preview", "segments/w.yaml", "--json", "--as-of", AS_OF] };
    return { label: what, files, commands: [{ ...cmd, expect: "mustReject", why: what, needLine: true }] };
  }
  if (mode === "random") {
    const doc = rng.chance(0.7) ? { code: rng.pick(["r", "r", rng.word()]), name: "R", ...randomValue(rng, 0) } : randomValue(rng, 0);
    files.push({ path: "segments/r.yaml", text: yamlText(rng, doc) });
    return { label: "random YAML tree", files, commands: [{ ...validate(json), expect: "any" }, ...(rng.chance(0.4) ? [{ args: ["preview", "segments/r.yaml", "--json", "--as-of", AS_OF], expect: "any" }] : [])] };
  }
  if (mode === "dupCode") {
    files.push({ path: "segments/a.yaml", text: "code: d\nname: A\nfilters: [{ field: city, eq: Moscow }]\n" });
    files.push({ path: `segments/${rng.pick(["b.yaml", "sub.yml", "c.yaml"])}`, text: "code: d\nname: B\nfilters: [{ field: city, eq: Paris }]\n" });
    return { label: "duplicate code across files", files, commands: [{ args: rng.pick([["validate"], ["run", "--as-of", AS_OF], ["preview", "d", "--as-of", AS_OF]]), expect: "mustReject", why: "duplicate code", needLine: false }] };
  }
  const kind = rng.pick(Object.keys(ODD));
  const odd = ODD[kind](rng);
  files.push({ path: "segments/x.yaml", ...(odd.b64 ? { b64: odd.b64 } : { text: odd.text }) });
  if (rng.chance(0.5)) files.push({ path: "segments/ok.yaml", text: "code: ok\nname: OK\nfilters: [{ field: city, eq: Moscow }]\n" });
  const cmd = rng.pick([["validate"], ["validate", "--json"], ["run", "--as-of", AS_OF], ["preview", "segments/x.yaml", "--json", "--as-of", AS_OF]]);
  return { label: `odd definition: ${kind}`, files, commands: [{ args: cmd, expect: odd.expect, why: odd.why }] };
}
