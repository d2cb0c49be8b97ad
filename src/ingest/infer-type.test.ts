import { describe, expect, it } from "vitest";
import { inferType } from "./infer-type.js";

describe("inferType", () => {
  it.each([
    [["yes", "no", "YES"], "bool"],
    [["true", "0", "1"], "bool"],
    [["0", "1", "1"], "integer"],
    [["12", "-3", "", "  "], "integer"],
    [["12", "3.5"], "decimal"],
    [["2025-01-01", "2024-12-31"], "date"],
    [["2025-01-01", "2025-01-01T10:00:00Z"], "datetime"],
    [["2025-01-01T10:00", "2025-01-02 11:00:00 +0300"], "datetime"],
    [["12", "abc"], "string"],
    [["yes", "maybe"], "string"],
    [[], "string"],
    [["", " "], "string"],
  ])("infers %j as %s", (values, want) => expect(inferType(values)).toBe(want));

  it("uses the source's decimal comma", () => {
    expect(inferType(["1,5", "2"], ",")).toBe("decimal");
    expect(inferType(["1,5", "2"], ".")).toBe("string");
  });
});
