/** Text rules of the HTTP and XML that S3 speaks, shared by the client and transfers. */

/** RFC 9110 token characters: what an HTTP header name (and so a metadata name) may use. */
export const HEADER_TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

/** Printable US-ASCII: the header values S3 signs and compares as they are. */
export const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

const ENTITY = /&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|amp|lt|gt|quot|apos);/g;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** The text of an XML element with its character and entity references resolved. */
export function decodeXmlText(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(ENTITY, (_, e: string) => {
    if (e[0] !== '#') return NAMED[e]!;
    return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });
}
