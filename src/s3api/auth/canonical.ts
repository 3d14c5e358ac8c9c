/**
 * The canonical request of SigV4 (AWS SigV4 "Create a canonical request"): the exact text
 * a client hashed and signed, rebuilt from the request as the server received it.
 */
import type { HeaderMap } from './types.js';

/** RFC 3986 unreserved characters, the only bytes SigV4's UriEncode leaves as they are. */
const UNRESERVED = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~') {
  UNRESERVED[c.charCodeAt(0)] = 1;
}
const HEX_UPPER = '0123456789ABCDEF';

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/**
 * Percent-decodes to bytes. A `%` not followed by two hex digits stays a literal `%`, so
 * a sloppy client still gets a stable canonical form. Characters above ASCII (which
 * node:http never passes in a URL) are taken as UTF-8.
 */
export function percentDecode(text: string, plusIsSpace = false): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x25 && i + 2 < text.length) {
      const hi = hexValue(text.charCodeAt(i + 1));
      const lo = hexValue(text.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        bytes.push(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    if (code === 0x2b && plusIsSpace) {
      bytes.push(0x20);
    } else if (code < 0x80) {
      bytes.push(code);
    } else {
      const point = text.codePointAt(i) ?? code;
      if (point > 0xffff) i++;
      for (const b of Buffer.from(String.fromCodePoint(point), 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes);
}

/**
 * SigV4's UriEncode: every byte except the unreserved ones as `%XX` with upper-case hex
 * (so `!*'()`, space and `+` are encoded, `~` is not).
 */
export function uriEncode(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    out += UNRESERVED[b] ? String.fromCharCode(b) : `%${HEX_UPPER[b >> 4]}${HEX_UPPER[b & 15]}`;
  }
  return out;
}

/**
 * The canonical URI of an S3 request. S3 signs the path once-encoded (it is the one
 * service that does not double-encode and does not remove `.`/`..` segments), and it
 * compares with its own encoding of the decoded path. So each segment is decoded and
 * re-encoded by UriEncode: `%7e`, `~`, `!` and `%21` all give what botocore and the AWS
 * SDKs signed. An encoded slash (`%2F`) stays inside its segment.
 */
export function canonicalUri(rawPath: string): string {
  if (rawPath === '') return '/';
  return rawPath
    .split('/')
    .map((segment) => uriEncode(percentDecode(segment)))
    .join('/');
}

/** One query parameter: decoded (for reading) and canonically encoded (for signing). */
export interface QueryParam {
  name: string;
  value: string;
  encodedName: string;
  encodedValue: string;
}

/**
 * Splits a raw query string. `+` means a space, as S3 reads query strings (form
 * encoding); clients that mean a plus send `%2B`. A parameter without `=` has an empty
 * value, which SigV4 signs as `name=`.
 */
export function parseQuery(rawQuery: string): QueryParam[] {
  const params: QueryParam[] = [];
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const nameBytes = percentDecode(eq < 0 ? pair : pair.slice(0, eq), true);
    const valueBytes = percentDecode(eq < 0 ? '' : pair.slice(eq + 1), true);
    params.push({
      name: nameBytes.toString('utf8'),
      value: valueBytes.toString('utf8'),
      encodedName: uriEncode(nameBytes),
      encodedValue: uriEncode(valueBytes),
    });
  }
  return params;
}

/**
 * The canonical query string: parameters sorted by encoded name, then by encoded value
 * (byte order), each as `name=value`, joined with `&`. `skip` leaves out the signature
 * of a presigned URL, which cannot sign itself.
 */
export function canonicalQuery(params: QueryParam[], skip?: (p: QueryParam) => boolean): string {
  return params
    .filter((p) => !skip?.(p))
    .map((p) => [p.encodedName, p.encodedValue] as const)
    .sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([n, v]) => `${n}=${v}`)
    .join('&');
}

/** Trims a header value and collapses runs of spaces and tabs (SigV4 "Trimall"). */
function trimAll(value: string): string {
  return value.replace(/[ \t]+/g, ' ').replace(/^ | $/g, '');
}

/** One header's value as a string (repeated values joined with `,`), or undefined. */
export function headerValue(headers: HeaderMap, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** The canonical value of one header: each value trimmed, repeated values joined with `,`. */
export function canonicalHeaderValue(headers: HeaderMap, name: string): string {
  const v = headers[name];
  if (v === undefined) return '';
  return Array.isArray(v) ? v.map(trimAll).join(',') : trimAll(v);
}

/** What the canonical request is built from. */
export interface CanonicalParts {
  method: string;
  uri: string;
  query: string;
  headers: HeaderMap;
  /** The lowercased names of the signed headers, in the order the client listed them. */
  signedHeaders: readonly string[];
  payloadHash: string;
}

/** The canonical request text (AWS SigV4 "Create a canonical request"). */
export function buildCanonicalRequest(parts: CanonicalParts): string {
  const lines = parts.signedHeaders.map(
    (name) => `${name}:${canonicalHeaderValue(parts.headers, name)}\n`,
  );
  return [
    parts.method,
    parts.uri,
    parts.query,
    lines.join(''),
    parts.signedHeaders.join(';'),
    parts.payloadHash,
  ].join('\n');
}

/**
 * The bytes the client hashed. node:http decodes header bytes as latin1, so a latin1
 * re-encoding gives back exactly what was on the wire; only text that cannot have come
 * from node (characters above U+00FF) is taken as UTF-8.
 */
export function canonicalBytes(text: string): Buffer {
  return /[\u0100-\uffff]/.test(text) ? Buffer.from(text, 'utf8') : Buffer.from(text, 'latin1');
}
