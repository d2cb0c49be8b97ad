/**
 * RFM scores from one order aggregate (counted orders: count, latest timestamp, revenue),
 * by the three methods of docs/rfm.md:
 *
 * - `rank`: score = 1 + floor(bins * k / n), k the customers with a strictly worse value
 *   (smaller frequency or monetary, larger recency), so ties always share a score;
 * - `quantile`: the R package rfm 0.3: breaks are R's type-7 quantiles at 1/bins ...
 *   (bins-1)/bins, each plus 1; bin i is lower[i] <= x < upper[i], lower = [min, breaks],
 *   upper = [breaks, max + 1];
 * - `thresholds`: bins-1 cut points as given, used the same way (no + 1).
 *
 * Recency scores are reversed (the most recent customers score `bins`). Customers without
 * a counted order have no values and the segment `no-orders`.
 */
import type { RfmPlan } from "../segment/plan.js";
import type { RfmRule } from "../segment/rfm-defaults.js";
import { dayInZone } from "../table/time.js";

/** How scores are made: the plan's RFM settings (its counted-orders aggregate aside). */
export type RfmScoring = Omit<RfmPlan, "aggregate">;

/** The three measures. */
export const RFM_MEASURES = ["recency", "frequency", "monetary"] as const;
/** One of them. */
export type RfmMeasure = (typeof RFM_MEASURES)[number];

/** The value range of one score: customers scoring `score` have lower <= value < upper (rank: the values seen). */
export interface RfmCut {
  score: number;
  lower: number;
  upper: number;
  customers: number;
}

/** Per-customer RFM, indexed by customer row; `scored[row]` is 0 for a customer without a counted order. */
export interface RfmTable {
  scored: Uint8Array;
  /** Customers with a counted order. */
  n: number;
  recency: Float64Array;
  frequency: Float64Array;
  monetary: Float64Array;
  r: Uint8Array;
  f: Uint8Array;
  m: Uint8Array;
  /** The named segment of each row (`no-orders` without a counted order, `others` when no rule fits). */
  segment: string[];
  /** Per measure, each score's range, in score order (1..bins). */
  cuts: Record<RfmMeasure, RfmCut[]>;
  /** Measures whose scores came out with fewer distinct values than bins. */
  collapsed: RfmMeasure[];
}

/** The segment of customers without a counted order, and of those no rule fits. */
export const NO_ORDERS = "no-orders";
export const OTHERS = "others";

/** What scoring reads of the counted-orders aggregate. */
export interface CountedOrders {
  count: Int32Array;
  /** Latest counted order, epoch ms (NaN: none). */
  last: Float64Array;
  revenue: Float64Array;
}

/** Scores every customer with a counted order as of `asOfDay` (days in `timezone`). */
export function scoreRfm(orders: CountedOrders, asOfDay: number, timezone: string, settings: RfmScoring): RfmTable {
  const size = orders.count.length;
  const scored = new Uint8Array(size);
  const recency = new Float64Array(size).fill(NaN);
  const frequency = new Float64Array(size).fill(NaN);
  const monetary = new Float64Array(size).fill(NaN);
  let n = 0;
  for (let row = 0; row < size; row++) if (orders.count[row] !== 0) n++;
  const rows = new Int32Array(n);
  n = 0;
  for (let row = 0; row < size; row++) {
    const count = orders.count[row];
    if (count === 0) continue;
    scored[row] = 1;
    rows[n++] = row;
    frequency[row] = count;
    monetary[row] = settings.monetary === "avg" ? orders.revenue[row] / count : orders.revenue[row];
    // An order with no date cannot be placed: recency is then unknown, scored as the oldest.
    const last = orders.last[row];
    recency[row] = Number.isNaN(last) ? NaN : asOfDay - dayInZone(timezone, last);
  }
  const table: RfmTable = {
    scored, n, recency, frequency, monetary,
    r: new Uint8Array(size), f: new Uint8Array(size), m: new Uint8Array(size),
    segment: new Array<string>(size).fill(NO_ORDERS),
    cuts: { recency: [], frequency: [], monetary: [] }, collapsed: [],
  };
  const out = { recency: table.r, frequency: table.f, monetary: table.m };
  const v = new Float64Array(n);
  for (const measure of RFM_MEASURES) {
    const values = { recency, frequency, monetary }[measure];
    // Missing recency (undated orders) sorts as the oldest.
    for (let k = 0; k < n; k++) {
      const x = values[rows[k]];
      v[k] = Number.isNaN(x) ? Infinity : x;
    }
    const edges = edgesOf(v, settings, measure);
    const scores = scoreWith(v, measure === "recency", settings.bins, edges);
    const target = out[measure];
    for (let k = 0; k < n; k++) target[rows[k]] = scores[k];
    table.cuts[measure] = cutsOf(v, scores, settings.bins, measure === "recency", edges);
    if (n > 0 && table.cuts[measure].filter((c) => c.customers > 0).length < settings.bins) table.collapsed.push(measure);
  }
  // The rules as a lookup over every (r, f, m): one array read per customer.
  const bins = settings.bins;
  const named = new Array<string>((bins + 1) ** 3);
  for (let r = 1; r <= bins; r++) for (let f = 1; f <= bins; f++) for (let m = 1; m <= bins; m++) named[(r * (bins + 1) + f) * (bins + 1) + m] = segmentOf(r, f, m, settings.rules);
  for (let k = 0; k < n; k++) {
    const row = rows[k];
    table.segment[row] = named[(table.r[row] * (bins + 1) + table.f[row]) * (bins + 1) + table.m[row]];
  }
  return table;
}

/** The first rule whose ranges hold the scores, else `others`. */
export function segmentOf(r: number, f: number, m: number, rules: readonly RfmRule[]): string {
  const inside = (x: number, [lo, hi]: [number, number]) => x >= lo && x <= hi;
  for (const rule of rules) if (inside(r, rule.r) && inside(f, rule.f) && inside(m, rule.m)) return rule.code;
  return OTHERS;
}

/** Scores 1..bins of values (reversed: smaller is better, as for recency). */
export function scoreValues(values: readonly number[], reversed: boolean, settings: Pick<RfmScoring, "method" | "bins" | "thresholds">, measure: RfmMeasure): number[] {
  const v = Float64Array.from(values);
  return Array.from(scoreWith(v, reversed, settings.bins, edgesOf(v, settings, measure)));
}

/** The bin edges of a measure, or undefined for `rank` (which has none). */
function edgesOf(values: Float64Array, settings: Pick<RfmScoring, "method" | "bins" | "thresholds">, measure: RfmMeasure): Edges | undefined {
  if (settings.method === "rank") return undefined;
  return settings.method === "quantile" ? quantileEdges(values, settings.bins) : thresholdEdges(values, settings.thresholds?.[measure] ?? []);
}

/** Scores by the edges (reversed counts from the top), or by rank without them. */
function scoreWith(values: Float64Array, reversed: boolean, bins: number, edges: Edges | undefined): Uint8Array {
  if (!edges) return rankScores(values, reversed, bins);
  const scores = new Uint8Array(values.length);
  for (let k = 0; k < values.length; k++) {
    const i = binOf(values[k], edges);
    scores[k] = reversed ? edges.lower.length - i : i + 1;
  }
  return scores;
}

/** rank: 1 + floor(bins * k / n), k the values strictly worse. */
function rankScores(values: Float64Array, reversed: boolean, bins: number): Uint8Array {
  const n = values.length;
  const order = sortOrder(values);
  const scores = new Uint8Array(n);
  // Walk the values in order (reversed: from the largest); a run of equal values shares
  // the k of its first member: the customers strictly worse come before the run.
  let k = 0;
  for (let j = 0; j < n; j++) {
    const at = reversed ? order[n - 1 - j] : order[j];
    if (j > 0 && values[at] !== values[reversed ? order[n - j] : order[j - 1]]) k = j;
    scores[at] = 1 + Math.floor((bins * k) / n);
  }
  return scores;
}

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/**
 * The positions of `values` in ascending order: a stable LSD radix sort on the doubles' bits
 * made unsigned-sortable (sign bit flipped for positives, every bit for negatives), 16 bits
 * a pass. A sort with a comparator over a million positions takes several times as long.
 */
export function sortOrder(values: Float64Array): Uint32Array {
  const n = values.length;
  if (!LITTLE_ENDIAN) return Uint32Array.from(values.keys()).sort((a, b) => values[a] - values[b] || a - b);
  const bits = new Uint32Array(values.slice().buffer);
  for (let i = 0; i < n; i++) {
    const hi = bits[2 * i + 1];
    if (hi & 0x80000000) {
      bits[2 * i] = ~bits[2 * i];
      bits[2 * i + 1] = ~hi;
    } else bits[2 * i + 1] = hi | 0x80000000;
  }
  let order = new Uint32Array(n), next = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const counts = new Uint32Array(65536);
  // Passes over the low word's low and high halves, then the high word's (little-endian doubles).
  for (let pass = 0; pass < 4; pass++) {
    const word = pass >> 1, shift = (pass & 1) * 16;
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(bits[2 * i + word] >>> shift) & 0xffff]++;
    let sum = 0;
    for (let d = 0; d < 65536; d++) {
      const c = counts[d];
      counts[d] = sum;
      sum += c;
    }
    for (let j = 0; j < n; j++) {
      const i = order[j];
      next[counts[(bits[2 * i + word] >>> shift) & 0xffff]++] = i;
    }
    [order, next] = [next, order];
  }
  return order;
}

/** Bin edges: bin i holds lower[i] <= x < upper[i]. */
interface Edges {
  lower: number[];
  upper: number[];
}

/** The R package rfm's bins: type-7 quantile breaks plus 1. */
export function quantileEdges(values: ArrayLike<number>, bins: number): Edges {
  const sorted = Float64Array.from(values).sort();
  const breaks: number[] = [];
  // R's seq(0, 1, length.out = bins + 1): from + i * by, by = 1 / bins.
  const by = 1 / bins;
  for (let i = 1; i < bins; i++) breaks.push(quantile7(sorted, i * by) + 1);
  return { lower: [sorted[0], ...breaks], upper: [...breaks, sorted[sorted.length - 1] + 1] };
}

/** Fixed cut points: as given. */
function thresholdEdges(values: Float64Array, cuts: readonly number[]): Edges {
  let min = Infinity, max = -Infinity;
  for (const x of values) {
    if (x < min) min = x;
    if (x > max) max = x;
  }
  return { lower: [min, ...cuts], upper: [...cuts, max + 1] };
}

/** The bin holding x (0-based); a value below every bin is in the first, above every bin in the last. */
function binOf(x: number, e: Edges): number {
  for (let i = 0; i < e.lower.length; i++) if (e.lower[i] <= x && x < e.upper[i]) return i;
  return x < e.lower[0] ? 0 : e.lower.length - 1;
}

/** R's quantile(x, p, type = 7) of sorted values, computed as R computes it. */
export function quantile7(sorted: Float64Array, p: number): number {
  const n = sorted.length;
  const index = 1 + Math.max(n - 1, 0) * p;
  const lo = Math.floor(index);
  const hi = Math.ceil(index);
  const qs = sorted[lo - 1];
  const xhi = sorted[hi - 1];
  if (!(index > lo && xhi !== qs)) return qs;
  const h = index - lo;
  return (1 - h) * qs + h * xhi;
}

/** The cut points of one measure: each score's range (the bins' edges; for rank, the values it got). */
function cutsOf(values: Float64Array, scores: Uint8Array, bins: number, reversed: boolean, edges: Edges | undefined): RfmCut[] {
  const counts = new Array<number>(bins + 1).fill(0);
  for (const s of scores) counts[s]++;
  if (edges) {
    return edges.lower.map((lower, i) => {
      const score = reversed ? edges.lower.length - i : i + 1;
      return { score, lower, upper: edges.upper[i], customers: counts[score] ?? 0 };
    }).sort((a, b) => a.score - b.score);
  }
  const lo = new Array<number>(bins + 1).fill(Infinity);
  const hi = new Array<number>(bins + 1).fill(-Infinity);
  for (let k = 0; k < values.length; k++) {
    const x = values[k], s = scores[k];
    if (x < lo[s]) lo[s] = x;
    if (x > hi[s]) hi[s] = x;
  }
  const out: RfmCut[] = [];
  for (let s = 1; s <= bins; s++) out.push({ score: s, lower: counts[s] ? lo[s] : NaN, upper: counts[s] ? hi[s] : NaN, customers: counts[s] });
  return out;
}

/** Codes of rules no score can reach: every (r, f, m) they cover is taken by a rule before them. */
export function unreachableRules(rules: readonly RfmRule[], bins: number): string[] {
  const out: string[] = [];
  rules.forEach((rule, k) => {
    for (let r = rule.r[0]; r <= rule.r[1]; r++) {
      for (let f = rule.f[0]; f <= rule.f[1]; f++) {
        for (let m = rule.m[0]; m <= rule.m[1]; m++) {
          if (r <= bins && f <= bins && m <= bins && segmentOf(r, f, m, rules.slice(0, k)) === OTHERS) return;
        }
      }
    }
    out.push(rule.code);
  });
  return out;
}
