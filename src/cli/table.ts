/**
 * Plain-text tables that fit the terminal: columns padded to their widest cell, and when the
 * line would be wider than the terminal, the columns that may shrink are cut (with `…`),
 * widest first, never below a few characters. Outside a terminal (`width` undefined) lines
 * are as long as their cells, so a pipe gets every character.
 */

/** Characters a cell of a shrunk column keeps at least. */
const MIN_WIDTH = 8;
const GAP = "  ";

/** Display width of a string: code points (emoji and CJK count one; close enough for our cells). */
export function textWidth(s: string): number {
  return [...s].length;
}

/** `s` cut to `width` characters, the last one `…` when it was cut. */
export function fitText(s: string, width: number): string {
  const chars = [...s];
  if (chars.length <= width) return s;
  return width <= 0 ? "" : chars.slice(0, width - 1).join("") + "…";
}

/**
 * Renders rows under a header. `shrink`: indexes of the columns that may be cut, widest
 * first, down to `min[index]` characters (default 8, the header cut too); `width`: the
 * terminal's columns, or undefined for no limit.
 */
export function renderTable(head: string[], rows: string[][], opts: { width?: number; shrink?: number[]; min?: Record<number, number>; drop?: number[] } = {}): string[] {
  const natural = head.map((h, i) => Math.max(textWidth(h), ...rows.map((r) => textWidth(r[i] ?? ""))));
  const shown = head.map((_, i) => i);
  let widths = natural.slice();
  const total = () => shown.reduce((a, i) => a + widths[i], 0) + GAP.length * (shown.length - 1);
  if (opts.width !== undefined) {
    const shrink = opts.shrink ?? [];
    const drop = [...(opts.drop ?? [])];
    for (;;) {
      // Take one character at a time from the widest column that may still give way.
      while (total() > opts.width) {
        let pick = -1;
        for (const i of shrink) if (shown.includes(i) && widths[i] > (opts.min?.[i] ?? MIN_WIDTH) && (pick < 0 || widths[i] > widths[pick])) pick = i;
        if (pick < 0) break;
        widths[pick]--;
      }
      // Still too wide at their narrowest: leave out the next column that may go, and try again.
      if (total() <= opts.width || drop.length === 0) break;
      shown.splice(shown.indexOf(drop.shift()!), 1);
      widths = natural.slice();
    }
  }
  const line = (all: string[]) => {
    const cells = shown.map((i) => all[i] ?? "");
    const text = cells.map((c, k) => {
      const w = widths[shown[k]];
      const cut = fitText(c, w);
      return k === cells.length - 1 ? cut : cut + " ".repeat(w - textWidth(cut));
    }).join(GAP).trimEnd();
    // Never the line itself wider than the terminal.
    return opts.width !== undefined ? fitText(text, opts.width) : text;
  };
  return [line(head), ...rows.map(line)];
}

/**
 * Text wrapped at spaces to `width` (undefined: one line), continuation lines indented by
 * `indent` spaces; a word longer than a line is cut.
 */
export function wrapText(text: string, width: number | undefined, indent = 2): string[] {
  if (width === undefined || textWidth(text) <= width) return [text];
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    const lead = lines.length ? " ".repeat(indent) : "";
    if (line !== "" && textWidth(lead + line + " " + word) > width) {
      lines.push(fitText(lead + line, width));
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(fitText((lines.length ? " ".repeat(indent) : "") + line, width));
  return lines;
}
