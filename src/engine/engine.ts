/**
 * The pipeline, in one place: read and validate the definitions (before any data), open
 * the exports, load the customers, bind the plan against their schema, compute the fact
 * aggregates in one pass per export, and evaluate the segments in dependency order.
 *
 * The engine is given everything from outside (`cwd`, `now`); no library code below it
 * reads the working folder, the clock or the environment. At its boundary memberships are
 * customer ids (src/table/membership.ts): it returns them, and it takes stored ones for
 * segments it must not recompute (a static segment's frozen members, an inactive one's
 * last members), which segments referencing them then see.
 */
import path from "node:path";
import type { Config } from "../config/load-config.js";
import { DefinitionError, UsageError, type Problem } from "../errors.js";
import type { FactResults } from "../facts/compute-facts.js";
import { computeFactsParallel } from "../facts/parallel.js";
import type { BadRowPolicy } from "../ingest/bad-rows.js";
import { Project, type CustomerTable } from "../ingest/project.js";
import { commitRejected, type RejectedFile } from "../ingest/rejected-rows.js";
import { EvalState } from "../evaluate/eval-state.js";
import { evaluateGroup } from "../evaluate/logical.js";
import { lowerSegment, type LoweredGroup } from "../evaluate/lower.js";
import { parseDate } from "../schema/parse-value.js";
import type { SegmentDef } from "../segment/ast.js";
import { bindPlan, type RfmSettings } from "../segment/bind.js";
import { unreachableRules } from "../facts/rfm.js";
import { DEFAULT_RFM_RULES } from "../segment/rfm-defaults.js";
import { customerColumnRefs, customFactRefs, EXPORTS_OF, FACT_EXPORT, FACT_TABLES, takenFactNames, type FactTable } from "../segment/fields.js";
import type { ValueType } from "../table/value-type.js";
import { checkDefinitions, dependencyOrder, parseDefinitions, readDefinitionFolder, referencedCodes, type DataColumns, type DefinitionFile } from "../segment/load-definitions.js";
import { PLAN_VERSION, type AggregatePlan, type DataSchema, type InputPlan, type NodePlan, type Plan } from "../segment/plan.js";
import type { AggResult } from "../facts/aggregates.js";
import { Cache, fingerprint, keyOf, type AggregateMeta, type StoredRows } from "../cache/cache.js";
import { funnel, type FunnelRow } from "../evaluate/inspect.js";
import { BitSet } from "../table/bitset.js";
import { compareIds, type Membership } from "../table/membership.js";
import { dayInZone } from "../table/time.js";
import { endPhase, phase } from "../timings.js";
import { performance } from "node:perf_hooks";

/** An aggregate as computed once: its arrays and what its pass saw. */
interface StoredAggregate {
  result: AggResult;
  meta: AggregateMeta;
}

/** What the engine is given from outside. */
export interface EngineContext {
  /** The folder relative paths and messages are resolved against. */
  cwd: string;
  /** "Now", epoch ms: the as-of day when none is given. */
  now: number;
  /** Threads the fact pass may use (default 1): one per core is what the CLI gives. */
  threads?: number;
  /** Bytes of fact exports from which a second thread is worth starting (default 32 MiB). */
  parallelFrom?: number;
}

/** What to evaluate. */
export interface EvaluateRequest {
  /** Every defined segment, validated (see `definitions()`). */
  definitions: SegmentDef[];
  /** Only these codes and what they depend on; default every definition not stored. */
  codes?: string[];
  /** `YYYY-MM-DD`; default today in the configured zone. */
  asOf?: string;
  /** Members of segments not to recompute, by code. */
  stored?: ReadonlyMap<string, Membership>;
  /** Per-customer fields to output (export columns), computed in the same pass. */
  outputs?: readonly string[];
  /** Score RFM even when no segment or output reads `rfm.*` (`segment rfm`). */
  withRfm?: boolean;
  /** Overrides of the config's RFM method and bins (`segment rfm --method --bins`). */
  rfm?: Partial<Pick<RfmSettings, "method" | "bins">>;
  /** More days (`YYYY-MM-DD`, before `asOf`) to score RFM as of, in the same pass (`plan.rfm.at`). */
  rfmDays?: readonly string[];
  /** What preview asks for instead of member lists (see PreviewRequest). */
  preview?: PreviewRequest;
}

/**
 * preview's evaluation: each segment's rows (in `state.segments`), the funnels of those
 * shown, and no member lists but those given. With the cache on and `reuse`, the result of a
 * segment shown (its rows and funnel) is read back instead of evaluated when it is stored
 * for the same bound definition over the same data, as of the same day (see `resultKeys`),
 * and stored when it is evaluated. When every one shown is read back, nothing is evaluated,
 * not even the segments they reference.
 */
export interface PreviewRequest {
  /** The codes shown. */
  codes: readonly string[];
  reuse: boolean;
}

/** What a stored result keeps besides its rows. */
interface ResultDetail {
  funnel: FunnelRow[];
}

/** Everything an evaluation produced. */
export interface Evaluation {
  plan: Plan;
  customers: CustomerTable;
  /** Members by code: every computed segment and every stored one. */
  members: Map<string, Membership>;
  /** Codes computed in this evaluation, in dependency order. */
  computed: string[];
  /** For commands that show more than members (preview's funnel and trace). */
  state: EvalState;
  lowered: Map<string, LoweredGroup>;
  /** With `preview`: the funnel of each segment shown. */
  funnels: Map<string, FunnelRow[]>;
  facts: FactResults;
  /** Warnings for the command to show. */
  warnings: string[];
}

/** Runs the pipeline for one project. */
export class Engine {
  readonly project: Project;
  /**
   * With `keepFacts()`: aggregates computed so far, by what they compute (the aggregate's
   * plan without its id), and the facts left out per table, so a later evaluation in this
   * process passes over the exports only for aggregates it has not seen (preview --watch).
   */
  private memo?: { results: Map<string, StoredAggregate>; customers?: CustomerTable };
  private cache?: Cache;
  /** The key part of the customers' rows, when they were read with the cache on. */
  private customersBase?: string;
  /** The customers, when they were read from the cache. */
  private fromCache?: CustomerTable;

  constructor(readonly config: Config, readonly ctx: EngineContext, policy?: BadRowPolicy) {
    this.project = new Project(config, ctx.cwd, policy, takenFactNames());
  }

  /** Reads and validates the definitions of the segments folder plus any extra files (which replace same-path files). */
  static definitions(config: Config, cwd: string, extra: DefinitionFile[] = []): SegmentDef[] {
    return parseDefinitions(definitionFiles(config, cwd, extra));
  }

  /**
   * As `definitions`, but returns the problems with the definitions that passed, for
   * `validate`; `data` (from `dataColumns`) lets custom fact columns be checked too.
   */
  static checkDefinitions(config: Config, cwd: string, extra: DefinitionFile[] = [], data?: DataColumns): { defs: SegmentDef[]; problems: Problem[] } {
    return checkDefinitions(definitionFiles(config, cwd, extra), data);
  }

  /** The custom columns of each fact table, from the fact exports' headers (one batch of each is read). */
  async dataColumns(): Promise<DataColumns> {
    const factCustom: DataColumns["factCustom"] = {};
    for (const table of FACT_TABLES) {
      const names = new Set<string>();
      for (const [exp] of EXPORTS_OF[table]) for (const c of await this.project.extraColumns(exp)) names.add(c.name);
      factCustom[table] = [...names];
    }
    return { factCustom };
  }

  /** The as-of day: `asOf` parsed, or the config's `as_of`, or today in the configured zone. */
  asOfDay(asOf: string | undefined): number {
    return asOfDayOf(asOf ?? this.config.asOf, this.config.timezone, this.ctx.now);
  }

  /**
   * What bind needs to know of the data: loads the customers (once), and for the fact tables
   * whose custom columns `defs` name, reads their exports' headers and types those columns
   * by inference (one read of the export). Tables with none named cost nothing more.
   */
  async schema(defs?: readonly SegmentDef[], outputs?: readonly string[], later = false): Promise<DataSchema> {
    // With definitions, only the customer columns they and the outputs read are loaded
    // (with `later` and the customers in the cache, none yet: see customers()).
    const customers = await this.customers(defs ? customerColumnRefs(defs, outputs) : undefined, later);
    const columns: DataSchema["customers"] = {};
    for (const [name, type] of customers.available) columns[name] = type;
    defs ??= [];
    const facts = FACT_TABLES.filter((t) => this.project.hasFacts(FACT_EXPORT[t]));
    const refs = customFactRefs(defs);
    const factCustom: NonNullable<DataSchema["factCustom"]> = {};
    for (const table of facts) {
      const named = refs.get(table);
      if (!named) continue;
      const entries: Record<string, { type: ValueType | null; level: "row" | "item" }> = {};
      for (const [exp, level] of EXPORTS_OF[table]) {
        const names = (await this.project.extraColumns(exp)).map((c) => c.name).filter((n) => !(n in entries));
        const need = names.filter((n) => named.has(n));
        const types = need.length ? await this.project.customColumnTypes(exp, need) : {};
        for (const n of names) entries[n] = { type: types[n] ?? null, level };
      }
      factCustom[table] = entries;
    }
    return { customers: columns, facts, orderItems: this.project.sources.order_items !== undefined, factCustom };
  }

  /** Keeps the customers and every computed aggregate in memory for later evaluations of this engine. */
  keepFacts(): void {
    this.memo ??= { results: new Map() };
  }

  /**
   * Reads and writes the preview cache (src/cache/cache.ts) in the state folder: the
   * customer columns and aggregates, reused while the exports are unchanged.
   */
  useCache(): void {
    this.cache ??= new Cache(path.join(this.config.state, "cache"));
  }

  /**
   * The customers (the `wanted` columns), from the cache when it has them; a table read from
   * the cache gets the columns it lacks from the cache too. With `later`, and the customers
   * in the cache, only their ids are read now (the columns when evaluatePlan needs them).
   */
  private async customers(wanted?: readonly string[], later = false): Promise<CustomerTable> {
    const p = this.project;
    const source = p.sources.customers;
    const loaded = p.loadedCustomers;
    if (!this.cache || !source || (loaded && loaded !== this.fromCache)) return p.customers(wanted);
    const start = performance.now();
    if (!loaded) {
      const print = fingerprint(source);
      if (print === undefined) return p.customers(wanted);
      this.customersBase = keyOf("customers", print);
    }
    const had = loaded?.columns.size ?? 0;
    const cached = this.cache.readCustomers(this.customersBase!, wanted, loaded, later);
    if (cached) {
      if (!loaded) p.adoptTable(cached);
      this.fromCache = cached;
      if (cached.columns.size > had) endPhase("read customers from the cache", start, { rows: cached.length });
      return cached;
    }
    const t = await p.customers(wanted);
    if (!loaded && !p.report.skipped.customers) this.cache.writeCustomers(this.customersBase!, t);
    return t;
  }

  /** The cache key of each of a plan's aggregates, by id (each export fingerprinted once). */
  private aggregateKeys(plan: Plan): Map<number, string | undefined> {
    const prints = new Map<string, unknown>();
    return new Map(plan.aggregates.map((a) => [a.id, this.aggregateKey(plan, a, prints)]));
  }

  /** The cache key of an aggregate: what it computes, over which data (fingerprints), as of when. */
  private aggregateKey(plan: Plan, a: AggregatePlan, prints: Map<string, unknown>): string | undefined {
    // order_items only when the aggregate reads them: an item export that changes leaves order-level aggregates valid.
    const exportsOf = EXPORTS_OF[a.table].map(([e]) => e).filter((e) => e !== "order_items" || a.joinsItems || this.project.report.ordersFromItems);
    const data = exportsOf.map((e) => {
      const source = this.project.sources[e];
      if (!source) return null;
      if (!prints.has(e)) prints.set(e, fingerprint(source));
      return prints.get(e);
    });
    // An export that cannot be read has no key: its pass reads it, and says what is wrong.
    if (data.some((d) => d === undefined)) return undefined;
    return keyOf("aggregate", { ...a, id: 0 }, plan.factsBefore, plan.timezone, this.customersBase ?? null, data);
  }

  /**
   * The fact pass of a plan, from the memo (preview --watch) and the cache for the aggregates
   * they hold; `keys`, the aggregates' keys when the caller has them already.
   */
  private async factPass(plan: Plan, keys?: Map<number, string | undefined>): Promise<FactResults> {
    const pass = (p: Plan) => phase("fact pass", () => computeFactsParallel(this.project, p, this.ctx.threads ?? 1, this.ctx.parallelFrom));
    const memo = this.memo;
    const customers = this.project.loadedCustomers!;
    // The disk cache only with customers from a customers export (their rows are in its key).
    const cache = this.cache && this.customersBase !== undefined ? this.cache : undefined;
    if (!memo && !cache) return pass(plan);
    // Aggregates are by customer row: customers read again (for a column not read before) start the memo afresh.
    if (memo && memo.customers !== customers) {
      memo.results.clear();
      memo.customers = customers;
    }
    keys ??= this.aggregateKeys(plan);
    const found = new Map<number, StoredAggregate>();
    const started = performance.now();
    for (const a of plan.aggregates) {
      const k = keys.get(a.id);
      if (k === undefined) continue;
      let hit = memo?.results.get(k);
      if (!hit && cache) {
        const e = cache.readAggregate(k);
        if (e && e.result.count.length === customers.length) {
          hit = e;
          memo?.results.set(k, e);
        }
      }
      if (hit) found.set(a.id, hit);
    }
    if (found.size) endPhase("aggregates from the cache", started, { rows: found.size });
    const missing = plan.aggregates.filter((a) => !found.has(a.id));
    const fresh: FactResults = missing.length ? await pass({ ...plan, aggregates: missing }) : { results: new Map(), leftOut: {}, unmatchedItems: 0, warnings: [] };
    const passed = new Set(missing.map((a) => a.table));
    const clean = !Object.values(this.project.report.skipped).some((n) => (n ?? 0) > 0);
    for (const a of missing) {
      const k = keys.get(a.id);
      if (k === undefined) continue;
      const stored = { result: fresh.results.get(a.id)!, meta: this.metaOf(a.table, fresh) };
      memo?.results.set(k, stored);
      if (cache && clean) cache.writeAggregate(k, stored.result, stored.meta);
    }
    const results = new Map(plan.aggregates.map((a) => [a.id, found.get(a.id)?.result ?? fresh.results.get(a.id)!]));
    const out: FactResults = { results, leftOut: { ...fresh.leftOut }, unmatchedItems: fresh.unmatchedItems, warnings: [...fresh.warnings] };
    const byId = new Map(plan.aggregates.map((a) => [a.id, a]));
    for (const [id, hit] of found) {
      const table = byId.get(id)!.table;
      if (!passed.has(table)) this.adoptMeta(out, table, hit.meta);
    }
    return out;
  }

  /**
   * What the fact pass of a plan saw, from the headers of its aggregates' cache entries
   * alone, without their arrays: for a preview whose every result is stored. Undefined when
   * an entry is missing (the pass then runs).
   */
  private factsSeen(plan: Plan, keys: Map<number, string | undefined>): FactResults | undefined {
    const cache = this.cache;
    if (!cache || this.customersBase === undefined) return undefined;
    const metas: Array<[FactTable, AggregateMeta]> = [];
    for (const a of plan.aggregates) {
      const k = keys.get(a.id);
      const meta = k === undefined ? undefined : cache.readAggregateMeta(k);
      if (!meta) return undefined;
      metas.push([a.table, meta]);
    }
    const out: FactResults = { results: new Map(), leftOut: {}, unmatchedItems: 0, warnings: [] };
    for (const [table, meta] of metas) this.adoptMeta(out, table, meta);
    return out;
  }

  /** Takes into `out` and the project report what the pass that computed a cached aggregate saw, as this one would have. */
  private adoptMeta(out: FactResults, table: FactTable, meta: AggregateMeta): void {
    out.leftOut[table] = meta.leftOut;
    if (table === "orders") out.unmatchedItems = Math.max(out.unmatchedItems, meta.unmatchedItems);
    for (const w of meta.warnings) if (!out.warnings.includes(w)) out.warnings.push(w);
    const report = this.project.report as unknown as Record<string, Record<string, unknown>>;
    for (const [key, entries] of Object.entries(meta.report)) Object.assign(report[key], entries);
  }

  /**
   * The cache key of each segment's result (preview's stored results), by code: a hash of
   * what its rows depend on. That is its bound definition (every filter's column, test and
   * operand), the customers' rows (their export's fingerprint and the row count), the key of
   * each aggregate it reads (which holds that aggregate's plan and its exports'
   * fingerprints), the key of each segment it references, and the as-of day, zone and
   * cut-off; with `rfm.*` filters also the RFM settings and their aggregate's key. Undefined
   * for a segment that references a stored membership or reads an export that cannot be
   * fingerprinted, and for all of them without the cache or a customers export.
   */
  private resultKeys(plan: Plan, size: number, aggregateKeys: Map<number, string | undefined>): Map<string, string | undefined> {
    const keys = new Map<string, string | undefined>();
    if (!this.cache || this.customersBase === undefined) return keys;
    const aggregateKey = (id: number) => aggregateKeys.get(id);
    for (const seg of plan.segments) {
      let known = true;
      const keyed = <T>(k: T | undefined): T | null => {
        if (k === undefined) known = false;
        return k ?? null;
      };
      let rfm: unknown = null;
      // The tree with each aggregate id as its aggregate's key and each reference with its
      // segment's key, so a definition keeps its key when another one renumbers the
      // aggregates; without the source positions (`at`), which only messages show.
      const tree = JSON.stringify(seg.root, function (this: Record<string, unknown>, name: string, value: unknown) {
        if (name === "at" && typeof value === "string") return undefined;
        if (this.kind === "metric" && name === "aggregate") return keyed(aggregateKey(value as number));
        if (this.kind === "exists" && name === "aggregates") return (value as number[]).map((id) => keyed(aggregateKey(id)));
        if (this.kind === "segment" && name === "codes") return (value as string[]).map((code) => [code, keyed(keys.get(code))]);
        if (this.kind === "rfm" && name === "name" && plan.rfm) {
          const { at: _days, aggregate, ...settings } = plan.rfm;
          rfm = { settings, counted: keyed(aggregateKey(aggregate)) };
        }
        return value;
      });
      keys.set(seg.code, known ? keyOf("segment result", PLAN_VERSION, this.customersBase, size, tree, plan.asOfDay, plan.timezone, plan.factsBefore, rfm) : undefined);
    }
    return keys;
  }

  /** What a pass over a table saw, kept with each of its aggregates. */
  private metaOf(table: FactTable, fresh: FactResults): AggregateMeta {
    const exportsOf = EXPORTS_OF[table].map(([e]) => e);
    const r = this.project.report as unknown as Record<string, Record<string, unknown>>;
    const report: AggregateMeta["report"] = {};
    for (const key of ["rows", "orphans", "orphanExamples", "ignored", "extra"]) {
      report[key] = {};
      for (const e of exportsOf) if (e in r[key]) report[key][e] = r[key][e];
    }
    return { leftOut: fresh.leftOut[table] ?? 0, unmatchedItems: table === "orders" ? fresh.unmatchedItems : 0, warnings: table === "orders" ? fresh.warnings : [], report };
  }

  /** Binds the definitions a request needs into a plan. */
  async plan(req: EvaluateRequest): Promise<Plan> {
    const stored = req.stored ?? new Map<string, Membership>();
    const defs = toCompute(req.definitions, req.codes, stored);
    const rfm = { ...rfmSettings(this.config), ...req.rfm };
    // A preview that may read its results back needs no customer column until one is not stored.
    const schema = await this.schema(defs, req.outputs, req.preview?.reuse === true);
    const plan = bindPlan({ definitions: defs, stored: [...stored.keys()].sort(), schema, asOfDay: this.asOfDay(req.asOf), timezone: this.config.timezone, outputs: req.outputs, rfm, withRfm: req.withRfm, rfmDays: req.rfmDays?.map((d) => this.asOfDay(d)) });
    if (plan.rfm) plan.warnings.push(...unreachableRules(plan.rfm.rules, plan.rfm.bins).map((code) => `rfm.segments: the rule \`${code}\` is never reached: the rules before it take every score it covers`));
    return plan;
  }

  /** Evaluates a request end to end. */
  async evaluate(req: EvaluateRequest): Promise<Evaluation> {
    return this.evaluatePlan(await this.plan(req), req.stored, req.preview);
  }

  /** Evaluates a bound plan (which may have come from JSON) over this project's data. */
  async evaluatePlan(plan: Plan, stored: ReadonlyMap<string, Membership> = new Map(), preview?: PreviewRequest): Promise<Evaluation> {
    const reuse = preview?.reuse === true;
    let customers = await this.customers(planColumns(plan), reuse);
    const started = performance.now();
    const shown = new Set(preview?.codes);
    // The aggregates' keys once, for the results' keys, the headers and the pass.
    const aggregateKeys = reuse ? this.aggregateKeys(plan) : undefined;
    const keys = aggregateKeys ? this.resultKeys(plan, customers.length, aggregateKeys) : new Map<string, string | undefined>();
    const found = new Map<string, StoredRows<ResultDetail>>();
    for (const code of shown) {
      const k = keys.get(code);
      const hit = k === undefined ? undefined : this.cache!.readResult<ResultDetail>(k, customers.length);
      if (hit && Array.isArray(hit.detail?.funnel)) found.set(code, hit);
    }
    if (found.size) endPhase("results from the cache", started, { rows: found.size });
    // Every result shown stored: the pass is only what it saw (for the report), and no column
    // or aggregate is read; otherwise the columns (if only the ids were read) and the pass.
    const seen = aggregateKeys && found.size === shown.size && found.size > 0 ? this.factsSeen(plan, aggregateKeys) : undefined;
    if (!seen) customers = await this.customers(planColumns(plan));
    const facts = seen ?? await this.factPass(plan, aggregateKeys);
    const clean = !Object.values(this.project.report.skipped).some((n) => (n ?? 0) > 0);
    const evaluated = performance.now();
    const state = new EvalState(plan, customers, facts.results);
    const members = new Map<string, Membership>();
    for (const code of plan.stored) {
      const given = stored.get(code);
      if (!given) throw new Error(`the plan reads stored members of ${code}, and none were given`);
      members.set(code, given);
      state.segments.set(code, rowsOf(given, customers));
    }
    const lowered = new Map<string, LoweredGroup>();
    const funnels = new Map<string, FunnelRow[]>();
    let wrote = false;
    for (const seg of plan.segments) {
      const root = lowerSegment(seg);
      lowered.set(seg.code, root);
      const hit = found.get(seg.code);
      if (hit) {
        state.segments.set(seg.code, hit.rows);
        funnels.set(seg.code, hit.detail.funnel);
        continue;
      }
      // Every segment shown was read back: the ones they reference are not needed.
      if (seen) continue;
      const rows = evaluateGroup(root, BitSet.full(customers.length), state);
      state.segments.set(seg.code, rows);
      if (!preview) members.set(seg.code, membershipOf(rows, customers));
      if (!shown.has(seg.code)) continue;
      const f = funnel(root, state);
      funnels.set(seg.code, f);
      const k = keys.get(seg.code);
      // Nothing is stored from a read that skipped bad rows (as for the aggregates).
      if (k !== undefined && clean) {
        this.cache!.writeResult<ResultDetail>(k, { rows, detail: { funnel: f } });
        wrote = true;
      }
    }
    if (wrote) this.cache!.trim();
    if (!seen) endPhase("evaluation", evaluated, { rows: customers.length });
    const warnings = [...plan.warnings, ...facts.warnings];
    return { plan, customers, members, computed: plan.segments.map((s) => s.code), state, lowered, funnels, facts, warnings };
  }

  /** Moves the rejected-rows files of `--max-bad-rows` into place: call once the command has succeeded. */
  commitRejected(): RejectedFile[] {
    return commitRejected(this.project.bad, this.config.out);
  }
}

/** The config's RFM settings for bind: its rules, or the default set of docs/rfm.md. */
export function rfmSettings(config: Config): RfmSettings {
  const r = config.rfm;
  return {
    excludeStatuses: r.exclude_statuses, method: r.method, bins: r.bins, monetary: r.monetary,
    ...(r.thresholds ? { thresholds: r.thresholds } : {}),
    rules: r.segments ?? DEFAULT_RFM_RULES,
  };
}

/** The definition files of the segments folder plus extra ones (which replace same-path files). */
function definitionFiles(config: Config, cwd: string, extra: DefinitionFile[]): DefinitionFile[] {
  const extraPaths = new Set(extra.map((f) => path.resolve(cwd, f.file)));
  const folder = readDefinitionFolder(config.segments, cwd, extra.length > 0).filter((f) => !extraPaths.has(path.resolve(cwd, f.file)));
  return [...folder, ...extra];
}

/** Parses `--as-of`, or takes the day of `now` in the zone. */
export function asOfDayOf(asOf: string | undefined, timezone: string, now: number): number {
  if (asOf === undefined) return dayInZone(timezone, now);
  const day = parseDate(asOf);
  if (day === undefined) throw new UsageError(`--as-of takes a date YYYY-MM-DD, not "${asOf}"`);
  return day;
}

/**
 * The definitions to compute for `codes` (default: all): them and what they reference, in
 * dependency order, leaving out stored segments (and what only they reference).
 */
export function toCompute(defs: SegmentDef[], codes: string[] | undefined, stored: ReadonlyMap<string, Membership>): SegmentDef[] {
  const byCode = new Map(defs.map((d) => [d.code, d]));
  if (codes) {
    const missing = codes.filter((c) => !byCode.has(c));
    if (missing.length) {
      const known = [...byCode.keys()].sort();
      throw new DefinitionError(missing.map((c) => ({ message: `no segment with code \`${c}\``, hint: known.length ? `defined: ${known.join(", ")}` : "there are no definitions in the segments folder" })));
    }
  }
  const need = new Set<string>();
  const pending = [...(codes ?? defs.map((d) => d.code))];
  while (pending.length) {
    const code = pending.pop()!;
    if (need.has(code) || stored.has(code)) continue;
    const d = byCode.get(code);
    if (!d) continue;
    need.add(code);
    pending.push(...referencedCodes(d));
  }
  return dependencyOrder(defs.filter((d) => need.has(d.code)));
}

/** The rows of this load whose ids are in a membership (ids no longer in the customers are skipped). */
function rowsOf(m: Membership, customers: CustomerTable): BitSet {
  const set = new BitSet(customers.length);
  for (const id of m) {
    const row = customers.index.get(id);
    if (row !== undefined) set.add(row);
  }
  return set;
}

/** The left-out counts as a phrase: "3 orders, 1 visits", or "" when none. */
export function leftOutText(leftOut: Partial<Record<FactTable, number>>): string {
  return Object.entries(leftOut).filter(([, n]) => n && n > 0).map(([t, n]) => `${n} ${t}`).join(", ");
}

/** Evaluates every defined segment of a project; member ids per code. */
export async function evaluateAll(config: Config, ctx: EngineContext, opts: { asOf?: string } = {}): Promise<Map<string, Membership>> {
  const engine = new Engine(config, ctx);
  const ev = await engine.evaluate({ definitions: Engine.definitions(config, ctx.cwd), asOf: opts.asOf });
  return ev.members;
}

/** The customer columns a bound plan reads: its filters' and outputs' column inputs, and `birthday` for age. */
export function planColumns(plan: Plan): string[] {
  const out = new Set<string>();
  const add = (input: InputPlan) => {
    if (input.kind === "column") out.add(input.column);
    else if (input.kind === "derived") out.add(input.from);
  };
  const walk = (node: NodePlan): void => {
    if (node.kind === "group") node.children.forEach(walk);
    else add(node.input);
  };
  for (const seg of plan.segments) walk(seg.root);
  for (const o of plan.outputs) add(o.input);
  return [...out];
}

/** Per customer table: its rows in id order, or null when the rows are in id order already. */
const ID_ORDER = new WeakMap<CustomerTable, Int32Array | null>();

/**
 * The members of a set of rows as a membership (ids sorted), without sorting per segment:
 * the rows in id order are found once per customer table (most exports list customers in
 * id order, and then the rows are the order).
 */
export function membershipOf(rows: BitSet, customers: CustomerTable): Membership {
  return firstMembers(rows, customers, Infinity);
}

/** The first `limit` members of a set of rows in id order (membershipOf's, cut), found without listing the rest. */
export function firstMembers(rows: BitSet, customers: CustomerTable, limit: number): string[] {
  const ids = customers.ids;
  let order = ID_ORDER.get(customers);
  if (order === undefined) {
    let sorted = true;
    for (let i = 1; i < ids.length && sorted; i++) sorted = ids[i - 1] < ids[i];
    order = sorted ? null : Int32Array.from(ids.keys()).sort((a, b) => compareIds(ids[a], ids[b]));
    ID_ORDER.set(customers, order);
  }
  const out: string[] = [];
  if (limit <= 0) return out;
  if (order === null) {
    // Word by word: rows.next per member costs more than the push at a million customers.
    const words = rows.words;
    for (let w = 0; w < words.length; w++) {
      for (let word = words[w]; word !== 0; word &= word - 1) {
        out.push(ids[(w << 5) + 31 - Math.clz32(word & -word)]);
        if (out.length === limit) return out;
      }
    }
  } else {
    for (let k = 0; k < order.length; k++) {
      if (!rows.has(order[k])) continue;
      out.push(ids[order[k]]);
      if (out.length === limit) return out;
    }
  }
  return out;
}
