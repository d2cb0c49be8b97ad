/**
 * `--json` everywhere (docs/json.md): one object per command, a `segments` array whenever the
 * command is about segments, and errors of every kind as JSON on stdout with the exit codes
 * unchanged. A hand-made shop; counts worked out by hand in the comments.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { expectExit, parseJson, projectDir, segment } from "./helpers.js";

// Customers: A (Tver), B (Tver), C (Kazan). Orders: A two, B one.
function shop(extra: Record<string, string> = {}): string {
  return projectDir({
    "data/customers.csv": "id,city\nA,Tver\nB,Tver\nC,Kazan\n",
    "data/orders.csv": "id,customer_id,created_at,total\n1,A,2026-01-01T10:00:00Z,5\n2,A,2026-01-02T10:00:00Z,5\n3,B,2026-01-03T10:00:00Z,5\n",
    "segments/tver.yaml": "code: tver\nname: Tver repeaters\nfilters:\n  - { field: city, eq: Tver }\n  - { field: orders.count, gte: 2 }\n",
    "segment.config.yaml": "data: data\nsegments: segments\nas_of: 2026-02-01\n",
    ...extra,
  });
}

interface JsonError {
  ok: false;
  error: { kind: string; exit_code: number; message: string; problems: Array<{ message: string; file?: string; line?: number; col?: number; hint?: string }> };
}

describe("preview --json", () => {
  it("one object with a segments array: count, members, the funnel and a customer's trace", () => {
    const r = segment(["preview", "tver", "--json", "--customer", "B"], shop());
    expectExit(r, 0);
    const j = parseJson<{ as_of: string; customers: number; segments: Array<Record<string, unknown>> }>(r);
    expect(j.as_of).toBe("2026-02-01");
    expect(j.customers).toBe(3);
    expect(j.segments).toHaveLength(1);
    const s = j.segments[0] as { count: number; members: string[]; funnel: Array<{ depth: number; alone: number; cumulative?: number }>; customer: { member: boolean; trace: Array<{ pass: boolean; value?: string }> } };
    // Tver: A, B; two orders or more: A. Both: A.
    expect(s.count).toBe(1);
    expect(s.members).toEqual(["A"]);
    expect(s.funnel.map((f) => [f.depth, f.alone, f.cumulative])).toEqual([[0, 1, undefined], [1, 2, 2], [1, 1, 1]]);
    // B is in Tver (pass) with one order (fail).
    expect(s.customer.member).toBe(false);
    expect(s.customer.trace.map((t) => t.pass)).toEqual([false, true, false]);
    expect(s.customer.trace[2].value).toBe("1");
  });

  it("a file of two segments gives two entries; --explain adds the plan", () => {
    const dir = shop({ "two.yaml": "- code: kazan\n  name: Kazan\n  filters: [{ field: city, eq: Kazan }]\n- code: buyers\n  name: Buyers\n  filters: [{ field: orders.count, gte: 1 }]\n" });
    const j = parseJson<{ segments: Array<{ code: string; members: string[] }>; plan?: { segments: unknown[] } }>(segment(["preview", "two.yaml", "--json", "--explain"], dir));
    expect(j.segments.map((s) => [s.code, s.members])).toEqual([["kazan", ["C"]], ["buyers", ["A", "B"]]]);
    expect(j.plan?.segments).toHaveLength(2);
  });
});

describe("the other commands' shapes", () => {
  it("list, history and fields are objects holding their arrays; validate lists the valid definitions", () => {
    const dir = shop();
    expectExit(segment(["run"], dir), 0);
    expect(parseJson<{ segments: Array<{ code: string; members: number }> }>(segment(["list", "--json"], dir)).segments.map((s) => [s.code, s.members])).toEqual([["tver", 1]]);
    expect(parseJson<{ events: Array<{ customer_id: string; event: string }> }>(segment(["history", "--segment", "tver", "--json"], dir)).events.map((e) => [e.customer_id, e.event])).toEqual([["A", "enter"]]);
    const f = parseJson<{ fields: Array<{ field: string }> }>(segment(["fields", "--json"], dir)).fields;
    expect(f.map((x) => x.field)).toContain("orders.count");
    expect(parseJson<{ ok: boolean; segments: Array<{ code: string; file: string }> }>(segment(["validate", "--json"], dir)).segments).toEqual([{ code: "tver", name: "Tver repeaters", file: path.join("segments", "tver.yaml") }]);
  });
});

describe("errors as JSON on stdout, exit codes unchanged", () => {
  const error = (args: string[], dir: string, exit: number): JsonError["error"] => {
    const r = segment(args, dir);
    expectExit(r, exit);
    // The message is on stderr too, as without --json.
    expect(r.stderr).not.toBe("");
    const j = JSON.parse(r.stdout) as JsonError;
    expect(j.ok).toBe(false);
    expect(j.error.exit_code).toBe(exit);
    return j.error;
  };

  it("usage: a bad flag value, and an unknown flag commander rejects", () => {
    expect(error(["preview", "tver", "--json", "--limit", "-1"], shop(), 2)).toMatchObject({ kind: "usage" });
    expect(error(["preview", "tver", "--json", "--no-such-flag"], shop(), 2)).toMatchObject({ kind: "usage", message: expect.stringContaining("--no-such-flag") });
  });

  it("config and definition problems, with file, line and column", () => {
    const config = error(["validate", "--json"], shop({ "segment.config.yaml": "data: data\ntimezone: Mars/Base\n" }), 2);
    expect(config.kind).toBe("config");
    expect(config.problems[0]).toMatchObject({ file: "segment.config.yaml", line: 2 });
    const def = error(["preview", "tver", "--json"], shop({ "segments/tver.yaml": "code: tver\nname: T\nfilters:\n  - { field: citty, eq: Tver }\n" }), 2);
    expect(def.kind).toBe("definition");
    expect(def.problems[0]).toMatchObject({ file: path.join("segments", "tver.yaml"), line: 4, col: 14, hint: "did you mean `city`?" });
  });

  it("a data problem: exit 3, the row named", () => {
    const dir = shop({ "data/orders.csv": "id,customer_id,created_at,total\n1,A,not a date,5\n" });
    const e = error(["preview", "tver", "--json"], dir, 3);
    expect(e.kind).toBe("data");
    expect(e.problems[0]).toMatchObject({ file: path.join("data", "orders.csv"), line: 2, col: 3 });
  });

  it("validate --json prints its own result, not a second object", () => {
    const dir = shop({ "data/orders.csv": "id,customer_id,created_at,total\n1,A,not a date,5\n" });
    const r = segment(["validate", "--exports", "--json"], dir);
    expectExit(r, 3);
    const j = JSON.parse(r.stdout) as { ok: boolean; problems: unknown[] };
    expect(j.ok).toBe(false);
    expect(j.problems).toHaveLength(1);
  });
});
