/**
 * Headers a presigner moved into the query string. The AWS SDKs sign `x-amz-meta-*`,
 * `x-amz-acl`, `x-amz-storage-class`, `x-amz-tagging` and the like into a presigned URL's
 * query instead of its headers (so that a plain `fetch(url)` needs no headers); S3 reads
 * them as the headers they stand for, and so does this server. They are covered by the
 * signature, as every query parameter is.
 *
 * `Content-MD5` too, which the legacy JavaScript SDK (v2) moves there. Not taken: its
 * `Content-Type` and `Cache-Control` (the request's own headers are stored, as Ceph RGW
 * does), SigV4's own parameters, the payload hash (read by authentication), and the
 * flexible checksums: the SDKs sign the CRC32 of an empty body into every presigned PUT, and
 * S3 ignores those for presigned uploads.
 */
import { StowageError } from '../../errors.js';
import {
  hasControlChars,
  headerFieldValue,
  replaceControlChars,
  utf8OnWire,
} from '../../header-value.js';

const SIGV4_PARAMS = new Set([
  'x-amz-algorithm',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-expires',
  'x-amz-signedheaders',
  'x-amz-signature',
  'x-amz-security-token',
  'x-amz-content-sha256',
  'x-amz-sdk-checksum-algorithm',
]);

/**
 * The `x-amz-*` query parameters of a presigned URL that stand for headers, lower-cased,
 * with their values in the form node:http gives a header: without the spaces around them,
 * and one character per byte of its UTF-8 (a query decodes to characters, a header to
 * bytes), so a value from either place is judged, stored and sent back as the same bytes
 * (`x-amz-acl=public-read%20` is the `public-read` a policy's s3:x-amz-acl sees). A value
 * no header could carry (a control character) is InvalidArgument.
 */
export function hoistedHeaders(rawQuery: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [raw, value] of new URLSearchParams(rawQuery)) {
    const name = raw.toLowerCase();
    // The legacy JavaScript SDK (v2) moves a ContentMD5 into the query: a digest the
    // client stated is checked, never stored unchecked (a header sent as well wins).
    if (name === 'content-md5') {
      out.push([name, headerFieldValue(value)]);
      continue;
    }
    if (!name.startsWith('x-amz-') || SIGV4_PARAMS.has(name)) continue;
    if (name.startsWith('x-amz-checksum-') && name !== 'x-amz-checksum-mode') continue;
    if (hasControlChars(value)) {
      throw new StowageError(
        'E_INVALID_ARGUMENT',
        `the presigned URL's ${raw} holds a control character, which no header can carry`,
        { details: { argumentName: raw, argumentValue: replaceControlChars(value, '?') } },
      );
    }
    out.push([name, utf8OnWire(headerFieldValue(value))]);
  }
  return out;
}
