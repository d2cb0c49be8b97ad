#!/usr/bin/env node
// The DuckDB side of `npm run bench:duckdb` (bench/duckdb.mjs runs it as a child process):
//
//   node bench/duckdb-child.mjs DATA_DIR AS_OF [--ids-out DIR]
//
// Opens an in-memory DuckDB, loads the six CSV exports of DATA_DIR into typed tables and
// runs the bench's 26 segments (segments/*.yaml and bench/suite/*.yaml) as one SQL query
// each, then prints one JSON object on stdout:
//   { duckdb, loadMs, totalMs, tables: {name: {rows, ms}}, segments: [{ code, members, ms }], usage }
// where usage is process.resourceUsage() at the end (maxRSS KiB, userMs, sysMs: the whole
// process, DuckDB's threads included). --ids-out DIR also writes each segment's member ids
// to DIR/<code>.csv (sorted; for finding which customers differ, outside the timed runs).
//
// The SQL is written from the user documentation (docs/segments.md, docs/data.md,
// docs/rfm.md, docs/config.md), not from src/, so that it is an independent reference for
// what `segment` computes. The rules it relies on:
// - every value is read as text (all_varchar) and typed here: an empty or blank cell is
//   null; ids are trimmed with one leading ' removed; strings compare trimmed and
//   lower-cased; bools are true/false/1/0/yes/no in any case; lists split on `;`, items
//   trimmed, empty ones dropped; datetimes `...Z`, `... HH:MM:SS` (no zone: UTC), `+03:00`,
//   `+0300` (optionally after a space), with milliseconds, or a plain date (midnight);
//   a value that does not parse stops the load (CAST, not TRY_CAST);
// - dates compare as calendar days in the configured zone, UTC here (SET TimeZone);
// - facts of unknown customers (orphans) and facts dated after the as-of day are left out
//   of everything, and so are the items of a left-out order; items join orders by order_id;
// - null: every operator is false on null except ne, not_in, not_contains and empty: true.
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const BENCH = dirname(fileURLToPath(import.meta.url));

const argv = process.argv.slice(2);
let idsOut = null;
const k = argv.indexOf('--ids-out');
if (k >= 0) {
  idsOut = resolve(argv[k + 1]);
  argv.splice(k, 2);
}
const [dataArg, AS_OF] = argv;
if (!dataArg || !/^\d{4}-\d{2}-\d{2}$/.test(AS_OF ?? '')) {
  console.error('usage: node bench/duckdb-child.mjs DATA_DIR YYYY-MM-DD [--ids-out DIR]');
  process.exit(2);
}
const DATA = resolve(dataArg);

const t0 = performance.now();
const requireDuck = createRequire(join(BENCH, 'duckdb', 'package.json'));
const { DuckDBInstance, version } = await import(pathToFileURL(requireDuck.resolve('@duckdb/node-api')).href);

// ---------------------------------------------------------------------------
// SQL helpers
// ---------------------------------------------------------------------------
const lit = (s) => `'${String(s).replace(/'/g, "''")}'`;
const csvOf = (name) => `read_csv(${lit(join(DATA, `${name}.csv`))}, header = true, all_varchar = true, delim = ',', quote = '"', escape = '"')`;
/** The as-of day, and relative days: `rel('-7d')`, `rel('-6m')`, `rel('+3d')` (docs/segments.md, Dates). */
const ASOF = `DATE ${lit(AS_OF)}`;
function rel(offset) {
  const m = /^([+-])(\d+)([dwmy])$/.exec(offset);
  if (!m) throw new Error(`bad offset ${offset}`);
  const unit = { d: 'DAY', w: 'WEEK', m: 'MONTH', y: 'YEAR' }[m[3]];
  // DuckDB's month and year arithmetic clamps to the month's end, as the docs say
  // (31 May -1m is 30 April; 29 February -1y is 28 February).
  return `CAST(${ASOF} ${m[1]} INTERVAL ${Number(m[2])} ${unit} AS DATE)`;
}
/** Month and day as a number MMDD, for ignore_year: 29 February (229) sits between 228 and 301. */
const md = (d) => `(month(${d}) * 100 + day(${d}))`;
/** ignore_year between [low, high]: a low after high wraps the new year. */
const mdBetween = (v, lo, hi) => `CASE WHEN ${md(lo)} <= ${md(hi)} THEN ${md(v)} BETWEEN ${md(lo)} AND ${md(hi)} ELSE (${md(v)} >= ${md(lo)} OR ${md(v)} <= ${md(hi)}) END`;
const inList = (values) => `(${values.map((v) => lit(v.trim().toLowerCase())).join(', ')})`;

// Macros for reading the text cells (docs/data.md, Types).
const MACROS = `
CREATE MACRO txt(v) AS NULLIF(trim(v), '');
CREATE MACRO fold(v) AS lower(NULLIF(trim(v), ''));
CREATE MACRO ident(v) AS NULLIF(regexp_replace(trim(v), '^''', ''), '');
CREATE MACRO to_bool(v) AS CASE
  WHEN txt(v) IS NULL THEN NULL
  WHEN lower(trim(v)) IN ('true', '1', 'yes') THEN true
  WHEN lower(trim(v)) IN ('false', '0', 'no') THEN false
  ELSE error('not a bool: ' || v) END;
CREATE MACRO to_list(v) AS CASE WHEN txt(v) IS NULL THEN NULL
  ELSE list_filter(list_transform(string_split(v, ';'), x -> lower(trim(x))), x -> x <> '') END;
CREATE MACRO to_ts(v) AS CAST(regexp_replace(txt(v), ' ([+-][0-9]{2}(:?[0-9]{2})?)$', '\\1') AS TIMESTAMPTZ);
CREATE MACRO to_day(v) AS CAST(to_ts(v) AS DATE);
CREATE MACRO to_money(v) AS CAST(txt(v) AS DECIMAL(18, 2));
`;

// The exports as typed tables. Facts keep only rows of known customers that are not dated
// after the as-of day (a fact with no timestamp is kept); each fact row carries its day.
// The parsed rows go into a table of their own before the filter: pushed down into the
// scan, the filter would parse every datetime three times.
/**
 * A fact table as DuckDB keeps it: the export's rows typed by `select`, only those of known
 * customers (orphans are ignored, docs/data.md) and not dated after the as-of day.
 */
function factTable(name, exportName, select) {
  return `
CREATE TEMP TABLE ${name}_parsed AS
  SELECT ${select}
  FROM ${csvOf(exportName)};
CREATE TABLE ${name} AS SELECT p.* FROM ${name}_parsed p SEMI JOIN customers c ON c.id = p.customer_id
WHERE p.day IS NULL OR p.day <= ${ASOF};
DROP TABLE ${name}_parsed`;
}

const LOAD = [
  ['customers', `
CREATE TABLE customers AS SELECT
  ident(id) AS id,
  fold(sex) AS sex,
  txt(phone) AS phone,
  CAST(txt(birthday) AS DATE) AS birthday,
  to_day(created_at) AS created_day,
  fold(city) AS city,
  fold(customer_group) AS customer_group,
  to_list(tags) AS tags,
  to_list(channels) AS channels,
  to_bool(email_marketing) AS email_marketing,
  to_bool(loyalty_card) AS loyalty_card,
  CAST(txt(bonus_points) AS DECIMAL(18, 3)) AS bonus_points,
  CAST(txt(discount_rate) AS DECIMAL(18, 3)) AS discount_rate,
  CAST(txt(last_call) AS DATE) AS last_call,
  to_day(last_login_at) AS last_login_day,
  txt(favourite_tea) AS favourite_tea
FROM ${csvOf('customers')}`],
  ['orders', factTable('orders', 'orders', `ident(id) AS id, ident(customer_id) AS customer_id, to_day(created_at) AS day,
         fold(status) AS status, to_money(total) AS total`)],
  ['items', `
CREATE TABLE items AS SELECT o.id AS order_id, o.customer_id, o.day, o.status,
       fold(i.category) AS category, CAST(txt(i.quantity) AS DECIMAL(18, 3)) AS quantity, to_money(i.price) AS price
FROM ${csvOf('order_items')} i JOIN orders o ON o.id = ident(i.order_id)`],
  ['visits', factTable('visits', 'visits', `ident(customer_id) AS customer_id, to_day(visited_at) AS day,
         fold(source) AS source, fold(medium) AS medium, fold(page) AS page, fold(category) AS category`)],
  ['carts', factTable('carts', 'carts', `ident(customer_id) AS customer_id, to_day(updated_at) AS day, fold(status) AS status`)],
  ['emails', factTable('emails', 'email_events', `ident(customer_id) AS customer_id, to_day("at") AS day, fold("type") AS type`)],
  // RFM (docs/rfm.md) with the defaults: counted orders are those whose status is not
  // cancelled or returned (no status counts); recency in whole days from the last counted
  // order's day, frequency their number, monetary the sum of their totals. Rank scoring:
  // score = 1 + floor(bins * k / n), k the customers with a strictly worse value.
  ['rfm', `
CREATE TABLE rfm AS
WITH base AS (
  SELECT customer_id AS id, ${ASOF} - max(day) AS recency, count(*) AS frequency, sum(coalesce(total, 0)) AS monetary
  FROM orders WHERE status IS NULL OR status NOT IN ('cancelled', 'returned') GROUP BY customer_id
), ranked AS (
  SELECT *, count(*) OVER () AS n,
         rank() OVER (ORDER BY recency DESC) - 1 AS kr,
         rank() OVER (ORDER BY frequency) - 1 AS kf,
         rank() OVER (ORDER BY monetary) - 1 AS km
  FROM base
), scored AS (
  SELECT id, recency, frequency, monetary,
         1 + (5 * kr) // n AS r, 1 + (5 * kf) // n AS f, 1 + (5 * km) // n AS m
  FROM ranked
)
SELECT *, CASE
  WHEN r BETWEEN 5 AND 5 AND f BETWEEN 5 AND 5 AND m BETWEEN 5 AND 5 THEN 'champions'
  WHEN r BETWEEN 3 AND 5 AND f BETWEEN 3 AND 5 AND m BETWEEN 2 AND 5 THEN 'potential-loyalist'
  WHEN r BETWEEN 2 AND 4 AND f BETWEEN 2 AND 4 AND m BETWEEN 2 AND 4 THEN 'loyal'
  WHEN r BETWEEN 3 AND 4 AND f BETWEEN 1 AND 3 AND m BETWEEN 3 AND 5 THEN 'promising'
  WHEN r BETWEEN 4 AND 5 AND f BETWEEN 1 AND 3 AND m BETWEEN 1 AND 5 THEN 'new'
  WHEN r BETWEEN 1 AND 2 AND f BETWEEN 3 AND 4 AND m BETWEEN 4 AND 5 THEN 'cant-lose'
  WHEN r BETWEEN 1 AND 2 AND f BETWEEN 2 AND 5 AND m BETWEEN 4 AND 5 THEN 'at-risk'
  WHEN r BETWEEN 1 AND 3 AND f BETWEEN 3 AND 5 AND m BETWEEN 3 AND 5 THEN 'need-attention'
  WHEN r BETWEEN 2 AND 3 AND f BETWEEN 1 AND 3 AND m BETWEEN 1 AND 4 THEN 'about-to-sleep'
  WHEN r BETWEEN 1 AND 1 AND f BETWEEN 1 AND 5 AND m BETWEEN 1 AND 5 THEN 'lost'
  ELSE 'others' END AS segment
FROM scored`],
];

/**
 * Per-customer aggregate of a fact table: `agg('orders', "count(*)", "status = 'paid'")`
 * as a subquery (id, v) to LEFT JOIN to customers; with no rows a customer gets null, so
 * counts and sums take coalesce(v, 0).
 */
const agg = (table, expr, where = 'true') => `(SELECT customer_id AS id, ${expr} AS v FROM ${table} WHERE ${where} GROUP BY customer_id)`;

// ---------------------------------------------------------------------------
// The 26 segments, each a query of member ids, in an order where a referenced segment
// comes before the one that references it (its members are in table "seg:<code>").
// ---------------------------------------------------------------------------
const seg = (code) => `"seg:${code}"`;
const SEGMENTS = [
  // segments/abandoned-cart.yaml: carts.count (abandoned, updated in [-7d, today]) >= 1
  // and orders.count (created in [-7d, today]) = 0.
  ['abandoned-cart', `
SELECT c.id FROM customers c
LEFT JOIN ${agg('carts', 'count(*)', `status IN ('abandoned') AND day BETWEEN ${rel('-7d')} AND ${ASOF}`)} a ON a.id = c.id
LEFT JOIN ${agg('orders', 'count(*)', `day BETWEEN ${rel('-7d')} AND ${ASOF}`)} o ON o.id = c.id
WHERE coalesce(a.v, 0) >= 1 AND coalesce(o.v, 0) = 0`],

  // segments/big-spenders.yaml: orders.avg_check (complete or paid) > 3000; avg_check is
  // revenue / count, null with no passing order; an order with no total adds nothing.
  ['big-spenders', `
SELECT c.id FROM customers c
JOIN (SELECT customer_id AS id, sum(coalesce(total, 0)) AS revenue, count(*) AS n
      FROM orders WHERE status IN ('complete', 'paid') GROUP BY customer_id) o ON o.id = c.id
WHERE o.revenue > 3000 * o.n`],

  // segments/birthday-soon.yaml: birthday, ignore_year, between [today, +3d].
  ['birthday-soon', `
SELECT id FROM customers WHERE birthday IS NOT NULL AND ${mdBetween('birthday', ASOF, rel('+3d'))}`],

  // segments/call-back.yaml: orders.count >= 10 and orders.last_at before -6m (a calendar month offset).
  ['call-back', `
SELECT c.id FROM customers c
JOIN (SELECT customer_id AS id, count(*) AS n, max(day) AS last FROM orders GROUP BY customer_id) o ON o.id = c.id
WHERE o.n >= 10 AND o.last < ${rel('-6m')}`],

  // segments/email-engaged.yaml: an open and a click, each in [-2w, today].
  ['email-engaged', `
SELECT c.id FROM customers c
LEFT JOIN ${agg('emails', 'count(*)', `type IN ('open') AND day BETWEEN ${rel('-2w')} AND ${ASOF}`)} op ON op.id = c.id
LEFT JOIN ${agg('emails', 'count(*)', `type IN ('click') AND day BETWEEN ${rel('-2w')} AND ${ASOF}`)} cl ON cl.id = c.id
WHERE coalesce(op.v, 0) >= 1 AND coalesce(cl.v, 0) >= 1`],

  // segments/email-unopened.yaml: a sent mail on or after -30d, and no open on or after -30d.
  ['email-unopened', `
SELECT c.id FROM customers c
LEFT JOIN ${agg('emails', 'count(*)', `type IN ('sent') AND day >= ${rel('-30d')}`)} s ON s.id = c.id
LEFT JOIN ${agg('emails', 'count(*)', `type IN ('open') AND day >= ${rel('-30d')}`)} op ON op.id = c.id
WHERE coalesce(s.v, 0) >= 1 AND coalesce(op.v, 0) = 0`],

  // segments/lapsed-valuable.yaml: orders.last_at before -60d, orders.revenue (all orders) > 10000.
  ['lapsed-valuable', `
SELECT c.id FROM customers c
JOIN (SELECT customer_id AS id, max(day) AS last, sum(coalesce(total, 0)) AS revenue FROM orders GROUP BY customer_id) o ON o.id = c.id
WHERE o.last < ${rel('-60d')} AND o.revenue > 10000`],

  // segments/messenger-buyers.yaml: channels has any of four, and an order whose status is
  // not cancelled (no status passes not_in).
  ['messenger-buyers', `
SELECT c.id FROM customers c
LEFT JOIN ${agg('orders', 'count(*)', `status IS NULL OR status NOT IN ('cancelled')`)} o ON o.id = c.id
WHERE coalesce(list_has_any(c.channels, ['telegram', 'viber', 'whatsapp', 'messenger']), false) AND coalesce(o.v, 0) >= 1`],

  // segments/new-this-month.yaml (static: on a first run it is computed): created_at's day in November 2026.
  ['new-this-month', `
SELECT id FROM customers WHERE created_day BETWEEN DATE '2026-11-01' AND DATE '2026-11-30'`],

  // segments/not-moscow.yaml: city not_in [Moscow, Москва]; a customer with no city passes.
  ['not-moscow', `
SELECT id FROM customers WHERE city IS NULL OR city NOT IN ${inList(['Moscow', 'Москва'])}`],

  // segments/tea-and-teaware.yaml: orders.category all [Chinese tea, Teaware]: each matched
  // by some item of the customer's orders, not necessarily the same order.
  ['tea-and-teaware', `
SELECT customer_id AS id FROM items GROUP BY customer_id
HAVING bool_or(category = 'chinese tea') AND bool_or(category = 'teaware')`],

  // segments/tea-repeat-offer.yaml: orders with a Chinese tea item: count >= 1 and the
  // latest of them in [-120d, -90d].
  ['tea-repeat-offer', `
SELECT customer_id AS id FROM (SELECT DISTINCT order_id, customer_id, day FROM items WHERE category IN ('chinese tea')) t
GROUP BY customer_id HAVING count(*) >= 1 AND max(day) BETWEEN ${rel('-120d')} AND ${rel('-90d')}`],

  // segments/telegram-buyers.yaml: channels has telegram; orders.count >= 1.
  ['telegram-buyers', `
SELECT c.id FROM customers c
LEFT JOIN ${agg('orders', 'count(*)')} o ON o.id = c.id
WHERE coalesce(list_contains(c.channels, 'telegram'), false) AND coalesce(o.v, 0) >= 1`],

  // segments/win-back-not-moscow.yaml: in lapsed-valuable, in not-moscow, not in birthday-soon.
  ['win-back-not-moscow', `
SELECT id FROM customers
WHERE id IN (SELECT id FROM ${seg('lapsed-valuable')}) AND id IN (SELECT id FROM ${seg('not-moscow')})
  AND id NOT IN (SELECT id FROM ${seg('birthday-soon')})`],

  // bench/suite/anniversary-week.yaml: created_at, ignore_year, in [today, +7d]; created
  // before -1y; a phone.
  ['anniversary-week', `
SELECT id FROM customers
WHERE created_day IS NOT NULL AND ${mdBetween('created_day', ASOF, rel('+7d'))}
  AND created_day < ${rel('-1y')} AND phone IS NOT NULL`],

  // bench/suite/bulk-teaware.yaml, match any:
  // - orders.revenue where category Teaware and price >= 1000, > 5000: with an item column
  //   in where, the sum of price * quantity of the passing items (no quantity: one unit);
  // - orders.quantity where quantity >= 3 and status complete, >= 3: the sum of the
  //   quantities of the passing items (quantity >= 3) of complete orders.
  ['bulk-teaware', `
SELECT c.id FROM customers c
LEFT JOIN ${agg('items', 'sum(price * coalesce(quantity, 1))', `category IN ('teaware') AND price >= 1000`)} r ON r.id = c.id
LEFT JOIN ${agg('items', 'sum(coalesce(quantity, 1))', `quantity >= 3 AND status IN ('complete')`)} q ON q.id = c.id
WHERE coalesce(r.v, 0) > 5000 OR coalesce(q.v, 0) >= 3`],

  // bench/suite/cart-no-email.yaml: the last abandoned cart on or after -3d; no open on or
  // after -90d; no unsubscribe ever (up to the as-of day).
  ['cart-no-email', `
SELECT c.id FROM customers c
JOIN ${agg('carts', 'max(day)', `status IN ('abandoned')`)} k ON k.id = c.id
LEFT JOIN ${agg('emails', 'count(*)', `type IN ('open') AND day >= ${rel('-90d')}`)} op ON op.id = c.id
LEFT JOIN ${agg('emails', 'count(*)', `type IN ('unsubscribe')`)} un ON un.id = c.id
WHERE k.v >= ${rel('-3d')} AND coalesce(op.v, 0) = 0 AND coalesce(un.v, 0) = 0`],

  // bench/suite/custom-loyalty.yaml: custom.loyalty_card (a bool column: it has true/false
  // words) eq true, custom.bonus_points >= 300, custom.discount_rate < 10.
  ['custom-loyalty', `
SELECT id FROM customers WHERE loyalty_card = true AND bonus_points >= 300 AND discount_rate < 10`],

  // bench/suite/custom-puerh-fans.yaml, match any: favourite_tea contains pu-erh (folded);
  // favourite_tea matches the bare (case-sensitive) ^(da hong pao|tie guan yin) on the
  // trimmed, unfolded value; or last_login_at before -3m and no last_call.
  ['custom-puerh-fans', `
SELECT id FROM customers
WHERE coalesce(contains(lower(favourite_tea), 'pu-erh'), false)
   OR coalesce(regexp_matches(favourite_tea, '^(da hong pao|tie guan yin)'), false)
   OR (coalesce(last_login_day < ${rel('-3m')}, false) AND last_call IS NULL)`],

  // bench/suite/first-order-recent.yaml: orders.first_at in [-30d, today], orders.count = 1,
  // not in big-spenders.
  ['first-order-recent', `
SELECT c.id FROM customers c
JOIN (SELECT customer_id AS id, min(day) AS first, count(*) AS n FROM orders GROUP BY customer_id) o ON o.id = c.id
WHERE o.first BETWEEN ${rel('-30d')} AND ${ASOF} AND o.n = 1
  AND c.id NOT IN (SELECT id FROM ${seg('big-spenders')})`],

  // bench/suite/not-vip-or-wholesale.yaml: not: true on the segment, match any of tags has
  // vip, customer_group eq Wholesale; null fails both, so it is in.
  ['not-vip-or-wholesale', `
SELECT id FROM customers
WHERE NOT (coalesce(list_contains(tags, 'vip'), false) OR coalesce(customer_group = 'wholesale', false))`],

  // bench/suite/rfm-champions.yaml: rfm.segment in [champions, loyal].
  ['rfm-champions', `
SELECT c.id FROM customers c JOIN rfm ON rfm.id = c.id WHERE rfm.segment IN ('champions', 'loyal')`],

  // bench/suite/rfm-slipping.yaml: rfm.r <= 2 and rfm.f >= 4.
  ['rfm-slipping', `
SELECT c.id FROM customers c JOIN rfm ON rfm.id = c.id WHERE rfm.r <= 2 AND rfm.f >= 4`],

  // bench/suite/visits-paid-instagram.yaml: a visit from google/yandex/instagram, medium
  // cpc/social, page /checkout; and the last visit (any) on or after -90d.
  ['visits-paid-instagram', `
SELECT c.id FROM customers c
JOIN ${agg('visits', 'count(*)', `source IN ${inList(['google', 'yandex', 'instagram'])} AND medium IN ${inList(['cpc', 'social'])} AND page IN ${inList(['/checkout'])}`)} p ON p.id = c.id
JOIN ${agg('visits', 'max(day)')} l ON l.id = c.id
WHERE p.v >= 1 AND l.v >= ${rel('-90d')}`],

  // bench/suite/visits-tea-browsers.yaml: 3+ visits of Chinese tea in [-30d, today], no
  // order on or after -30d.
  ['visits-tea-browsers', `
SELECT c.id FROM customers c
JOIN ${agg('visits', 'count(*)', `category IN ('chinese tea') AND day BETWEEN ${rel('-30d')} AND ${ASOF}`)} v ON v.id = c.id
LEFT JOIN ${agg('orders', 'count(*)', `day >= ${rel('-30d')}`)} o ON o.id = c.id
WHERE v.v >= 3 AND coalesce(o.v, 0) = 0`],

  // bench/suite/young-spb-women.yaml: sex female, age in [18, 30] (whole years from the
  // birthday to the as-of day), city Saint Petersburg or Санкт-Петербург, email_marketing true.
  ['young-spb-women', `
SELECT id FROM customers
WHERE sex = 'female'
  AND (year(${ASOF}) - year(birthday) - CASE WHEN ${md(ASOF)} < ${md('birthday')} THEN 1 ELSE 0 END) BETWEEN 18 AND 30
  AND city IN ${inList(['Saint Petersburg', 'Санкт-Петербург'])}
  AND email_marketing = true`],
];

// ---------------------------------------------------------------------------
// run
// ---------------------------------------------------------------------------
const instance = await DuckDBInstance.create(':memory:');
const db = await instance.connect();
const run = (sql) => db.run(sql);
const one = async (sql) => (await db.runAndReadAll(sql)).getRows()[0][0];

await run("SET TimeZone = 'UTC'");
await run(MACROS);
const tables = {};
const tLoad = performance.now();
for (const [name, sql] of LOAD) {
  const t = performance.now();
  await run(sql);
  tables[name] = { rows: Number(await one(`SELECT count(*) FROM ${name}`)), ms: +(performance.now() - t).toFixed(1) };
}
const loadMs = performance.now() - tLoad;

const segments = [];
for (const [code, sql] of SEGMENTS) {
  const t = performance.now();
  await run(`CREATE TABLE ${seg(code)} AS ${sql}`);
  const members = Number(await one(`SELECT count(*) FROM ${seg(code)}`));
  segments.push({ code, members, ms: +(performance.now() - t).toFixed(1) });
}
const totalMs = performance.now() - t0;

if (idsOut) {
  if (!existsSync(idsOut)) mkdirSync(idsOut, { recursive: true });
  for (const [code] of SEGMENTS) await run(`COPY (SELECT id FROM ${seg(code)} ORDER BY id) TO ${lit(join(idsOut, `${code}.csv`))} (HEADER, DELIMITER ',')`);
}
db.closeSync();

const u = process.resourceUsage();
process.stdout.write(JSON.stringify({
  duckdb: typeof version === 'function' ? version() : null,
  loadMs: +loadMs.toFixed(1),
  totalMs: +totalMs.toFixed(1),
  tables,
  segments,
  usage: { maxRSS: u.maxRSS, userMs: u.userCPUTime / 1000, sysMs: u.systemCPUTime / 1000 },
}) + '\n');
