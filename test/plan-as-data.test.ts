/**
 * The bound plan is plain data: `preview --explain --json` prints it, it holds no
 * functions, typed arrays or class instances, it survives JSON unchanged, and evaluating
 * the deserialised plan gives the same members as evaluating the definitions.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/load-config.js";
import { Engine } from "../src/engine/engine.js";
import type { Plan } from "../src/segment/plan.js";
import { ROOT, segment } from "./helpers.js";

const AS_OF = ["--as-of", "2026-11-23"];

/** Paths of every value in `v` that is not plain data (function, typed array, Map, Date, class instance...). */
function notPlainData(v: unknown, at = "plan"): string[] {
  if (v === null || typeof v === "string" || typeof v === "boolean") return [];
  if (typeof v === "number") return Number.isFinite(v) ? [] : [`${at}: ${v}`];
  if (typeof v !== "object") return [`${at}: ${typeof v}`];
  if (Array.isArray(v)) return v.flatMap((x, i) => notPlainData(x, `${at}[${i}]`));
  if (Object.getPrototypeOf(v) !== Object.prototype) return [`${at}: ${Object.prototype.toString.call(v)}`];
  return Object.entries(v).flatMap(([k, x]) => (x === undefined ? [`${at}.${k}: undefined`] : notPlainData(x, `${at}.${k}`)));
}

const engineAt = (cwd: string) => {
  const config = loadConfig({}, cwd);
  return { config, engine: new Engine(config, { cwd, now: Date.UTC(2026, 10, 23) }) };
};

describe("the plan as plain data", () => {
  it("the checker itself finds what is not plain data", () => {
    expect(notPlainData({ a: [1, "x", { b: true }], c: null })).toEqual([]);
    expect(notPlainData({ f: () => 1, t: new Uint8Array(2), m: new Map(), n: NaN, u: undefined })).toHaveLength(5);
  });

  it("every example segment binds to plain data that survives JSON unchanged", async () => {
    const { config, engine } = engineAt(ROOT);
    const plan = await engine.plan({ definitions: Engine.definitions(config, ROOT), asOf: "2026-11-23" });
    expect(plan.segments.length).toBeGreaterThanOrEqual(14);
    expect(plan.aggregates.length).toBeGreaterThan(5);
    expect(notPlainData(plan)).toEqual([]);
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
  });

  it("preview --explain --json prints the plan, and the deserialised plan gives the same members", async () => {
    const explained = segment(["preview", "tea-and-teaware", "--explain", "--json", ...AS_OF]);
    expect(explained.code, explained.stderr).toBe(0);
    const plan = (JSON.parse(explained.stdout) as { plan: Plan }).plan;
    expect(plan.asOf).toBe("2026-11-23");
    expect(plan.segments.map((s) => s.code)).toEqual(["tea-and-teaware"]);
    // tea-and-teaware: bought Chinese tea and bought teaware, both from order items.
    expect(plan.aggregates.every((a) => a.table === "orders" && a.joinsItems)).toBe(true);
    expect(plan.aggregates.length).toBeGreaterThanOrEqual(2);

    const listed = segment(["preview", "tea-and-teaware", "--json", "--limit", "0", ...AS_OF]);
    expect(listed.code, listed.stderr).toBe(0);
    const want = (JSON.parse(listed.stdout) as { segments: Array<{ members: string[] }> }).segments[0].members;
    expect(want.length).toBeGreaterThan(0);

    const { engine } = engineAt(ROOT);
    const ev = await engine.evaluatePlan(plan);
    expect([...ev.members.get("tea-and-teaware")!]).toEqual(want);
  });

  it("a plan bound elsewhere evaluates on a fresh engine with stored members for a referenced segment", async () => {
    const { config, engine } = engineAt(ROOT);
    const definitions = Engine.definitions(config, ROOT);
    // win-back-not-moscow references lapsed-valuable, not-moscow and birthday-soon; give not-moscow as
    // stored members (C0999 is no customer of the data; a stored membership is taken as given).
    const stored = new Map([["not-moscow", ["C0005", "C0009", "C0017", "C0999"]]]);
    const plan = await engine.plan({ definitions, codes: ["win-back-not-moscow"], asOf: "2026-11-23", stored });
    expect(plan.stored).toEqual(["not-moscow"]);
    expect(plan.segments.map((s) => s.code).sort()).toEqual(["birthday-soon", "lapsed-valuable", "win-back-not-moscow"]);
    const copy = JSON.parse(JSON.stringify(plan)) as Plan;
    const ev = await engineAt(path.join(ROOT)).engine.evaluatePlan(copy, stored);
    const lapsed = new Set(ev.members.get("lapsed-valuable"));
    const birthday = new Set(ev.members.get("birthday-soon"));
    // By the definition: lapsed-valuable, in the stored not-moscow, not in birthday-soon.
    const want = stored.get("not-moscow")!.filter((id) => lapsed.has(id) && !birthday.has(id));
    // From the golden lists: C0009 and C0017 are lapsed-valuable, C0005 is not, none is birthday-soon.
    expect(want).toEqual(["C0009", "C0017"]);
    expect([...ev.members.get("win-back-not-moscow")!]).toEqual(want);
    expect(ev.members.get("not-moscow")).toEqual(stored.get("not-moscow"));
  });
});
