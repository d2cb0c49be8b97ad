// Types of fuzz.mjs for the TypeScript test that calls it.

/** One problem the oracle found in one command run (or in the CSV differential). */
export interface Finding {
  class: "crash" | "hang" | "signal" | "memory" | "silent-acceptance" | "unplaced-message" | "huge-stderr" | "csv-diff-mismatch" | "harness-error";
  kind: string;
  seed?: number;
  n?: number;
  regression?: string;
  label: string;
  args: string[];
  exit?: number | string | null;
  detail: string;
  excerpt?: string;
  dir: string;
  repro: string;
}

/** Per kind: cases, commands and findings by class. */
export interface KindCounts {
  cases: number;
  commands: number;
  ms: number;
  findings: Record<string, number>;
}

export interface FuzzOptions {
  seed?: number;
  cases?: number;
  budgetMs?: number;
  kinds?: string[];
  parallel?: number;
  keep?: boolean;
  timeoutMs?: number;
  rssLimitMb?: number;
  hostileEvery?: number;
  regressions?: boolean;
  log?: ((line: string) => void) | null;
}

export interface FuzzResult {
  seed: number;
  counts: Record<string, KindCounts>;
  findings: Finding[];
  ms: number;
  base: string;
}

export const KINDS: string[];
export function runFuzz(opts?: FuzzOptions): Promise<FuzzResult>;
export function distinctFindings(findings: Finding[]): Array<Finding & { count: number }>;
