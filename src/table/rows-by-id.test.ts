import { describe, expect, it } from "vitest";
import { formOfFirst, RowsById } from "./rows-by-id.js";

describe("formOfFirst", () => {
  it.each([
    ["C0000001", { prefix: "C", width: 7 }],
    ["C1000000", { prefix: "C", width: 0 }],
    ["10234", { prefix: "", width: 0 }],
    ["cust-0", { prefix: "cust-", width: 0 }],
    ["007", { prefix: "", width: 3 }],
  ])("reads %j as %j", (id, form) => expect(formOfFirst(id)).toEqual(form));
  it.each(["", "abc", "C12x", "C-1.5", "C1234567890123456"])("finds no form in %j", (id) => expect(formOfFirst(id)).toBeUndefined());
});

describe("RowsById", () => {
  // A Map of every id is the reference: RowsById must find the same first row for every id,
  // whatever mix of forms the ids come in.
  const check = (ids: string[]) => {
    const rows = new RowsById();
    const ref = new Map<string, number>();
    const wrong: string[] = [];
    ids.forEach((id, row) => {
      const got = rows.add(id, row);
      const want = ref.get(id) ?? -1;
      if (got !== want) wrong.push(`${id}: ${got} for ${want}`);
      if (want === -1) ref.set(id, row);
    });
    expect(wrong).toEqual([]);
    return ref.size;
  };

  it("agrees with a Map on seeded ids of the first id's form, of other widths and forms, and repeats", () => {
    let a = 11;
    const rand = () => ((a = (Math.imul(a, 1103515245) + 12345) >>> 0) / 4294967296);
    const pick = (xs: string[]) => xs[Math.floor(rand() * xs.length)];
    const ids: string[] = [];
    let n = 1;
    for (let k = 0; k < 100_000; k++) {
      const u = rand();
      if (u < 0.8) ids.push(`C${String(n++).padStart(7, "0")}`);
      else if (u < 0.85) ids.push(`C${Math.floor(rand() * 3_000_000)}`); // canonical, not of the first id's width
      else if (u < 0.88) ids.push(`C${String(Math.floor(rand() * 200)).padStart(8, "0")}`); // another width
      else if (u < 0.9) ids.push(pick(["X0000001", "c0000001", "C000001", "C 0000001", "C0000001 ", "ID-7", "Ц0000001"]));
      else if (ids.length) ids.push(pick(ids)); // a repeat of any earlier id
    }
    const distinct = check(ids);
    expect(distinct).toBeGreaterThan(80_000);
    expect(distinct).toBeLessThan(ids.length - 5_000);
  });

  it("agrees with a Map when the first id has no digits, or is bare digits", () => {
    check(["alice", "bob", "alice", "42", "042", "42", "bob"]);
    check(["42", "042", "42", "43", "x43", "43", "0", "00", "0"]);
  });
});
