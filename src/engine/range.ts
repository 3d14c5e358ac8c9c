/** HTTP Range requests (RFC 9110 §14) as S3 serves them: one range per request. */
import { StowageError } from '../errors.js';
import type { ByteRange } from './types.js';

/**
 * Parses a Range header value. Returns undefined for a header S3 ignores (not a single
 * `bytes=` range), which then means "the whole object". The unit is case-insensitive
 * (RFC 9110 §14.1: `BYTES=0-1` is a range, as Ceph RGW serves it).
 */
export function parseRangeHeader(header: string): ByteRange | undefined {
  const m = /^bytes=(\d*)-(\d*)$/i.exec(header.trim());
  if (!m) return undefined;
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return undefined;
  if (a === '') return { suffix: Number(b) };
  const start = Number(a);
  if (b === '') return { start };
  const end = Number(b);
  if (end < start) return undefined;
  return { start, end };
}

/**
 * Resolves a range against an object size to inclusive byte offsets, or throws
 * E_INVALID_RANGE when it cannot be satisfied. Undefined means the whole object.
 */
export function resolveRange(
  range: ByteRange | string | undefined,
  size: number,
): { start: number; end: number } | undefined {
  const r = typeof range === 'string' ? parseRangeHeader(range) : range;
  if (!r) return undefined;
  const asked = typeof range === 'string' ? range : undefined;
  if ('suffix' in r) {
    if (r.suffix <= 0) throw unsatisfiable(size, asked);
    // RFC 9110 §14.1.3: a non-zero suffix longer than the representation selects all of
    // it, even none: an empty object is read whole (200), as S3 answers a tail read of one.
    if (size === 0) return undefined;
    return { start: Math.max(0, size - r.suffix), end: size - 1 };
  }
  if (!Number.isSafeInteger(r.start) || r.start < 0 || r.start >= size) {
    throw unsatisfiable(size, asked);
  }
  const end = r.end === undefined ? size - 1 : Math.min(r.end, size - 1);
  if (end < r.start) throw unsatisfiable(size, asked);
  return { start: r.start, end };
}

/** S3's 416 names the range asked for and the object's size (RangeRequested, ActualObjectSize). */
function unsatisfiable(size: number, asked: string | undefined): StowageError {
  return new StowageError(
    'E_INVALID_RANGE',
    `the requested range is not satisfiable for an object of ${size} bytes`,
    { details: { objectSize: size, ...(asked === undefined ? {} : { rangeRequested: asked }) } },
  );
}

/**
 * Resolves the byte range of a part copy (x-amz-copy-source-range). Unlike a GET's Range,
 * S3 takes no suffix, open or clamped range here: `bytes=first-last` must lie within the
 * source, else the copy is refused with InvalidArgument (InvalidRequest when it starts past
 * the end). Undefined means the whole object.
 */
export function resolveCopyRange(
  range: ByteRange | string | undefined,
  size: number,
): { start: number; end: number } | undefined {
  if (range === undefined) return undefined;
  const r = typeof range === 'string' ? parseRangeHeader(range) : range;
  const span =
    r !== undefined && 'start' in r && r.end !== undefined && r.start <= r.end
      ? { start: r.start, end: r.end }
      : undefined;
  if (span && Number.isSafeInteger(span.start) && span.end < size) return span;
  const text = typeof range === 'string' ? range : JSON.stringify(range);
  const details = { details: { range: text, objectSize: size } };
  // A well-formed range that starts past the source's end is S3's InvalidRequest
  // ("The specified copy range is invalid for the source object size"), not InvalidArgument.
  if (span && span.start >= size) {
    throw new StowageError(
      'E_INVALID_REQUEST',
      'The specified copy range is invalid for the source object size',
      details,
    );
  }
  throw new StowageError(
    'E_INVALID_ARGUMENT',
    `the copy range "${text}" is not valid for a source object of ${size} bytes: it must be ` +
      `bytes=first-last with first <= last <= ${size - 1}`,
    details,
  );
}
