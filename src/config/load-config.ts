/** Loads `segment.config.yaml`, validates it, applies defaults and the command-line overrides. */
import { userRegExp } from "../safe-regex.js";
import { existsSync, lstatSync, type Stats } from "node:fs";
import path from "node:path";
import { ConfigError, type Problem } from "../errors.js";
import { compileDateFormat, FORMAT_TOKENS, parseDate, parseShare, SHARE_EXPECTATION } from "../schema/parse-value.js";
import { EXPORT_NAMES, SCHEMAS, type ExportName } from "../schema/exports.js";
import { choiceHint } from "../suggest.js";
import { isValidZone } from "../table/time.js";
import { formatPath, readYaml, type YamlSource } from "../yaml-source.js";

/** The config file looked for in the current folder. */
export const DEFAULT_CONFIG_FILE = "segment.config.yaml";

/** How one source column feeds one canonical column. */
export interface ColumnMapping {
  from: string;
  format?: string;
  timezone?: string;
  /**
   * Derived values: the first rule whose match fits the source value gives the column's
   * value; a match is the exact (trimmed) text, or a regular expression written `/.../flags`.
   */
  values?: Array<{ match: string; regex?: { source: string; flags: string }; to: string }>;
  /** The value when no rule fits (default: the source value as it is). */
  default?: string;
}

/** Per-export reading options. */
export interface SourceConfig {
  /** File names, folders or globs (`by-day/*.csv`), relative to the data folder, read in turn; `-` is standard input. */
  file?: string[];
  /** How messages name the file when it is not the user's own path (standard input, spooled). */
  shownAs?: string;
  format?: "csv" | "json" | "ndjson";
  delimiter: string;
  encoding: string;
  decimal: "." | ",";
  listSeparator?: string;
  ignore: string[];
  columns: Record<string, ColumnMapping>;
}

/** RFM settings, kept as given for the RFM commands. */
export interface RfmConfig {
  exclude_statuses: string[];
  monetary: "sum" | "avg";
  bins: number;
  method: "rank" | "quantile" | "thresholds";
  thresholds?: { recency?: number[]; frequency?: number[]; monetary?: number[] };
  /** Named segments, in priority order (the default set when absent). */
  segments?: Array<{ code: string; r: [number, number]; f: [number, number]; m: [number, number] }>;
}

/** Guards every dynamic segment gets unless it sets its own, and the guard on the inputs. */
export interface GuardConfig {
  /** Largest share by which a segment's member count may change since the last run. */
  maxChange?: number;
  /** Fewest members a segment may have. */
  minMembers?: number;
  /** Largest share by which an export's row count may fall since the last run. */
  maxInputDrop?: number;
}

/** A command run after a successful `segment run`, with the summary on stdin. */
export interface HookConfig {
  /** argv (run without a shell), or one string run by /bin/sh when `shell` is true. */
  command: string[] | string;
  shell: boolean;
  timeoutMs: number;
  /** The folder it runs in: the config file's. */
  cwd: string;
}

/** The validated project config, with absolute paths. */
export interface Config {
  /** The config file read, or undefined when none was found and defaults apply. */
  file?: string;
  data: string;
  segments: string;
  state: string;
  out: string;
  timezone: string;
  maxBadRows: number;
  sources: Partial<Record<ExportName, SourceConfig>>;
  rfm: RfmConfig;
  guard: GuardConfig;
  hooks: { afterRun?: HookConfig };
  /** Largest share of an export's facts that may be orphans before it is a problem. */
  maxOrphanShare: number;
  /** The day taken as today when --as-of is not given (`YYYY-MM-DD`), for historical data. */
  asOf?: string;
  /** How ids are read in every export. */
  ids: IdConfig;
  /** Size limits on what is read (docs/reliability.md). */
  limits: Limits;
}

/**
 * Limits that keep a damaged or hostile file from taking all the memory: past one, the
 * command stops with the limit's name and how to raise it. The defaults are far above
 * any real export of a shop.
 */
export interface Limits {
  /** Characters in one cell. */
  fieldChars: number;
  /** Characters in one row: a CSV record, an NDJSON line, an element of a JSON array. */
  recordChars: number;
  /** Columns of an export (the keys of a JSON export, all rows together). */
  columns: number;
}

/** The limits unless the config sets them. */
export const DEFAULT_LIMITS: Readonly<Limits> = { fieldChars: 1_000_000, recordChars: 16_000_000, columns: 2_000 };
/** Config names of the limits. */
export const LIMIT_KEYS: Record<keyof Limits, string> = { fieldChars: "field_chars", recordChars: "record_chars", columns: "columns" };

/** Id normalisation, applied to every id column of every export. */
export interface IdConfig {
  /** `17850.0` is read as `17850`: ids a spreadsheet turned into numbers. */
  dropDecimalZeros: boolean;
}

/** `file: "-"`: the export comes on standard input. */
export const STDIN = "-";

/** Command-line values that override the file. */
export interface ConfigOverrides {
  config?: string;
  data?: string;
  segments?: string;
  state?: string;
  out?: string;
  timezone?: string;
  maxBadRows?: number;
}

export const TOP_KEYS = ["data", "segments", "state", "out", "timezone", "as_of", "max_bad_rows", "max_orphan_share", "ids", "limits", "sources", "rfm", "guard", "hooks"];
export const ID_KEYS = ["drop_decimal_zeros"];
/** Orphans beyond this share of an export's facts are a problem unless the config says otherwise. */
export const DEFAULT_MAX_ORPHAN_SHARE = 0.5;
export const GUARD_KEYS = ["max_change", "min_members", "max_input_drop"];
export const HOOK_KEYS = ["command", "shell", "timeout"];
/** How long a hook may run unless the config says otherwise. */
const DEFAULT_HOOK_TIMEOUT_S = 60;
export const SOURCE_KEYS = ["file", "format", "delimiter", "encoding", "decimal", "list_separator", "ignore", "columns"];
export const COLUMN_KEYS = ["from", "format", "timezone", "values", "default"];
export const RFM_KEYS = ["exclude_statuses", "monetary", "bins", "method", "thresholds", "segments"];
/** Keys of `rfm.thresholds`, and of one `rfm.segments` rule. */
export const RFM_THRESHOLD_KEYS = ["recency", "frequency", "monetary"] as const;
export const RFM_RULE_KEYS = ["code", "r", "f", "m"];

const MSG_NOT_MAP = "expected a mapping of keys to values";
const msgUnknownKey = (key: string) => `unknown key \`${key}\``;

/** The link itself when `file` is a symlink whose target cannot be reached (a loop, a dangling link). */
function lstatOrUndefined(file: string): Stats | undefined {
  try {
    return lstatSync(file);
  } catch {
    return undefined;
  }
}

/** Loads the project config; missing default file means defaults, a missing named file is an error. */
export function loadConfig(overrides: ConfigOverrides, cwd: string): Config {
  const named = overrides.config !== undefined;
  const file = path.resolve(cwd, overrides.config ?? DEFAULT_CONFIG_FILE);
  let raw: unknown = {};
  let src: YamlSource | undefined;
  if (existsSync(file) || lstatOrUndefined(file)) {
    src = readYaml(file, path.relative(cwd, file) || file, "config file");
    if (src.problems.length) throw new ConfigError(src.problems);
    raw = src.value ?? {};
  } else if (named) {
    throw new ConfigError([{ file: overrides.config, message: "config file not found", hint: "check the --config path" }]);
  }
  const baseDir = src ? path.dirname(file) : cwd;
  const config = validateConfig(raw, src, baseDir);
  if (overrides.data !== undefined) config.data = path.resolve(cwd, overrides.data);
  if (overrides.segments !== undefined) config.segments = path.resolve(cwd, overrides.segments);
  if (overrides.state !== undefined) config.state = path.resolve(cwd, overrides.state);
  if (overrides.out !== undefined) config.out = path.resolve(cwd, overrides.out);
  if (overrides.maxBadRows !== undefined) config.maxBadRows = overrides.maxBadRows;
  if (overrides.timezone !== undefined) {
    if (!isValidZone(overrides.timezone)) {
      throw new ConfigError([{ message: `unknown time zone \`${overrides.timezone}\` in --timezone`, hint: "use an IANA name such as Europe/Moscow or UTC" }]);
    }
    config.timezone = overrides.timezone;
  }
  if (src) config.file = file;
  return config;
}

/** Validates a parsed config value, collecting every problem before throwing once. */
export function validateConfig(raw: unknown, src: YamlSource | undefined, baseDir: string): Config {
  const problems: Problem[] = [];
  const report = (p: Array<string | number>, message: string, hint?: string, key = false) => {
    const pos = src?.locate(p, { key });
    problems.push({ file: src?.file, line: pos?.line, col: pos?.col, path: formatPath(p), message, hint });
  };
  const config: Config = {
    data: baseDir,
    segments: path.resolve(baseDir, "segments"),
    state: path.resolve(baseDir, ".segment"),
    out: path.resolve(baseDir, "out"),
    timezone: "UTC",
    maxBadRows: 0,
    sources: {},
    rfm: { exclude_statuses: ["cancelled", "returned"], monetary: "sum", bins: 5, method: "rank" },
    guard: {},
    hooks: {},
    maxOrphanShare: DEFAULT_MAX_ORPHAN_SHARE,
    ids: { dropDecimalZeros: false },
    limits: { ...DEFAULT_LIMITS },
  };
  if (!isPlainObject(raw)) {
    report([], MSG_NOT_MAP);
    throw new ConfigError(problems);
  }
  checkKeys(raw, TOP_KEYS, [], report);
  for (const key of ["data", "segments", "state", "out"] as const) {
    const v = raw[key];
    if (v === undefined) continue;
    if (typeof v !== "string" || v === "") report([key], "expected a folder path");
    else config[key] = path.resolve(baseDir, v);
  }
  if (raw.timezone !== undefined) {
    if (typeof raw.timezone !== "string" || !isValidZone(raw.timezone)) {
      report(["timezone"], `unknown time zone \`${String(raw.timezone)}\``, "use an IANA name such as Europe/Moscow or UTC");
    } else config.timezone = raw.timezone;
  }
  if (raw.max_bad_rows !== undefined) {
    const v = raw.max_bad_rows;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0) report(["max_bad_rows"], "expected a whole number >= 0");
    else config.maxBadRows = v;
  }
  if (raw.as_of !== undefined) {
    // YAML reads an unquoted 2011-12-09 as a date: take it as the day it names.
    const v = raw.as_of instanceof Date ? raw.as_of.toISOString().slice(0, 10) : raw.as_of;
    if (typeof v !== "string" || parseDate(v) === undefined) report(["as_of"], "expected a day, YYYY-MM-DD", "e.g. as_of: 2011-12-09 for a project over historical data");
    else config.asOf = v;
  }
  if (raw.max_orphan_share !== undefined) {
    const share = parseShare(raw.max_orphan_share);
    if (share === undefined) report(["max_orphan_share"], `expected ${SHARE_EXPECTATION}`);
    else config.maxOrphanShare = share;
  }
  if (raw.ids !== undefined) {
    if (!isPlainObject(raw.ids)) report(["ids"], MSG_NOT_MAP);
    else {
      checkKeys(raw.ids, ID_KEYS, ["ids"], report);
      const v = raw.ids.drop_decimal_zeros;
      if (v !== undefined && typeof v !== "boolean") report(["ids", "drop_decimal_zeros"], "expected true or false");
      else if (v !== undefined) config.ids.dropDecimalZeros = v;
    }
  }
  if (raw.limits !== undefined) {
    if (!isPlainObject(raw.limits)) report(["limits"], MSG_NOT_MAP);
    else {
      checkKeys(raw.limits, Object.values(LIMIT_KEYS), ["limits"], report);
      for (const [key, name] of Object.entries(LIMIT_KEYS) as Array<[keyof Limits, string]>) {
        const v = raw.limits[name];
        if (v === undefined) continue;
        if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 1) report(["limits", name], "expected a whole number >= 1", `the default is ${DEFAULT_LIMITS[key]}`);
        else config.limits[key] = v;
      }
    }
  }
  if (raw.sources !== undefined) {
    if (!isPlainObject(raw.sources)) report(["sources"], MSG_NOT_MAP);
    else {
      checkKeys(raw.sources, EXPORT_NAMES, ["sources"], report);
      for (const name of EXPORT_NAMES) {
        const s = raw.sources[name];
        if (s === undefined) continue;
        const parsed = validateSource(s, name, ["sources", name], report);
        if (parsed) config.sources[name] = parsed;
      }
      const fromStdin = EXPORT_NAMES.filter((n) => config.sources[n]?.file?.[0] === STDIN);
      if (fromStdin.length > 1) {
        report(["sources", fromStdin[1], "file"], `standard input can hold one export, and ${fromStdin.join(" and ")} both read it`, "give all but one of them a file");
      }
    }
  }
  if (raw.rfm !== undefined) validateRfm(raw.rfm, config.rfm, report);
  if (raw.guard !== undefined) validateGuard(raw.guard, config.guard, report);
  if (raw.hooks !== undefined) validateHooks(raw.hooks, config, baseDir, report);
  if (problems.length) throw new ConfigError(problems);
  return config;
}

type Report = (path: Array<string | number>, message: string, hint?: string, key?: boolean) => void;

function validateSource(raw: unknown, name: ExportName, at: string[], report: Report): SourceConfig | undefined {
  if (!isPlainObject(raw)) {
    report(at, MSG_NOT_MAP);
    return undefined;
  }
  checkKeys(raw, SOURCE_KEYS, at, report);
  const out: SourceConfig = { delimiter: ",", encoding: "utf-8", decimal: ".", ignore: [], columns: {} };
  if (raw.file !== undefined) {
    const list = Array.isArray(raw.file) ? raw.file : [raw.file];
    if (list.length === 0 || list.some((f) => typeof f !== "string" || f === "")) {
      report([...at, "file"], "expected a file name, a folder, a glob such as by-day/*.csv, or a list of them");
    } else if (list.length > 1 && list.includes(STDIN)) {
      report([...at, "file"], "`-` (standard input) must be the export's only file", "file: \"-\"");
    } else out.file = list as string[];
  }
  if (raw.format !== undefined) {
    if (raw.format !== "csv" && raw.format !== "json" && raw.format !== "ndjson") {
      report([...at, "format"], "expected csv, json or ndjson");
    } else out.format = raw.format;
  }
  if (raw.delimiter !== undefined) {
    if (raw.delimiter === "whitespace") out.delimiter = raw.delimiter;
    else if (typeof raw.delimiter !== "string" || [...raw.delimiter].length !== 1 || raw.delimiter === '"' || raw.delimiter === "\n" || raw.delimiter === "\r") {
      const hint = raw.delimiter === " " ? "for columns padded with spaces (a log or a fixed-width file) use `delimiter: whitespace`" : undefined;
      report([...at, "delimiter"], "expected one character, such as \",\", \";\" or \"\\t\", or `whitespace` (runs of spaces and tabs)", hint);
    } else out.delimiter = raw.delimiter;
  }
  if (raw.encoding !== undefined) {
    let ok = typeof raw.encoding === "string";
    if (ok) {
      try {
        new TextDecoder(raw.encoding as string);
      } catch {
        ok = false;
      }
    }
    if (!ok) report([...at, "encoding"], `unknown encoding \`${String(raw.encoding)}\``, "use a WHATWG encoding label such as utf-8, windows-1251 or iso-8859-1");
    else out.encoding = raw.encoding as string;
  }
  if (raw.decimal !== undefined) {
    if (raw.decimal !== "." && raw.decimal !== ",") report([...at, "decimal"], 'expected "." or ","');
    else out.decimal = raw.decimal;
  }
  if (raw.list_separator !== undefined) {
    if (typeof raw.list_separator !== "string" || raw.list_separator === "") report([...at, "list_separator"], "expected a separator such as \";\"");
    else out.listSeparator = raw.list_separator;
  }
  if (raw.ignore !== undefined) {
    if (!Array.isArray(raw.ignore) || raw.ignore.some((c) => typeof c !== "string")) report([...at, "ignore"], "expected a list of source column names");
    else out.ignore = raw.ignore as string[];
  }
  if (raw.columns !== undefined) {
    if (!isPlainObject(raw.columns)) report([...at, "columns"], MSG_NOT_MAP);
    else {
      const canonical = Object.keys(SCHEMAS[name].columns);
      for (const [col, spec] of Object.entries(raw.columns)) {
        const p = [...at, "columns", col];
        const custom = name === "customers" && col.startsWith("custom.");
        if (!canonical.includes(col) && !custom) {
          const hint = choiceHint(col, canonical, 30);
          report(p, `\`${col}\` is not a column of ${name}`, hint ?? `columns of ${name}: ${canonical.join(", ")}`, true);
          continue;
        }
        const mapping = validateColumn(spec, col, p, report);
        if (mapping) out.columns[col] = mapping;
      }
    }
  }
  return out;
}

function validateColumn(spec: unknown, col: string, at: Array<string | number>, report: Report): ColumnMapping | undefined {
  if (typeof spec === "string" && spec !== "") return { from: spec };
  if (!isPlainObject(spec)) {
    report(at, "expected a source column name, or { from, format, timezone }");
    return undefined;
  }
  checkKeys(spec, COLUMN_KEYS, at, report);
  const out: ColumnMapping = { from: col.startsWith("custom.") ? col.slice(7) : col };
  if (spec.from !== undefined) {
    if (typeof spec.from !== "string" || spec.from === "") report([...at, "from"], "expected a source column name");
    else out.from = spec.from;
  }
  if (spec.format !== undefined) {
    if (typeof spec.format !== "string" || !compileDateFormat(spec.format)) {
      report([...at, "format"], "expected a date format with year, month and day", `tokens: ${FORMAT_TOKENS}`);
    } else out.format = spec.format;
  }
  if (spec.timezone !== undefined) {
    if (typeof spec.timezone !== "string" || !isValidZone(spec.timezone)) {
      report([...at, "timezone"], `unknown time zone \`${String(spec.timezone)}\``, "use an IANA name such as Europe/Moscow or UTC");
    } else out.timezone = spec.timezone;
  }
  if (spec.values !== undefined) {
    if (!isPlainObject(spec.values) || Object.keys(spec.values).length === 0) {
      report([...at, "values"], 'expected a mapping of source values (or /patterns/) to values, e.g. { "/^C/": cancelled, paid: complete }');
    } else {
      out.values = [];
      for (const [match, to] of Object.entries(spec.values)) {
        if (typeof to !== "string" && typeof to !== "number" && typeof to !== "boolean") {
          report([...at, "values", match], "expected the value to give, such as cancelled");
          continue;
        }
        const m = /^\/(.*)\/([a-z]*)$/s.exec(match);
        if (m) {
          const re = userRegExp(m[1], m[2].replace(/[gy]/g, ""));
          if (!(re instanceof RegExp)) {
            report([...at, "values", match], re.message, re.hint ?? "write a pattern as /.../ with flags after it, e.g. /^c/i", true);
            continue;
          }
          out.values.push({ match, regex: { source: m[1], flags: m[2].replace(/[gy]/g, "") }, to: String(to) });
        } else out.values.push({ match: match.trim(), to: String(to) });
      }
    }
  }
  if (spec.default !== undefined) {
    if (typeof spec.default !== "string" && typeof spec.default !== "number" && typeof spec.default !== "boolean") report([...at, "default"], "expected the value to give when no rule fits");
    else out.default = String(spec.default);
  }
  return out;
}

function validateRfm(raw: unknown, out: RfmConfig, report: Report): void {
  const at = ["rfm"];
  if (!isPlainObject(raw)) {
    report(at, MSG_NOT_MAP);
    return;
  }
  checkKeys(raw, RFM_KEYS, at, report);
  if (raw.exclude_statuses !== undefined) {
    if (!Array.isArray(raw.exclude_statuses) || raw.exclude_statuses.some((s) => typeof s !== "string")) {
      report([...at, "exclude_statuses"], "expected a list of statuses");
    } else out.exclude_statuses = raw.exclude_statuses as string[];
  }
  if (raw.monetary !== undefined) {
    if (raw.monetary !== "sum" && raw.monetary !== "avg") report([...at, "monetary"], "expected sum or avg");
    else out.monetary = raw.monetary;
  }
  if (raw.bins !== undefined) {
    if (typeof raw.bins !== "number" || !Number.isInteger(raw.bins) || raw.bins < 2 || raw.bins > 9) {
      report([...at, "bins"], "expected a whole number from 2 to 9");
    } else out.bins = raw.bins;
  }
  if (raw.method !== undefined) {
    if (raw.method !== "rank" && raw.method !== "quantile" && raw.method !== "thresholds") {
      report([...at, "method"], "expected rank, quantile or thresholds");
    } else out.method = raw.method;
  }
  const bins = out.bins;
  if (raw.thresholds !== undefined) {
    const t = raw.thresholds;
    if (!isPlainObject(t)) report([...at, "thresholds"], MSG_NOT_MAP, `e.g. thresholds: { recency: [30, 90, 180, 365], frequency: [2, 3, 5, 8], monetary: [100, 250, 500, 1000] }`);
    else {
      checkKeys(t, RFM_THRESHOLD_KEYS, [...at, "thresholds"], report);
      const parsed: NonNullable<RfmConfig["thresholds"]> = {};
      for (const k of RFM_THRESHOLD_KEYS) {
        const v = t[k];
        if (v === undefined) continue;
        const ok = Array.isArray(v) && v.length === bins - 1 && v.every((x) => typeof x === "number" && Number.isFinite(x)) && v.every((x, i) => i === 0 || (x as number) > (v[i - 1] as number));
        if (!ok) report([...at, "thresholds", k], `expected ${bins - 1} increasing numbers (bins is ${bins}: bins - 1 cut points)`);
        else parsed[k] = v as number[];
      }
      out.thresholds = parsed;
    }
  }
  if (out.method === "thresholds") {
    const missing = RFM_THRESHOLD_KEYS.filter((k) => !out.thresholds?.[k]);
    if (missing.length && raw.thresholds === undefined) report([...at, "method"], "`method: thresholds` needs `rfm.thresholds` with recency, frequency and monetary cut points");
    else if (missing.length) report([...at, "thresholds"], `\`method: thresholds\` needs cut points for ${missing.join(", ")}`);
  }
  if (raw.segments !== undefined) {
    if (!Array.isArray(raw.segments) || raw.segments.length === 0) {
      report([...at, "segments"], "expected a list of rules: - { code: champions, r: [5, 5], f: [5, 5], m: [5, 5] }");
    } else {
      const rules: NonNullable<RfmConfig["segments"]> = [];
      const codes = new Set<string>();
      raw.segments.forEach((rule: unknown, i: number) => {
        const rat = [...at, "segments", i];
        if (!isPlainObject(rule)) return report(rat, "expected { code, r, f, m }");
        checkKeys(rule, RFM_RULE_KEYS, rat, report);
        if (typeof rule.code !== "string" || rule.code === "") return report([...rat, "code"], "expected the segment's code");
        if (codes.has(rule.code)) return report([...rat, "code"], `duplicate rule code \`${rule.code}\``);
        codes.add(rule.code);
        const range = (k: "r" | "f" | "m"): [number, number] | undefined => {
          const v = rule[k];
          // A single score is a range of one.
          const pair = typeof v === "number" ? [v, v] : v;
          const ok = Array.isArray(pair) && pair.length === 2 && pair.every((x) => Number.isInteger(x) && (x as number) >= 1 && (x as number) <= bins) && (pair[0] as number) <= (pair[1] as number);
          if (!ok) report([...rat, k], `expected a score range [low, high] within 1..${bins} (or one score)`);
          return ok ? [pair[0] as number, pair[1] as number] : undefined;
        };
        const r = range("r"), f = range("f"), m = range("m");
        if (r && f && m) rules.push({ code: rule.code, r, f, m });
      });
      out.segments = rules;
    }
  }
}

function validateGuard(raw: unknown, out: GuardConfig, report: Report): void {
  const at = ["guard"];
  if (!isPlainObject(raw)) {
    report(at, MSG_NOT_MAP, "e.g. guard: { max_change: 30%, min_members: 1, max_input_drop: 50% }");
    return;
  }
  checkKeys(raw, GUARD_KEYS, at, report);
  for (const [key, field] of [["max_change", "maxChange"], ["max_input_drop", "maxInputDrop"]] as const) {
    if (raw[key] === undefined) continue;
    const share = parseShare(raw[key]);
    if (share === undefined) report([...at, key], `expected ${SHARE_EXPECTATION}`);
    else out[field] = share;
  }
  if (raw.min_members !== undefined) {
    const v = raw.min_members;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0) report([...at, "min_members"], "expected a whole number >= 0");
    else out.minMembers = v;
  }
}

function validateHooks(raw: unknown, config: Config, baseDir: string, report: Report): void {
  if (!isPlainObject(raw)) {
    report(["hooks"], MSG_NOT_MAP);
    return;
  }
  checkKeys(raw, ["after_run"], ["hooks"], report);
  const hook = raw.after_run;
  if (hook === undefined) return;
  const at = ["hooks", "after_run"];
  // A bare list or string is the command itself.
  const spec = isPlainObject(hook) ? hook : { command: hook };
  if (isPlainObject(hook)) checkKeys(hook, HOOK_KEYS, at, report);
  const shell = spec.shell === true;
  if (spec.shell !== undefined && typeof spec.shell !== "boolean") report([...at, "shell"], "expected true or false");
  const command = spec.command;
  const argv = Array.isArray(command) && command.length > 0 && command.every((c) => typeof c === "string" && c !== "");
  if (shell ? typeof command !== "string" || command.trim() === "" : !argv) {
    report(isPlainObject(hook) ? [...at, "command"] : at, shell ? "with `shell: true` the command is one string for /bin/sh" : "expected the command as a list: [program, arg, ...]", shell ? undefined : "e.g. after_run: [node, hooks/notify.mjs]; or { command: \"...\", shell: true } for a shell line");
    return;
  }
  let timeout = DEFAULT_HOOK_TIMEOUT_S;
  if (spec.timeout !== undefined) {
    if (typeof spec.timeout !== "number" || !(spec.timeout > 0)) report([...at, "timeout"], "expected seconds, a number > 0");
    else timeout = spec.timeout;
  }
  config.hooks.afterRun = { command: command as string[] | string, shell, timeoutMs: timeout * 1000, cwd: baseDir };
}

function checkKeys(obj: Record<string, unknown>, allowed: readonly string[], at: Array<string | number>, report: Report): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) report([...at, key], msgUnknownKey(key), choiceHint(key, allowed), true);
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
