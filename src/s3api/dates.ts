/**
 * Times in S3 answers: whole seconds, as S3 writes them, rounded up. The Last-Modified header
 * cannot carry less than a second, and listings must give the same time as the header, or
 * `aws s3 sync --exact-timestamps` downloads again and again. Rounding up rather than down
 * keeps a file written earlier in the same second as its upload older than the object, so
 * `aws s3 sync` does not upload it again either. Conditional requests compare whole seconds,
 * so an `If-Modified-Since` copied from these answers holds.
 */

/** The time rounded up to a whole second. */
function wholeSecond(d: Date): Date {
  return new Date(Math.ceil(d.getTime() / 1000) * 1000);
}

/** An HTTP date (RFC 9110 IMF-fixdate), as in Last-Modified. */
export function httpDate(d: Date): string {
  return wholeSecond(d).toUTCString();
}

/** An XML timestamp, as in a listing's LastModified: `2026-12-02T10:00:05.000Z`. */
export function xmlDate(d: Date): string {
  return wholeSecond(d).toISOString();
}
