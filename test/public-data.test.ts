/**
 * The public data sets of ../shared/data (CDNOW, UCI Online Retail, the R package rfm's
 * orders), read as they are through the configs in examples/, with the counts their READMEs
 * give (the READMEs derived them, not this project). Skipped, with a message, where the
 * data sets are not beside the repository (set SEGMENT_SHARED_DATA to their folder).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { parse as parseCsv } from "csv-parse/sync";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseJson, ROOT, segment, previewed } from "./helpers.js";

/** A segments folder with one segment, `everyone`: every customer (an id is never empty). */
const EVERYONE = path.join(ROOT, "test", "public-data");
const SHARED = process.env.SEGMENT_SHARED_DATA ?? path.resolve(ROOT, "..", "shared", "data");
const have = (name: string) => existsSync(path.join(SHARED, name));
for (const name of ["cdnow", "online-retail", "rfm"]) {
  if (!have(name)) console.warn(`skipped: the public data set ${name} is not at ${path.join(SHARED, name)} (set SEGMENT_SHARED_DATA); test/public-data.test.ts did not check it`);
}

interface ValidateJson {
  ok: boolean;
  rows: Record<string, number>;
  orphans: Record<string, number>;
}

/** Runs segment in examples/<name> with the data folder pointed at the shared copy. */
function inExample(name: string, args: string[]) {
  return segment([...args, "--data", path.join(SHARED, name)], path.join(ROOT, "examples", name));
}

describe.skipIf(!have("cdnow"))("CDNOW_master.txt as it is (whitespace-padded, CRLF)", () => {
  it("69,659 orders of 23,570 customers, $2,500,315.63 in all", () => {
    const v = parseJson<ValidateJson>(inExample("cdnow", ["validate", "--exports", "--json"]));
    expect(v.rows.orders).toBe(69659);
    expect(v.orphans.orders).toBe(0);
    const everyone = parseJson<Array<{ "orders.count": number; "orders.revenue": number }>>(inExample("cdnow", [
      "export", "--all", "--fresh", "--as-of", "1998-07-01", "--fields", "orders.count,orders.revenue", "--format", "json", "--out", "-",
      "--segments", EVERYONE,
    ]));
    expect(everyone).toHaveLength(23570);
    expect(everyone.reduce((n, c) => n + c["orders.count"], 0)).toBe(69659);
    // In cents, to stay clear of float sums.
    expect(everyone.reduce((n, c) => n + Math.round(c["orders.revenue"] * 100), 0)).toBe(250031563);
  }, 120_000);
});

describe.skipIf(!have("online-retail"))("Online Retail as it is: 305 daily CSVs", () => {
  it("25,900 invoices, 4,372 customers, 3,710 invoices without a customer as orphans", () => {
    const v = parseJson<ValidateJson>(inExample("online-retail", ["validate", "--exports", "--json"]));
    expect(v.rows.order_items).toBe(541909);
    expect(v.rows.orders).toBe(25900);
    expect(v.orphans.orders).toBe(3710);
    const everyone = parseJson<unknown[]>(inExample("online-retail", [
      "export", "--all", "--fresh", "--as-of", "2011-12-31", "--fields", "id", "--format", "json", "--out", "-",
      "--segments", EVERYONE,
    ]));
    expect(everyone).toHaveLength(4372);
  }, 120_000);

  it("cancellations by a derived status: invoices numbered C... (3,836, the README's count)", () => {
    // Independently of the product: read the 305 files with csv-parse and collect the C invoices.
    const byDay = path.join(SHARED, "online-retail", "by-day");
    const cancelled = new Set<string>();
    const customers = new Set<string>();
    for (const f of readdirSync(byDay).sort()) {
      const rows = parseCsv(readFileSync(path.join(byDay, f), "utf8"), { columns: true }) as Array<Record<string, string>>;
      for (const r of rows) {
        if (!r.InvoiceNo.startsWith("C")) continue;
        cancelled.add(r.InvoiceNo);
        if (r.CustomerID.trim() !== "") customers.add(r.CustomerID.trim());
      }
    }
    expect(cancelled.size).toBe(3836);
    // The example's `cancelled` segment: customers with a cancelled invoice.
    const p = previewed(inExample("online-retail", ["preview", "cancelled", "--as-of", "2011-12-31", "--json"]));
    expect(p.count).toBe(customers.size);
    // The product's own count of cancelled invoices of known customers: the invoices with a
    // customer (all orders less the orphans) less those RFM counts (cancellations excluded).
    const withCustomer = new Set<string>();
    for (const f of readdirSync(byDay).sort()) {
      const rows = parseCsv(readFileSync(path.join(byDay, f), "utf8"), { columns: true }) as Array<Record<string, string>>;
      for (const r of rows) if (r.InvoiceNo.startsWith("C") && r.CustomerID.trim() !== "") withCustomer.add(r.InvoiceNo);
    }
    const v = parseJson<ValidateJson>(inExample("online-retail", ["validate", "--exports", "--json"]));
    const rfm = parseJson<{ segments: Array<{ orders: number }> }>(inExample("online-retail", ["rfm", "--as-of", "2011-12-31", "--json"]));
    const counted = rfm.segments.reduce((n, s) => n + s.orders, 0);
    expect(v.rows.orders - v.orphans.orders - counted).toBe(withCustomer.size);
  }, 120_000);
});

describe.skipIf(!have("online-retail"))("Online Retail's Country, a custom fact column", () => {
  it("orders.country and `where: { country }` read it, as a script over the files counts", () => {
    // Independently of the product: customers with a line shipped to Germany, and those
    // with three or more distinct invoices that have such a line.
    const byDay = path.join(SHARED, "online-retail", "by-day");
    const invoices = new Map<string, Set<string>>();
    for (const f of readdirSync(byDay).sort()) {
      const rows = parseCsv(readFileSync(path.join(byDay, f), "utf8"), { columns: true }) as Array<Record<string, string>>;
      for (const r of rows) {
        const id = r.CustomerID.trim();
        if (r.Country !== "Germany" || id === "") continue;
        if (!invoices.has(id)) invoices.set(id, new Set());
        invoices.get(id)!.add(r.InvoiceNo);
      }
    }
    const regulars = [...invoices.values()].filter((s) => s.size >= 3).length;
    const p = previewed(inExample("online-retail", ["preview", "germany_regulars", "--as-of", "2011-12-31", "--json"]));
    expect(p.count).toBe(regulars);
    const v = parseJson<{ custom_columns: Record<string, Record<string, string>> }>(inExample("online-retail", ["validate", "--exports", "--json"]));
    expect(v.custom_columns).toEqual({ order_items: { Country: "orders.country" } });
    expect(invoices.size).toBeGreaterThan(regulars);
  }, 120_000);
});

describe.skipIf(!have("cdnow"))("RFM on CDNOW: recency against the lifetimes summary", () => {
  it("for the 2,357 sample customers as of 1997-09-30, days since the last order are (T - recency) * 7, to the day", () => {
    const dir = path.join(SHARED, "cdnow");
    // The sample's rows carry the master id and the sample id (the summary's ID).
    const masterOf = new Map<string, string>();
    for (const line of readFileSync(path.join(dir, "CDNOW_sample.txt"), "utf8").split("\n")) {
      const [master, sample] = line.trim().split(/\s+/);
      if (sample) masterOf.set(String(Number(sample)), master);
    }
    const summary = parseCsv(readFileSync(path.join(dir, "cdnow_customers_summary.csv"), "utf8"), { columns: true }) as Array<Record<string, string>>;
    expect(summary).toHaveLength(2357);
    const rows = parseJson<Array<{ id: string; recency: number }>>(inExample("cdnow", ["rfm", "--as-of", "1997-09-30", "--format", "json"]));
    expect(rows).toHaveLength(23570);
    const recency = new Map(rows.map((r) => [r.id, r.recency]));
    // T and recency are weeks rounded to 2 decimals: within 0.07 of a day, so rounding gives the day.
    const wrong = summary.filter((e) => recency.get(masterOf.get(e.ID)!) !== Math.round((Number(e.T) - Number(e.recency)) * 7));
    expect(wrong).toEqual([]);
  }, 120_000);
});

describe.skipIf(!have("online-retail"))("RFM on Online Retail: invoices as orders, cancellations excluded", () => {
  it("4,339 customers with an order, 18,536 orders, 8,911,407.90; customer 12347: 7 orders, 4,310.00, 2010-12-07 to 2011-12-07", () => {
    // The figures are the (computed outside this project).
    const rfm = parseJson<{ scored: number; segments: Array<{ orders: number; revenue: number }> }>(inExample("online-retail", ["rfm", "--as-of", "2011-12-31", "--json"]));
    expect(rfm.scored).toBe(4339);
    expect(rfm.segments.reduce((n, s) => n + s.orders, 0)).toBe(18536);
    expect(Math.round(rfm.segments.reduce((n, s) => n + s.revenue, 0) * 100)).toBe(891140790);
    // The example reads the float ids (12347.0) as 12347: ids.drop_decimal_zeros.
    const everyone = parseJson<Array<Record<string, unknown>>>(inExample("online-retail", [
      "export", "--all", "--fresh", "--as-of", "2011-12-31", "--fields", "id,rfm.frequency,rfm.monetary,orders.first_at,orders.last_at", "--format", "json", "--out", "-",
      "--segments", EVERYONE,
    ]));
    expect(everyone.find((c) => c.id === "12347")).toMatchObject({
      "rfm.frequency": 7, "rfm.monetary": 4310, "orders.first_at": expect.stringMatching(/^2010-12-07T/), "orders.last_at": expect.stringMatching(/^2011-12-07T/),
    });
  }, 120_000);
});

describe.skipIf(!have("rfm"))("rfm_data_orders.csv of the R package rfm", () => {
  it("4,906 orders of 995 customers, ids with apostrophes kept", () => {
    const v = parseJson<ValidateJson>(inExample("rfm", ["validate", "--exports", "--json"]));
    expect(v.rows.orders).toBe(4906);
    const everyone = parseJson<Array<{ id: string }>>(inExample("rfm", [
      "export", "--all", "--fresh", "--as-of", "2006-12-31", "--fields", "id", "--format", "json", "--out", "-",
      "--segments", EVERYONE,
    ]));
    expect(everyone).toHaveLength(995);
    expect(everyone.map((c) => c.id)).toContain("Agness O'Keefe");
  }, 120_000);
});
