/**
 * Field readers shared by the bucket-document validators. S3 checks a configuration
 * document against its schema first (anything structural is MalformedXML) and then its
 * rules (InvalidArgument, InvalidRequest …); these helpers do the schema part and name the
 * element that is wrong.
 */
import { StowageError } from '../../errors.js';
import { children, childText, parseXml, type XmlNode } from '../xml/parse.js';

/** An element's children by tag name. */
export type XmlElement = { [tag: string]: XmlNode | XmlNode[] };

/** MalformedXML: the document does not match S3's schema. */
export function malformed(message: string): StowageError {
  return new StowageError('E_MALFORMED_XML', message);
}

/**
 * InvalidArgument: a value is in the schema but breaks one of S3's rules; `argumentName`
 * is the element S3 names in the error, where it names one.
 */
export function invalidArgument(message: string, argumentName?: string): StowageError {
  return new StowageError(
    'E_INVALID_ARGUMENT',
    message,
    argumentName === undefined ? {} : { details: { argumentName } },
  );
}

/** InvalidRequest: the combination of values is not allowed. */
export function invalidRequest(message: string): StowageError {
  return new StowageError('E_INVALID_REQUEST', message);
}

/**
 * Parses a configuration document whose root element must be `root`. Text is kept as
 * written, as S3's schema keeps a string: `<Prefix> logs/</Prefix>` is the prefix
 * " logs/" (the document is stored and returned as sent, so what is applied must be what
 * it says), and `<Status> Enabled </Status>` is no value of the enumeration. Numbers,
 * booleans and dates, whose schema types collapse white space, are read trimmed.
 */
export function parseDocument(text: string, root: string): XmlElement {
  if (text.trim() === '') {
    throw malformed(`the request body is empty; expected a <${root}> document`);
  }
  return parseXml(text, root, { exact: true });
}

/**
 * Throws MalformedXML when `node` has a child not in `tags` (S3 rejects unknown elements)
 * or stray text beside its elements.
 */
export function allowOnly(node: XmlElement, tags: readonly string[], where: string): void {
  for (const tag of Object.keys(node)) {
    if (tag === '#text') {
      throw malformed(`${where} contains text where only elements are allowed`);
    }
    if (!tags.includes(tag)) {
      throw malformed(
        `${where} has an unknown element <${tag}>` +
          (tags.length ? `; allowed: ${tags.map((t) => `<${t}>`).join(', ')}` : ''),
      );
    }
  }
}

/** The `tag` children of `node` as elements; an empty element is `{}`. */
export function elementsOf(node: XmlElement, tag: string, where: string): XmlElement[] {
  return children(node, tag).map((c) => {
    if (typeof c !== 'string') return c as XmlElement;
    // White space alone in an element of elements is layout (`<Filter>\n</Filter>`).
    if (c.trim() === '') return {};
    throw malformed(`<${tag}> in ${where} must contain elements, not text`);
  });
}

/** The single `tag` child of `node` as an element, or undefined. */
export function elementOf(node: XmlElement, tag: string, where: string): XmlElement | undefined {
  const all = elementsOf(node, tag, where);
  if (all.length > 1) throw malformed(`<${tag}> may appear only once in ${where}`);
  return all[0];
}

/** Like {@link elementOf}, but the element must be there. */
export function requireElement(node: XmlElement, tag: string, where: string): XmlElement {
  const e = elementOf(node, tag, where);
  if (e === undefined) throw malformed(`${where} is missing the required element <${tag}>`);
  return e;
}

/** The text of the single `tag` child, or undefined. */
export function textOf(node: XmlElement, tag: string, where: string): string | undefined {
  try {
    return childText(node, tag);
  } catch (err) {
    throw malformed(`${(err as Error).message} in ${where}`);
  }
}

/** Like {@link textOf}, but the element must be there. */
export function requireText(node: XmlElement, tag: string, where: string): string {
  const t = textOf(node, tag, where);
  if (t === undefined) throw malformed(`${where} is missing the required element <${tag}>`);
  return t;
}

/** The texts of every `tag` child (a repeated element such as `<AllowedOrigin>`). */
export function textsOf(node: XmlElement, tag: string, where: string): string[] {
  return children(node, tag).map((c) => {
    if (typeof c === 'string') return c;
    if (Object.keys(c).length === 0) return '';
    throw malformed(`<${tag}> in ${where} must contain text`);
  });
}

/** The range of S3's `Integer` fields (32 bits). */
const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

/**
 * A whole number: an XML schema `int` (32 bits, as S3's Integer fields: days, seconds,
 * priorities) or, with `long`, a `long` (object sizes). Anything else is MalformedXML.
 */
export function integerOf(
  node: XmlElement,
  tag: string,
  where: string,
  { long = false }: { long?: boolean } = {},
): number | undefined {
  const t = textOf(node, tag, where)?.trim();
  if (t === undefined) return undefined;
  const n = Number(t);
  if (!/^[-+]?\d+$/.test(t) || !Number.isSafeInteger(n)) {
    throw malformed(`<${tag}> in ${where} must be a whole number, got "${t}"`);
  }
  if (!long && (n < INT_MIN || n > INT_MAX)) {
    throw malformed(
      `<${tag}> in ${where} must be a 32-bit whole number (at most ${INT_MAX}), got "${t}"`,
    );
  }
  return n;
}

/** An XML boolean as S3 writes it: `true` or `false`. */
export function booleanOf(node: XmlElement, tag: string, where: string): boolean | undefined {
  const t = textOf(node, tag, where)?.trim();
  if (t === undefined) return undefined;
  if (t !== 'true' && t !== 'false') {
    throw malformed(`<${tag}> in ${where} must be true or false, got "${t}"`);
  }
  return t === 'true';
}

/** A value from a fixed set (a schema enumeration): anything else is MalformedXML. */
export function oneOf<T extends string>(
  value: string,
  allowed: readonly T[],
  tag: string,
  where: string,
): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw malformed(`<${tag}> in ${where} must be one of ${allowed.join(', ')}; got "${value}"`);
  }
  return value as T;
}

/** Length in characters (code points), as S3 counts tag and ID lengths. */
export function charLength(s: string): number {
  return [...s].length;
}

/**
 * The `Id` of a configuration addressed by `?id=` (inventory, Intelligent-Tiering,
 * metrics): required, at most 64 characters, and equal to the query parameter.
 */
export function checkConfigurationId(doc: XmlElement, root: string, queryId: string): string {
  const id = requireText(doc, 'Id', root);
  if (id === '') throw malformed(`<Id> of ${root} must not be empty`);
  if (charLength(id) > 64) {
    throw invalidArgument(`the configuration Id "${id}" is longer than 64 characters`);
  }
  if (id !== queryId) {
    throw invalidArgument(
      `the configuration Id "${id}" does not match the id request parameter "${queryId}"`,
    );
  }
  return id;
}
