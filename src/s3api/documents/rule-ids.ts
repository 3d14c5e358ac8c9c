/**
 * S3 names a lifecycle or replication rule sent without an `<ID>`: GetBucketLifecycle-
 * Configuration and GetBucketReplication then show an ID of 48 characters, the base64 of
 * a random UUID. The stored document gets that `<ID>` right after the rule's start tag and
 * is otherwise kept byte for byte as sent.
 */
import { randomUUID } from 'node:crypto';
import { elementsOf, parseDocument, textOf } from './xml-fields.js';

const RULE_START = /<Rule(?:\s[^>]*)?>/g;

/** A new rule ID in S3's form. */
export function newRuleId(): string {
  return Buffer.from(randomUUID()).toString('base64');
}

/**
 * `xml` (a valid document whose root is `root`) with an `<ID>` given to every `<Rule>`
 * that has none. A document whose `<Rule` start tags cannot be matched one to one with its
 * rules (one named inside a comment, say) is returned unchanged.
 */
export function withRuleIds(xml: string, root: string): string {
  const rules = elementsOf(parseDocument(xml, root), 'Rule', root);
  const missing = rules.map((rule, i) => textOf(rule, 'ID', `Rule ${i + 1}`) === undefined);
  if (!missing.includes(true)) return xml;
  const starts = [...xml.matchAll(RULE_START)];
  if (starts.length !== rules.length) return xml;
  let out = '';
  let at = 0;
  starts.forEach((start, i) => {
    if (!missing[i]) return;
    const end = start.index + start[0].length;
    out += `${xml.slice(at, end)}<ID>${newRuleId()}</ID>`;
    at = end;
  });
  return out + xml.slice(at);
}
