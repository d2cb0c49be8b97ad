/**
 * Regular expressions from users (`matches`, `values` patterns), run over another system's
 * data: untrusted on both sides, so a pattern must not be able to hang a cron run.
 *
 * V8 backtracks; `(a+)+$` on thirty `a` and a `!` takes minutes. Two guards:
 * - V8's linear-time engine takes over any pattern it supports once a match backtracks too
 *   much (`--enable-experimental-regexp-engine-on-excessive-backtracks`, set at start-up);
 * - a pattern that engine cannot run (backreferences, lookaround, the `u` flag, counted
 *   repeats over 16) is accepted only when it has no nested or alternated repetition, the
 *   shapes that backtrack exponentially; otherwise it is refused with the reason.
 * And a pattern is at most MAX_PATTERN_LENGTH characters.
 */
import { setFlagsFromString } from "node:v8";

/** Longest pattern accepted, in characters. */
export const MAX_PATTERN_LENGTH = 1000;

let enabled = false;

/** Turns on the linear-time fallback and engine (once per process; patterns compiled after it are guarded). */
export function guardRegexps(): void {
  if (enabled) return;
  setFlagsFromString("--enable-experimental-regexp-engine-on-excessive-backtracks");
  setFlagsFromString("--enable-experimental-regexp-engine");
  enabled = true;
}

/** Compiles a user's pattern, or says why it is refused. */
export function userRegExp(source: string, flags: string): RegExp | { message: string; hint?: string } {
  guardRegexps();
  if (source.length > MAX_PATTERN_LENGTH) return { message: `the regular expression is ${source.length} characters long: at most ${MAX_PATTERN_LENGTH} are accepted`, hint: "a filter needs a short pattern; list long alternatives with `in`" };
  let re: RegExp;
  try {
    re = new RegExp(source, flags);
  } catch (e) {
    return { message: `not a valid regular expression: ${(e as Error).message.replace(/^Invalid regular expression: /, "")}` };
  }
  if (linearOk(source, flags)) return re;
  const risk = backtrackRisk(source);
  if (risk) return { message: `this regular expression could take exponential time on unlucky data (${risk})`, hint: "rewrite it without repeating a group that itself repeats or holds alternatives, e.g. `a+` for `(a+)+`" };
  return re;
}

/** True when V8's linear-time engine runs the pattern (so the fallback bounds it). */
function linearOk(source: string, flags: string): boolean {
  try {
    new RegExp(source, flags.replace(/[l]/g, "") + "l");
    return true;
  } catch {
    return false;
  }
}

/**
 * Why a pattern may backtrack exponentially, or undefined: a backreference, or a repeated
 * group (`*`, `+`, `{n,}`, `{n,m}` with m > 1) holding a repeat or an alternative.
 */
export function backtrackRisk(source: string): string | undefined {
  // Per open group: whether it holds a repeat or a `|` so far.
  const stack: Array<{ repeats: boolean; alternates: boolean }> = [{ repeats: false, alternates: false }];
  let lastGroup: { repeats: boolean; alternates: boolean } | undefined;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    const top = stack[stack.length - 1];
    const repeat = repeatAt(source, i);
    // A group that repeats inside makes the group around it repeat too.
    if (!repeat && lastGroup?.repeats) top.repeats = true;
    if (c === "\\") {
      if (/[1-9k]/.test(source[i + 1] ?? "")) return "a backreference";
      i++;
      lastGroup = undefined;
      continue;
    }
    if (c === "[") {
      // A character class: skip to its end.
      for (i++; i < source.length && source[i] !== "]"; i++) if (source[i] === "\\") i++;
      lastGroup = undefined;
      continue;
    }
    if (c === "(") {
      stack.push({ repeats: false, alternates: false });
      // (?: (?= (?! (?<name>: the `?` is not a repeat.
      if (source[i + 1] === "?") i++;
      lastGroup = undefined;
      continue;
    }
    if (c === ")") {
      lastGroup = stack.length > 1 ? stack.pop() : undefined;
      continue;
    }
    if (c === "|") {
      top.alternates = true;
      lastGroup = undefined;
      continue;
    }
    if (repeat) {
      if (repeat.unbounded && lastGroup && (lastGroup.repeats || lastGroup.alternates)) return lastGroup.repeats ? "a repeated group that itself repeats" : "a repeated group of alternatives";
      if (repeat.unbounded || lastGroup?.repeats) top.repeats = true;
      i += repeat.length - 1;
      lastGroup = undefined;
      continue;
    }
    lastGroup = undefined;
  }
  return undefined;
}

/** A quantifier at `i`: its length, and whether it repeats more than once. */
function repeatAt(source: string, i: number): { length: number; unbounded: boolean } | undefined {
  const c = source[i];
  const lazy = source[i + 1] === "?" ? 1 : 0;
  if (c === "*" || c === "+") return { length: 1 + lazy, unbounded: true };
  if (c === "?") return { length: 1 + lazy, unbounded: false };
  if (c !== "{") return undefined;
  const m = /^\{(\d+)(,(\d*))?\}\??/.exec(source.slice(i));
  if (!m) return undefined;
  const max = m[2] === undefined ? Number(m[1]) : m[3] === "" ? Infinity : Number(m[3]);
  return { length: m[0].length, unbounded: max > 1 };
}
