/**
 * @file Text made safe for XML (SVG, HTML pages, Graphviz HTML-like labels): the one place that knows
 * which characters XML 1.0 forbids. Every generated label, title and attribute goes through here.
 */

/**
 * Replaces what XML 1.0 cannot hold — C0 controls other than tab, newline and carriage return
 * become their visible Control Pictures (U+2400 + code), lone surrogates and U+FFFE/U+FFFF become
 * U+FFFD — so a stray character in a file name or a tensor's name shows, instead of breaking the page.
 */
export function xmlSafe(text: string): string {
  return text.replace(
    /[\u0000-\u0008\u000b\u000c\u000e-\u001f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]|[\ufffe\uffff]/g,
    (c) => (c.charCodeAt(0) < 0x20 ? String.fromCharCode(0x2400 + c.charCodeAt(0)) : '\ufffd'),
  );
}

/** Text as XML character data or an attribute value: the five entities, then xmlSafe. */
export function escapeXml(text: string): string {
  return xmlSafe(text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!));
}
