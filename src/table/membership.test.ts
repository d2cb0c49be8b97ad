/** Memberships by id: sorting, and the linear-merge diff (expected sets written out by hand). */
import { describe, expect, it } from "vitest";
import { diffMemberships, isMembership, toMembership } from "./membership.js";

describe("memberships", () => {
  it("sorts ids by UTF-16 code units and drops repeats", () => {
    expect(toMembership(["b", "a", "B", "a", "10", "9"])).toEqual(["10", "9", "B", "a", "b"]);
    expect(isMembership(["10", "9", "B"])).toBe(true);
    expect(isMembership(["a", "a"])).toBe(false);
  });

  it("diffs by a merge: entered are new, left are gone", () => {
    expect(diffMemberships(["a", "c", "e"], ["b", "c", "d", "e", "f"])).toEqual({ entered: ["b", "d", "f"], left: ["a"] });
    expect(diffMemberships([], ["x"])).toEqual({ entered: ["x"], left: [] });
    expect(diffMemberships(["x", "y"], [])).toEqual({ entered: [], left: ["x", "y"] });
    expect(diffMemberships(["x"], ["x"])).toEqual({ entered: [], left: [] });
  });
});
