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
import { header, type S3Request } from '../context.js';
import { writeEncryptionHeaders } from './encryption-headers.js';

const STANDARD_HEADERS: Array<[keyof ObjectHeaders, string]> = [
  ['contentType', 'content-type'],
  ['contentEncoding', 'content-encoding'],
  ['contentDisposition', 'content-disposition'],
  ['contentLanguage', 'content-language'],
  ['cacheControl', 'cache-control'],
  ['expires', 'expires'],
  ['websiteRedirectLocation', 'x-amz-website-redirect-location'],
];

/** Standard headers of a write. `aws-chunked` is a transfer detail, not the object's encoding. */
export function objectHeadersFrom(r: S3Request): ObjectHeaders {
  const out: ObjectHeaders = {};
  for (const [field, name] of STANDARD_HEADERS) {
    let v = header(r, name);
    if (field === 'contentEncoding' && v !== undefined) {
      v = v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '' && s !== 'aws-chunked')
        .join(', ');
    }
    if (v !== undefined && v !== '') out[field] = v;
  }
  return out;
}

/** x-amz-meta-* headers, prefix removed. */
export function metadataFrom(r: S3Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(r.req.headers)) {
    if (name.startsWith('x-amz-meta-') && value !== undefined) {
      out[name.slice('x-amz-meta-'.length)] = Array.isArray(value) ? value.join(',') : value;
    }
  }
  return out;
}

/** The x-amz-tagging header: a URL-encoded query string of tags. */
export function taggingFrom(r: S3Request): Record<string, string> | undefined {
  const v = header(r, 'x-amz-tagging');
  if (v === undefined) return undefined;
  const tags: Record<string, string> = {};
  for (const [k, val] of new URLSearchParams(v)) {
    if (k in tags) throw new StowageError('E_INVALID_TAG', `tag key "${k}" is given twice`);
    tags[k] = val;
  }
  return tags;
}

/** x-amz-checksum-<alg> values sent with the request. */
export function checksumsFrom(r: S3Request): ChecksumValues {
  const out: ChecksumValues = {};
  for (const alg of CHECKSUM_ALGORITHMS) {
    const v = header(r, `x-amz-checksum-${alg.toLowerCase()}`);
    if (v !== undefined) out[alg] = v.trim();
  }
  return out;
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

function httpDate(h: string | undefined): Date | undefined {
  if (h === undefined) return undefined;
  const d = new Date(h);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** GET/HEAD conditions (If-Match …), or with `prefix` the copy-source ones. */
export function readConditionsFrom(r: S3Request, prefix = ''): ReadConditions | undefined {
  const c: ReadConditions = {
    ifMatch: header(r, `${prefix}if-match`),
    ifNoneMatch: header(r, `${prefix}if-none-match`),
    ifModifiedSince: httpDate(header(r, `${prefix}if-modified-since`)),
    ifUnmodifiedSince: httpDate(header(r, `${prefix}if-unmodified-since`)),
  };
  return Object.values(c).some((v) => v !== undefined) ? c : undefined;
}

/** RFC 7231 date, as S3 writes Last-Modified. */
export function rfc1123(d: Date): string {
  return d.toUTCString();
}

function restoreHeader(info: ObjectInfo): string | undefined {
  if (!info.restore) return undefined;
  if (info.restore.ongoing) return 'ongoing-request="true"';
  return `ongoing-request="false", expiry-date="${rfc1123(info.restore.expiresAt!)}"`;
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
  res.setHeader('Content-Type', info.headers.contentType ?? 'binary/octet-stream');
  for (const [field, name] of STANDARD_HEADERS) {
    const v = info.headers[field];
    if (v !== undefined && field !== 'contentType') res.setHeader(name, v);
  }
  for (const [k, v] of Object.entries(info.metadata)) res.setHeader(`x-amz-meta-${k}`, v);
  if (info.storageClass !== 'STANDARD') res.setHeader('x-amz-storage-class', info.storageClass);
  if (options.versioned || info.versionId !== 'null')
    res.setHeader('x-amz-version-id', info.versionId);
  const restore = restoreHeader(info);
  if (restore) res.setHeader('x-amz-restore', restore);
  const tagCount = Object.keys(info.tags).length;
  if (tagCount > 0) res.setHeader('x-amz-tagging-count', tagCount);
  if (info.partsCount > 0) res.setHeader('x-amz-mp-parts-count', info.partsCount);
  writeEncryptionHeaders(res, info.encryption);
  if (options.checksumMode) {
    for (const [alg, v] of Object.entries(info.checksums))
      res.setHeader(`x-amz-checksum-${alg.toLowerCase()}`, v);
    if (info.checksumType) res.setHeader('x-amz-checksum-type', info.checksumType);
  }
}
