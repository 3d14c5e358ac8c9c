/** The request times of SigV4: ISO 8601 basic format (`20130524T000000Z`) and HTTP dates. */

const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** Milliseconds since the epoch of a `yyyymmddThhmmssZ` time, or undefined if not valid. */
export function parseAmzDate(text: string): number | undefined {
  const m = AMZ_DATE.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 20130231 over to March; a time that does not round-trip is not valid.
  return formatAmzDate(ms) === text ? ms : undefined;
}

/** `yyyymmddThhmmssZ` of a time. */
export function formatAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '');
}

/** RFC 9110 IMF-fixdate, e.g. `Fri, 24 May 2013 00:00:00 GMT`. */
const IMF_FIXDATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * The time of a `Date` header. SigV4 accepts `Date` in place of `x-amz-date`; clients
 * send it as an HTTP date (IMF-fixdate), a few in the ISO basic form. Other forms are
 * refused rather than guessed: Date.parse would read a date without a zone as local time.
 */
export function parseDateHeader(text: string): number | undefined {
  const iso = parseAmzDate(text);
  if (iso !== undefined) return iso;
  if (!IMF_FIXDATE.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}
