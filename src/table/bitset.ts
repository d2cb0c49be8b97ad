/** A fixed-size set of row indices over 32-bit words: the result type of every kernel. */
export class BitSet {
  readonly size: number;
  readonly words: Uint32Array;

  constructor(size: number, words?: Uint32Array) {
    this.size = size;
    this.words = words ?? new Uint32Array((size + 31) >>> 5);
  }

  /** A set holding every row below `size`. */
  static full(size: number): BitSet {
    const s = new BitSet(size);
    s.words.fill(0xffffffff);
    s.clearTail();
    return s;
  }

  /** The rows below `size` whose byte in `flags` is 1. */
  static ofFlags(flags: Uint8Array, size: number): BitSet {
    const s = new BitSet(size);
    for (let i = 0; i < size; i++) if (flags[i] === 1) s.add(i);
    return s;
  }

  /** Empties the set. */
  clear(): this {
    this.words.fill(0);
    return this;
  }

  /** Tests row `i`. */
  has(i: number): boolean {
    return (this.words[i >>> 5] & (1 << (i & 31))) !== 0;
  }

  /** Adds row `i`. */
  add(i: number): void {
    this.words[i >>> 5] |= 1 << (i & 31);
  }

  /** Removes row `i`. */
  delete(i: number): void {
    this.words[i >>> 5] &= ~(1 << (i & 31));
  }

  /** A copy of this set. */
  clone(): BitSet {
    return new BitSet(this.size, this.words.slice());
  }

  /** Keeps only rows also in `other` (in place). */
  and(other: BitSet): this {
    const a = this.words, b = other.words;
    for (let i = 0; i < a.length; i++) a[i] &= b[i];
    return this;
  }

  /** Adds the rows of `other` (in place). */
  or(other: BitSet): this {
    const a = this.words, b = other.words;
    for (let i = 0; i < a.length; i++) a[i] |= b[i];
    return this;
  }

  /** Removes the rows of `other` (in place). */
  andNot(other: BitSet): this {
    const a = this.words, b = other.words;
    for (let i = 0; i < a.length; i++) a[i] &= ~b[i];
    return this;
  }

  /** Complements the set within its size (in place). */
  not(): this {
    const a = this.words;
    for (let i = 0; i < a.length; i++) a[i] = ~a[i];
    this.clearTail();
    return this;
  }

  /** Number of rows in the set. */
  count(): number {
    let n = 0;
    const a = this.words;
    for (let i = 0; i < a.length; i++) {
      let v = a[i];
      v = v - ((v >>> 1) & 0x55555555);
      v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
      n += (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
    }
    return n;
  }

  /** The first row at or after `from` in the set, or -1. */
  next(from: number): number {
    if (from >= this.size) return -1;
    let w = from >>> 5;
    let word = this.words[w] & (0xffffffff << (from & 31));
    while (true) {
      if (word !== 0) {
        const i = (w << 5) + (31 - Math.clz32(word & -word));
        return i < this.size ? i : -1;
      }
      if (++w >= this.words.length) return -1;
      word = this.words[w];
    }
  }

  /** Calls `fn` for each row in the set, in order. */
  forEach(fn: (i: number) => void): void {
    const a = this.words;
    for (let w = 0; w < a.length; w++) {
      let word = a[w];
      while (word !== 0) {
        const low = word & -word;
        fn((w << 5) + (31 - Math.clz32(low)));
        word ^= low;
      }
    }
  }

  /** The rows in the set, ascending. */
  toArray(): number[] {
    const out: number[] = [];
    this.forEach((i) => out.push(i));
    return out;
  }

  private clearTail(): void {
    const rem = this.size & 31;
    if (rem !== 0) this.words[this.words.length - 1] &= (1 << rem) - 1 || 0xffffffff;
    if (this.size === 0 && this.words.length) this.words.fill(0);
  }
}
