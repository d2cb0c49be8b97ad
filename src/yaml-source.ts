/** YAML files read with positions kept, so every problem can name its line and column. */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from "yaml";
import type { Problem } from "./errors.js";

/** A parsed YAML file: its plain value, and a way to find where a path sits in the text. */
export interface YamlSource {
  file: string;
  value: unknown;
  /** Syntax problems (a file with any has no usable value). */
  problems: Problem[];
  /** Line and column (1-based) of the value at `path`, or of its key with `key: true`. */
  locate(path: Array<string | number>, opts?: { key?: boolean }): { line: number; col: number };
}

/** Parses YAML text, keeping positions. Aliases are bounded by the yaml package's defaults. */
export function parseYaml(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problems: Problem[] = doc.errors.map((e) => syntaxProblem(text, file, lineCounter, e.pos[0], e.code, e.message.split("\n")[0]));
  const value = problems.length ? undefined : doc.toJS({ maxAliasCount: 100 });
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
