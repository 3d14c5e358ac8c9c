/**
 * Times in S3 answers: whole seconds, as S3 writes them (`…T10:00:05.000Z`). The
 * Last-Modified header cannot carry less than a second, and listings must give the same
 * time as the header, or `aws s3 sync --exact-timestamps` downloads again and again.
 * Rounded down, as S3 does: a copy to another store (which keeps milliseconds or rounds
 * down too) is never older than its source. Conditional requests compare whole seconds.
 */

/** The time rounded down to a whole second. */
function wholeSecond(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

/** An HTTP date (RFC 9110 IMF-fixdate), as in Last-Modified. */
export function httpDate(d: Date): string {
  return wholeSecond(d).toUTCString();
}

/** An XML timestamp, as in a listing's LastModified: `2026-12-02T10:00:05.000Z`. */
export function xmlDate(d: Date): string {
  return wholeSecond(d).toISOString();
}
