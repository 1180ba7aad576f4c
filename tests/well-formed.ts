/** @file A well-formedness check for report.html and its sections (shared by the training tests). */

/**
 * Throws unless `text` is well-formed XML (apart from the HTML5 doctype): balanced tags, quoted
 * attributes without duplicates, no bare `<` or `&`, only XML's predefined named entities.
 */
export function checkWellFormed(text: string): void {
  const entity = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/;
  const token =
    /<!--[\s\S]*?-->|<!DOCTYPE html>|<\/([A-Za-z][\w:.-]*)\s*>|<([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>|<|&[^;\s]*;?/g;
  const stack: string[] = [];
  let m: RegExpExecArray | null;
  let last = 0;
  let root = 0;
  while ((m = token.exec(text)) !== null) {
    const where = `at offset ${m.index}: ${text.slice(m.index, m.index + 60)}`;
    if (stack.length === 0 && text.slice(last, m.index).trim() !== '') throw new Error(`text outside the root element ${where}`);
    last = token.lastIndex;
    const [whole, close, open, attrs, selfClosing] = m;
    if (whole === '<') throw new Error(`bare '<' ${where}`);
    if (whole.startsWith('&')) {
      if (entity.test(whole)) throw new Error(`bad entity ${where}`);
      continue;
    }
    if (close !== undefined) {
      const top = stack.pop();
      if (top !== close) throw new Error(`</${close}> closes <${top}> ${where}`);
    } else if (open !== undefined) {
      const names = [...attrs.matchAll(/([\w:.-]+)\s*=\s*("[^"]*"|'[^']*')/g)];
      const seen = new Set<string>();
      for (const [, name, value] of names) {
        if (seen.has(name)) throw new Error(`duplicate attribute ${name} ${where}`);
        seen.add(name);
        if (entity.test(value)) throw new Error(`bad entity in attribute ${name} ${where}`);
      }
      if (stack.length === 0 && ++root > 1) throw new Error(`second root element ${where}`);
      if (selfClosing !== '/') stack.push(open);
    }
  }
  if (stack.length > 0) throw new Error(`unclosed elements: ${stack.join(' > ')}`);
  if (root !== 1) throw new Error('no root element');
}
