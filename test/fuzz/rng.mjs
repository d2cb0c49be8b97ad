// The fuzzer's seeded randomness: one generator per case, derived from the run's seed and the
// case number, so any case can be generated again alone from its seed and number.
import { mulberry32 } from "../../bench/common.mjs";

/** A 32-bit hash of the parts (FNV-1a over their text), to derive a case's own seed. */
export function hashSeed(...parts) {
  let h = 0x811c9dc5;
  for (const ch of parts.join("/")) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** A seeded generator with the helpers the case generators use. */
export function makeRng(seed) {
  const next = mulberry32(seed);
  const rng = {
    next,
    /** An integer in [lo, hi]. */
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (p) => next() < p,
    pick: (list) => list[Math.floor(next() * list.length)],
    /** Picks by weight from [[weight, value], ...]. */
    weighted: (pairs) => {
      const total = pairs.reduce((s, [w]) => s + w, 0);
      let r = next() * total;
      for (const [w, v] of pairs) {
        if ((r -= w) < 0) return v;
      }
      return pairs[pairs.length - 1][1];
    },
    shuffle: (list) => {
      const a = [...list];
      for (let i = a.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [a[i], a[j]] = [a[j], a[i]];
      }
      return a;
    },
    word: (n = rng.int(1, 8)) => Array.from({ length: n }, () => String.fromCharCode(97 + rng.int(0, 25))).join(""),
  };
  return rng;
}
