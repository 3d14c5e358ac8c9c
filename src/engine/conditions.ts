/**
 * Conditional requests as S3 evaluates them (RFC 9110 §13.2.2 order): If-Match, then
 * If-Unmodified-Since only when If-Match is absent; If-None-Match, then
 * If-Modified-Since only when If-None-Match is absent. Dates compare at whole seconds,
 * the precision of HTTP dates.
 */
import { StowageError } from '../errors.js';
import type { ReadConditions, WriteConditions } from './types.js';

/**
 * Strips quotes and a weak marker so `"abc"`, `abc` and `W/"abc"` compare equal. A tag
 * missing one of its quotes (`abc"`) is taken too, as S3 takes it in a conditional write.
 */
export function normalizeEtag(etag: string): string {
  return etag.trim().replace(/^W\//, '').replace(/^"/, '').replace(/"$/, '');
}

/**
 * Whether an If-Match or If-None-Match list names `etag`. If-Match compares strongly, so a
 * weak tag (`W/"…"`) never matches; If-None-Match compares weakly (RFC 9110 §13.1.1-2).
 */
function etagMatches(header: string, etag: string, weak: boolean): boolean {
  const wanted = normalizeEtag(etag);
  return header.split(',').some((t) => {
    const v = t.trim();
    if (v === '*') return true;
    if (!weak && v.startsWith('W/')) return false;
    return normalizeEtag(v) === wanted;
  });
}

const seconds = (d: Date): number => Math.floor(d.getTime() / 1000);

/**
 * Whether an If-Range validator still holds (RFC 9110 §13.1.5): a date equal to
 * Last-Modified, or an entity tag equal to the ETag, compared strongly (a weak tag, or text
 * that is no tag, never holds), so the whole object is sent rather than a range of other
 * bytes.
 */
export function ifRangeHolds(validator: string | Date, etag: string, lastModified: Date): boolean {
  if (validator instanceof Date) return seconds(validator) === seconds(lastModified);
  return validator.trim() === etag;
}

/**
 * Checks read conditions against an existing object. Throws E_PRECONDITION_FAILED, or
 * E_NOT_MODIFIED (a 304, not an error for clients). For CopyObject's
 * `x-amz-copy-source-if-*`, pass `forCopy`: S3 answers 412 where a GET would answer 304.
 */
export function checkReadConditions(
  c: ReadConditions | undefined,
  etag: string,
  lastModified: Date,
  forCopy = false,
  cacheHeaders?: () => { cacheControl?: string; expires?: string },
): void {
  if (!c) return;
  // S3 names the header that failed; a copy's are the x-amz-copy-source-* ones.
  const name = (h: string): string => (forCopy ? `x-amz-copy-source-${h}` : h);
  if (c.ifMatch !== undefined) {
    if (!etagMatches(c.ifMatch, etag, false)) throw failed(name('If-Match'));
  } else if (c.ifUnmodifiedSince && seconds(lastModified) > seconds(c.ifUnmodifiedSince)) {
    throw failed(name('If-Unmodified-Since'));
  }
  const notModified = (h: string): StowageError =>
    forCopy
      ? failed(name(h))
      : // A 304 carries the validators and caching headers a 200 would have (RFC 9110 §15.4.5).
        new StowageError('E_NOT_MODIFIED', 'the object was not modified', {
          details: { etag, lastModified: lastModified.toISOString(), ...cacheHeaders?.() },
        });
  if (c.ifNoneMatch !== undefined) {
    if (etagMatches(c.ifNoneMatch, etag, true)) throw notModified('If-None-Match');
  } else if (c.ifModifiedSince && seconds(lastModified) <= seconds(c.ifModifiedSince)) {
    throw notModified('If-Modified-Since');
  }
}

/** Checks S3 conditional-write headers against the current object (undefined if none). */
export function checkWriteConditions(
  c: WriteConditions | undefined,
  currentEtag: string | undefined,
): void {
  if (!c) return;
  if (c.ifNoneMatch !== undefined) {
    if (c.ifNoneMatch.trim() !== '*') {
      throw new StowageError('E_NOT_IMPLEMENTED', 'If-None-Match on a write supports only "*"');
    }
    if (currentEtag !== undefined) throw failed('If-None-Match');
  }
  if (c.ifMatch !== undefined) {
    if (currentEtag === undefined) {
      throw new StowageError('E_NO_SUCH_KEY', 'If-Match was given but the key does not exist');
    }
    if (!etagMatches(c.ifMatch, currentEtag, false)) throw failed('If-Match');
  }
}

function failed(header: string): StowageError {
  return new StowageError('E_PRECONDITION_FAILED', `the ${header} precondition did not hold`, {
    details: { condition: header },
  });
}
