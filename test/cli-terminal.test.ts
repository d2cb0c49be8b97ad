/**
 * Output for terminals: tables fit the terminal's width (COLUMNS stands for it off a
 * terminal), pipes get whole lines, and a spinner appears on a terminal only (checked
 * through `script`, which gives the binary a pseudo-terminal, on a load that takes seconds).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { BIN, expectExit, ROOT, segment, tempDir } from "./helpers.js";

const widest = (text: string) => Math.max(...text.trimEnd().split("\n").map((l) => [...l].length));

describe("tables fit the terminal", () => {
  it("fields: 80 columns when the terminal has 80; whole lines in a pipe", () => {
    const piped = segment(["fields"]);
    expectExit(piped, 0);
    // The bundled shop's fields table is wider than 80 with every sample in full.
    expect(widest(piped.stdout)).toBeGreaterThan(80);
    const fitted = segment(["fields"], ROOT, { COLUMNS: "80" });
    expectExit(fitted, 0);
    expect(widest(fitted.stdout)).toBeLessThanOrEqual(80);
    // The same rows, each field named in full where the column did not need to give way.
    expect(fitted.stdout.split("\n").length).toBe(piped.stdout.split("\n").length);
    // Field names stay whole; the samples and sources give way.
    expect(fitted.stdout).toContain("custom.favourite_tea");
    expect(fitted.stdout).toContain("…");
  });

  it("list and the preview funnel too", () => {
    for (const args of [["list"], ["preview", "win-back-not-moscow", "--as-of", "2026-11-23", "--customer", "C0017"]]) {
      const fitted = segment(args, ROOT, { COLUMNS: "80" });
      expectExit(fitted, 0);
      expect(widest(fitted.stdout), args.join(" ")).toBeLessThanOrEqual(80);
    }
    expect(widest(segment(["list"]).stdout)).toBeGreaterThan(80);
  });
});

/** The environment without CI: spinners (ora's and ours) stay off wherever CI is set. */
function withoutCi(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.CI;
  return env;
}

const haveScript = spawnSync("script", ["--version"]).status === 0;
const RETAIL = path.join(ROOT, "..", "shared", "data", "online-retail", "by-day");

describe.skipIf(!haveScript || !existsSync(RETAIL))("progress on long loads", () => {
  it("a spinner on a terminal after a second, saying what is read; none in a pipe", () => {
    const cwd = path.join(ROOT, "examples", "online-retail");
    // `script` runs the command on a pseudo-terminal of 100 columns; its output is the terminal's.
    const tty = execFileSync("script", ["-qec", `stty cols 100 rows 40; ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} validate --exports`, "/dev/null"], { cwd, encoding: "utf8", env: withoutCi(), timeout: 120_000 });
    expect(tty).toContain("reading order_items");
    expect(tty).toContain("ok");
    const piped = segment(["validate", "--exports"], cwd);
    expectExit(piped, 0);
    expect(piped.stderr).not.toContain("reading");
  }, 120_000);
});

describe.skipIf(!haveScript)("the RFM grid on a terminal", () => {
  it("is a heat map in colour on a terminal, plain characters in a pipe", () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, "data"));
    writeFileSync(path.join(dir, "data", "orders.csv"), "id,customer_id,created_at,total\n1,A,2026-01-01T10:00:00Z,5\n2,B,2026-01-02T10:00:00Z,6\n3,B,2026-01-03T10:00:00Z,7\n");
    writeFileSync(path.join(dir, "segment.config.yaml"), "data: data\nas_of: 2026-02-01\n");
    const tty = execFileSync("script", ["-qec", `stty cols 120 rows 40; ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} rfm --grid --bins 2 > /dev/null`, "/dev/null"], { cwd: dir, encoding: "utf8", env: withoutCi(), timeout: 60_000 });
    // A background colour (ESC [ 4x m or 10x m) on the grid's cells.
    expect(tty).toMatch(new RegExp(`${String.fromCharCode(27)}\\[(4[0-7]|10[0-7])m`));
    const piped = segment(["rfm", "--grid", "--bins", "2"], dir);
    expect(piped.stderr).toContain("R x F grid");
    expect(piped.stderr).not.toContain("\u001b[");
  });
});
