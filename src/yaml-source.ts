/** YAML files read with positions kept, so every problem can name its line and column. */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from "yaml";
import type { Problem } from "./errors.js";
import { readTextFile } from "./text-bytes.js";

/** A parsed YAML file: its plain value, and a way to find where a path sits in the text. */
export interface YamlSource {
  file: string;
  value: unknown;
  /** Syntax problems (a file with any has no usable value). */
  problems: Problem[];
  /** Line and column (1-based) of the value at `path`, or of its key with `key: true`. */
  locate(path: Array<string | number>, opts?: { key?: boolean }): { line: number; col: number };
}

/** Alias expansions allowed in one file: enough to reuse a filter list, far too few for a "billion laughs". */
export const MAX_ALIAS_COUNT = 100;

/**
 * Most items (list entries and mapping pairs, counted by their separators before parsing) a
 * YAML file may hold: the parser takes about 2 KB a node, so this bounds its memory.
 */
export const MAX_YAML_ITEMS = 300_000;

/** The only tag taken: `!!str`, which says what quoting says. Any other is refused, never run or guessed. */
const STR_TAG = "tag:yaml.org,2002:str";

/** Reads and parses a YAML file (`what` names it in messages: "config file", "segment file"). */
export function readYaml(file: string, shown: string, what: string): YamlSource {
  const read = readTextFile(file, shown, what);
  if (read.text === undefined) return { file: shown, value: undefined, problems: read.problems, locate: () => ({ line: 1, col: 1 }) };
  return parseYaml(read.text, shown);
}

/**
 * Parses YAML text, keeping positions. Tags other than `!!str` are problems (the YAML
 * package would keep `!!js/function x` or `!foo bar` as the string after the tag, and
 * `!!int abc` as "abc"); aliases are bounded by MAX_ALIAS_COUNT; nesting so deep the parser
 * runs out of stack is a problem too.
 */
export function parseYaml(text: string, file: string): YamlSource {
  const items = countItems(text);
  if (items > MAX_YAML_ITEMS) {
    return failed(file, [{ file, line: 1, col: 1, message: `the file holds about ${items.toLocaleString("en-US")} YAML items: at most ${MAX_YAML_ITEMS.toLocaleString("en-US")} are read`, hint: "is it the right file? A filter's list takes at most 100,000 values" }]);
  }
  const lineCounter = new LineCounter();
  const at = (offset: number) => lineCounter.linePos(offset);
  let doc: Document;
  const problems: Problem[] = [];
  let value: unknown;
  try {
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
    problems.push(...doc.errors.map((e) => syntaxProblem(text, file, lineCounter, e.pos[0], e.code, e.message.split("\n")[0])));
    if (!problems.length) {
      visit(doc, {
        Alias(_key, node, path) {
          // An alias inside the node it names (`f: &f [*f]`) makes a value that contains itself.
          const target = node.resolve(doc);
          if (target && path.includes(target)) problems.push({ file, ...at(node.range?.[0] ?? 0), message: `the alias \`*${node.source}\` is inside the node it names: the value would contain itself`, hint: "an alias may only repeat a node that is complete before it" });
        },
        Node(_key, node) {
          if (node.tag === undefined || node.tag === STR_TAG) return;
          const tag = node.tag.replace(/^tag:yaml\.org,2002:/, "!!");
          problems.push({ file, ...at(tagOffset(text, node.range?.[0] ?? 0)), message: `YAML tag \`${tag.slice(0, 40)}\` is not supported`, hint: "write the value plainly (quote it to keep it a string); tags are never run or converted" });
        },
      });
    }
    if (!problems.length) value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    if (e instanceof RangeError || /Maximum call stack/.test(String(e))) {
      return failed(file, [{ file, line: 1, col: 1, message: "YAML nested too deeply to read", hint: "a definition needs a few levels of groups, not thousands" }]);
    }
    if (/Excessive alias count/.test(String(e))) {
      const m = /(^|[\s[{,])\*[^\s,\]}]/.exec(text);
      const first = m ? m.index + m[1].length : 0;
      return failed(file, [{ file, ...at(first), message: `YAML aliases expand past ${MAX_ALIAS_COUNT} copies (a "billion laughs" file?)`, hint: "write the repeated parts out, or use fewer `*alias` references" }]);
    }
    throw e;
  }
  return {
    file,
    value,
    problems,
    locate(path, opts) {
      const node = findNode(doc, path, opts?.key === true);
      const offset = node?.range?.[0] ?? 0;
      const pos = lineCounter.linePos(offset);
      return { line: pos.line, col: pos.col };
    },
  };
}

/** Commas, `- ` items and `: ` pairs: an upper bound of the YAML nodes a text makes, without parsing it. */
function countItems(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 44 || ((c === 45 || c === 58) && (text.charCodeAt(i + 1) === 32 || text.charCodeAt(i + 1) === 10))) n++;
  }
  return n;
}

function failed(file: string, problems: Problem[]): YamlSource {
  return { file, value: undefined, problems, locate: () => ({ line: 1, col: 1 }) };
}

/** The offset of the `!` that starts the tag of a node whose value starts at `offset`. */
function tagOffset(text: string, offset: number): number {
  let bang = text.lastIndexOf("!", offset);
  if (bang === -1) return offset;
  // `!!int`: the tag starts at the first of the two.
  while (bang > 0 && text[bang - 1] === "!") bang--;
  return bang;
}

/**
 * A YAML syntax error as a user can act on it: what is wrong in plain words, where it
 * starts (an unclosed `{` or `[` where it was opened, not at the end of the file where the
 * parser gave up), and the parser's own words in the hint.
 */
function syntaxProblem(text: string, file: string, lines: LineCounter, offset: number, code: string, said: string): Problem {
  const at = (o: number) => lines.linePos(Math.max(0, Math.min(o, text.trimEnd().length - 1)));
  const parser = `the YAML parser says: ${said}`;
  const unclosed = /end with a ([}\]])/.exec(said);
  if (unclosed) {
    const close = unclosed[1];
    const open = close === "}" ? "{" : "[";
    const start = unmatchedOpen(text, offset, open, close);
    const pos = at(start ?? offset);
    return { file, line: pos.line, col: pos.col, message: `YAML syntax: this \`${open}\` is not closed with \`${close}\``, hint: `close it on the same line, or write the item as an indented block; ${parser}` };
  }
  const pos = at(offset);
  const words: Record<string, string> = {
    DUPLICATE_KEY: "a key appears twice in this mapping: keep one",
    TAB_AS_INDENT: "a tab in the indentation: YAML indents with spaces only",
    BAD_INDENT: "the indentation does not line up with the lines around it",
    MULTILINE_IMPLICIT_KEY: "a key runs over more than one line (a missing `:` or an unclosed quote above?)",
    BLOCK_AS_IMPLICIT_KEY: "a key runs over more than one line (a missing `:` or an unclosed quote above?)",
    MISSING_CHAR: "a character is missing here (an unclosed quote, bracket or brace?)",
  };
  if (/Maximum call stack/.test(said)) return { file, line: 1, col: 1, message: "YAML nested too deeply to read", hint: "a definition needs a few levels of groups, not thousands" };
  const plain = /without - indicator/.test(said) ? "this line is indented unlike the lines around it (or is a list item without `- ` in front)" : words[code];
  return { file, line: pos.line, col: pos.col, message: `YAML syntax: ${plain ?? said}`, hint: plain ? parser : undefined };
}

/** Offset of the last `open` before `offset` with no `close` after it (quotes skipped), or undefined. */
function unmatchedOpen(text: string, offset: number, open: string, close: string): number | undefined {
  const stack: number[] = [];
  let quote: string | undefined;
  for (let i = 0; i < Math.min(offset, text.length); i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(text[i - 1]))) {
      const nl = text.indexOf("\n", i);
      i = nl < 0 ? text.length : nl;
    } else if (c === open) stack.push(i);
    else if (c === close) stack.pop();
    else if (c === "\n") quote = undefined;
  }
  return stack.length ? stack[stack.length - 1] : undefined;
}

function findNode(doc: Document, path: Array<string | number>, key: boolean): Node | undefined {
  let node: unknown = doc.contents;
  let last: Node | undefined = (doc.contents as Node) ?? undefined;
  for (let i = 0; i < path.length; i++) {
    const step = path[i];
    const isLast = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(step));
      if (!pair) return last;
      if (isLast && key) return pair.key as Node;
      node = pair.value;
      last = (pair.value as Node) ?? (pair.key as Node);
    } else if (isSeq(node) && typeof step === "number") {
      const item = node.items[step];
      if (!item) return last;
      node = item;
      last = item as Node;
    } else {
      return last;
    }
  }
  return last;
}

/** Renders a path as `groups[0].filters[1].between`. */
export function formatPath(path: Array<string | number>): string {
  let out = "";
  for (const step of path) {
    if (typeof step === "number") out += `[${step}]`;
    else out += out ? `.${step}` : step;
  }
  return out;
}
