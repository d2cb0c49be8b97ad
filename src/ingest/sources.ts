/** Finds each export's file in the data folder and settles how it is read. */
import { fsProblem } from "../text-bytes.js";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import type { Config, IdConfig, Limits, SourceConfig } from "../config/load-config.js";
import { DataError, ConfigError } from "../errors.js";
import { EXPORT_NAMES, type ExportName } from "../schema/exports.js";

/** One file of an export. */
export interface SourceFile {
  /** Absolute path. */
  file: string;
  /** Path shown in messages: as the config gave it, joined to the data folder as given. */
  display: string;
}

/**
 * An export found and how to read it. Most exports are one file; a glob, a folder or a list
 * in `sources.<name>.file` gives several, read one after the other in name order (a list
 * in its own order), each with its own header.
 */
export interface ResolvedSource {
  name: ExportName;
  files: SourceFile[];
  /** The first file (absolute) and the name of the export in messages about it as a whole. */
  file: string;
  display: string;
  format: "csv" | "json" | "ndjson";
  options: SourceConfig;
  /** The project's id normalisation. */
  ids: IdConfig;
  /** Size limits of the config (absent in hand-made sources: the defaults). */
  limits?: Limits;
}

const EXTENSIONS = [".csv", ".json", ".ndjson", ".jsonl"];

/** The reading format implied by a file name, or undefined. */
export function formatOf(file: string): "csv" | "json" | "ndjson" | undefined {
  const lower = file.toLowerCase().replace(/\.gz$/, "");
  if (lower.endsWith(".csv") || lower.endsWith(".tsv") || lower.endsWith(".txt")) return "csv";
  if (lower.endsWith(".json")) return "json";
  if (lower.endsWith(".ndjson") || lower.endsWith(".jsonl")) return "ndjson";
  return undefined;
}

/**
 * A path as messages show it: relative to the current folder when it is inside it, else
 * absolute (`../../../x/CDNOW_master.txt` helps nobody).
 */
export function shownPath(cwd: string, abs: string): string {
  const rel = path.relative(cwd, abs);
  if (rel === "") return ".";
  return rel.startsWith("..") || path.isAbsolute(rel) ? abs : rel;
}

/** True when a name holds glob characters. */
function isGlob(name: string): boolean {
  return /[*?[]/.test(name);
}

/** A glob of one path component as a regular expression: `*`, `?` and `[...]`. */
function globRegex(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 1);
      if (end < 0) re += "\\[";
      else {
        const body = glob.slice(i + 1, end).replace(/\\/g, "\\\\");
        re += `[${body.startsWith("!") ? "^" + body.slice(1) : body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/** Files of a folder an export may be read from, in name order. */
function readableFiles(dir: string): string[] {
  return listFolder(dir, dir).filter((f) => formatOf(f) !== undefined && isFile(path.join(dir, f))).sort(byName);
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The files one entry of `sources.<name>.file` names: a file, a folder (its export files),
 * or a glob in the last path component (`by-day/*.csv`), relative to the data folder.
 */
function expandEntry(entry: string, name: ExportName, dataDir: string, shownDataDir: string): SourceFile[] {
  // An absolute entry is shown as it is; a relative one from the data folder.
  const shown = (rel: string) => (path.isAbsolute(rel) ? rel : shownDataDir === "." ? path.normalize(rel) : path.join(shownDataDir, rel));
  if (isGlob(path.dirname(entry))) {
    throw new ConfigError([{ path: `sources.${name}.file`, value: entry, message: "a glob may only be in the file name, not in the folders above it", hint: "e.g. by-day/*.csv" }]);
  }
  if (isGlob(entry)) {
    const dir = path.resolve(dataDir, path.dirname(entry));
    const re = globRegex(path.basename(entry));
    const matched = existsSync(dir) && statSync(dir).isDirectory() ? listFolder(dir, shown(path.dirname(entry))).filter((f) => re.test(f) && isFile(path.join(dir, f))).sort(byName) : [];
    if (matched.length === 0) {
      throw new DataError([{ file: shown(entry), message: `no file matches the ${name} export's pattern`, hint: `check sources.${name}.file and the data folder` }]);
    }
    return matched.map((f) => ({ file: path.join(dir, f), display: shown(path.join(path.dirname(entry), f)) }));
  }
  const file = path.resolve(dataDir, entry);
  if (!existsSync(file)) {
    throw new DataError([{ file: shown(entry), message: `the ${name} export named in the config does not exist`, hint: `check sources.${name}.file and the data folder` }]);
  }
  if (statSync(file).isDirectory()) {
    const files = readableFiles(file);
    if (files.length === 0) throw new DataError([{ file: shown(entry), message: `the ${name} export's folder has no .csv, .json or .ndjson file`, hint: `check sources.${name}.file` }]);
    return files.map((f) => ({ file: path.join(file, f), display: shown(path.join(entry, f)) }));
  }
  return [{ file, display: shown(entry) }];
}

/** The names in a data folder; one this user may not list is a data problem naming it. */
function listFolder(dir: string, shown: string): string[] {
  try {
    return readdirSync(dir);
  } catch (e) {
    const [message, hint] = fsProblem(e as NodeJS.ErrnoException, "data folder");
    throw new DataError([{ file: shown.endsWith("/") ? shown : `${shown}/`, message, hint }]);
  }
}

/** True for a regular file (or a link to one); false for folders, broken links and loops. */
function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Resolves every export present in the data folder; `customers` may be absent. */
export function resolveSources(config: Config, cwd: string): Partial<Record<ExportName, ResolvedSource>> {
  if (!existsSync(config.data) || !statSync(config.data).isDirectory()) {
    throw new ConfigError([{ file: config.file ? path.relative(cwd, config.file) : undefined, message: `data folder not found: ${config.data}`, hint: "set `data` in segment.config.yaml or pass --data" }]);
  }
  const entries = listFolder(config.data, shownPath(cwd, config.data));
  const shownDataDir = shownPath(cwd, config.data);
  const out: Partial<Record<ExportName, ResolvedSource>> = {};
  for (const name of EXPORT_NAMES) {
    const options: SourceConfig = config.sources[name] ?? { delimiter: ",", encoding: "utf-8", decimal: ".", ignore: [], columns: {} };
    let named = options.file;
    if (named === undefined) {
      const candidates = entries.filter((e) => EXTENSIONS.some((ext) => e === name + ext || e === `${name}${ext}.gz`));
      if (candidates.length > 1) {
        throw new ConfigError([{ message: `several files could be the ${name} export: ${candidates.join(", ")}`, hint: `keep one, or name it with sources.${name}.file in the config` }]);
      }
      if (candidates[0] === undefined) continue;
      named = [candidates[0]];
    }
    let files = named.flatMap((entry) => expandEntry(entry, name, config.data, shownDataDir));
    if (options.shownAs) files = files.map((f) => ({ ...f, display: options.shownAs! }));
    const formats = new Set(files.map((f) => options.format ?? formatOf(f.file)));
    const format = [...formats][0];
    if (!format) {
      throw new ConfigError([{ message: `cannot tell the format of ${files[0].display}`, hint: `set sources.${name}.format to csv, json or ndjson` }]);
    }
    if (formats.size > 1) {
      throw new ConfigError([{ path: `sources.${name}.file`, message: `the ${name} export's files are of several formats (${[...formats].join(", ")})`, hint: "keep one format per export, or set sources." + name + ".format" }]);
    }
    const display = files.length === 1 ? files[0].display : `${files[0].display} (and ${files.length - 1} more)`;
    out[name] = { name, files, file: files[0].file, display, format, options, ids: config.ids, limits: config.limits };
  }
  return out;
}
