/** The order id hashes: a hash made from a key equals the hash of the id's text (idHash, the reference). */
import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../test/random.js";
import { keyText, type IdForm } from "../table/id-index.js";
import { idHash, IdHashes, keyHash } from "./unique-ids.js";

describe("order id hashes", () => {
  it("keyHash(key, form) is idHash(keyText(key, form))", () => {
    const rnd = mulberry32(5);
    const forms: IdForm[] = [{ prefix: "", width: 0 }, { prefix: "C", width: 0 }, { prefix: "C", width: 8 }, { prefix: "ord-", width: 3 }, { prefix: "", width: 15 }];
    const wrong: string[] = [];
    for (const form of forms) {
      const keys = [0, 1, 9, 10, 999, 999_999_999_999_999];
      for (let k = 0; k < 2000; k++) keys.push(Math.floor(rnd() * 10 ** Math.ceil(rnd() * 15)));
      for (const key of keys) {
        const text = keyText(key, form);
        if (form.width > 0 && text.length - form.prefix.length !== form.width) continue;
        if (keyHash(key, form) !== idHash(text)) wrong.push(text);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("finds an id added once by text and once by key", () => {
    const hashes = new IdHashes();
    hashes.add("1000001");
    hashes.add("1000002");
    hashes.addHash(keyHash(1000001, { prefix: "", width: 0 }));
    expect(hashes.repeated()).toEqual(new Set([idHash("1000001")]));
  });
});
