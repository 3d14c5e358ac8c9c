/**
 * S3 key order. S3 lists keys in the byte order of their UTF-8 encoding; a sync merges two
 * sorted streams, so both sides must agree on that order exactly.
 *
 * JavaScript's `<` compares UTF-16 code units, which disagrees with UTF-8 byte order for
 * characters above U+FFFF (surrogates, 0xD800-0xDFFF) against U+E000-U+FFFF. UTF-8 byte
 * order is code point order, so we compare code units after moving surrogates above
 * 0xFFFF, with no allocation (this runs once per key in a million-key plan).
 */

/** Maps a UTF-16 code unit so that unit order equals code point order. */
function rank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit < 0xe000 ? unit + 0x2000 : unit - 0x800;
}

/**
 * Compares two keys in S3 (UTF-8 byte) order: negative, zero or positive.
 *
 * @example
 * ['a/b', 'a-b', 'a.b'].sort(compareKeys); // ['a-b', 'a.b', 'a/b']
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return rank(x) - rank(y);
  }
  return a.length - b.length;
}

/** Compares raw name bytes (file names that may not be valid UTF-8). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}
