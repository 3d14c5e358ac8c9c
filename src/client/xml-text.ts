/**
 * Whether a key can travel inside an XML request body (DeleteObjects). XML 1.0 has no way to
 * write the C0 control characters other than tab, LF and CR, U+FFFE, U+FFFF or a lone
 * surrogate, not even as a character reference; the SDKs send them raw and the store refuses
 * the whole document (MalformedXML), every other key of the batch with it. A key holding one
 * goes by a request that carries it in the URL instead (DeleteObject).
 */

const NOT_XML =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * @example
 * fitsInXml('renders/a b.png'); // true
 * fitsInXml('ctl\u0001key'); // false
 */
export function fitsInXml(text: string): boolean {
  return !NOT_XML.test(text);
}

/**
 * `items` split by whether their key fits in XML: the first go in a DeleteObjects batch, the
 * others one by one.
 *
 * @example
 * const [batch, alone] = splitByXml(keys, (k) => k);
 */
export function splitByXml<T>(items: readonly T[], keyOf: (item: T) => string): [T[], T[]] {
  const fits: T[] = [];
  const outside: T[] = [];
  for (const item of items) (fitsInXml(keyOf(item)) ? fits : outside).push(item);
  return [fits, outside];
}
