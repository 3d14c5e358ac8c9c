/**
 * Parsing of S3 request documents. Bodies are size-limited before parsing, DTDs and
 * entities are refused, and anything that is not well-formed becomes MalformedXML.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { StowageError } from '../../errors.js';
import { checkWellFormed, decodeUtf8 } from './well-formed.js';

/** A parsed element: text, or children by tag name (repeated tags become arrays). */
export type XmlNode = string | { [tag: string]: XmlNode | XmlNode[] };

/** XML's predefined entities: the only named ones a request document may use. */
const XML_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
};
const REFERENCE = /&(#x0*[0-9a-fA-F]{1,6}|#0*[0-9]{1,7}|amp|lt|gt|quot|apos);/g;

/**
 * Entities and character references are decoded here, in one pass after parsing, rather
 * than by fast-xml-parser: it drops references to control characters (`&#x1;`, which S3
 * writes for such keys in its listings, so clients send them back in DeleteObjects), and
 * one pass cannot decode `&amp;#65;` twice. Go's encoding/xml (rclone) writes every `"`
 * of a part ETag as `&#34;`. Other names (`&nbsp;`) stay as written.
 */
function decodeReferences(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(REFERENCE, (whole, ref: string) => {
    if (ref[0] !== '#') return XML_ENTITIES[ref]!;
    const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    return code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff)
      ? String.fromCodePoint(code)
      : whole;
  });
}

function decodeTree(node: unknown): unknown {
  if (typeof node === 'string') return decodeReferences(node);
  if (Array.isArray(node)) return node.map(decodeTree);
  if (node && typeof node === 'object') {
    // No prototype: an element named `constructor` or `__proto__` is an own child like any
    // other, and a lookup of a tag never finds an inherited property.
    const out = Object.create(null) as Record<string, unknown>;
    const entries = Object.entries(node);
    for (const [k, v] of entries) {
      // White space between child elements (kept by the exact parser) is layout, not text.
      if (k === '#text' && entries.length > 1 && typeof v === 'string' && v.trim() === '') {
        continue;
      }
      out[k] = decodeTree(v);
    }
    return out;
  }
  return node;
}

const CDATA = /<!\[CDATA\[([\s\S]*?)\]\]>/g;

/**
 * CDATA sections become escaped text before parsing, so that their content is taken
 * literally: the one decoding pass after parsing must not decode `&amp;` or `&#65;` that
 * were written inside CDATA (`<Key><![CDATA[a&amp;b]]></Key>` names the key `a&amp;b`).
 */
function escapeCdata(text: string): string {
  if (!text.includes('<![CDATA[')) return text;
  return text.replace(CDATA, (_, content: string) =>
    content.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'),
  );
}

const options = {
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  processEntities: false,
  ignoreDeclaration: true,
  // Processing instructions (`<?xml-stylesheet …?>`) are no part of the data.
  ignorePiTags: true,
};
const trimming = new XMLParser({ ...options, trimValues: true });
/** For documents whose text is data (object keys): leading and trailing spaces count. */
const exact = new XMLParser({ ...options, trimValues: false });

/**
 * Refuses text after the root element, which the validator lets through after a root
 * written as an empty-element tag (`<NotificationConfiguration/>trailing`): comments,
 * processing instructions and white space may follow it, nothing else.
 */
function checkNothingAfterRoot(text: string): void {
  let end = text.trimEnd();
  for (;;) {
    if (end.endsWith('-->') && end.includes('<!--')) end = end.slice(0, end.lastIndexOf('<!--'));
    else if (end.endsWith('?>') && end.includes('<?')) end = end.slice(0, end.lastIndexOf('<?'));
    else break;
    end = end.trimEnd();
  }
  if (end !== '' && !end.endsWith('>')) {
    throw new StowageError(
      'E_MALFORMED_XML',
      'the XML you provided was not well-formed: text after the root element',
    );
  }
}

/** The largest request document accepted (S3 caps most configuration bodies far below this). */
export const MAX_XML_BYTES = 2 * 1024 * 1024;

/**
 * Parses `body` and returns the content of the root element, which must be `root`.
 * Text is trimmed unless `exact` (DeleteObjects: ` a.png` and `a.png` are two keys).
 * Throws E_MALFORMED_XML naming what is wrong.
 */
export function parseXml(
  body: Buffer | string,
  root: string,
  { exact: keepSpaces = false }: { exact?: boolean } = {},
): Record<string, XmlNode | XmlNode[]> {
  // A UTF-8 byte order mark is not content (the exact parser would keep it as text beside
  // the root element).
  const raw = typeof body === 'string' ? body : decodeUtf8(body);
  const textBody = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  if (Buffer.byteLength(textBody) > MAX_XML_BYTES) {
    throw new StowageError('E_MALFORMED_XML', `the XML body is larger than ${MAX_XML_BYTES} bytes`);
  }
  if (/<!DOCTYPE|<!ENTITY/i.test(textBody)) {
    throw new StowageError('E_MALFORMED_XML', 'DTDs and entity declarations are not allowed');
  }
  checkWellFormed(textBody);
  checkNothingAfterRoot(textBody);
  const valid = XMLValidator.validate(textBody);
  if (valid !== true) {
    throw new StowageError(
      'E_MALFORMED_XML',
      `the XML you provided was not well-formed: ${valid.err.msg} (line ${valid.err.line})`,
    );
  }
  let parsed: unknown;
  try {
    parsed = (keepSpaces ? exact : trimming).parse(escapeCdata(textBody));
  } catch (err) {
    // What the validator lets through but the parser refuses (nesting past its limit).
    throw new StowageError(
      'E_MALFORMED_XML',
      `the XML you provided was not well-formed or did not validate: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const doc = decodeTree(parsed) as Record<string, unknown>;
  const roots = Object.keys(doc);
  if (roots.length > 1) {
    throw new StowageError(
      'E_MALFORMED_XML',
      `a document has one root element; found ${roots.map((r) => `<${r}>`).join(', ')}`,
    );
  }
  const top = doc[root];
  if (Array.isArray(top)) {
    throw new StowageError(
      'E_MALFORMED_XML',
      `a document has one root element; found ${top.length} <${root}> elements`,
    );
  }
  if (top === undefined) {
    const found = roots[0] ?? 'nothing';
    throw new StowageError('E_MALFORMED_XML', `expected a <${root}> document, found <${found}>`);
  }
  if (typeof top === 'string') return top === '' ? {} : { '#text': top };
  return top as Record<string, XmlNode | XmlNode[]>;
}

/** The children of `node` named `tag`, always as an array. */
export function children(node: XmlNode | XmlNode[] | undefined, tag: string): XmlNode[] {
  if (node === undefined || typeof node === 'string' || Array.isArray(node)) return [];
  const v = node[tag];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** The text of child `tag` of `node`, or undefined. Throws if it is not text. */
export function childText(node: XmlNode | XmlNode[] | undefined, tag: string): string | undefined {
  const [first, second] = children(node, tag);
  if (first === undefined) return undefined;
  if (second !== undefined)
    throw new StowageError('E_MALFORMED_XML', `<${tag}> may appear only once`);
  if (typeof first === 'string') return first;
  if (Object.keys(first).length === 0) return '';
  throw new StowageError('E_MALFORMED_XML', `<${tag}> must contain text`);
}
