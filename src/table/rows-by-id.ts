/**
 * The first row of each customer id while the customers export is read, for its duplicate
 * check. A Map of every id cost about a second of a million customers' read, and as much
 * again in garbage collection. The first id tells a form (src/table/id-index.ts IdForm):
 * its leading non-digits as the prefix, then canonical digits, or digits of its own width
 * when they start with a zero ("C0000001"). Ids of that form are kept by their number in a
 * NumberIndex; any other id by its text in a Map. Two ids of the form are equal exactly
 * when their numbers are, and an id of the form is never equal to one that is not, so the
 * check finds the same duplicates as a Map of every id.
 */
import { keyIn, prefixLength, type IdForm } from "./id-index.js";
import { NumberIndex } from "./number-index.js";

/** The form the first id suggests, or undefined when it has no digits to number. */
export function formOfFirst(id: string): IdForm | undefined {
  const p = prefixLength(id);
  const digits = id.length - p;
  if (digits === 0) return undefined;
  const form = { prefix: id.slice(0, p), width: digits > 1 && id.charCodeAt(p) === 48 ? digits : 0 };
  return keyIn(id, 0, id.length, form) >= 0 ? form : undefined;
}

export class RowsById {
  private form: IdForm | undefined;
  private started = false;
  private readonly numbers = new NumberIndex();
  private readonly texts = new Map<string, number>();

  /** Gives `id` the row `row` and returns -1, or returns the row `id` already has. */
  add(id: string, row: number): number {
    if (!this.started) {
      this.started = true;
      this.form = formOfFirst(id);
    }
    const v = this.form ? keyIn(id, 0, id.length, this.form) : -1;
    if (v >= 0) return this.numbers.add(v, row);
    const had = this.texts.get(id);
    if (had !== undefined) return had;
    this.texts.set(id, row);
    return -1;
  }
}
