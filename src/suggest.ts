/** "Did you mean" suggestions by edit distance. */

/** Levenshtein distance between two strings. */
export function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** Inputs longer than this are no typo of a name: they get no suggestion (and cost no distance search). */
const LONGEST_TYPO = 64;

/** The nearest choice to `input`, when it is close enough to be a likely typo. */
export function nearest(input: string, choices: readonly string[]): string | undefined {
  if (input.length > LONGEST_TYPO) return undefined;
  let best: string | undefined;
  let bestDist = Infinity;
  const lower = input.toLowerCase();
  for (const c of choices) {
    const d = editDistance(lower, c.toLowerCase());
    if (d < bestDist) {
      bestDist = d;
      best = c;
    }
  }
  const limit = Math.max(2, Math.floor(input.length / 3));
  return bestDist <= limit ? best : undefined;
}

/** A hint naming the nearest choice, or listing all of them when there are few. */
export function choiceHint(input: string, choices: readonly string[], few = 12): string | undefined {
  const near = nearest(input, choices);
  if (near) return `did you mean \`${near}\`?`;
  if (choices.length <= few) return `expected one of: ${choices.join(", ")}`;
  return undefined;
}
