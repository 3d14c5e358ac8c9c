/**
 * The XML 1.0 well-formedness rules that fast-xml-parser's validator lets through. Stored
 * documents (lifecycle, CORS …) are returned byte for byte, so anything accepted here must
 * be XML every client can parse: Python's expat refuses each case below, and boto3 then
 * fails every later GET of the document. S3 and Ceph RGW answer MalformedXML for them.
 *
 * - characters XML does not allow, raw (`\x01`, U+FFFE) or as a reference (`&#0;`);
 *   references to other control characters (`&#x1;`) stay legal, since S3 writes them for
 *   such keys in listings and clients send them back in DeleteObjects;
 * - `&` that starts no reference, or names an entity XML does not predefine (`&nbsp;`);
 * - `]]>` in text, `<` in an attribute value;
 * - a namespace prefix no `xmlns:` declares (`<x:Rule>`);
 * - an encoding declaration other than UTF-8 (bodies are read as UTF-8, so `café` in
 *   ISO-8859-1 would be stored damaged).
 */
import { StowageError } from '../../errors.js';

function malformed(why: string): StowageError {
  return new StowageError('E_MALFORMED_XML', `the XML you provided was not well-formed: ${why}`);
}

/** A body's bytes as text; bytes that are not UTF-8 are MalformedXML, or `error`. */
export function decodeUtf8(body: Buffer, error?: StowageError): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    throw error ?? malformed('the body is not valid UTF-8');
  }
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

const hex = (code: number) => `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;

/** Characters XML 1.0 allows (the `Char` production); `text` is valid UTF-16 here. */
function checkChars(text: string): void {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x20 && c < 0xd800) continue;
    if (c === 0x9 || c === 0xa || c === 0xd) continue;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i += 1;
        continue;
      }
    }
    if (c >= 0xe000 && c <= 0xfffd) continue;
    throw malformed(`character ${hex(c)} is not allowed in XML`);
  }
}

/** A reference at `lastIndex` (sticky: no copy of the text per `&`). */
const REFERENCE = /&(?:(amp|lt|gt|quot|apos)|#0*([0-9]{1,7})|#x0*([0-9a-fA-F]{1,6}));/y;

/** Text or an attribute value: every `&` starts a reference XML knows. */
function checkReferences(text: string, where: string): void {
  let at = text.indexOf('&');
  while (at >= 0) {
    REFERENCE.lastIndex = at;
    const m = REFERENCE.exec(text);
    if (!m) {
      const shown = /^&[^\s&<;]{0,20};?/.exec(text.slice(at, at + 24))?.[0] ?? '&';
      throw malformed(
        `"${shown}" in ${where} is not a reference XML defines (use &amp; for a literal &)`,
      );
    }
    if (m[1] === undefined) {
      const code = m[2] !== undefined ? parseInt(m[2], 10) : parseInt(m[3]!, 16);
      if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
        throw malformed(`"${m[0]}" in ${where} refers to a character XML does not allow`);
      }
    }
    at = text.indexOf('&', at + m[0].length);
  }
}

const NAME_END = /[\s/>]/;
const ATTRIBUTE = /\s*([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/y;

const XML_NS = 'http://www.w3.org/XML/1998/namespace';

/**
 * Namespace prefixes in scope, with the URI each is bound to: `xml` always; each open
 * element adds its own `xmlns:p` declarations until it closes. Kept per prefix, so that an
 * element costs only its own declarations (a set copied per element made 15,000 nested
 * declarations take 20 s).
 */
class Scopes {
  private readonly bound = new Map<string, string[]>([['xml', [XML_NS]]]);
  private readonly open: string[][] = [];

  uri(prefix: string): string | undefined {
    return this.bound.get(prefix)?.at(-1);
  }

  enter(declared: ReadonlyArray<[string, string]>): void {
    for (const [p, uri] of declared) {
      // Namespaces in XML: a prefix cannot be undeclared, `xmlns` never bound, `xml` only
      // to its own URI.
      if (uri === '')
        throw malformed(`xmlns:${p}="" undeclares a prefix, which XML 1.0 does not allow`);
      if (p === 'xmlns' || (p === 'xml') !== (uri === XML_NS)) {
        throw malformed(`xmlns:${p}="${uri}" binds a reserved prefix or namespace`);
      }
      const stack = this.bound.get(p);
      if (stack) stack.push(uri);
      else this.bound.set(p, [uri]);
    }
    this.open.push(declared.map(([p]) => p));
  }

  leave(): void {
    for (const p of this.open.pop() ?? []) this.bound.get(p)!.pop();
  }
}

/** The namespace URI of a prefixed name, or undefined for an unprefixed one. */
function namespaceOf(name: string, scopes: Scopes, what: string): string | undefined {
  const colon = name.indexOf(':');
  if (colon <= 0) return undefined;
  const prefix = name.slice(0, colon);
  if (prefix === 'xmlns') return 'xmlns';
  const uri = scopes.uri(prefix);
  if (uri === undefined) {
    throw malformed(
      `${what} <${name}> uses the namespace prefix "${prefix}", which no xmlns:${prefix} declares`,
    );
  }
  return uri;
}

/** One start or end tag from `<` at `at`; returns where it ends (after `>`). */
function scanTag(text: string, at: number, scopes: Scopes): number {
  let end = at + 1;
  let quote = '';
  for (; end < text.length; end++) {
    const c = text[end];
    if (quote) {
      if (c === quote) quote = '';
      else if (c === '<') throw malformed('"<" is not allowed in an attribute value');
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>') break;
  }
  if (end >= text.length) throw malformed('a tag is not closed');
  const inner = text.slice(at + 1, end);
  if (inner.startsWith('/')) {
    scopes.leave();
    return end + 1;
  }
  const selfClosing = inner.endsWith('/');
  const nameEnd = inner.search(NAME_END);
  const name = nameEnd < 0 ? inner : inner.slice(0, nameEnd);
  const attributes: [string, string][] = [];
  ATTRIBUTE.lastIndex = name.length;
  const body = selfClosing ? inner.slice(0, -1) : inner;
  for (let m = ATTRIBUTE.exec(body); m; m = ATTRIBUTE.exec(body)) {
    attributes.push([m[1]!, m[2] ?? m[3] ?? '']);
  }
  scopes.enter(attributes.filter(([n]) => n.startsWith('xmlns:')).map(([n, v]) => [n.slice(6), v]));
  namespaceOf(name, scopes, 'element');
  // Two prefixes bound to one URI make `p:a` and `q:a` the same attribute.
  const expanded = new Set<string>();
  for (const [n, value] of attributes) {
    const uri = namespaceOf(n, scopes, `an attribute of <${name}>:`);
    if (uri !== undefined && uri !== 'xmlns') {
      const key = `${uri}\n${n.slice(n.indexOf(':') + 1)}`;
      if (expanded.has(key))
        throw malformed(`<${name}> has the attribute ${n} twice (by namespace)`);
      expanded.add(key);
    }
    checkReferences(value, `an attribute of <${name}>`);
  }
  if (selfClosing) scopes.leave();
  return end + 1;
}

/** An XML declaration as XML 1.0 writes it: version, then encoding, then standalone. */
const DECLARATION =
  /^<\?xml\s+version\s*=\s*(["'])1\.\d+\1(\s+encoding\s*=\s*(["'])[A-Za-z][\w.-]*\3)?(\s+standalone\s*=\s*(["'])(yes|no)\5)?\s*\?>/;

/**
 * Throws E_MALFORMED_XML when `text` breaks one of the rules of the module comment.
 * Structure (nesting, names, one root) is the validator's job.
 *
 * @example
 * checkWellFormed('<LifecycleConfiguration><Rule><ID>a&nbsp;b</ID>…'); // throws: &nbsp;
 */
export function checkWellFormed(text: string): void {
  checkChars(text);
  const scopes = new Scopes();
  let i = 0;
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const run = text.slice(i, lt < 0 ? text.length : lt);
    if (run.includes(']]>')) throw malformed('"]]>" is not allowed in text');
    checkReferences(run, 'text');
    if (lt < 0) break;
    let close: number;
    if (text.startsWith('<!--', lt)) {
      close = text.indexOf('-->', lt + 4);
      if (close < 0) throw malformed('a comment is not closed');
      if (text.slice(lt + 4, close).includes('--'))
        throw malformed('"--" is not allowed in a comment');
      i = close + 3;
    } else if (text.startsWith('<![CDATA[', lt)) {
      close = text.indexOf(']]>', lt + 9);
      if (close < 0) throw malformed('a CDATA section is not closed');
      i = close + 3;
    } else if (text.startsWith('<?', lt)) {
      close = text.indexOf('?>', lt + 2);
      if (close < 0) throw malformed('a processing instruction is not closed');
      if (/^<\?xml(\s|\?)/i.test(text.slice(lt, lt + 6))) {
        // The XML declaration: only first in the document (after a byte order mark), and
        // well-formed; a processing instruction may not be named xml otherwise.
        const first = lt === 0 || (lt === 1 && text.charCodeAt(0) === 0xfeff);
        if (!first || !DECLARATION.test(text.slice(lt, close + 2))) {
          throw malformed('the XML declaration must come first and read <?xml version="1.0" …?>');
        }
      }
      const encoding = /^<\?xml\s[^>]*?encoding\s*=\s*["']([^"']*)["']/.exec(
        text.slice(lt, close),
      )?.[1];
      // ASCII is UTF-8; so is a Latin-1 declaration over bytes that are all ASCII.
      const ascii = /^(us-)?ascii$/i.test(encoding ?? '');
      const latin1 = /^(iso-8859-1|latin-?1)$/i.test(encoding ?? '') && isAscii(text);
      if (encoding !== undefined && !/^utf-?8$/i.test(encoding) && !ascii && !latin1) {
        throw malformed(`the document declares encoding "${encoding}"; send it as UTF-8`);
      }
      i = close + 2;
    } else {
      i = scanTag(text, lt, scopes);
    }
  }
}
