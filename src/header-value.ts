/**
 * What a header value can carry. node:http holds a header as one character per byte
 * (latin1) and refuses to send a value with a character outside tab, printable ASCII and
 * 0x80–0xFF: any other control character, or a character above U+00FF.
 */

/** True when node:http can send `v` as a header value as it is. */
export function isHeaderSafe(v: string): boolean {
  return !/[^\t\x20-\x7e\x80-\xff]/.test(v);
}

/** True when `v` holds a control character no header can carry (tab aside). */
export function hasControlChars(v: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\x00-\x08\x0a-\x1f\x7f]/.test(v);
}

/** `v` with every control character no header can carry replaced by `by`. */
export function replaceControlChars(v: string, by: string): string {
  // eslint-disable-next-line no-control-regex
  return v.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, by);
}

/** The wire form of a text value: one character per byte of its UTF-8. */
export function utf8OnWire(v: string): string {
  return Buffer.from(v, 'utf8').toString('latin1');
}

/**
 * How many bytes `v` takes on the wire as a header value: its characters as they are when
 * node:http can send them so (header text is one character per byte), else its UTF-8.
 */
export function wireByteLength(v: string): number {
  return isHeaderSafe(v) ? v.length : Buffer.byteLength(v, 'utf8');
}

/**
 * `v` as node:http hands a header's value over: without the spaces and tabs around it
 * (RFC 9110 §5.5). Values that become headers elsewhere (a presigned URL's query, a form's
 * fields) go through this, so that what a policy judges is what is applied.
 */
export function headerFieldValue(v: string): string {
  return v.replace(/^[ \t]+|[ \t]+$/g, '');
}

/**
 * The items of a comma-separated header (`a, b,c`), trimmed, empty ones dropped; repeated
 * headers, which node:http hands over as an array or joined with ", ", count as one list.
 */
export function commaList(value: string | readonly string[] | undefined): string[] {
  const text = typeof value === 'string' ? value : (value ?? []).join(',');
  return text
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}
