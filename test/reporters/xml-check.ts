/**
 * A strict little XML well-formedness check for tests (no XML parser in the dependencies):
 * one root, balanced and properly nested tags, quoted attributes without raw `<`/`&`, only
 * known or numeric entities, no raw `<`/`&` in text.
 */
export function assertWellFormedXml(xml: string): void {
  let rest = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  let roots = 0;
  const checkText = (text: string) => {
    if (/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(text)) throw new Error(`bad entity in ${JSON.stringify(text.slice(0, 60))}`);
  };
  while (rest.length > 0) {
    const lt = rest.indexOf('<');
    if (lt < 0) {
      if (rest.trim()) throw new Error(`text after the root: ${rest.slice(0, 40)}`);
      break;
    }
    const text = rest.slice(0, lt);
    if (stack.length === 0 && text.trim()) throw new Error(`text outside the root: ${text.slice(0, 40)}`);
    checkText(text);
    const gt = rest.indexOf('>', lt);
    if (gt < 0) throw new Error('unterminated tag');
    const tag = rest.slice(lt + 1, gt);
    rest = rest.slice(gt + 1);
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      if (stack.pop() !== name) throw new Error(`mismatched </${name}>`);
      continue;
    }
    const selfClosing = tag.endsWith('/');
    const m = /^([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"<]*")*)\s*\/?$/.exec(tag);
    if (!m) throw new Error(`malformed tag <${tag.slice(0, 80)}>`);
    checkText(m[2]!);
    if (stack.length === 0) roots++;
    if (!selfClosing) stack.push(m[1]!);
  }
  if (stack.length) throw new Error(`unclosed <${stack.join('>, <')}>`);
  if (roots !== 1) throw new Error(`expected one root element, found ${roots}`);
}
