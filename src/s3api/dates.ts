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

/** asctime(), the third HTTP date format: `Sun Nov  6 08:49:37 1994`, always GMT. */
const ASCTIME = /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}$/;

/**
 * Reads an HTTP date in any of the three forms RFC 9110 §5.6.7 has recipients accept
 * (IMF-fixdate, RFC 850, asctime), all GMT; undefined when it is none.
 */
export function parseHttpDate(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const v = text.trim();
  // JavaScript reads an asctime date as local time: it is GMT.
  const ms = Date.parse(ASCTIME.test(v) ? `${v} GMT` : v);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}
