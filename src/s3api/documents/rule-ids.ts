/**
 * S3 names a lifecycle or replication rule sent without an `<ID>`: GetBucketLifecycle-
 * Configuration and GetBucketReplication then show an ID of 48 characters, the base64 of
 * a random UUID. The stored document gets that `<ID>` right after the rule's start tag and
 * is otherwise kept byte for byte as sent. The start tags are found by a scan that knows
 * XML's comments, CDATA sections, processing instructions and quoted attribute values, so
 * a `<Rule>` inside any of them, or a `>` inside an attribute, is never taken for one.
 */
import { randomUUID } from 'node:crypto';
import { elementsOf, parseDocument, textOf } from './xml-fields.js';

/** A new rule ID in S3's form. */
export function newRuleId(): string {
  return Buffer.from(randomUUID()).toString('base64');
}

/** Where a `<Rule>` child of the root element opens: the end of its start tag, its prefix. */
interface RuleStart {
  end: number;
  prefix: string;
  name: string;
}

const SKIPPED: ReadonlyArray<[string, string]> = [
  ['<!--', '-->'],
  ['<![CDATA[', ']]>'],
  ['<?', '?>'],
  ['<!', '>'],
];

/** The end (exclusive) of the tag opening at `at`, quoted attribute values skipped. */
function tagEnd(xml: string, at: number): number {
  let quote = '';
  for (let i = at + 1; i < xml.length; i++) {
    const c = xml[i]!;
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '>') {
      return i + 1;
    }
  }
  return -1;
}

/** The start tags of the root element's `Rule` children, or undefined if the scan fails. */
function ruleStarts(xml: string, names: readonly string[] = ['Rule']): RuleStart[] | undefined {
  const starts: RuleStart[] = [];
  let depth = 0;
  let at = xml.indexOf('<');
  while (at >= 0) {
    const skipped = SKIPPED.find(([open]) => xml.startsWith(open, at));
    let end: number;
    if (skipped) {
      const close = xml.indexOf(skipped[1], at + skipped[0].length);
      if (close < 0) return undefined;
      end = close + skipped[1].length;
    } else {
      end = tagEnd(xml, at);
      if (end < 0) return undefined;
      const tag = xml.slice(at, end);
      if (tag.startsWith('</')) {
        depth--;
      } else if (!tag.endsWith('/>')) {
        const name = /^<([^\s/>]+)/.exec(tag)?.[1] ?? '';
        const colon = name.indexOf(':');
        const local = name.slice(colon + 1);
        if (depth === 1 && names.includes(local)) {
          starts.push({ end, prefix: name.slice(0, colon + 1), name: local });
        }
        depth++;
      }
    }
    at = xml.indexOf('<', end);
  }
  return starts;
}

/**
 * `xml` (a valid document whose root is `root`) with an `<ID>` given to every `<Rule>`
 * that has none. A document whose rules the scan cannot match one to one with the parsed
 * ones is returned unchanged.
 */
export function withRuleIds(xml: string, root: string): string {
  const rules = elementsOf(parseDocument(xml, root), 'Rule', root);
  const missing = rules.map((rule, i) => textOf(rule, 'ID', `Rule ${i + 1}`) === undefined);
  if (!missing.includes(true)) return xml;
  const starts = ruleStarts(xml);
  if (starts === undefined || starts.length !== rules.length) return xml;
  return withIdsAt(xml, starts, missing, 'ID');
}

/** `xml` with a new `<tag>` id right after each start tag in `starts` that `missing` marks. */
function withIdsAt(
  xml: string,
  starts: readonly RuleStart[],
  missing: readonly boolean[],
  tag: string,
): string {
  let out = '';
  let at = 0;
  starts.forEach((start, i) => {
    if (!missing[i]) return;
    out += `${xml.slice(at, start.end)}<${start.prefix}${tag}>${newRuleId()}</${start.prefix}${tag}>`;
    at = start.end;
  });
  return out + xml.slice(at);
}

/** The target lists of a notification document, each named by an `<Id>` S3 gives it. */
const NOTIFICATION_TARGETS = [
  'QueueConfiguration',
  'TopicConfiguration',
  'CloudFunctionConfiguration',
] as const;

/**
 * `xml` (a valid NotificationConfiguration) with an `<Id>` given to every target sent
 * without one, as S3 does (GetBucketNotificationConfiguration shows one for each). A
 * document the scan cannot match target for target is returned unchanged.
 */
export function withNotificationIds(xml: string): string {
  const root = 'NotificationConfiguration';
  const doc = parseDocument(xml, root);
  const starts = ruleStarts(xml, NOTIFICATION_TARGETS);
  if (starts === undefined) return xml;
  const missing: boolean[] = [];
  for (const tag of NOTIFICATION_TARGETS) {
    const targets = elementsOf(doc, tag, root);
    const at = starts.filter((s) => s.name === tag);
    if (at.length !== targets.length) return xml;
    targets.forEach((t, i) => {
      missing[starts.indexOf(at[i]!)] = textOf(t, 'Id', tag) === undefined;
    });
  }
  if (!missing.includes(true)) return xml;
  return withIdsAt(xml, starts, missing, 'Id');
}
