/** The order id hashes: numbers are their own hash; an id added as text and as a number is one id. */
import { describe, expect, it } from "vitest";
import { idHash, IdHashes } from "./unique-ids.js";

describe("order id hashes", () => {
  it("hashes a canonical whole number to itself, and other ids to 52 bits", () => {
    expect([idHash("1000001"), idHash("0"), idHash("999999999999999")]).toEqual([1000001, 0, 999999999999999]);
    // Not canonical numbers: a leading zero, 16 digits, a prefix, a space.
    for (const id of ["01000001", "1000000000000000", "O1000001", "1000001 ", ""]) {
      const h = idHash(id);
      expect(Number.isInteger(h) && h >= 0 && h < 2 ** 52).toBe(true);
    }
    expect(idHash("01000001")).not.toBe(idHash("1000001"));
  });

  it("finds an id added once by text and once as a number, and nothing in distinct ids", () => {
    const hashes = new IdHashes();
    hashes.add("1000001");
    hashes.add("1000002");
    hashes.add("A-7");
    hashes.addNumber(1000003);
    expect(hashes.repeated()).toEqual(new Set());
    hashes.addNumber(1000001);
    hashes.add("A-7");
    expect(hashes.repeated()).toEqual(new Set([1000001, idHash("A-7")]));
  });
});
