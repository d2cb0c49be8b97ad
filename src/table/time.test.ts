import { describe, expect, it } from "vitest";
import { addMonths, civilFromDays, dayInZone, daysFromCivil, formatDay, startOfDayInZone, wallTimeToUtc, zoneOffsetMs } from "./time.js";

describe("calendar arithmetic", () => {
  it("round-trips day numbers", () => {
    for (const [y, m, d] of [[1970, 1, 1], [2000, 2, 29], [1969, 12, 31], [2026, 11, 23]]) {
      expect(civilFromDays(daysFromCivil(y, m, d))).toEqual({ y, m, d });
    }
    expect(formatDay(daysFromCivil(2026, 11, 23))).toBe("2026-11-23");
  });

  it("clamps month steps to the month's end", () => {
    const d = (s: string) => daysFromCivil(+s.slice(0, 4), +s.slice(5, 7), +s.slice(8, 10));
    expect(formatDay(addMonths(d("2026-05-31"), -1))).toBe("2026-04-30");
    expect(formatDay(addMonths(d("2024-03-31"), -1))).toBe("2024-02-29");
    expect(formatDay(addMonths(d("2024-02-29"), -12))).toBe("2023-02-28");
    expect(formatDay(addMonths(d("2026-01-31"), 1))).toBe("2026-02-28");
    expect(formatDay(addMonths(d("2026-11-23"), -3))).toBe("2026-08-23");
    expect(formatDay(addMonths(d("2026-01-15"), -13))).toBe("2024-12-15");
  });
});

describe("time zones", () => {
  it("knows offsets, including daylight saving", () => {
    expect(zoneOffsetMs("UTC", 0)).toBe(0);
    expect(zoneOffsetMs("Europe/Moscow", Date.parse("2025-06-01T00:00Z"))).toBe(3 * 3600_000);
    expect(zoneOffsetMs("America/New_York", Date.parse("2025-07-01T12:00Z"))).toBe(-4 * 3600_000);
    expect(zoneOffsetMs("America/New_York", Date.parse("2025-01-01T12:00Z"))).toBe(-5 * 3600_000);
    expect(zoneOffsetMs("Asia/Kolkata", Date.parse("2025-01-01T12:00Z"))).toBe(5.5 * 3600_000);
  });

  it("puts an instant on the right calendar day around midnight", () => {
    const t = Date.parse("2025-10-06T21:30:00Z"); // 00:30 on the 7th in Moscow
    expect(formatDay(dayInZone("UTC", t))).toBe("2025-10-06");
    expect(formatDay(dayInZone("Europe/Moscow", t))).toBe("2025-10-07");
    expect(formatDay(dayInZone("America/Los_Angeles", Date.parse("2025-10-07T06:59:59Z")))).toBe("2025-10-06");
  });

  it("converts wall time to UTC across a DST change", () => {
    const wall = Date.UTC(2025, 10, 2, 1, 30); // 01:30 on the fall-back day happens twice in New York
    expect(new Date(wallTimeToUtc("America/New_York", wall)).toISOString()).toBe("2025-11-02T05:30:00.000Z");
    expect(new Date(startOfDayInZone("Europe/Moscow", daysFromCivil(2025, 10, 7))).toISOString()).toBe("2025-10-06T21:00:00.000Z");
  });
});

describe("civilFromDays", () => {
  it("agrees with Date on every day from 0001-01-01 to 9999-12-31, and on years before 1", () => {
    // Reference: the JavaScript Date's UTC calendar (proleptic Gregorian).
    for (let days = -719_162; days <= 2_932_896; days += 1) {
      const t = new Date(days * 86_400_000);
      const got = civilFromDays(days);
      if (got.y !== t.getUTCFullYear() || got.m !== t.getUTCMonth() + 1 || got.d !== t.getUTCDate()) {
        expect({ days, got }).toEqual({ days, got: { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() } });
      }
    }
    for (const days of [-719_163, -800_000, -1_000_000]) {
      const t = new Date(days * 86_400_000);
      expect(civilFromDays(days)).toEqual({ y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() });
    }
  });
});
