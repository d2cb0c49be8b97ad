/** Picks the reader for a source's format. */
import { fromCsvScan } from "./scan-csv.js";
import { fromJsonArray, fromNdjson } from "./from-json.js";
import { fromWhitespace } from "./from-whitespace.js";
import type { BadRowHandler, ReaderOptions, RecordBatch } from "./records.js";
import type { ResolvedSource } from "./sources.js";

/** The `delimiter` that splits on runs of spaces and tabs. */
export const WHITESPACE = "whitespace";

/**
 * Streams the raw record batches of a source, file after file; each batch carries the
 * file it came from (`display`), and lines count from 1 in each file.
 */
export async function* readRecords(source: ResolvedSource, onBad: BadRowHandler, batchSize?: number, project?: ReaderOptions["project"]): AsyncGenerator<RecordBatch> {
  for (const f of source.files) {
    const opts = {
      file: f.file, display: f.display, encoding: source.options.encoding,
      delimiter: source.options.delimiter, onBad, batchSize, limits: source.limits, ignore: source.options.ignore, project,
    };
    const reader = source.format === "json" ? fromJsonArray(opts)
      : source.format === "ndjson" ? fromNdjson(opts)
      : source.options.delimiter === WHITESPACE ? fromWhitespace(opts)
      : fromCsvScan(opts);
    for await (const batch of reader) yield { ...batch, display: f.display };
  }
}
