/**
 * Facts whose customer is unknown (orphans), through the binary: how many of how many,
 * example ids, the likely cause when most facts of an export are orphans, the exit 3 of
 * `validate --exports` past `max_orphan_share`, and `ids: { drop_decimal_zeros }` for ids a
 * spreadsheet wrote as decimals. The shops are written here; counts worked out by hand.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { expectExit, parseJson, segment, tempDir, previewed } from "./helpers.js";

const CUSTOMERS = "id,email\n17850,a@example.com\n13047,b@example.com\n12583,c@example.com\n";

function shop(orders: string, config = ""): string {
  const dir = tempDir();
  mkdirSync(path.join(dir, "data"));
  mkdirSync(path.join(dir, "segments"), { recursive: true });
  writeFileSync(path.join(dir, "data", "customers.csv"), CUSTOMERS);
  writeFileSync(path.join(dir, "data", "orders.csv"), `id,customer_id,created_at,total\n${orders}`);
  writeFileSync(path.join(dir, "segments", "buyers.yaml"), "code: buyers\nname: Buyers\ngroups:\n  - filters:\n      - { field: orders.count, gte: 1 }\n");
  writeFileSync(path.join(dir, "segment.config.yaml"), `data: data\nsegments: segments\ntimezone: UTC\n${config}`);
  return dir;
}

// Every order names its customer as a decimal, as a spreadsheet writes a number.
const FLOATS = "1,17850.0,2026-01-01T10:00:00Z,10\n2,13047.0,2026-01-02T10:00:00Z,20\n3,17850.0,2026-01-03T10:00:00Z,30\n";

describe("orphans", () => {
  it("most orders naming unknown customers: the share, examples and the likely cause, aloud", () => {
    const dir = shop(FLOATS);
    const p = segment(["preview", "buyers", "--json"], dir);
    expectExit(p, 0);
    expect(previewed(p).count).toBe(0);
    // 3 of 3 orders; distinct examples in order of appearance.
    expect(p.stderr).toContain('orphans (facts of unknown customers, ignored): orders 3 of 3 (100%; e.g. "17850.0", "13047.0")');
    expect(p.stderr).toContain("warning: 100% of the orders name customers that are not in the customers export (more than max_orphan_share 50%)");
    expect(p.stderr).toContain('writes customer ids as decimals ("17850.0") where the customers export has "17850"');
    expect(p.stderr).toContain("set `ids: { drop_decimal_zeros: true }`");
    const v = segment(["validate", "--exports"], dir);
    expectExit(v, 3);
    expect(v.stderr).toContain(`${path.join("data", "orders.csv")}: 100% of the orders name customers`);
    // Even --quiet says it: cron mail must show it.
    expect(segment(["run", "--as-of", "2026-01-31", "--quiet"], dir).stderr).toContain("100% of the orders name customers");
  });

  it("ids: { drop_decimal_zeros: true } joins them", () => {
    const dir = shop(FLOATS, "ids: { drop_decimal_zeros: true }\n");
    const p = previewed(segment(["preview", "buyers", "--json", "--limit", "0"], dir));
    expect(p.members).toEqual(["13047", "17850"]);
    const v = parseJson<{ orphans: Record<string, number> }>(segment(["validate", "--exports", "--json"], dir));
    expect(v.orphans.orders).toBe(0);
  });

  it("a few orphans: counted with examples, not an error; past a lower max_orphan_share, exit 3", () => {
    // 1 of 4 orders names 99999: 25%.
    const orders = "1,17850,2026-01-01T10:00:00Z,10\n2,13047,2026-01-02T10:00:00Z,20\n3,99999,2026-01-03T10:00:00Z,30\n4,12583,2026-01-04T10:00:00Z,5\n";
    const ok = segment(["validate", "--exports", "--json"], shop(orders));
    const v = parseJson<{ ok: boolean; orphans: Record<string, number>; orphan_examples: Record<string, string[]> }>(ok);
    expect(v.orphans.orders).toBe(1);
    expect(v.orphan_examples.orders).toEqual(["99999"]);
    const text = segment(["validate", "--exports"], shop(orders));
    expectExit(text, 0);
    expect(text.stderr).toContain('orders 1 of 4 (25%; e.g. "99999")');
    const strict = segment(["validate", "--exports"], shop(orders, "max_orphan_share: 10%\n"));
    expectExit(strict, 3);
    expect(strict.stderr).toContain("25% of the orders name customers that are not in the customers export (more than max_orphan_share 10%)");
  });

  it("a bad max_orphan_share or ids key is a config error with its line", () => {
    const r = segment(["validate"], shop(FLOATS, "max_orphan_share: 150%\nids: { drop_zeros: true }\n"));
    expectExit(r, 2);
    expect(r.stderr).toContain("segment.config.yaml:4:19: max_orphan_share: expected a share such as 30%");
    expect(r.stderr).toContain("ids.drop_zeros: unknown key `drop_zeros`");
  });
});
