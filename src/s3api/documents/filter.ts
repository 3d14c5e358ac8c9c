/**
 * Tags and object filters, shared by lifecycle, replication, Intelligent-Tiering, metrics
 * and bucket tagging documents. A filter holds one predicate, or several inside `<And>`.
 */
import { StowageError } from '../../errors.js';
import {
  allowOnly,
  charLength,
  elementOf,
  elementsOf,
  integerOf,
  invalidArgument,
  invalidRequest,
  malformed,
  requireText,
  textOf,
  type XmlElement,
} from './xml-fields.js';

/** One tag: S3 allows keys of 1–128 and values of 0–256 characters. */
export interface Tag {
  key: string;
  value: string;
}

/** The objects a rule applies to. Every field given must match (a logical AND). */
export interface ObjectFilter {
  prefix?: string;
  tags: Tag[];
  objectSizeGreaterThan?: number;
  objectSizeLessThan?: number;
  accessPointArn?: string;
}

/** Which predicates a document kind's filter may use besides Prefix and Tag. */
export interface FilterOptions {
  objectSize?: boolean;
  accessPoint?: boolean;
  /** The error for a tag key twice in `<And>`, from the message (InvalidTag unless given). */
  duplicateTag?: (message: string) => StowageError;
}

const MAX_TAG_KEY = 128;
const MAX_TAG_VALUE = 256;
/** S3's longest object key, and so the longest prefix worth filtering on. */
const MAX_PREFIX = 1024;

/** Parses one `<Tag><Key/><Value/></Tag>`, checking S3's length limits (InvalidTag). */
export function parseTag(node: XmlElement, where: string): Tag {
  allowOnly(node, ['Key', 'Value'], `a <Tag> in ${where}`);
  const key = requireText(node, 'Key', `a <Tag> in ${where}`);
  // S3's Tag has a required Value (API reference: Tag); an empty one is `<Value></Value>`.
  const value = requireText(node, 'Value', `a <Tag> in ${where}`);
  if (charLength(key) < 1 || charLength(key) > MAX_TAG_KEY) {
    throw new StowageError(
      'E_INVALID_TAG',
      `tag key "${key}" in ${where} must be 1 to ${MAX_TAG_KEY} characters`,
    );
  }
  if (charLength(value) > MAX_TAG_VALUE) {
    throw new StowageError(
      'E_INVALID_TAG',
      `the value of tag "${key}" in ${where} is longer than ${MAX_TAG_VALUE} characters`,
    );
  }
  return { key, value };
}

/**
 * Parses the `<Tag>` children of `node`; keys must be unique: a key twice is InvalidTag (a
 * tag set's answer), or what `duplicate` makes of the message.
 */
export function parseTags(
  node: XmlElement,
  where: string,
  duplicate: (message: string, key: string) => StowageError = (m, key) =>
    new StowageError('E_INVALID_TAG', m, { details: { tagKey: key } }),
): Tag[] {
  const tags = elementsOf(node, 'Tag', where).map((t) => parseTag(t, where));
  const seen = new Set<string>();
  for (const t of tags) {
    if (seen.has(t.key)) throw duplicate(`tag key "${t.key}" appears twice in ${where}`, t.key);
    seen.add(t.key);
  }
  return tags;
}

function checkPrefix(prefix: string, where: string): string {
  if (Buffer.byteLength(prefix) > MAX_PREFIX) {
    throw invalidRequest(`the prefix in ${where} is longer than ${MAX_PREFIX} bytes`);
  }
  return prefix;
}

function sizeOf(node: XmlElement, tag: string, where: string): number | undefined {
  // Object sizes are S3 Longs.
  const n = integerOf(node, tag, where, { long: true });
  if (n !== undefined && n < 0) {
    throw invalidArgument(`<${tag}> in ${where} must not be negative, got ${n}`);
  }
  return n;
}

/** Reads the predicates of a filter or of its `<And>` into `out`. */
function readPredicates(
  node: XmlElement,
  where: string,
  options: FilterOptions,
  out: ObjectFilter,
  inAnd: boolean,
): void {
  const prefix = textOf(node, 'Prefix', where);
  if (prefix !== undefined) out.prefix = checkPrefix(prefix, where);
  if (inAnd) out.tags = parseTags(node, where, options.duplicateTag);
  else {
    const tag = elementOf(node, 'Tag', where);
    if (tag) out.tags = [parseTag(tag, where)];
  }
  if (options.objectSize) {
    out.objectSizeGreaterThan = sizeOf(node, 'ObjectSizeGreaterThan', where);
    out.objectSizeLessThan = sizeOf(node, 'ObjectSizeLessThan', where);
  }
  if (options.accessPoint) out.accessPointArn = textOf(node, 'AccessPointArn', where);
}

function predicateTags(options: FilterOptions): string[] {
  return [
    'Prefix',
    'Tag',
    ...(options.objectSize ? ['ObjectSizeGreaterThan', 'ObjectSizeLessThan'] : []),
    ...(options.accessPoint ? ['AccessPointArn'] : []),
  ];
}

/**
 * Parses a `<Filter>`: empty (every object), exactly one predicate, or `<And>` with
 * several. Two predicates side by side without `<And>` are MalformedXML, as in S3.
 */
export function parseFilter(
  node: XmlElement | undefined,
  where: string,
  options: FilterOptions = {},
): ObjectFilter {
  const filter: ObjectFilter = { tags: [] };
  if (node === undefined) return filter;
  const predicates = predicateTags(options);
  const at = `the <Filter> of ${where}`;
  allowOnly(node, [...predicates, 'And'], at);
  const present = Object.keys(node);
  if (present.length > 1) {
    throw malformed(
      `${at} has ${present.map((p) => `<${p}>`).join(' and ')}; combine several conditions in <And>`,
    );
  }
  const and = elementOf(node, 'And', at);
  if (and) {
    const andAt = `the <And> of ${at}`;
    allowOnly(and, predicates, andAt);
    if (Object.keys(and).length === 0) throw malformed(`${andAt} is empty`);
    readPredicates(and, andAt, options, filter, true);
    // S3's <And> joins two or more predicates; one alone is MalformedXML there.
    const count =
      (filter.prefix !== undefined ? 1 : 0) +
      filter.tags.length +
      (filter.objectSizeGreaterThan !== undefined ? 1 : 0) +
      (filter.objectSizeLessThan !== undefined ? 1 : 0) +
      (filter.accessPointArn !== undefined ? 1 : 0);
    if (count < 2) {
      throw malformed(`${andAt} holds one condition; use it alone, without <And>`);
    }
  } else {
    readPredicates(node, at, options, filter, false);
  }
  const { objectSizeGreaterThan: gt, objectSizeLessThan: lt } = filter;
  if (lt !== undefined && lt < 1) {
    throw invalidArgument(
      `'ObjectSizeLessThan' should be between 1 and 1099511627776000, got ${lt} (${at})`,
    );
  }
  if (gt !== undefined && lt !== undefined && lt <= gt) {
    throw invalidArgument(
      `ObjectSizeLessThan (${lt}) must be greater than ObjectSizeGreaterThan (${gt}) in ${at}`,
    );
  }
  return stripUndefined(filter);
}

function stripUndefined(f: ObjectFilter): ObjectFilter {
  return Object.fromEntries(
    Object.entries(f).filter(([, v]) => v !== undefined),
  ) as unknown as ObjectFilter;
}

/** A short description of a filter for messages, in S3's `(prefix=logs/)` style. */
export function describeFilter(f: ObjectFilter): string {
  const parts = [`prefix=${f.prefix ?? ''}`, ...f.tags.map((t) => `tag=${t.key}:${t.value}`)];
  if (f.objectSizeGreaterThan !== undefined) parts.push(`size>${f.objectSizeGreaterThan}`);
  if (f.objectSizeLessThan !== undefined) parts.push(`size<${f.objectSizeLessThan}`);
  return `(${parts.join(', ')})`;
}

/** What a filter is matched against: an object's key, size and tags. */
export interface FilteredObject {
  key: string;
  size: number;
  tags: Readonly<Record<string, string>>;
}

/**
 * Whether a filter covers an object: every predicate it holds matches (an empty filter
 * covers every object). An access point predicate never matches a request made to the
 * bucket itself.
 *
 * @example
 * filterCovers({ prefix: 'logs/', tags: [] }, { key: 'logs/a', size: 1, tags: {} }); // true
 */
export function filterCovers(f: ObjectFilter, o: FilteredObject): boolean {
  if (f.prefix !== undefined && !o.key.startsWith(f.prefix)) return false;
  if (f.tags.some((t) => o.tags[t.key] !== t.value)) return false;
  if (f.objectSizeGreaterThan !== undefined && !(o.size > f.objectSizeGreaterThan)) return false;
  if (f.objectSizeLessThan !== undefined && !(o.size < f.objectSizeLessThan)) return false;
  return f.accessPointArn === undefined;
}
