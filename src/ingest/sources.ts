/** Finds each export's file in the data folder and settles how it is read. */
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import type { Config, SourceConfig } from "../config/load-config.js";
import { DataError, ConfigError } from "../errors.js";
import { EXPORT_NAMES, type ExportName } from "../schema/exports.js";

/** An export file found and how to read it. */
export interface ResolvedSource {
  name: ExportName;
  /** Absolute path. */
  file: string;
  /** Path shown in messages (relative to the current folder). */
  display: string;
  format: "csv" | "json" | "ndjson";
  options: SourceConfig;
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

/** Resolves every export present in the data folder; `customers` may be absent. */
export function resolveSources(config: Config, cwd: string): Partial<Record<ExportName, ResolvedSource>> {
  if (!existsSync(config.data) || !statSync(config.data).isDirectory()) {
    throw new ConfigError([{ file: config.file ? path.relative(cwd, config.file) : undefined, message: `data folder not found: ${config.data}`, hint: "set `data` in segment.config.yaml or pass --data" }]);
  }
  const entries = readdirSync(config.data);
  const out: Partial<Record<ExportName, ResolvedSource>> = {};
  for (const name of EXPORT_NAMES) {
    const options: SourceConfig = config.sources[name] ?? { delimiter: ",", encoding: "utf-8", decimal: ".", ignore: [], columns: {} };
    let fileName = options.file;
    if (fileName === undefined) {
      const candidates = entries.filter((e) => EXTENSIONS.some((ext) => e === name + ext || e === `${name}${ext}.gz`));
      if (candidates.length > 1) {
        throw new ConfigError([{ message: `several files could be the ${name} export: ${candidates.join(", ")}`, hint: `keep one, or name it with sources.${name}.file in the config` }]);
      }
      fileName = candidates[0];
      if (fileName === undefined) continue;
    }
    const file = path.resolve(config.data, fileName);
    if (!existsSync(file)) {
      throw new DataError([{ file: path.relative(cwd, file), message: `the ${name} export named in the config does not exist`, hint: `check sources.${name}.file and the data folder` }]);
    }
    const format = options.format ?? formatOf(fileName);
    if (!format) {
      throw new ConfigError([{ message: `cannot tell the format of ${fileName}`, hint: `set sources.${name}.format to csv, json or ndjson` }]);
    }
    out[name] = { name, file, display: path.relative(cwd, file) || file, format, options };
  }
  return out;
}
