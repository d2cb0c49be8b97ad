/** Picks the reader for a source's format. */
import { fromCsvScan } from "./scan-csv.js";
import { fromJsonArray, fromNdjson } from "./from-json.js";
import type { BadRowHandler, RecordBatch } from "./records.js";
import type { ResolvedSource } from "./sources.js";

/** Streams the raw record batches of a source. */
export function readRecords(source: ResolvedSource, onBad: BadRowHandler, batchSize?: number): AsyncGenerator<RecordBatch> {
  const opts = {
    file: source.file, display: source.display, encoding: source.options.encoding,
    delimiter: source.options.delimiter, onBad, batchSize,
  };
  switch (source.format) {
    case "csv": return fromCsvScan(opts);
    case "json": return fromJsonArray(opts);
    case "ndjson": return fromNdjson(opts);
  }
}
