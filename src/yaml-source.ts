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
  const problems: Problem[] = doc.errors.map((e) => {
    const pos = lineCounter.linePos(e.pos[0]);
    return { file, line: pos.line, col: pos.col, message: `YAML syntax: ${e.message.split("\n")[0]}` };
  });
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
