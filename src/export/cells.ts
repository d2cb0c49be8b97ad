/** Cell-level rules the formats share: what XML cannot hold, and formula neutralising for CSV. */

/**
 * Characters XML 1.0 cannot hold: C0 controls but tab, LF and CR; U+FFFE and U+FFFF; and
 * halves of surrogate pairs standing alone (not characters at all).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const XML_FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Replaces what XML 1.0 cannot hold with U+FFFD; returns the text and how many were replaced. */
export function xmlSafe(text: string): { text: string; replaced: number } {
  let replaced = 0;
  const out = text.replace(XML_FORBIDDEN, () => {
    replaced++;
    return "\uFFFD";
  });
  return { text: out, replaced };
}

/**
 * Prefixes `'` to text a spreadsheet would run as a formula (leading `=`, `+`, `-`, `@`,
 * tab, CR, or LF as OWASP adds), so it opens as text. Only text cells are neutralised: a
 * number such as -5 stays a number.
 */
export function neutraliseFormula(text: string): string {
  return /^[=+\-@\t\r\n]/.test(text) ? `'${text}` : text;
}
