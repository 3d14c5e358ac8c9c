/**
 * Parsing of S3 request documents. Bodies are size-limited before parsing, DTDs and
 * entities are refused, and anything that is not well-formed becomes MalformedXML.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { StowageError } from '../../errors.js';

/** A parsed element: text, or children by tag name (repeated tags become arrays). */
export type XmlNode = string | { [tag: string]: XmlNode | XmlNode[] };

/** XML's predefined entities: the only named ones a request document may use. */
const XML_ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
  // Character references (`&#34;`, `&#x22;`) are XML too: Go's encoding/xml (rclone)
  // writes every `"` of a part ETag as `&#34;`. fast-xml-parser decodes them only when
  // `htmlEntities` is set; `true` would also decode HTML-only names (`&nbsp;`), while an
  // object names the entities to decode and turns character references on (its typings
  // say boolean, hence the cast).
  htmlEntities: XML_ENTITIES as unknown as boolean,
  ignoreDeclaration: true,
});

/** The largest request document accepted (S3 caps most configuration bodies far below this). */
export const MAX_XML_BYTES = 2 * 1024 * 1024;

/**
 * Parses `body` and returns the content of the root element, which must be `root`.
 * Throws E_MALFORMED_XML naming what is wrong.
 */
export function parseXml(body: Buffer | string, root: string): Record<string, XmlNode | XmlNode[]> {
  const textBody = typeof body === 'string' ? body : body.toString('utf8');
  if (Buffer.byteLength(textBody) > MAX_XML_BYTES) {
    throw new StowageError('E_MALFORMED_XML', `the XML body is larger than ${MAX_XML_BYTES} bytes`);
  }
  if (/<!DOCTYPE|<!ENTITY/i.test(textBody)) {
    throw new StowageError('E_MALFORMED_XML', 'DTDs and entity declarations are not allowed');
  }
  const valid = XMLValidator.validate(textBody);
  if (valid !== true) {
    throw new StowageError(
      'E_MALFORMED_XML',
      `the XML you provided was not well-formed: ${valid.err.msg} (line ${valid.err.line})`,
    );
  }
  const doc = parser.parse(textBody) as Record<string, unknown>;
  const top = doc[root];
  if (top === undefined) {
    const found = Object.keys(doc)[0] ?? 'nothing';
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
