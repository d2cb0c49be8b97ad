import { describe, expect, it } from "vitest";
import {
  compileDateFormat, isoFields, isoFieldsByPattern, parseBool, plainDateTimeAt, secondsDateTimeAt, parseDate, parseDateTime, parseDecimal, parseId, parseInteger, parseList,
} from "./parse-value.js";
import { daysFromCivil } from "../table/time.js";

const ms = (iso: string) => Date.parse(iso);

describe("parseBool", () => {
  it.each([
    ["true", true], ["TRUE", true], [" yes ", true], ["1", true], ["Yes", true],
    ["false", false], ["False", false], ["no", false], ["NO", false], ["0", false],
  ])("reads %j as %s", (text, want) => expect(parseBool(text)).toBe(want));
  it.each(["y", "n", "2", "truthy", "-1", "on", "off"])("rejects %j", (text) => expect(parseBool(text)).toBeUndefined());
});

describe("parseDecimal", () => {
  it.each([
    ["12", 12], ["-3.5", -3.5], ["+0.25", 0.25], [".5", 0.5], ["5.", 5], [" 1234.56 ", 1234.56], ["0", 0],
  ])("reads %j with a dot", (text, want) => expect(parseDecimal(text)).toBe(want));
  it.each(["1,5", "1 234.56", "1e3", "abc", "12.3.4", "--1", "NaN", "Infinity", "."])("rejects %j with a dot", (text) =>
    expect(parseDecimal(text)).toBeUndefined());
  it.each([
    ["1234,56", 1234.56], ["1 234,56", 1234.56], ["1\u00a0234,56", 1234.56], ["-0,5", -0.5], ["7", 7],
  ])("reads %j with a decimal comma", (text, want) => expect(parseDecimal(text, ",")).toBe(want));
  it.each(["1.234,56", "1,2,3", "12.5"])("rejects %j with a decimal comma", (text) => expect(parseDecimal(text, ",")).toBeUndefined());
});

describe("parseInteger", () => {
  it.each([["42", 42], ["-7", -7], ["3.0", 3], ["+5", 5]])("reads %j", (text, want) => expect(parseInteger(text)).toBe(want));
  it.each(["3.5", "1e2", "x", "99999999999999999999"])("rejects %j", (text) => expect(parseInteger(text)).toBeUndefined());
});

describe("parseId", () => {
  it("trims and strips one spreadsheet apostrophe", () => {
    expect(parseId(" C1 ")).toBe("C1");
    expect(parseId("'7421590331478")).toBe("7421590331478");
    expect(parseId("''x")).toBe("'x");
  });
});

describe("parseDate", () => {
  it("reads ISO dates as day numbers", () => {
    expect(parseDate("1970-01-01")).toBe(0);
    expect(parseDate("2000-02-29")).toBe(daysFromCivil(2000, 2, 29));
    expect(parseDate("1969-12-31")).toBe(-1);
  });
  it.each(["2001-02-29", "2025-13-01", "2025-00-10", "2025-1-5", "05.10.2025", "2025-10-07T10:00"])("rejects %j", (t) =>
    expect(parseDate(t)).toBeUndefined());
  it("reads a custom format", () => {
    expect(parseDate("07.10.2025", compileDateFormat("DD.MM.YYYY"))).toBe(daysFromCivil(2025, 10, 7));
    expect(parseDate("7/10/25", compileDateFormat("D/M/YY"))).toBe(daysFromCivil(2025, 10, 7));
    expect(parseDate("31.02.2025", compileDateFormat("DD.MM.YYYY"))).toBeUndefined();
  });
});

describe("parseDateTime", () => {
  it.each([
    ["2025-10-07T09:50:26Z", "2025-10-07T09:50:26.000Z"],
    ["2025-10-07T09:50:26.123Z", "2025-10-07T09:50:26.123Z"],
    ["2025-10-07T09:50:26.5Z", "2025-10-07T09:50:26.500Z"],
    ["2025-10-07 09:50:26", "2025-10-07T09:50:26.000Z"],
    ["2025-10-07T09:50", "2025-10-07T09:50:00.000Z"],
    ["2025-10-07T09:50:26+03:00", "2025-10-07T06:50:26.000Z"],
    ["2025-10-07T09:50:26+0300", "2025-10-07T06:50:26.000Z"],
    ["2025-10-07T09:50:26-05:30", "2025-10-07T15:20:26.000Z"],
    ["2025-10-07 09:50:26 +0200", "2025-10-07T07:50:26.000Z"],
    ["2025-10-07", "2025-10-07T00:00:00.000Z"],
    ["2025-10-07t09:50:26z", "2025-10-07T09:50:26.000Z"],
  ])("reads %j", (text, want) => expect(parseDateTime(text)).toBe(ms(want)));

  it("reads zone-less values in the column's time zone", () => {
    expect(parseDateTime("2025-10-07 09:50:26", "Europe/Moscow")).toBe(ms("2025-10-07T06:50:26Z"));
    expect(parseDateTime("2025-07-01 00:00", "America/New_York")).toBe(ms("2025-07-01T04:00:00Z"));
    expect(parseDateTime("2025-01-01 00:00", "America/New_York")).toBe(ms("2025-01-01T05:00:00Z"));
    // An explicit zone wins over the column's zone.
    expect(parseDateTime("2025-10-07T09:50:26Z", "Europe/Moscow")).toBe(ms("2025-10-07T09:50:26Z"));
  });

  it("reads a time in a spring-forward gap with the offset before the change", () => {
    // 2025-03-09 02:30 does not exist in New York; read it as 02:30 EST = 07:30Z.
    expect(parseDateTime("2025-03-09 02:30", "America/New_York")).toBe(ms("2025-03-09T07:30:00Z"));
  });

  it.each(["2025-10-07T25:00", "2025-10-07T10:60", "2025-02-30T10:00", "2025-10-07 09:50:26 +2500", "07.10.2025 10:00", "2025-10-07T09", "yesterday"])(
    "rejects %j", (text) => expect(parseDateTime(text)).toBeUndefined());

  it("reads custom formats with a zone", () => {
    const f = compileDateFormat("DD.MM.YYYY HH:mm")!;
    expect(parseDateTime("07.10.2025 09:50", "Europe/Moscow", f)).toBe(ms("2025-10-07T06:50:00Z"));
    const g = compileDateFormat("M/D/YYYY H:mm")!;
    expect(parseDateTime("10/7/2025 9:50", "UTC", g)).toBe(ms("2025-10-07T09:50:00Z"));
    const z = compileDateFormat("YYYY-MM-DD HH:mm:ss Z")!;
    expect(parseDateTime("2025-10-07 09:50:26 +0200", "UTC", z)).toBe(ms("2025-10-07T07:50:26Z"));
  });
});

describe("compileDateFormat", () => {
  it("refuses a format without year, month and day", () => {
    expect(compileDateFormat("HH:mm")).toBeUndefined();
    expect(compileDateFormat("MM.YYYY")).toBeUndefined();
  });
  it("treats other characters literally, including regex ones", () => {
    const f = compileDateFormat("YYYY.MM.DD (HH)")!;
    expect(f.parse("2025.10.07 (09)")).toMatchObject({ y: 2025, mo: 10, d: 7, h: 9 });
    expect(f.parse("2025x10x07 (09)")).toBeUndefined();
  });
  it("pivots two-digit years at 70", () => {
    const f = compileDateFormat("DD.MM.YY")!;
    expect(f.parse("01.01.69")?.y).toBe(2069);
    expect(f.parse("01.01.70")?.y).toBe(1970);
  });
});

describe("parseList", () => {
  it("splits, trims and drops empty items", () => {
    expect(parseList("vip; wholesale ;;", ";")).toEqual(["vip", "wholesale"]);
    expect(parseList("a, b", ",")).toEqual(["a", "b"]);
    expect(parseList(" ; ", ";")).toEqual([]);
  });
});

describe("isoFields, the character reader of datetimes", () => {
  // Reference: the regular expression it replaces on the hot path (isoFieldsByPattern).
  // Seeded random text built from the grammar's pieces, right and wrong, then cut or mutated.
  function rng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = Math.imul(a ^ (a >>> 15), a | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const r = rng(7);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const digits = (n: number) => Array.from({ length: n }, () => (r() < 0.97 ? String(Math.floor(r() * 10)) : pick(["x", " ", "-", "٣"]))).join("");
  function sample(): string {
    let s = `${digits(4)}-${digits(2)}-${digits(2)}`;
    if (r() < 0.85) {
      s += pick(["T", "t", " ", " ", "x", "Z", "+"]) + `${digits(2)}:${digits(2)}`;
      if (r() < 0.8) s += `:${digits(2)}`;
      if (r() < 0.3) s += pick([".", ",", ":"]) + digits(Math.floor(r() * 12));
    }
    if (r() < 0.7) s += pick(["", " ", "  "]) + pick(["Z", "z", "+03:00", "-05:30", "+0300", "-0000", "+05:99", "+3:00", "+03:0", "+030", "+03:00x", "+19:00", "GMT"]);
    const cut = r();
    if (cut < 0.1) s = s.slice(0, Math.floor(r() * s.length));
    else if (cut < 0.2) {
      const at = Math.floor(r() * (s.length + 1));
      s = s.slice(0, at) + pick(["0", ":", "-", " ", "T", "."]) + s.slice(at);
    }
    return s;
  }

  it("reads 200,000 random texts exactly as the pattern does, or leaves them to it", () => {
    let handled = 0;
    let accepted = 0;
    for (let k = 0; k < 200_000; k++) {
      const s = sample();
      const fast = isoFields(s);
      if (fast === undefined) continue;
      handled++;
      const ref = isoFieldsByPattern(s);
      if (fast === null) {
        // Refused where the pattern matches with an offset's minutes over 59 (NaN), or not at all.
        expect(ref === null || Number.isNaN(ref.offsetMin), s).toBe(true);
        continue;
      }
      accepted++;
      expect(fast, s).toEqual(ref);
    }
    // Enough of both outcomes to mean something (about 31,000 and 29,700 with this seed).
    expect(handled).toBeGreaterThan(20_000);
    expect(accepted).toBeGreaterThan(20_000);
  });

  it("reads the plain seconds forms in place to parseDateTime's instant, in any zone", () => {
    // Reference: parseDateTime, which reads through isoFields (above) and never through
    // secondsDateTimeAt. Texts of the three forms it reads, with values in and out of range,
    // other zones and one character changed, set inside a longer text as a batch has them.
    const two = (max: number) => String(Math.floor(r() * (max + 1))).padStart(2, "0");
    const zones = ["UTC", "Europe/Moscow", "America/New_York", "Asia/Kolkata"];
    let taken = 0;
    for (let k = 0; k < 100_000; k++) {
      let s = `${digits(4)}-${two(13)}-${two(32)}${pick(["T", "t", " ", "x"])}${two(24)}:${two(60)}:${two(60)}`;
      s += pick(["", "Z", "z", "+03:00", "-05:30", "-00:00", "+18:00", "+18:01", "+14:60", "+0300", " Z", "x", "Z "]);
      if (r() < 0.15) {
        const at = Math.floor(r() * s.length);
        s = s.slice(0, at) + pick(["0", "9", ":", "-", " ", "+", "x"]) + s.slice(at + 1);
      }
      const zone = pick(zones);
      const fast = secondsDateTimeAt(`ab,${s},c`, 3, s.length, zone);
      const whole = plainDateTimeAt(`ab,${s},c`, 3, 3 + s.length, zone);
      const ref = parseDateTime(s, zone);
      if (whole !== undefined) expect(whole, `${s} in ${zone}`).toBe(ref);
      if (Number.isNaN(fast)) continue;
      taken++;
      expect(fast, `${s} in ${zone}`).toBe(ref);
    }
    // About a quarter of them are of a form it reads, with values in range (23,130 with this seed).
    expect(taken).toBeGreaterThan(15_000);
    expect(secondsDateTimeAt("2026-03-08 02:30:00", 0, 19, "America/New_York")).toBe(parseDateTime("2026-03-08 02:30:00", "America/New_York"));
    expect(secondsDateTimeAt("2024-02-29T23:59:59-00:00", 0, 25, "UTC")).toBe(ms("2024-02-29T23:59:59Z"));
    expect(secondsDateTimeAt("2023-02-29T23:59:59Z", 0, 20, "UTC")).toBeNaN();
  });

  it("gives parseDateTime the same instants for the forms of DATA.md", () => {
    for (const [text, iso] of [
      ["2026-01-02T03:04:05Z", "2026-01-02T03:04:05.000Z"],
      ["2026-01-02 03:04:05", "2026-01-02T03:04:05.000Z"],
      ["2026-01-02T03:04:05.678Z", "2026-01-02T03:04:05.678Z"],
      ["2026-01-02T03:04:05,5+03:00", "2026-01-02T00:04:05.500Z"],
      ["2026-01-02T03:04:05+0300", "2026-01-02T00:04:05.000Z"],
      ["2026-01-02 03:04 -05:30", "2026-01-02T08:34:00.000Z"],
      ["2026-01-02t03:04:05z", "2026-01-02T03:04:05.000Z"],
      ["2026-01-02", "2026-01-02T00:00:00.000Z"],
    ] as const) {
      expect(new Date(parseDateTime(text)!).toISOString(), text).toBe(iso);
      // ... and these common forms are read by the character reader, not left to the pattern.
      expect(isoFields(text), text).toBeTruthy();
    }
    for (const bad of ["2026-02-30T00:00:00Z", "2026-01-02T24:00:00Z", "2026-01-02T03:04:05+05:99", "2026-01-02T03:04:05+19:00", "2026-01-02T3:04:05Z"]) {
      expect(parseDateTime(bad), bad).toBeUndefined();
    }
  });
});
