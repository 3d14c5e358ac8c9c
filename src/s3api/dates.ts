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

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH = `(${MONTHS.join('|')})`;
const TIME = '(\\d\\d):(\\d\\d):(\\d\\d)';
/** IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`. */
const IMF_FIXDATE = new RegExp(
  `^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\\d\\d) ${MONTH} (\\d{4}) ${TIME} GMT$`,
);
/** RFC 850: `Sunday, 06-Nov-94 08:49:37 GMT`. */
const RFC_850 = new RegExp(
  `^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\\d\\d)-${MONTH}-(\\d\\d) ${TIME} GMT$`,
);
/** asctime(): `Sun Nov  6 08:49:37 1994`, always GMT. */
const ASCTIME = new RegExp(
  `^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`,
);

/** The instant of a calendar date and time in GMT; undefined when there is no such date (31 Feb, 25:00). */
function utc(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): Date | undefined {
  const d = new Date(Date.UTC(year, month, day, hour, minute, second));
  d.setUTCFullYear(year); // Date.UTC reads years 0-99 as 1900-1999
  const same =
    d.getUTCFullYear() === year &&
    d.getUTCMonth() === month &&
    d.getUTCDate() === day &&
    d.getUTCHours() === hour &&
    d.getUTCMinutes() === minute &&
    d.getUTCSeconds() === second;
  return same ? d : undefined;
}

/**
 * Reads an HTTP date in one of the three forms RFC 9110 §5.6.7 has recipients accept
 * (IMF-fixdate, RFC 850, asctime), all GMT; undefined when it is none. Only those: a
 * conditional header whose value is not an HTTP date is ignored (RFC 9110 §13.1.3, as S3
 * ignores it), where JavaScript's Date.parse would read `0`, `1` or an ISO 8601 time as a
 * date and answer 412 or 304 for it.
 */
export function parseHttpDate(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const v = text.trim();
  let m = IMF_FIXDATE.exec(v);
  if (m) return utc(+m[3]!, MONTHS.indexOf(m[2]!), +m[1]!, +m[4]!, +m[5]!, +m[6]!);
  m = RFC_850.exec(v);
  if (m) {
    // A two-digit year more than 50 years ahead is of the century before (RFC 9110 §5.6.7).
    const thisYear = new Date().getUTCFullYear();
    let year = Math.floor(thisYear / 100) * 100 + +m[3]!;
    if (year > thisYear + 50) year -= 100;
    return utc(year, MONTHS.indexOf(m[2]!), +m[1]!, +m[4]!, +m[5]!, +m[6]!);
  }
  m = ASCTIME.exec(v);
  if (m) return utc(+m[6]!, MONTHS.indexOf(m[1]!), +m[2]!.trim(), +m[3]!, +m[4]!, +m[5]!);
  return undefined;
}
