/**
 * Hints that point the right way for values that do not read as their column's type,
 * through the binary (`validate --exports`): each case a one-row export written here.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { expectExit, previewed, projectDir, segment, tempDir } from "./helpers.js";

function orders(created: string, total: string, sources = ""): string {
  const dir = tempDir();
  mkdirSync(path.join(dir, "data"));
  writeFileSync(path.join(dir, "data", "orders.csv"), `id,customer_id,created_at,total\n1,A,${created},"${total}"\n`);
  writeFileSync(path.join(dir, "segment.config.yaml"), `data: data\nsegments: segments\n${sources}`);
  mkdirSync(path.join(dir, "segments"), { recursive: true });
  return dir;
}

describe("hints for values of the wrong shape", () => {
  it("a date written 19970101 gets the format to set, not `fix the row`", () => {
    const r = segment(["validate", "--exports"], orders("19970101", "1"));
    expectExit(r, 3);
    expect(r.stderr).toContain("set the column's format: sources.orders.columns.created_at: { format: YYYYMMDD }");
  });

  it("a date written 31.01.2026 gets DD.MM.YYYY", () => {
    const r = segment(["validate", "--exports"], orders("31.01.2026", "1"));
    expectExit(r, 3);
    expect(r.stderr).toContain("{ format: DD.MM.YYYY }");
  });

  it("1,234.00 is thousands separators, not a decimal comma", () => {
    const r = segment(["validate", "--exports"], orders("2026-01-01", "1,234.00"));
    expectExit(r, 3);
    expect(r.stderr).toContain("thousands separators");
    expect(r.stderr).not.toContain("for a decimal comma");
  });

  it("12,50 gets the decimal comma", () => {
    const r = segment(["validate", "--exports"], orders("2026-01-01", "12,50"));
    expectExit(r, 3);
    expect(r.stderr).toContain("for a decimal comma set the source's `decimal: \",\"`");
  });
});

describe("counts of bad rows", () => {
  it("with no customers export (customers derived from the facts, read twice) each bad row counts once", () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, "data"));
    mkdirSync(path.join(dir, "segments"), { recursive: true });
    // Three bad totals among five orders.
    writeFileSync(path.join(dir, "data", "orders.csv"), "id,customer_id,created_at,total\n1,A,2026-01-01,x\n2,A,2026-01-02,1\n3,B,2026-01-03,y\n4,B,2026-01-04,2\n5,C,2026-01-05,z\n");
    writeFileSync(path.join(dir, "segment.config.yaml"), "data: data\nsegments: segments\n");
    const r = segment(["validate", "--exports", "--json"], dir);
    expectExit(r, 3);
    const out = JSON.parse(r.stdout) as { problems: Array<{ line: number; message: string }>; more_bad_rows?: number };
    expect(out.problems.map((p) => p.line)).toEqual([2, 4, 6]);
    expect(out.more_bad_rows).toBeUndefined();
    expect(r.stderr).toContain("3 data problems");
  });
});

describe("validate: every problem of every kind at once", () => {
  it("a misspelt custom field, an unknown field and an unknown reference, in one pass, in file order", () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, "data"));
    mkdirSync(path.join(dir, "segments"), { recursive: true });
    writeFileSync(path.join(dir, "data", "customers.csv"), "id,city,loyalty_card\nA,Moscow,true\n");
    writeFileSync(path.join(dir, "segments", "a.yaml"), "code: a\nname: A\nfilters:\n  - { field: custom.loyality_card, eq: true }\n");
    writeFileSync(path.join(dir, "segments", "b.yaml"), "code: b\nname: B\nfilters:\n  - { field: segment, in: [nope] }\n  - { field: citty, eq: x }\n");
    writeFileSync(path.join(dir, "segment.config.yaml"), "data: data\nsegments: segments\n");
    const r = segment(["validate"], dir);
    expectExit(r, 2);
    expect(r.stderr).toContain("3 definition problems");
    const a = r.stderr.indexOf("segments/a.yaml:4:5: filters[0].field: unknown custom field `custom.loyality_card`");
    const ref = r.stderr.indexOf("segments/b.yaml:4:28: filters[0].in[0]: unknown segment `nope`");
    const field = r.stderr.indexOf("segments/b.yaml:5:14: filters[1].field: unknown field `citty`");
    expect(a).toBeGreaterThanOrEqual(0);
    expect(ref).toBeGreaterThan(a);
    expect(field).toBeGreaterThan(ref);
    expect(r.stderr).toContain("did you mean `custom.loyalty_card`?");
  });
});

describe("fields shows values as they are meant", () => {
  it("aggregates with their types, decimals without float noise, datetimes in the zone", () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, "data"));
    mkdirSync(path.join(dir, "segments"), { recursive: true });
    // 0.1 + 0.2 as a total read from text is 0.3 already; the noise comes from arithmetic, e.g.
    // an order total derived from items: 0.1 x 1 + 0.2 x 1 = 0.30000000000000004.
    writeFileSync(path.join(dir, "data", "order_items.csv"), "order_id,customer_id,created_at,quantity,price\n1,A,2026-01-01T21:30:00Z,1,0.1\n1,A,2026-01-01T21:30:00Z,1,0.2\n");
    writeFileSync(path.join(dir, "segment.config.yaml"), "data: data\nsegments: segments\ntimezone: Europe/Moscow\n");
    const r = segment(["fields", "--json"], dir);
    expectExit(r, 0);
    const fields = (JSON.parse(r.stdout) as { fields: Array<{ field: string; type: string; aggregate?: boolean; samples: string[] }> }).fields;
    const by = new Map(fields.map((f) => [f.field, f]));
    expect(by.get("orders.count")).toMatchObject({ type: "integer", aggregate: true });
    expect(by.get("orders.last_at")).toMatchObject({ type: "datetime", aggregate: true });
    expect(by.get("orders.revenue")).toMatchObject({ type: "decimal", aggregate: true });
    // 21:30 UTC is 00:30 the next day in Moscow (UTC+3).
    expect(by.get("orders.created_at")!.samples).toEqual(["2026-01-02T00:30:00+03:00"]);
    expect(by.get("orders.total")!.samples).toEqual(["0.3"]);
  });
});

describe("help", () => {
  it("a command's --help lists the flags every command takes, too", () => {
    const r = segment(["export", "--help"]);
    expectExit(r, 0);
    expect(r.stdout).toContain("Global Options:");
    expect(r.stdout).toContain("--config <file>");
    expect(r.stdout).toContain("--as-of <date>");
  });
});

describe("as_of in the config", () => {
  it("is the as-of day unless --as-of says otherwise; a bad one is a config error", () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, "data"));
    mkdirSync(path.join(dir, "segments"), { recursive: true });
    writeFileSync(path.join(dir, "data", "orders.csv"), "id,customer_id,created_at,total\n1,A,2011-12-01T10:00:00Z,5\n2,B,2011-06-01T10:00:00Z,5\n");
    writeFileSync(path.join(dir, "segments", "recent.yaml"), "code: recent\nname: Bought in the last 30 days\nfilters:\n  - { field: orders.last_at, gte: -30d }\n");
    writeFileSync(path.join(dir, "segment.config.yaml"), "data: data\nsegments: segments\nas_of: 2011-12-09\n");
    // As of 2011-12-09: A (2011-12-01) is within 30 days, B (2011-06-01) is not.
    const p = segment(["preview", "recent", "--json", "--limit", "0"], dir);
    expectExit(p, 0);
    expect(previewed(p).members).toEqual(["A"]);
    // As of 2011-06-15: B's order is 14 days old, A's is after the as-of day (left out).
    const q = segment(["preview", "recent", "--json", "--limit", "0", "--as-of", "2011-06-15"], dir);
    expect(previewed(q).members).toEqual(["B"]);
    writeFileSync(path.join(dir, "segment.config.yaml"), "data: data\nsegments: segments\nas_of: last tuesday\n");
    const bad = segment(["validate"], dir);
    expectExit(bad, 2);
    expect(bad.stderr).toContain("as_of: expected a day, YYYY-MM-DD");
  });
});

describe("preview --format: members for pipes", () => {
  const shop = () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, "data"));
    mkdirSync(path.join(dir, "segments"), { recursive: true });
    const lines = ["id,city"];
    // 12 customers in Tver, one with a formula-looking id and one with a comma.
    for (let i = 1; i <= 10; i++) lines.push(`T${String(i).padStart(2, "0")},Tver`);
    lines.push('"=1+1",Tver', '"a,b",Tver', "K1,Kazan");
    writeFileSync(path.join(dir, "data", "customers.csv"), lines.join("\n") + "\n");
    writeFileSync(path.join(dir, "segments", "tver.yaml"), "code: tver\nname: Tver\nfilters:\n  - { field: city, eq: Tver }\n");
    writeFileSync(path.join(dir, "segment.config.yaml"), "data: data\nsegments: segments\n");
    return dir;
  };
  // Members in ascending id order (UTF-16): "=1+1" < "T01" ... < "T10" < "a,b".
  const ALL = ["=1+1", "T01", "T02", "T03", "T04", "T05", "T06", "T07", "T08", "T09", "T10", "a,b"];

  it("ids: one a line, only ids on stdout; --limit 0 lists all", () => {
    const dir = shop();
    const all = segment(["preview", "tver", "--format", "ids", "--limit", "0"], dir);
    expectExit(all, 0);
    expect(all.stdout).toBe(ALL.join("\n") + "\n");
    expect(all.stderr).toContain("tver: 12 members");
    const some = segment(["preview", "tver", "--format", "ids"], dir);
    expect(some.stdout.trimEnd().split("\n")).toEqual(ALL.slice(0, 10));
    expect(some.stderr).toContain("(10 listed; --limit 0 lists all)");
  });

  it("csv and tsv: a header, the formula-looking id neutralised, the comma quoted in csv", () => {
    const dir = shop();
    const csv = segment(["preview", "tver", "--format", "csv", "--limit", "0"], dir);
    expect(csv.stdout).toBe(["id", "'=1+1", ...ALL.slice(1, 11), '"a,b"'].join("\n") + "\n");
    const tsv = segment(["preview", "tver", "--format", "tsv", "--limit", "0"], dir);
    expect(tsv.stdout).toBe(["id", "'=1+1", ...ALL.slice(1, 11), "a,b"].join("\n") + "\n");
    const json = segment(["preview", "tver", "--format", "json", "--limit", "0"], dir);
    expect(previewed(json)).toMatchObject({ code: "tver", count: 12, members: ALL });
    expectExit(segment(["preview", "tver", "--format", "xml"], dir), 2);
  });
});

describe("definition messages that point the right way", () => {
  const check = (yaml: string) => {
    const dir = tempDir();
    mkdirSync(path.join(dir, "data"));
    mkdirSync(path.join(dir, "segments"), { recursive: true });
    writeFileSync(path.join(dir, "data", "customers.csv"), "id,city,birthday\nA,Moscow,1990-02-10\n");
    writeFileSync(path.join(dir, "segments", "a.yaml"), yaml);
    writeFileSync(path.join(dir, "segment.config.yaml"), "data: data\nsegments: segments\n");
    const r = segment(["validate"], dir);
    expectExit(r, 2);
    return r.stderr;
  };

  it("an ignore_year range with a day the month has not says so, not `needs ignore_year`", () => {
    const err = check('code: a\nname: A\nfilters:\n  - { field: birthday, ignore_year: true, between: ["02-30", "03-05"] }\n');
    expect(err).toContain("February has no day 30 (it has 29 at most)");
    expect(err).not.toContain("needs `ignore_year: true`");
    // Without ignore_year, a valid MM-DD still gets that hint.
    expect(check('code: a\nname: A\nfilters:\n  - { field: birthday, between: ["02-10", "03-05"] }\n')).toContain("MM-DD needs `ignore_year: true`");
  });

  it("an unclosed { is reported where it opens, in plain words", () => {
    // The parser gives up at the end of the file (line 5); the brace opens at line 4, column 5.
    const err = check("code: a\nname: A\nfilters:\n  - { field: city, eq: x\n");
    expect(err).toContain("segments/a.yaml:4:5: YAML syntax: this `{` is not closed with `}`");
    expect(err).toContain("the YAML parser says:");
  });

  it("a duplicate key and a misindented line, in plain words", () => {
    expect(check("code: a\nname: A\ncode: b\nfilters:\n  - { field: city, eq: x }\n")).toContain("segments/a.yaml:3:1: YAML syntax: a key appears twice in this mapping: keep one");
    expect(check("code: a\nname: A\nfilters:\n  - field: city\n    eq: x\n   bad: 1\n")).toContain("segments/a.yaml:6:1: YAML syntax: this line is indented unlike the lines around it");
  });
});

describe("the funnel shows where dates resolved", () => {
  it("a `where` date range reads as days, like a filter's", () => {
    // email-engaged: at between [-2w, today]; as of 2026-11-23, -2w is 2026-11-09.
    const r = segment(["preview", "email-engaged", "--as-of", "2026-11-23"]);
    expectExit(r, 0);
    expect(r.stdout).toContain('emails.count where type in ["open"] and at between 2026-11-09 and 2026-11-23 >= 1');
    expect(r.stdout).not.toContain("-2w");
  });
});

describe("paths and counts in messages", () => {
  it("an export outside the current folder is named by its absolute path, not ../../..", () => {
    const data = orders("not a date", "5");
    const elsewhere = tempDir();
    mkdirSync(path.join(elsewhere, "segments"), { recursive: true });
    const r = segment(["validate", "--exports", "--data", path.join(data, "data"), "--segments", path.join(elsewhere, "segments")], elsewhere);
    expectExit(r, 3);
    expect(r.stderr).toContain(`${path.join(data, "data", "orders.csv")}:2:3`);
    expect(r.stderr).not.toContain("../");
  });

  it("one member is `1 member`, and `first member:`", () => {
    const dir = projectDir({
      "data/customers.csv": "id,city\nA,Tver\nB,Kazan\n",
      "segments/tver.yaml": "code: tver\nname: Tver\nfilters:\n  - { field: city, eq: Tver }\n",
      "segment.config.yaml": "data: data\nsegments: segments\n",
    });
    const text = segment(["preview", "tver"], dir);
    expectExit(text, 0);
    expect(text.stdout).toContain("1 of 2 customers");
    expect(text.stdout).toContain("first member: A");
    const ids = segment(["preview", "tver", "--format", "ids"], dir);
    expect(ids.stderr).toContain("tver: 1 member\n");
  });
});
