import { describe, expect, it } from "vitest";
import { BitSet } from "../table/bitset.js";
import { toMembership } from "../table/membership.js";
import type { CustomerTable } from "../ingest/project.js";
import { membershipOf } from "./engine.js";

const table = (ids: string[]) => ({ length: ids.length, ids, index: new Map(ids.map((id, i) => [id, i])), columns: new Map(), derived: false, available: new Map(), complete: true }) as CustomerTable;

describe("membershipOf", () => {
  it("gives the ids of the rows sorted, whether the customers are in id order or not", () => {
    // Reference: toMembership, which sorts the ids of the rows.
    let a = 3;
    const rand = () => ((a = (Math.imul(a, 1103515245) + 12345) >>> 0) / 4294967296);
    const sorted = Array.from({ length: 5000 }, (_, i) => `C${String(i).padStart(5, "0")}`);
    const shuffled = [...sorted].sort(() => rand() - 0.5).concat(["é", "Z", "a10", "a9", "10", "9"]);
    for (const ids of [sorted, shuffled]) {
      const customers = table(ids);
      for (let t = 0; t < 5; t++) {
        const rows = new BitSet(ids.length);
        for (let i = 0; i < ids.length; i++) if (rand() < 0.3) rows.add(i);
        expect(membershipOf(rows, customers)).toEqual(toMembership(rows.toArray().map((i) => ids[i])));
      }
    }
  });
});
