/** Object headers in both directions: request headers to engine options, ObjectInfo to response headers. */
import type { ServerResponse } from 'node:http';
import { CHECKSUM_ALGORITHMS } from '../../engine/checksums/index.js';
import type {
  ChecksumAlgorithm,
  ChecksumValues,
  ObjectHeaders,
  ObjectInfo,
  ReadConditions,
} from '../../engine/types.js';
import { StowageError } from '../../errors.js';
import { TAG_TEXT } from '../documents/tagging.js';
import { header, type S3Request } from '../context.js';
import { httpDate, parseHttpDate } from '../dates.js';
import { isHeaderSafe, replaceControlChars, utf8OnWire } from '../../header-value.js';
import type { XmlObject } from '../xml/build.js';
import { writeEncryptionHeaders } from './encryption-headers.js';

/**
 * The standard headers S3 stores with an object: field, the header's name as read (node:http
 * lower-cases them) and as sent. HTTP names are case-insensitive, but S3 sends these
 * capitalised and some loaders look them up as sent (Godot's header dictionary is
 * case-sensitive: a game checking `Content-Encoding` found nothing).
 */
const STANDARD_HEADERS: Array<[keyof ObjectHeaders, string, string]> = [
  ['contentType', 'content-type', 'Content-Type'],
  ['contentEncoding', 'content-encoding', 'Content-Encoding'],
  ['contentDisposition', 'content-disposition', 'Content-Disposition'],
  ['contentLanguage', 'content-language', 'Content-Language'],
  ['cacheControl', 'cache-control', 'Cache-Control'],
  ['expires', 'expires', 'Expires'],
  ['websiteRedirectLocation', 'x-amz-website-redirect-location', 'x-amz-website-redirect-location'],
];

/** S3's limit on x-amz-website-redirect-location (PutObject: "limited to 2 KB"). */
const MAX_REDIRECT_BYTES = 2048;

/** S3's InvalidRedirectLocation for a value without its prefix or over 2 KB. */
function checkRedirectLocation(redirect: string): void {
  const refuse = (why: string) =>
    new StowageError('E_INVALID_ARGUMENT', why, {
      s3Code: 'InvalidRedirectLocation',
      details: { argumentName: 'x-amz-website-redirect-location' },
    });
  if (!/^(\/|https?:\/\/)/.test(redirect)) {
    throw refuse(
      `The website redirect location must have a prefix of 'http://' or 'https://' or '/', ` +
        `got "${redirect}"`,
    );
  }
  const bytes = Buffer.byteLength(redirect);
  if (bytes > MAX_REDIRECT_BYTES) {
    throw refuse(
      `The website redirect location is ${bytes} bytes long; S3 allows at most ${MAX_REDIRECT_BYTES}`,
    );
  }
}

/**
 * Standard headers of a write that makes an object (PutObject, CopyObject,
 * CreateMultipartUpload). `aws-chunked` is a transfer detail, not the object's encoding.
 * (Object Lock headers are read by object-lock.ts's lockForWrite.)
 */
export function objectHeadersFrom(r: S3Request): ObjectHeaders {
  const redirect = header(r, 'x-amz-website-redirect-location');
  if (redirect !== undefined) checkRedirectLocation(redirect);
  const out: ObjectHeaders = {};
  for (const [field, name] of STANDARD_HEADERS) {
    let v = header(r, name);
    if (field === 'contentEncoding' && v !== undefined) v = withoutAwsChunked(v);
    if (v !== undefined && v !== '') out[field] = v;
  }
  return out;
}

/**
 * A Content-Encoding without its `aws-chunked` coding, named in any case (codings are
 * case-insensitive, RFC 9110 §8.4.1); any other value as sent, as S3 keeps it.
 */
function withoutAwsChunked(value: string): string {
  const codings = value.split(',').map((s) => s.trim());
  if (!codings.some((c) => c.toLowerCase() === 'aws-chunked')) return value;
  return codings.filter((c) => c !== '' && c.toLowerCase() !== 'aws-chunked').join(',');
}

/** x-amz-meta-* headers, prefix removed. */
export function metadataFrom(r: S3Request): Record<string, string> {
  const entries: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(r.req.headers)) {
    if (name.startsWith('x-amz-meta-') && value !== undefined) {
      entries.push([
        name.slice('x-amz-meta-'.length),
        Array.isArray(value) ? value.join(',') : value,
      ]);
    }
  }
  // fromEntries defines own properties: `x-amz-meta-__proto__` is kept like any name.
  return Object.fromEntries(entries);
}

/**
 * The x-amz-tagging header: a URL-encoded query string of tags (`+` is a space). What is not
 * one (bytes that are not UTF-8, a `%` that starts no escape, a key given twice, or a
 * character no tag may hold, as in `a=1,b=2`) is InvalidArgument naming the header, as S3
 * answers it.
 */
export function taggingFrom(r: S3Request): Record<string, string> | undefined {
  const v = header(r, 'x-amz-tagging');
  if (v === undefined) return undefined;
  // node:http gives header bytes as Latin-1 characters. Raw UTF-8 (aws-sdk-go-v2 sends a
  // Tagging string as it is) would become one character per byte (tête as tÃªte) and be
  // stored so; it is refused instead, as S3 refuses it (what works here works on AWS),
  // naming the value as the client wrote it.
  if (/[\u0080-\uffff]/.test(v)) {
    const written = Buffer.from(v, 'latin1').toString('utf8');
    throw badTaggingHeader(written, `"${written}" has characters outside ASCII: URL-encode them`);
  }
  const tags = new Map<string, string>();
  for (const pair of v.split('&')) {
    if (pair === '') continue;
    const at = pair.indexOf('=');
    const k = decodeTagText(at < 0 ? pair : pair.slice(0, at));
    const val = at < 0 ? '' : decodeTagText(pair.slice(at + 1));
    if (k === undefined || val === undefined || !TAG_TEXT.test(k) || !TAG_TEXT.test(val)) {
      throw badTaggingHeader(v, `"${pair}" is not a tag`);
    }
    if (tags.has(k)) throw badTaggingHeader(v, `tag key "${k}" is given twice`);
    tags.set(k, val);
  }
  return Object.fromEntries(tags);
}

function decodeTagText(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

function badTaggingHeader(value: string, what: string): StowageError {
  return new StowageError(
    'E_INVALID_ARGUMENT',
    `The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates (${what})`,
    { details: { argumentName: 'x-amz-tagging', argumentValue: value } },
  );
}

const CHECKSUM_HEADER = 'x-amz-checksum-';
/** What may follow `x-amz-checksum-` in a request header. */
const CHECKSUM_HEADER_SUFFIXES: ReadonlySet<string> = new Set([
  ...CHECKSUM_ALGORITHMS.map((a) => a.toLowerCase()),
  'type',
  'algorithm',
  'mode',
]);

/** x-amz-checksum-<alg> values sent with the request: one at most, as S3 takes them. */
export function checksumsFrom(r: S3Request): ChecksumValues {
  // An x-amz-checksum-* header of no algorithm this server computes would go unchecked:
  // S3 refuses it (x-amz-checksum-type, -algorithm and -mode are other headers).
  for (const name of Object.keys(r.req.headers)) {
    if (!name.startsWith(CHECKSUM_HEADER) || name.length === CHECKSUM_HEADER.length) continue;
    if (CHECKSUM_HEADER_SUFFIXES.has(name.slice(CHECKSUM_HEADER.length))) continue;
    throw new StowageError(
      'E_INVALID_REQUEST',
      `The algorithm type you specified in x-amz-checksum- header is invalid: ${name} (${CHECKSUM_ALGORITHMS.join(', ')})`,
    );
  }
  const out: ChecksumValues = {};
  for (const alg of CHECKSUM_ALGORITHMS) {
    const v = header(r, `x-amz-checksum-${alg.toLowerCase()}`);
    if (v !== undefined) out[alg] = v.trim();
  }
  const sent = Object.keys(out);
  if (sent.length > 1) {
    throw new StowageError(
      'E_INVALID_REQUEST',
      `Expecting a single x-amz-checksum- header; got ${sent.length} ` +
        `(${sent.map((a) => `x-amz-checksum-${a.toLowerCase()}`).join(', ')})`,
    );
  }
  return out;
}

/**
 * The checksums a PutObject or UploadPart body must match: the trailer's (aws-chunked) or
 * the x-amz-checksum-* header's, never both. Like S3, a trailer beside a checksum header is
 * refused (the header would otherwise go unchecked), and so is an
 * x-amz-sdk-checksum-algorithm naming another algorithm than the checksum sent.
 */
export function payloadChecksums(r: S3Request): ChecksumValues | Promise<ChecksumValues> {
  const sent = checksumsFrom(r);
  const named = Object.keys(sent);
  if (r.trailerAlgorithms.length > 0 && named.length > 0) {
    throw new StowageError(
      'E_INVALID_REQUEST',
      `Expecting a single x-amz-checksum- header; got x-amz-checksum-${named[0]!.toLowerCase()} beside the trailer x-amz-checksum-${r.trailerAlgorithms[0]!.toLowerCase()}`,
    );
  }
  const sdk = header(r, 'x-amz-sdk-checksum-algorithm');
  const actual = r.trailerAlgorithms[0] ?? named[0];
  // Declared but not sent: the client believes a checksum guards the body. (A presigned
  // URL's query copy of the header is not read: the SDKs sign one into every PUT URL.) The
  // JavaScript SDK sends an MD5 it was asked for as Content-MD5, which is checked.
  const md5AsContentMd5 = sdk?.toUpperCase() === 'MD5' && header(r, 'content-md5') !== undefined;
  if (sdk !== undefined && actual === undefined && !md5AsContentMd5) {
    throw new StowageError(
      'E_INVALID_REQUEST',
      `x-amz-sdk-checksum-algorithm specified (${sdk.slice(0, 20)}), but no corresponding ` +
        `x-amz-checksum-* or x-amz-trailer headers were found`,
    );
  }
  if (sdk !== undefined && actual !== undefined && sdk.toUpperCase() !== actual) {
    throw new StowageError(
      'E_INVALID_REQUEST',
      `Value for x-amz-sdk-checksum-algorithm header is invalid: ${sdk}, but the checksum sent is ${actual}`,
    );
  }
  return r.trailers && r.trailerAlgorithms.length > 0 ? r.trailers : sent;
}

/** The declared checksum algorithm (x-amz-checksum-algorithm, or the SDK's variant, or the trailer's). */
export function checksumAlgorithmFrom(r: S3Request): ChecksumAlgorithm | undefined {
  const v =
    header(r, 'x-amz-checksum-algorithm') ??
    header(r, 'x-amz-sdk-checksum-algorithm') ??
    r.trailerAlgorithms[0];
  if (v === undefined) return undefined;
  const alg = v.toUpperCase();
  if (!(CHECKSUM_ALGORITHMS as readonly string[]).includes(alg)) {
    throw new StowageError('E_INVALID_REQUEST', `unknown checksum algorithm "${v}"`);
  }
  return alg as ChecksumAlgorithm;
}

/** Checksum values as S3's XML elements: `{ ChecksumSHA256: … }`. */
export function checksumElements(values: ChecksumValues): XmlObject {
  return Object.fromEntries(Object.entries(values).map(([a, v]) => [`Checksum${a}`, v]));
}

/** Checksum values as S3's response headers (`x-amz-checksum-sha256: …`). */
export function setChecksumHeaders(res: ServerResponse, values: ChecksumValues): void {
  for (const [alg, v] of Object.entries(values))
    res.setHeader(`x-amz-checksum-${alg.toLowerCase()}`, v);
}

/** GET/HEAD conditions (If-Match …), or with `prefix` the copy-source ones. */
export function readConditionsFrom(r: S3Request, prefix = ''): ReadConditions | undefined {
  const c: ReadConditions = {
    ifMatch: header(r, `${prefix}if-match`),
    ifNoneMatch: header(r, `${prefix}if-none-match`),
    ifModifiedSince: notInFuture(parseHttpDate(header(r, `${prefix}if-modified-since`)), r),
    ifUnmodifiedSince: parseHttpDate(header(r, `${prefix}if-unmodified-since`)),
  };
  return Object.values(c).some((v) => v !== undefined) ? c : undefined;
}

/**
 * An If-Modified-Since later than the server's clock is invalid (RFC 9110 13.1.3) and
 * ignored, as S3 ignores it: the object is sent, not 304. The clock is the engine's, which
 * Last-Modified is in (`stowage engine clock advance` moves it ahead of the system's).
 */
function notInFuture(d: Date | undefined, r: S3Request): Date | undefined {
  return d && d.getTime() > r.engine.now() ? undefined : d;
}

/** RFC 7231 date, as S3 writes Last-Modified. */
export function rfc1123(d: Date): string {
  return httpDate(d);
}

function restoreHeader(info: ObjectInfo): string | undefined {
  if (!info.restore) return undefined;
  if (info.restore.ongoing) return 'ongoing-request="true"';
  return `ongoing-request="false", expiry-date="${rfc1123(info.restore.expiresAt!)}"`;
}

/**
 * A stored header value as it can go on the wire. Values read from headers are already in
 * node:http's wire form (one char per byte); one stored by an older build from a presigned
 * URL's query may hold characters above U+00FF or control characters, which node:http
 * refuses to send: those go out as their UTF-8 bytes, control characters as spaces, so the
 * object stays readable.
 */
function onWire(v: string): string {
  return isHeaderSafe(v) ? v : utf8OnWire(replaceControlChars(v, ' '));
}

/**
 * Writes the headers of an object response (GET, HEAD). Checksums only when the client
 * asked with x-amz-checksum-mode: ENABLED, as S3 does.
 */
export function writeObjectHeaders(
  res: ServerResponse,
  info: ObjectInfo,
  options: { versioned: boolean; checksumMode: boolean },
): void {
  res.setHeader('ETag', info.etag);
  res.setHeader('Last-Modified', rfc1123(info.lastModified));
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Content-Type', onWire(info.headers.contentType ?? 'binary/octet-stream'));
  for (const [field, , sent] of STANDARD_HEADERS) {
    const v = info.headers[field];
    if (v !== undefined && field !== 'contentType') res.setHeader(sent, onWire(v));
  }
  for (const [k, v] of Object.entries(info.metadata)) res.setHeader(`x-amz-meta-${k}`, onWire(v));
  if (info.storageClass !== 'STANDARD') res.setHeader('x-amz-storage-class', info.storageClass);
  if (options.versioned || info.versionId !== 'null')
    res.setHeader('x-amz-version-id', info.versionId);
  const restore = restoreHeader(info);
  if (restore) res.setHeader('x-amz-restore', restore);
  // On HEAD too: S3 sends it there, and the SDKs' HeadObjectOutput has TagCount.
  const tagCount = Object.keys(info.tags).length;
  if (tagCount > 0) res.setHeader('x-amz-tagging-count', tagCount);
  writeEncryptionHeaders(res, info.encryption);
  if (options.checksumMode) {
    setChecksumHeaders(res, info.checksums);
    if (info.checksumType) res.setHeader('x-amz-checksum-type', info.checksumType);
  }
}
