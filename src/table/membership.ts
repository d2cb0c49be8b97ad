/**
 * Memberships by customer id: what a segment's members are across runs, independent of
 * the row numbers of one load. A membership is a sorted array of distinct ids (UTF-16 code
 * unit order, as `<` compares strings), so two of them diff by a linear merge.
 */

/** Sorted, distinct customer ids. */
export type Membership = readonly string[];

/** The membership of a list of ids (any order, repeats allowed). */
export function toMembership(ids: Iterable<string>): Membership {
  const sorted = [...new Set(ids)].sort(compareIds);
  return sorted;
}

/** The order of ids in a membership. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** True when `m` is sorted and distinct. */
export function isMembership(m: readonly string[]): boolean {
  for (let i = 1; i < m.length; i++) if (!(m[i - 1] < m[i])) return false;
  return true;
}

/** Ids that entered (in `next`, not in `prev`) and left (in `prev`, not in `next`), by one merge. */
export function diffMemberships(prev: Membership, next: Membership): { entered: string[]; left: string[] } {
  const entered: string[] = [];
  const left: string[] = [];
  let i = 0, j = 0;
  while (i < prev.length || j < next.length) {
    if (j >= next.length || (i < prev.length && prev[i] < next[j])) left.push(prev[i++]);
    else if (i >= prev.length || next[j] < prev[i]) entered.push(next[j++]);
    else {
      i++;
      j++;
    }
  }
  return { entered, left };
}
