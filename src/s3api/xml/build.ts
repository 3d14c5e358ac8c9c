/**
 * A small XML writer for S3 response bodies. S3 documents are simple trees of elements
 * with text, so a value tree maps to XML directly: objects are elements, arrays repeat
 * their element, undefined is omitted.
 */
import { xmlDate } from '../dates.js';

/** A value in an XML tree. */
export type XmlValue =
  string | number | boolean | Date | undefined | null | XmlObject | XmlSequence | XmlValue[];
/** An element's children by tag name. */
export interface XmlObject {
  [tag: string]: XmlValue;
}

/**
 * Elements of different tags in a given order, where an object's keys would group them by
 * tag (ListObjectVersions interleaves `Version` and `DeleteMarker` by key). The tag it is
 * stored under is not written.
 */
export class XmlSequence {
  constructor(readonly items: ReadonlyArray<readonly [tag: string, value: XmlValue]>) {}
}

/** The S3 XML namespace, on every response document's root. */
export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/**
 * Escapes text for XML. Characters XML 1.0 cannot carry (most C0 controls, which S3 keys
 * may contain) become numeric references, as S3 itself writes them, and so does CR, which
 * every XML parser would read back as LF (a key `a\rb` would come back as `a\nb`); clients
 * that need exact keys ask for `encoding-type=url`.
 */
export function escapeXml(text: string): string {
  // Matching control characters is the point here: they are what XML cannot carry.
  // eslint-disable-next-line no-control-regex
  return text.replace(/[&<>"'\u0000-\u0008\u000b-\u001f\ufffe\uffff]/g, (c) => {
    switch (c) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      case "'":
        return '&apos;';
      default:
        return `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`;
    }
  });
}

/** Element text; dates in whole seconds, as S3 writes them (dates.ts). */
function text(value: string | number | boolean | Date): string {
  if (value instanceof Date) return xmlDate(value);
  return escapeXml(String(value));
}

function element(tag: string, value: XmlValue, out: string[]): void {
  if (value === undefined || value === null) return;
  if (Array.isArray(value)) {
    for (const v of value) element(tag, v, out);
    return;
  }
  if (value instanceof XmlSequence) {
    for (const [t, v] of value.items) element(t, v, out);
    return;
  }
  if (typeof value === 'object' && !(value instanceof Date)) {
    out.push(`<${tag}>`);
    for (const [k, v] of Object.entries(value)) element(k, v, out);
    out.push(`</${tag}>`);
    return;
  }
  out.push(`<${tag}>${text(value)}</${tag}>`);
}

/** What every XML document this server sends begins with. */
export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

/**
 * Serialises one document.
 *
 * @example
 * toXml('LocationConstraint', 'eu-central-1');
 * // <?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="…">eu-central-1</LocationConstraint>
 */
export function toXml(
  root: string,
  body: XmlObject | string,
  options: { xmlns?: boolean } = {},
): string {
  const ns = options.xmlns === false ? '' : ` xmlns="${S3_XMLNS}"`;
  const out: string[] = [XML_DECLARATION, `<${root}${ns}>`];
  if (typeof body === 'string') out.push(text(body));
  else for (const [k, v] of Object.entries(body)) element(k, v, out);
  out.push(`</${root}>`);
  return out.join('');
}
