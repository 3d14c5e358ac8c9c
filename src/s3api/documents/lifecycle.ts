/**
 * PutBucketLifecycleConfiguration (and the older PutBucketLifecycle, same root element):
 * 1 to 1,000 rules, each with a status, a filter (or the legacy top-level prefix) and at
 * least one action. The parsed rules are what the lifecycle worker applies.
 */
import { describeFilter, parseFilter, type ObjectFilter } from './filter.js';
import {
  checkTransitions,
  parseLifecycleDate,
  TRANSITION_STORAGE_CLASSES,
  type TransitionStorageClass,
} from './lifecycle-transitions.js';
import {
  allowOnly,
  booleanOf,
  charLength,
  elementOf,
  elementsOf,
  integerOf,
  invalidArgument,
  invalidRequest,
  malformed,
  oneOf,
  parseDocument,
  requireText,
  textOf,
  type XmlElement,
} from './xml-fields.js';

export { TRANSITION_STORAGE_CLASSES, type TransitionStorageClass };

/** Move current versions to another class, `days` after creation or on `date`. */
export interface LifecycleTransition {
  days?: number;
  /** ISO 8601, midnight UTC. */
  date?: string;
  storageClass: TransitionStorageClass;
}

/** Expire current versions, or remove expired-object delete markers. */
export interface LifecycleExpiration {
  days?: number;
  date?: string;
  expiredObjectDeleteMarker?: boolean;
}

/** Move noncurrent versions `noncurrentDays` after they became noncurrent. */
export interface NoncurrentVersionTransition {
  noncurrentDays: number;
  storageClass: TransitionStorageClass;
  newerNoncurrentVersions?: number;
}

/** Delete noncurrent versions `noncurrentDays` after they became noncurrent. */
export interface NoncurrentVersionExpiration {
  noncurrentDays: number;
  newerNoncurrentVersions?: number;
}

/** One validated lifecycle rule. A legacy top-level `<Prefix>` becomes `filter.prefix`. */
export interface LifecycleRule {
  id?: string;
  status: 'Enabled' | 'Disabled';
  filter: ObjectFilter;
  expiration?: LifecycleExpiration;
  transitions: LifecycleTransition[];
  noncurrentVersionTransitions: NoncurrentVersionTransition[];
  noncurrentVersionExpiration?: NoncurrentVersionExpiration;
  abortIncompleteMultipartUpload?: { daysAfterInitiation: number };
}

/** S3's limit on rules per configuration. */
export const MAX_LIFECYCLE_RULES = 1000;
const MAX_ID = 255;
const RULE_TAGS = [
  'ID',
  'Prefix',
  'Filter',
  'Status',
  'Expiration',
  'Transition',
  'NoncurrentVersionTransition',
  'NoncurrentVersionExpiration',
  'AbortIncompleteMultipartUpload',
];

function positive(n: number, what: string): number {
  if (n < 1) throw invalidArgument(`${what} must be a positive integer, got ${n}`);
  return n;
}

function notNegative(n: number, what: string): number {
  if (n < 0) throw invalidArgument(`${what} must not be negative, got ${n}`);
  return n;
}

function newerVersions(node: XmlElement, where: string): number | undefined {
  const n = integerOf(node, 'NewerNoncurrentVersions', where);
  if (n !== undefined && (n < 1 || n > 100)) {
    throw invalidArgument(`'NewerNoncurrentVersions' in ${where} must be 1 to 100, got ${n}`);
  }
  return n;
}

function parseExpiration(node: XmlElement, where: string): LifecycleExpiration {
  const at = `the <Expiration> of ${where}`;
  allowOnly(node, ['Days', 'Date', 'ExpiredObjectDeleteMarker'], at);
  const days = integerOf(node, 'Days', at);
  const date = textOf(node, 'Date', at);
  const marker = booleanOf(node, 'ExpiredObjectDeleteMarker', at);
  const given = [days, date, marker].filter((v) => v !== undefined).length;
  if (given === 0)
    throw malformed(`${at} needs one of <Days>, <Date> or <ExpiredObjectDeleteMarker>`);
  if (given > 1) {
    throw malformed(`${at} may have only one of <Days>, <Date> or <ExpiredObjectDeleteMarker>`);
  }
  if (days !== undefined)
    return { days: positive(days, `'Days' for Expiration action in ${where}`) };
  if (date !== undefined) return { date: parseLifecycleDate(date, at) };
  return { expiredObjectDeleteMarker: marker === true };
}

function parseTransition(node: XmlElement, where: string): LifecycleTransition {
  const at = `a <Transition> of ${where}`;
  allowOnly(node, ['Days', 'Date', 'StorageClass'], at);
  const storageClass = oneOf(
    requireText(node, 'StorageClass', at),
    TRANSITION_STORAGE_CLASSES,
    'StorageClass',
    at,
  );
  const days = integerOf(node, 'Days', at);
  const date = textOf(node, 'Date', at);
  if ((days === undefined) === (date === undefined)) {
    throw malformed(`${at} needs exactly one of <Days> or <Date>`);
  }
  if (days !== undefined) {
    if (days < 0)
      throw invalidArgument(`'Days' in Transition action must not be negative, got ${days}`);
    return { days, storageClass };
  }
  return { date: parseLifecycleDate(date as string, at), storageClass };
}

function parseNoncurrentTransition(node: XmlElement, where: string): NoncurrentVersionTransition {
  const at = `a <NoncurrentVersionTransition> of ${where}`;
  allowOnly(node, ['NoncurrentDays', 'StorageClass', 'NewerNoncurrentVersions'], at);
  const storageClass = oneOf(
    requireText(node, 'StorageClass', at),
    TRANSITION_STORAGE_CLASSES,
    'StorageClass',
    at,
  );
  const days = integerOf(node, 'NoncurrentDays', at);
  if (days === undefined) throw malformed(`${at} is missing the required element <NoncurrentDays>`);
  const t: NoncurrentVersionTransition = {
    // 0 is allowed here (a noncurrent version moves at once), unlike in an expiration.
    noncurrentDays: notNegative(days, `'NoncurrentDays' in NoncurrentVersionTransition action`),
    storageClass,
  };
  const newer = newerVersions(node, at);
  if (newer !== undefined) t.newerNoncurrentVersions = newer;
  return t;
}

function parseNoncurrentExpiration(node: XmlElement, where: string): NoncurrentVersionExpiration {
  const at = `the <NoncurrentVersionExpiration> of ${where}`;
  allowOnly(node, ['NoncurrentDays', 'NewerNoncurrentVersions'], at);
  const days = integerOf(node, 'NoncurrentDays', at);
  if (days === undefined) throw malformed(`${at} is missing the required element <NoncurrentDays>`);
  const e: NoncurrentVersionExpiration = {
    noncurrentDays: positive(days, `'NoncurrentDays' for NoncurrentVersionExpiration action`),
  };
  const newer = newerVersions(node, at);
  if (newer !== undefined) e.newerNoncurrentVersions = newer;
  return e;
}

function parseAbort(node: XmlElement, where: string): { daysAfterInitiation: number } {
  const at = `the <AbortIncompleteMultipartUpload> of ${where}`;
  allowOnly(node, ['DaysAfterInitiation'], at);
  const days = integerOf(node, 'DaysAfterInitiation', at);
  if (days === undefined) {
    throw malformed(`${at} is missing the required element <DaysAfterInitiation>`);
  }
  return { daysAfterInitiation: positive(days, `'DaysAfterInitiation' in ${where}`) };
}

function parseRuleFilter(node: XmlElement, where: string): ObjectFilter {
  const filter = elementOf(node, 'Filter', where);
  const prefix = textOf(node, 'Prefix', where);
  if (filter !== undefined && prefix !== undefined) {
    throw malformed(`${where} has both <Filter> and <Prefix>; use <Filter><Prefix> only`);
  }
  if (filter === undefined && prefix === undefined) {
    throw malformed(`${where} needs a <Filter> (or the legacy <Prefix>)`);
  }
  if (prefix !== undefined) return parseFilter({ Prefix: prefix }, where);
  // A rule's <And> with one tag key twice is InvalidRequest on S3 ("Duplicate Tag Keys are
  // not allowed."), not the InvalidTag of a bucket's tag set.
  return parseFilter(filter, where, {
    objectSize: true,
    duplicateTag: (m) => invalidRequest(`Duplicate Tag Keys are not allowed. (${m})`),
  });
}

function parseRule(node: XmlElement, index: number): LifecycleRule {
  const id = textOf(node, 'ID', `Rule ${index + 1}`);
  const where = id ? `rule "${id}"` : `Rule ${index + 1}`;
  allowOnly(node, RULE_TAGS, where);
  if (id !== undefined && charLength(id) > MAX_ID) {
    throw invalidArgument(`ID length should not exceed allowed limit of ${MAX_ID} (${where})`);
  }
  const status = oneOf(
    requireText(node, 'Status', where),
    ['Enabled', 'Disabled'],
    'Status',
    where,
  );
  const filter = parseRuleFilter(node, where);
  const rule: LifecycleRule = {
    status,
    filter,
    transitions: elementsOf(node, 'Transition', where).map((t) => parseTransition(t, where)),
    noncurrentVersionTransitions: elementsOf(node, 'NoncurrentVersionTransition', where).map((t) =>
      parseNoncurrentTransition(t, where),
    ),
  };
  if (id !== undefined) rule.id = id;
  const expiration = elementOf(node, 'Expiration', where);
  if (expiration) rule.expiration = parseExpiration(expiration, where);
  const ncExpiration = elementOf(node, 'NoncurrentVersionExpiration', where);
  if (ncExpiration)
    rule.noncurrentVersionExpiration = parseNoncurrentExpiration(ncExpiration, where);
  const abort = elementOf(node, 'AbortIncompleteMultipartUpload', where);
  if (abort) rule.abortIncompleteMultipartUpload = parseAbort(abort, where);
  checkRule(rule, where);
  return rule;
}

/** The rules that combine actions, filters and timings. */
function checkRule(rule: LifecycleRule, where: string): void {
  const hasAction =
    rule.expiration !== undefined ||
    rule.transitions.length > 0 ||
    rule.noncurrentVersionTransitions.length > 0 ||
    rule.noncurrentVersionExpiration !== undefined ||
    rule.abortIncompleteMultipartUpload !== undefined;
  if (!hasAction) {
    throw invalidRequest(`At least one action needs to be specified in a rule (${where})`);
  }
  const tagged = rule.filter.tags.length > 0;
  // S3 applies both actions to things that carry no tags (uploads, delete markers).
  if (rule.abortIncompleteMultipartUpload && tagged) {
    throw invalidRequest(
      `Tag-based filter cannot be used with AbortIncompleteMultipartUpload action (${where})`,
    );
  }
  if (rule.expiration?.expiredObjectDeleteMarker !== undefined && tagged) {
    throw invalidRequest(
      `Tag-based filter cannot be used with ExpiredObjectDeleteMarker action (${where})`,
    );
  }
  const sized =
    rule.filter.objectSizeGreaterThan !== undefined || rule.filter.objectSizeLessThan !== undefined;
  if (rule.abortIncompleteMultipartUpload && sized) {
    throw invalidRequest(
      `AbortIncompleteMultipartUpload cannot be specified with Object Size. (${where})`,
    );
  }
  if (rule.expiration?.expiredObjectDeleteMarker !== undefined && sized) {
    throw invalidRequest(
      `ExpiredObjectDeleteMarker cannot be specified with Object Size. (${where})`,
    );
  }
  checkTransitions(rule, `${where} with filter '${describeFilter(rule.filter)}'`);
}

/**
 * Parses and validates a lifecycle configuration. MalformedXML for structural problems,
 * InvalidArgument for bad numbers and timings (a STANDARD_IA transition before 30 days, an
 * expiration not after the transitions), InvalidRequest for forbidden combinations.
 *
 * @example
 * const [rule] = parseLifecycleRules(xml);
 * rule?.transitions; // [{ days: 30, storageClass: 'GLACIER_IR' }, …]
 */
export function parseLifecycleRules(xml: string): LifecycleRule[] {
  const doc = parseDocument(xml, 'LifecycleConfiguration');
  allowOnly(doc, ['Rule'], 'LifecycleConfiguration');
  const nodes = elementsOf(doc, 'Rule', 'LifecycleConfiguration');
  if (nodes.length === 0)
    throw malformed('LifecycleConfiguration must contain at least one <Rule>');
  if (nodes.length > MAX_LIFECYCLE_RULES) {
    throw malformed(
      `LifecycleConfiguration has ${nodes.length} rules; the maximum is ${MAX_LIFECYCLE_RULES}`,
    );
  }
  const rules = nodes.map(parseRule);
  checkVersion(nodes, rules);
  const ids = new Set<string>();
  for (const r of rules) {
    if (r.id === undefined || r.id === '') continue;
    if (ids.has(r.id)) {
      throw invalidArgument(
        `Rule ID must be unique. Found same ID "${r.id}" for more than one rule`,
      );
    }
    ids.add(r.id);
  }
  return rules;
}

/** The actions a V1 rule's prefix may not share with another V1 rule's overlapping one. */
const ACTION_TYPES = [
  ['Expiration', (r: LifecycleRule) => r.expiration !== undefined],
  ['Transition', (r: LifecycleRule) => r.transitions.length > 0],
  ['NoncurrentVersionTransition', (r: LifecycleRule) => r.noncurrentVersionTransitions.length > 0],
  [
    'NoncurrentVersionExpiration',
    (r: LifecycleRule) => r.noncurrentVersionExpiration !== undefined,
  ],
  [
    'AbortIncompleteMultipartUpload',
    (r: LifecycleRule) => r.abortIncompleteMultipartUpload !== undefined,
  ],
] as const;

/**
 * A configuration is V1 (rules with a top-level `<Prefix>`) or V2 (`<Filter>`), never both,
 * as S3 decides. V1 knows no NewerNoncurrentVersions, and its prefixes may not overlap for
 * one action type (V2's may).
 */
function checkVersion(nodes: readonly XmlElement[], rules: readonly LifecycleRule[]): void {
  const v1 = nodes.map((n) => textOf(n, 'Prefix', 'a rule') !== undefined);
  if (v1.some((x) => x) && v1.some((x) => !x)) {
    throw invalidRequest(
      'Base level prefix cannot be used in Lifecycle V2, prefixes can only be used in filter.',
    );
  }
  if (!v1[0]) return;
  const newer = rules.some(
    (r) =>
      r.noncurrentVersionExpiration?.newerNoncurrentVersions !== undefined ||
      r.noncurrentVersionTransitions.some((t) => t.newerNoncurrentVersions !== undefined),
  );
  if (newer) {
    throw invalidRequest('NewerNoncurrentVersions element can only be used in Lifecycle V2.');
  }
  for (const [type, has] of ACTION_TYPES) {
    const prefixes = rules.filter(has).map((r) => r.filter.prefix ?? '');
    for (let i = 0; i < prefixes.length; i++) {
      for (let j = i + 1; j < prefixes.length; j++) {
        const [a, b] = [prefixes[i]!, prefixes[j]!];
        if (a.startsWith(b) || b.startsWith(a)) {
          throw invalidRequest(
            `Found overlapping prefixes '${a}' and '${b}' for same action type '${type}'`,
          );
        }
      }
    }
  }
}

/** The bucket-document validator for `?lifecycle`. */
export function validateLifecycle(xml: string): void {
  parseLifecycleRules(xml);
}
