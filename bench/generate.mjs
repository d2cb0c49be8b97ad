#!/usr/bin/env node
// Seeded, streaming generator of large synthetic canonical exports (DATA.md) for the bench.
//
//   node bench/generate.mjs [--scale small|medium|medium-x10|large] [--out DIR] [--seed N]
//                           [--customers N] [--orders N] [--items N] [--visits N]
//                           [--carts N] [--emails N]
//
// Writes into DIR (default bench/data/<scale>/, git-ignored):
//   customers.csv        canonical columns + 6 custom columns (BOM, LF)
//   orders.csv           ~orders rows; total = sum of its items
//   order_items.csv      ~items rows (1..n items per order, mean items/orders)
//   visits.ndjson        ~visits rows, one object a line; null keys are left out
//   carts.json           ~carts rows, one JSON array written object by object
//   email_events.csv.gz  ~emails rows, gzipped CSV streamed through zlib
//   manifest.json        seed, requested and actual row counts, bytes, seconds
//
// Plain Node ESM, no dependencies. Every random choice comes from a mulberry32 PRNG
// (one stream per file) or from an integer hash of the customer number (attributes that
// several files must agree on: registration time, churn, e-mail consent), so the output
// is a pure function of the seed and the counts. Nothing reads the clock for data, and
// every file is written in ~1 MiB chunks with backpressure (await 'drain'): memory stays
// flat whatever the row counts.
//
// The value vocabularies are the fixtures' (fixtures/generate.mjs): cities, categories and
// products, statuses, stores, channels, utm sources, e-mail types and campaigns, so the
// example segments in segments/ match a non-trivial share of the customers.

import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { join, resolve, dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';
import { mulberry32 } from './common.mjs';
import { performance } from 'node:perf_hooks';

const BENCH = dirname(fileURLToPath(import.meta.url));

/**
 * Row counts per scale. medium and medium-x10 differ only in fact rows per customer (5 vs 50
 * orders each); medium-x10 and large differ only in customers (100k vs 1M).
 */
export const SCALES = {
  small: { customers: 10_000, orders: 50_000, items: 100_000, visits: 100_000, carts: 10_000, emails: 150_000 },
  medium: { customers: 100_000, orders: 500_000, items: 1_000_000, visits: 800_000, carts: 100_000, emails: 1_500_000 },
  'medium-x10': { customers: 100_000, orders: 5_000_000, items: 10_000_000, visits: 8_000_000, carts: 1_000_000, emails: 15_000_000 },
  // 8M rather than 10M visits keeps `large` under ~3 GB on disk (visits are ~160 bytes a row)
  large: { customers: 1_000_000, orders: 5_000_000, items: 10_000_000, visits: 8_000_000, carts: 1_000_000, emails: 15_000_000 },
  // The performance issue's scales: every export plain CSV, so DuckDB reads the same files
  // (bench/duckdb.mjs). 1m is 2.7 GB; 100k is a tenth of it; 1m-x10 has ten times 1m's facts.
  '100k': { customers: 100_000, orders: 500_000, items: 1_200_000, visits: 1_000_000, carts: 50_000, emails: 800_000, csv: true },
  '1m': { customers: 1_000_000, orders: 5_000_000, items: 12_000_000, visits: 10_000_000, carts: 500_000, emails: 8_000_000, csv: true },
  '1m-x10': { customers: 1_000_000, orders: 50_000_000, items: 120_000_000, visits: 100_000_000, carts: 5_000_000, emails: 80_000_000, csv: true },
};
export const DEFAULT_SEED = 20261123;
export const FILES = ['customers.csv', 'orders.csv', 'order_items.csv', 'visits.ndjson', 'carts.json', 'email_events.csv.gz'];
export const CSV_FILES = ['customers.csv', 'orders.csv', 'order_items.csv', 'visits.csv', 'carts.csv', 'email_events.csv'];
/** The files a scale's counts make: every export CSV when `counts.csv`. */
export const filesFor = (counts) => (counts.csv ? CSV_FILES : FILES);

// ---------------------------------------------------------------------------
// randomness
// ---------------------------------------------------------------------------

function makeRng(seed) {
  const f = mulberry32(seed);
  return {
    f,
    int: (a, b) => a + Math.floor(f() * (b - a + 1)),
    pick: (arr) => arr[Math.floor(f() * arr.length)],
  };
}

function weightedPicker(pairs) {
  const cum = [];
  let total = 0;
  for (const [, w] of pairs) cum.push((total += w));
  const values = pairs.map(([v]) => v);
  return (u) => {
    const x = u * total;
    for (let i = 0; i < cum.length; i++) if (x < cum[i]) return values[i];
    return values[values.length - 1];
  };
}

/** A number in [0, 1) that depends only on (seed, n, salt): per-customer attributes. */
function makeHash(seed) {
  const s = Math.imul(seed >>> 0, 0x9e3779b1) >>> 0;
  return (n, salt) => {
    let x = (Math.imul(n + 1, 0x85ebca6b) ^ Math.imul(salt + 1, 0xc2b2ae35) ^ s) >>> 0;
    x ^= x >>> 16;
    x = Math.imul(x, 0x7feb352d);
    x ^= x >>> 15;
    x = Math.imul(x, 0x846ca68b);
    x ^= x >>> 16;
    return (x >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------
// time: the two years before the as-of day 2026-11-23 (UTC)
// ---------------------------------------------------------------------------
const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const START = Date.UTC(2024, 10, 23);
const END = Date.UTC(2026, 10, 23) - SEC; // 2026-11-22T23:59:59Z
const SPAN = END - START;

const iso = (ms) => new Date(ms).toISOString(); // 2026-01-02T03:04:05.678Z
const fmtZ = (ms) => iso(ms).slice(0, 19) + 'Z';
const fmtZms = (ms) => iso(ms);
const fmtSpace = (ms) => { const s = iso(ms); return s.slice(0, 10) + ' ' + s.slice(11, 19); };
const fmtMsk = (ms) => iso(ms + 3 * HOUR).slice(0, 19) + '+03:00';
const fmtMskNoColon = (ms) => iso(ms + 3 * HOUR).slice(0, 19) + '+0300';
const fmtDay = (ms) => iso(ms).slice(0, 10);
/** The datetime forms of DATA.md that the fixtures use most, weighted. */
const orderForm = weightedPicker([[fmtZ, 40], [fmtSpace, 25], [fmtMsk, 15], [fmtZms, 10], [fmtMskNoColon, 10]]);

// ---------------------------------------------------------------------------
// vocabularies (from fixtures/generate.mjs)
// ---------------------------------------------------------------------------
const PRODUCTS = [
  ['P101', 'CT-DHP-50', 'Da Hong Pao "Big Red Robe", 50 g', 'Chinese tea', 129000],
  ['P102', 'CT-TGY-100', 'Tie Guan Yin, 100 g', 'Chinese tea', 99000],
  ['P103', 'CT-SHOU-357', 'Shou Pu-erh cake "Menghai 7572", 357 g', 'Chinese tea', 289000],
  ['P104', 'CT-SHENG-100', 'Sheng Pu-erh, 2018, 100 g', 'Chinese tea', 149000],
  ['P105', 'CT-DIANHONG-100', 'Dian Hong "Golden Tips", 100 g', 'Chinese tea', 119000],
  ['P106', 'CT-BYZ-50', 'Bai Hao Yin Zhen "Silver Needle", 50 g', 'Chinese tea', 189000],
  ['P107', 'CT-LAPSANG-100', 'Lapsang Souchong, 100 g', 'Chinese tea', 89000],
  ['P201', 'GT-SENCHA-100', 'Sencha, 100 g', 'Green tea', 79000],
  ['P202', 'GT-GYOKURO-50', 'Gyokuro "Jade Dew", 50 g', 'Green tea', 159000],
  ['P203', 'GT-LONGJING-100', 'Long Jing "Dragon Well", 100 g', 'Green tea', 139000],
  ['P204', 'GT-MATCHA-30', 'Matcha, ceremonial grade, 30 g', 'Green tea', 119000],
  ['P205', 'GT-BILUO-50', 'Bi Luo Chun, 50 g', 'Green tea', 99000],
  ['P301', 'BT-ASSAM-100', 'Assam TGFOP, 100 g', 'Black tea', 59000],
  ['P302', 'BT-EARLGREY-100', 'Earl Grey "Classic", 100 g', 'Black tea', 49000],
  ['P303', 'BT-DARJ-100', 'Darjeeling First Flush, 100 g', 'Black tea', 129000],
  ['P304', 'BT-CEYLON-250', 'Ceylon OP1, 250 g', 'Black tea', 69000],
  ['P305', 'BT-KRASNODAR-100', 'Krasnodar black tea, 100 g', 'Black tea', 35000],
  ['P401', 'CB-ETH-250', 'Ethiopia Yirgacheffe, 250 g', 'Coffee beans', 119000],
  ['P402', 'CB-COL-250', 'Colombia Supremo, 250 g', 'Coffee beans', 99000],
  ['P403', 'CB-BRA-1000', 'Brazil Santos, 1 kg', 'Coffee beans', 249000],
  ['P404', 'CB-ESP-1000', 'Espresso blend "Morning", 1 kg', 'Coffee beans', 299000],
  ['P405', 'CB-KEN-250', 'Kenya AA, 250 g', 'Coffee beans', 138990],
  ['P406', 'CB-DECAF-250', 'Decaf Colombia, 250 g', 'Coffee beans', 109000],
  ['P501', 'TW-GAIWAN-150', 'Gaiwan, porcelain, 150 ml', 'Teaware', 189000],
  ['P502', 'TW-YIXING-200', 'Yixing teapot, zisha clay, 200 ml', 'Teaware', 500000],
  ['P503', 'TW-TRAY-4028', 'Tea tray "Bamboo", 40x28 cm', 'Teaware', 740000],
  ['P504', 'TW-CUPS-6', 'Cups set, 6 pcs, celadon', 'Teaware', 129000],
  ['P505', 'TW-CHAHAI-250', 'Chahai (fairness pitcher), glass, 250 ml', 'Teaware', 89000],
  ['P506', 'TW-KETTLE-1L', 'Electric kettle, 1 l, 5 temperatures', 'Teaware', 499000],
  ['P507', 'TW-FRENCHPRESS-600', 'French press, 600 ml', 'Teaware', 149000],
  ['P601', 'SW-MOCHI-6', 'Mochi, assorted, 6 pcs', 'Sweets', 49000],
  ['P602', 'SW-HALVA-250', 'Sunflower halva, 250 g', 'Sweets', 29000],
  ['P603', 'SW-PASTILA-200', 'Belevskaya pastila "Apple", 200 g', 'Sweets', 39000],
  ['P604', 'SW-CHOCO-100', 'Dark chocolate 72%, 100 g', 'Sweets', 25000],
  ['P605', 'SW-HONEY-500', 'Buckwheat honey, 500 g', 'Sweets', 69050],
].map(([id, sku, name, category, priceCents]) => ({
  id, sku, name, category, priceCents,
  // the constant part of an order_items row after order_id, and the price text
  csv: `,${id},${sku},${csv(name)},${category},`,
  price: money(priceCents),
}));
const CATEGORY_SLUG = { 'Chinese tea': 'chinese-tea', 'Green tea': 'green-tea', 'Black tea': 'black-tea', 'Coffee beans': 'coffee-beans', Teaware: 'teaware', Sweets: 'sweets' };
const pickCategory = weightedPicker([['Chinese tea', 25], ['Green tea', 18], ['Black tea', 15], ['Coffee beans', 20], ['Teaware', 10], ['Sweets', 12]]);
const BY_CATEGORY = {};
for (const p of PRODUCTS) (BY_CATEGORY[p.category] ??= []).push(p);
const pickQuantity = weightedPicker([[1, 60], [2, 25], [3, 10], [4, 3], [6, 2]]);

const NAMES = {
  ru: { male: ['Ivan', 'Alexey', 'Dmitry', 'Sergey', 'Andrey', 'Mikhail', 'Nikolai', 'Pavel', 'Artem', 'Maxim', 'Roman', 'Igor'], female: ['Anna', 'Maria', 'Elena', 'Olga', 'Natalia', 'Irina', 'Ekaterina', 'Svetlana', 'Daria', 'Yulia', 'Polina', 'Ksenia'], last: ['Ivanov', 'Smirnov', 'Kuznetsov', 'Popov', 'Sokolov', 'Lebedev', 'Kozlov', 'Novikov', 'Morozov', 'Volkov', 'Orlov', 'Belov', 'Zaitsev', 'Pavlov'], fem: (l) => l + 'a' },
  ruCyr: { male: ['Иван', 'Алексей', 'Дмитрий', 'Пётр', 'Сергей', 'Фёдор'], female: ['Анна', 'Мария', 'Алёна', 'Ольга', 'Наталья', 'Татьяна'], last: ['Иванов', 'Смирнов', 'Королёв', 'Фёдоров', 'Соколов', 'Семёнов'], fem: (l) => l + 'а' },
  de: { male: ['Lukas', 'Felix', 'Jonas', 'Maximilian'], female: ['Lena', 'Sophie', 'Mia', 'Hannah'], last: ['Schmidt', 'Schneider', 'Fischer', 'Weber', 'Becker', 'Hoffmann'], fem: (l) => l },
  br: { male: ['Pedro', 'Lucas', 'Gabriel'], female: ['Ana', 'Beatriz', 'Júlia'], last: ['Santos', 'Oliveira', 'Souza', 'Pereira'], fem: (l) => l },
  jp: { male: ['健', '翔', '大輔'], female: ['花子', 'さくら', '陽菜'], last: ['佐藤', '鈴木', '高橋', '田中'], fem: (l) => l },
  gb: { male: ['James', 'Oliver', 'Harry'], female: ['Emily', 'Amelia', 'Olivia'], last: ['Smith', 'Jones', 'Taylor', 'Brown', "O'Neill"], fem: (l) => l },
  kz: { male: ['Aidar', 'Nurlan', 'Timur'], female: ['Aigerim', 'Dana', 'Aliya'], last: ['Akhmetov', 'Seitkaliev', 'Nurlanov'], fem: (l) => l + 'a' },
};
const pickPlace = weightedPicker([
  // [country, region, city, name pool]
  [['RU', 'Moscow', 'Moscow', 'ru'], 40],
  [['RU', 'Москва', 'Москва', 'ruCyr'], 4],
  [['RU', 'Saint Petersburg', 'Saint Petersburg', 'ru'], 12],
  [['RU', 'Санкт-Петербург', 'Санкт-Петербург', 'ruCyr'], 1],
  [['RU', 'Tatarstan', 'Kazan', 'ru'], 5],
  [['RU', 'Novosibirsk Oblast', 'Novosibirsk', 'ru'], 4],
  [['RU', 'Sverdlovsk Oblast', 'Yekaterinburg', 'ru'], 4],
  [['RU', 'Nizhny Novgorod Oblast', 'Nizhny Novgorod', 'ru'], 3],
  [['RU', 'Krasnodar Krai', 'Sochi', 'ru'], 2],
  [['DE', 'Berlin', 'Berlin', 'de'], 3],
  [['DE', 'Hamburg', 'Hamburg', 'de'], 2],
  [['BR', 'RJ', 'Rio de Janeiro', 'br'], 2],
  [['JP', '大阪府', '大阪', 'jp'], 2],
  [['GB', 'England', 'Manchester', 'gb'], 2],
  [['GB', 'England', 'London', 'gb'], 3],
  [['KZ', 'Almaty', 'Almaty', 'kz'], 4],
  [['', '', '', 'ru'], 7], // no address at all
]);
const FAV_TEA = ['Da Hong Pao', 'Sencha', 'Pu-erh, shou', 'Da Hong Pao "Big Red Robe"', 'Earl Grey', 'Tie Guan Yin', 'Matcha', 'Молочный улун', 'Lapsang Souchong', 'Gyokuro', 'Assam'].map(csv);
const MANAGERS = ['Anna Orlova', 'Pavel Kim', 'Olga Sidorova'];
const BOOL_FORMS = [['true', 'false'], ['1', '0'], ['yes', 'no'], ['TRUE', 'FALSE'], ['Yes', 'No']];
const LOYALTY_FORMS = BOOL_FORMS.filter(([t]) => t !== '1'); // never 0/1: that would read as an integer
const pickTags = weightedPicker([['', 70], ['vip', 8], ['wholesale', 6], ['vip;wholesale', 3], ['tea-club', 10], ['tea-club;vip', 3]]);
const pickGroup = weightedPicker([['Retail', 60], ['VIP', 8], ['Wholesale', 7], ['', 25]]);
const pickFirstSource = weightedPicker([['google', 30], ['yandex', 32], ['direct', 16], ['instagram', 22]]);

const STATUS_OLD = weightedPicker([['complete', 88], ['cancelled', 6.5], ['returned', 5.5]]);
const STATUS_RECENT = weightedPicker([['complete', 55], ['paid', 25], ['new', 10], ['cancelled', 6], ['returned', 4]]);
const pickStore = weightedPicker([['teashop.example', 60], ['Pokrovka 12', 20], ['Nevsky 48', 17], ['', 3]]);
const pickChannel = weightedPicker([['web', 55], ['app', 20], ['phone', 10], ['offline', 15]]);

const PAID_CAMPAIGNS = ['brand-search', 'puerh-autumn-2025', 'teaware-gifts-2025', 'matcha-spring-2026', 'coffee-beans-2026'];
const IG_CAMPAIGNS = ['ig-stories-2025-12', 'ig-reels-2026-03', 'ig-influencer-2026-09'];
const pickVisitSource = weightedPicker([['google', 22], ['yandex', 24], ['direct', 30], ['email', 12], ['instagram', 12]]);
const BLOG = ['/blog/how-to-brew-puerh', '/blog/gaiwan-basics', '/blog/matcha-whisking', '/blog/coffee-grind-size'];

function genCampaigns() {
  const list = [];
  for (let ms = Date.UTC(2024, 10, 14, 9); ms <= Date.UTC(2026, 10, 22); ms += 14 * DAY) list.push({ name: `digest-${fmtDay(ms)}`, ms });
  list.push({ name: 'bf-2025', ms: Date.UTC(2025, 10, 27, 10) });
  list.push({ name: 'new-year-gifts-2026', ms: Date.UTC(2025, 11, 18, 10) });
  list.push({ name: 'march-8-2026', ms: Date.UTC(2026, 2, 5, 10) });
  list.push({ name: 'bf-preview-2026', ms: Date.UTC(2026, 10, 20, 10) });
  return list.filter((c) => c.ms >= START).sort((a, b) => a.ms - b.ms);
}

// ---------------------------------------------------------------------------
// text helpers
// ---------------------------------------------------------------------------
function csv(s) {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
function money(cents) {
  const c = String(cents).padStart(3, '0');
  return `${c.slice(0, -2)}.${c.slice(-2)}`;
}
const pad = (n, w) => String(n).padStart(w, '0');

/**
 * A file written in ~1 MiB chunks: `add` buffers a string and says when a flush is due;
 * `flush` writes and, when the stream's buffer is full, waits for 'drain'.
 */
class Sink {
  constructor(file, gzip = false) {
    this.file = file;
    this.out = createWriteStream(file);
    this.head = this.out;
    this.done = null;
    if (gzip) {
      this.head = createGzip({ level: 6 });
      this.done = pipeline(this.head, this.out);
    }
    this.parts = [];
    this.size = 0;
  }
  add(s) {
    this.parts.push(s);
    this.size += s.length;
    return this.size >= 1 << 20;
  }
  async flush() {
    if (this.size === 0) return;
    const chunk = this.parts.join('');
    this.parts = [];
    this.size = 0;
    if (!this.head.write(chunk)) await once(this.head, 'drain');
  }
  async close() {
    await this.flush();
    if (this.done) {
      this.head.end();
      await this.done;
    } else {
      this.out.end();
      await once(this.out, 'close');
    }
  }
}

// ---------------------------------------------------------------------------
// the world: per-customer attributes several files agree on
// ---------------------------------------------------------------------------
function makeWorld(seed, customers) {
  const h = makeHash(seed);
  const world = {
    n: customers,
    id: (i) => `C${pad(i + 1, 7)}`,
    /** registration instant: uniform over the two years, the last 2% in the last 3 weeks */
    created(i) {
      const u = h(i, 1);
      return u < 0.98 ? START + Math.floor((u / 0.98) * (SPAN - 21 * DAY)) : END - Math.floor(((u - 0.98) / 0.02) * 21 * DAY);
    },
    /** the end of the customer's activity: a third churn at some point */
    activeUntil(i) {
      const c = world.created(i);
      return h(i, 2) < 0.35 ? c + Math.floor(h(i, 3) * (END - c)) : END;
    },
    hasEmail: (i) => h(i, 4) < 0.92,
    emailMarketing: (i) => h(i, 5) < 0.65,
    mailable: (i) => world.hasEmail(i) && world.emailMarketing(i),
    /** every 20th customer is a regular and gets a quarter of all orders */
    loyalStride: 20,
  };
  return world;
}

/** A customer number for a fact row: loyal customers get `loyalShare` of the picks. */
function pickCustomer(r, world, loyalShare) {
  const n = world.n;
  if (r.f() < loyalShare) {
    const loyal = Math.ceil(n / world.loyalStride);
    return Math.min(n - 1, world.loyalStride * Math.floor(r.f() * loyal));
  }
  return Math.floor(r.f() * n);
}

/** An instant in the customer's active period, never before registration. */
function timeFor(r, world, i) {
  const from = world.created(i) + HOUR;
  const to = Math.max(from + MIN, world.activeUntil(i));
  return Math.min(END, from + Math.floor(r.f() * (to - from)));
}

const ORPHAN_RATE = 0.0005;
const orphanId = (r, world) => `C${pad(world.n + 1 + Math.floor(r.f() * 1000), 7)}`;

// ---------------------------------------------------------------------------
// the files
// ---------------------------------------------------------------------------
async function writeCustomers(dir, world, seed) {
  const r = makeRng(seed ^ 0x0c05);
  const sink = new Sink(join(dir, 'customers.csv'));
  sink.add('\ufeffid,email,phone,first_name,last_name,sex,birthday,created_at,country,region,city,source,tags,customer_group,manager,email_marketing,sms_marketing,channels,loyalty_card,bonus_points,discount_rate,last_call,last_login_at,favourite_tea\n');
  for (let i = 0; i < world.n; i++) {
    const [country, region, city, pool] = pickPlace(r.f());
    const names = NAMES[pool];
    const sex = r.f() < 0.52 ? 'female' : r.f() < 0.96 ? 'male' : '';
    const first = sex === 'female' ? r.pick(names.female) : r.pick(names.male);
    let last = r.pick(names.last);
    if (sex === 'female') last = names.fem(last);
    const created = world.created(i);
    const email = world.hasEmail(i) ? `client${i + 1}@example.${country === 'DE' ? 'de' : country === 'GB' ? 'co.uk' : 'ru'}` : '';
    const phone = r.f() < 0.85 ? `+7 9${r.int(10, 99)} ${r.int(100, 999)}-${r.int(10, 99)}-${r.int(10, 99)}` : '';
    const birthday = r.f() < 0.9 ? fmtDay(Date.UTC(r.int(1950, 2006), 0, 1) + r.int(0, 364) * DAY) : '';
    const bools = BOOL_FORMS[r.int(0, 4)];
    const emailMarketing = r.f() < 0.04 ? '' : bools[world.emailMarketing(i) ? 0 : 1];
    const sms = r.f() < 0.1 ? '' : bools[r.f() < 0.4 ? 0 : 1];
    const ch = [];
    if (r.f() < 0.35) ch.push('telegram');
    if (r.f() < 0.12) ch.push('viber');
    if (r.f() < 0.25) ch.push('whatsapp');
    if (r.f() < 0.08) ch.push('messenger');
    const loyalty = r.f() < 0.2 ? '' : r.pick(LOYALTY_FORMS)[r.f() < 0.5 ? 0 : 1];
    const lastCall = r.f() < 0.6 ? '' : fmtDay(created + Math.floor(r.f() * (END - created)));
    const login = r.f() < 0.3 ? '' : (r.f() < 0.5 ? fmtZ : fmtSpace)(created + Math.floor(r.f() * (END - created)));
    const row = [
      world.id(i), email, phone, csv(first), csv(last), sex, birthday,
      r.f() < 0.7 ? fmtSpace(created) : fmtZ(created),
      country, region, city, pickFirstSource(r.f()), pickTags(r.f()), pickGroup(r.f()),
      r.f() < 0.7 ? '' : r.pick(MANAGERS), emailMarketing, sms, ch.join(';'),
      loyalty, String(r.int(0, 50) * 10), r.f() < 0.1 ? '' : (r.int(0, 30) / 2).toFixed(1), lastCall, login,
      r.f() < 0.25 ? '' : r.pick(FAV_TEA),
    ];
    if (sink.add(row.join(',') + '\n')) await sink.flush();
  }
  await sink.close();
  return world.n;
}

/** orders.csv and order_items.csv together: each order's total is the sum of its items. */
async function writeOrders(dir, world, seed, orderCount, itemCount) {
  const r = makeRng(seed ^ 0x0d0e);
  const orders = new Sink(join(dir, 'orders.csv'));
  const items = new Sink(join(dir, 'order_items.csv'));
  orders.add('id,customer_id,created_at,status,total,store,channel\n');
  items.add('order_id,product_id,sku,name,category,quantity,price\n');
  // items per order: 1 + a uniform integer in [0, 2*(mean-1)], so the mean is items/orders
  const extra = Math.max(0, Math.round(2 * (itemCount / Math.max(1, orderCount) - 1)));
  let itemRows = 0;
  for (let k = 0; k < orderCount; k++) {
    const orderId = String(1_000_001 + k);
    let customer;
    let ms;
    if (r.f() < ORPHAN_RATE) {
      customer = orphanId(r, world);
      ms = START + Math.floor(r.f() * SPAN);
    } else {
      const i = pickCustomer(r, world, 0.25);
      customer = world.id(i);
      ms = timeFor(r, world, i);
    }
    const n = 1 + r.int(0, extra);
    let total = 0;
    // most orders keep to one or two categories, like real baskets
    const mainCategory = pickCategory(r.f());
    for (let j = 0; j < n; j++) {
      const cat = j === 0 || r.f() < 0.5 ? mainCategory : pickCategory(r.f());
      const p = r.pick(BY_CATEGORY[cat]);
      const q = pickQuantity(r.f());
      total += p.priceCents * q;
      items.add(orderId + p.csv + q + ',' + p.price + '\n');
    }
    itemRows += n;
    const status = ms > END - 14 * DAY ? STATUS_RECENT(r.f()) : STATUS_OLD(r.f());
    orders.add(`${orderId},${customer},${orderForm(r.f())(ms)},${status},${money(total)},${pickStore(r.f())},${pickChannel(r.f())}\n`);
    if (orders.size >= 1 << 20) await orders.flush();
    if (items.size >= 1 << 20) await items.flush();
  }
  await orders.close();
  await items.close();
  return { orders: orderCount, items: itemRows };
}

async function writeVisits(dir, world, seed, count, asCsv) {
  const r = makeRng(seed ^ 0x0515);
  const sink = new Sink(join(dir, asCsv ? 'visits.csv' : 'visits.ndjson'));
  if (asCsv) sink.add('customer_id,visited_at,source,medium,campaign,page,category,product_id,goal\n');
  const products = PRODUCTS;
  for (let k = 0; k < count; k++) {
    let customer;
    let ms;
    if (r.f() < ORPHAN_RATE) {
      customer = orphanId(r, world);
      ms = START + Math.floor(r.f() * SPAN);
    } else {
      const i = pickCustomer(r, world, 0.15);
      customer = world.id(i);
      ms = timeFor(r, world, i);
    }
    const source = pickVisitSource(r.f());
    let medium;
    let campaign = null;
    if (source === 'google' || source === 'yandex') {
      medium = r.f() < 0.6 ? 'organic' : 'cpc';
      if (medium === 'cpc') campaign = r.pick(PAID_CAMPAIGNS);
    } else if (source === 'direct') medium = '(none)';
    else if (source === 'email') { medium = 'email'; campaign = 'digest'; }
    else { medium = 'social'; campaign = r.pick(IG_CAMPAIGNS); }
    const kind = r.f();
    let page;
    let category = null;
    let productId = null;
    if (kind < 0.15) page = '/';
    else if (kind < 0.45) { category = pickCategory(r.f()); page = `/catalog/${CATEGORY_SLUG[category]}`; }
    else if (kind < 0.85) { const p = r.pick(products); category = p.category; productId = p.id; page = `/product/${p.id}`; }
    else if (kind < 0.93) page = '/checkout';
    else page = r.pick(BLOG);
    const g = r.f();
    const goal = g < 0.08 ? 'add_to_cart' : g < 0.11 ? 'purchase' : g < 0.12 ? 'subscribe' : null;
    const visited = r.f() < 0.8 ? fmtZ(ms) : fmtMsk(ms);
    if (asCsv) {
      if (sink.add(`${customer},${visited},${source},${medium},${campaign ?? ''},${page},${category ?? ''},${productId ?? ''},${goal ?? ''}\n`)) await sink.flush();
      continue;
    }
    // Null keys are left out (DATA.md: a missing key is a missing value); that keeps the file smaller.
    let line = `{"customer_id":"${customer}","visited_at":"${visited}","source":"${source}","medium":"${medium}"`;
    if (campaign !== null) line += `,"campaign":"${campaign}"`;
    line += `,"page":"${page}"`;
    if (category !== null) line += `,"category":"${category}"`;
    if (productId !== null) line += `,"product_id":"${productId}"`;
    if (goal !== null) line += `,"goal":"${goal}"`;
    if (sink.add(line + '}\n')) await sink.flush();
  }
  await sink.close();
  return count;
}

async function writeCarts(dir, world, seed, count, asCsv) {
  const r = makeRng(seed ^ 0x0ca7);
  const sink = new Sink(join(dir, asCsv ? 'carts.csv' : 'carts.json'));
  sink.add(asCsv ? 'customer_id,updated_at,status,total\n' : '[\n');
  for (let k = 0; k < count; k++) {
    const i = pickCustomer(r, world, 0.15);
    const ms = timeFor(r, world, i);
    const p = r.pick(PRODUCTS);
    const cents = p.priceCents * pickQuantity(r.f()) + (r.f() < 0.4 ? r.pick(PRODUCTS).priceCents : 0);
    // totals as JSON numbers, like the fixtures: 1290.5, 990
    const total = cents % 100 === 0 ? String(cents / 100) : money(cents).replace(/0$/, '');
    const updated = r.f() < 0.7 ? fmtZ(ms) : fmtMsk(ms);
    const status = r.f() < 0.55 ? 'abandoned' : 'converted';
    if (asCsv) {
      if (sink.add(`${world.id(i)},${updated},${status},${total}\n`)) await sink.flush();
      continue;
    }
    const obj = `{"customer_id":"${world.id(i)}","updated_at":"${updated}","status":"${status}","total":${total}}`;
    if (sink.add((k === 0 ? '  ' : ',\n  ') + obj)) await sink.flush();
  }
  if (!asCsv) sink.add(count ? '\n]\n' : ']\n');
  await sink.close();
  return count;
}

/**
 * email_events.csv.gz: per (campaign, customer) a `sent`, then maybe a bounce, an open, a
 * click, an unsubscribe, as in the fixtures. Stops at the first group that reaches `count`.
 */
async function writeEmails(dir, world, seed, count, asCsv) {
  const r = makeRng(seed ^ 0x0e3a);
  const sink = new Sink(join(dir, asCsv ? 'email_events.csv' : 'email_events.csv.gz'), !asCsv);
  sink.add('customer_id,type,at,campaign\n');
  const campaigns = genCampaigns();
  let rows = 0;
  if (world.n === 0) count = 0;
  const at = (ms) => (r.f() < 0.75 ? fmtSpace(ms) : fmtZ(ms));
  while (rows < count) {
    const camp = campaigns[Math.floor(r.f() * campaigns.length)];
    let i = -1;
    for (let tries = 0; tries < 8 && i < 0; tries++) {
      const c = pickCustomer(r, world, 0.1);
      if (world.mailable(c) && world.created(c) < camp.ms && world.activeUntil(c) > camp.ms - 90 * DAY) i = c;
    }
    if (i < 0) continue;
    const id = world.id(i);
    const sent = camp.ms + r.int(0, 59 * MIN);
    let group = `${id},sent,${at(sent)},${camp.name}\n`;
    let n = 1;
    if (r.f() < 0.012) {
      group += `${id},bounce,${at(sent + r.int(30 * SEC, 5 * MIN))},${camp.name}\n`;
      n++;
    } else if (r.f() < 0.36) {
      const open = sent + r.int(10 * MIN, 3 * DAY);
      if (open <= END) {
        group += `${id},open,${at(open)},${camp.name}\n`;
        n++;
        if (r.f() < 0.3) {
          group += `${id},click,${at(open + r.int(5 * SEC, 10 * MIN))},${camp.name}\n`;
          n++;
        }
      }
    } else if (r.f() < 0.004) {
      group += `${id},unsubscribe,${at(sent + r.int(HOUR, 2 * DAY))},${camp.name}\n`;
      n++;
    }
    rows += n;
    if (sink.add(group)) await sink.flush();
  }
  await sink.close();
  return rows;
}

// ---------------------------------------------------------------------------
// entry points
// ---------------------------------------------------------------------------
/**
 * Generates every export into `out` and writes manifest.json.
 * @param {{ out: string, counts: typeof SCALES.small, seed?: number, log?: (s: string) => void }} opts
 */
export async function generate({ out, counts, seed = DEFAULT_SEED, log = () => {} }) {
  const t0 = performance.now();
  mkdirSync(out, { recursive: true });
  const world = makeWorld(seed, counts.customers);
  const rows = {};
  const seconds = {};
  const step = async (name, fn) => {
    const t = performance.now();
    Object.assign(rows, await fn());
    seconds[name] = +((performance.now() - t) / 1000).toFixed(2);
    log(`  ${name.padEnd(20)} ${seconds[name].toFixed(1).padStart(6)} s`);
  };
  await step('customers.csv', async () => ({ customers: await writeCustomers(out, world, seed) }));
  await step('orders+order_items', () => writeOrders(out, world, seed, counts.orders, counts.items));
  const files = filesFor(counts);
  const asCsv = Boolean(counts.csv);
  await step(files[3], async () => ({ visits: await writeVisits(out, world, seed, counts.visits, asCsv) }));
  await step(files[4], async () => ({ carts: await writeCarts(out, world, seed, counts.carts, asCsv) }));
  await step(files[5], async () => ({ email_events: await writeEmails(out, world, seed, counts.emails, asCsv) }));
  const bytes = Object.fromEntries(files.map((f) => [f, statSync(join(out, f)).size]));
  const manifest = {
    seed,
    requested: counts,
    rows,
    bytes,
    totalBytes: Object.values(bytes).reduce((a, b) => a + b, 0),
    seconds: { ...seconds, total: +((performance.now() - t0) / 1000).toFixed(2) },
  };
  writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

/**
 * The data of `counts` in `dir`: the manifest of an earlier generation for the same seed and
 * counts, or a new generation (also with `regen`). A folder another generator is still
 * writing (no manifest yet, files changed in the last minute) is waited for first.
 * @returns {Promise<{ manifest: any, generatedNow: boolean }>}
 */
export async function ensureGenerated(dir, counts, { regen = false, label = dir } = {}) {
  const manifestFile = join(dir, 'manifest.json');
  for (let waited = 0; !regen && existsSync(dir) && !existsSync(manifestFile) && waited < 3600; waited += 10) {
    const newest = Math.max(0, ...readdirSync(dir).map((f) => statSync(join(dir, f)).mtimeMs));
    if (Date.now() - newest > 60_000) break;
    if (waited === 0) console.log(`${dir} is being written (no manifest.json yet): waiting for it`);
    await sleep(10_000);
  }
  if (!regen && existsSync(manifestFile) && filesFor(counts).every((f) => existsSync(join(dir, f)))) {
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    if (manifest.seed === DEFAULT_SEED && JSON.stringify(manifest.requested) === JSON.stringify(counts)) {
      console.log(`data: ${dir} (${(manifest.totalBytes / 1e6).toFixed(0)} MB, generated earlier in ${manifest.seconds.total} s; --regen to redo)`);
      return { manifest, generatedNow: false };
    }
  }
  console.log(`generating ${label} into ${dir}: ${Object.entries(counts).filter(([k]) => k !== 'csv').map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`).join(', ')}`);
  const manifest = await generate({ out: dir, counts, log: (x) => console.log(x) });
  console.log(`generated ${(manifest.totalBytes / 1e6).toFixed(0)} MB in ${manifest.seconds.total} s`);
  return { manifest, generatedNow: true };
}

function parseArgs(argv) {
  const opts = { scale: 'small', out: undefined, seed: DEFAULT_SEED, counts: {} };
  const countKeys = Object.keys(SCALES.small);
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    const value = () => {
      const v = argv[++k];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--scale') opts.scale = value();
    else if (a === '--out') opts.out = resolve(value());
    else if (a === '--seed') opts.seed = Number(value());
    else if (a.startsWith('--') && countKeys.includes(a.slice(2))) opts.counts[a.slice(2)] = Number(value().replace(/_/g, ''));
    else throw new Error(`unknown argument ${a} (see the header of bench/generate.mjs)`);
  }
  if (!SCALES[opts.scale]) throw new Error(`unknown scale ${opts.scale}: one of ${Object.keys(SCALES).join(', ')}`);
  for (const [key, v] of Object.entries(opts.counts)) if (!Number.isInteger(v) || v < 0) throw new Error(`--${key} takes a whole number`);
  if (!Number.isInteger(opts.seed)) throw new Error('--seed takes a whole number');
  return {
    out: opts.out ?? join(BENCH, 'data', opts.scale),
    seed: opts.seed,
    counts: { ...SCALES[opts.scale], ...opts.counts },
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { out, seed, counts } = parseArgs(process.argv.slice(2));
  console.log(`generating into ${out} (seed ${seed}): ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  const m = await generate({ out, seed, counts, log: (s) => console.log(s) });
  console.log(`done in ${m.seconds.total} s, ${(m.totalBytes / 1e6).toFixed(1)} MB: ${Object.entries(m.rows).map(([k, v]) => `${k} ${v}`).join(', ')}`);
}
