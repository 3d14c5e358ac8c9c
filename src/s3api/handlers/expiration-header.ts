/**
 * x-amz-expiration: S3 names, on a write and a read of an object's current version, when a
 * lifecycle Expiration rule of the bucket will expire it and the rule's id
 * (`expiry-date="Fri, 23 Dec 2012 00:00:00 GMT", rule-id="picture-deletion-rule"`). A
 * `Days` rule expires an object that many days after its creation, rounded up to the next
 * midnight UTC; a `Date` rule on its date. When several rules cover it, the earliest.
 */
import { parseLifecycleRules, type LifecycleRule } from '../documents/lifecycle.js';
import { filterCovers, type FilteredObject } from '../documents/filter.js';
import { httpDate } from '../dates.js';
import type { S3Request } from '../context.js';

const DAY_MS = 86_400_000;
/** Parsed expiration rules by stored document: the request path must not parse XML. */
const parsed = new Map<string, LifecycleRule[]>();
const MAX_PARSED = 64;

/** The enabled rules of a stored document that expire current versions. */
function expiringRules(xml: string): LifecycleRule[] {
  let rules = parsed.get(xml);
  if (rules === undefined) {
    try {
      rules = parseLifecycleRules(xml).filter(
        (rule) =>
          rule.status === 'Enabled' &&
          (rule.expiration?.days !== undefined || rule.expiration?.date !== undefined),
      );
    } catch {
      rules = []; // a document stored by an older build that this one refuses: no header
    }
    if (parsed.size >= MAX_PARSED) parsed.clear();
    parsed.set(xml, rules);
  }
  return rules;
}

function expiryOf(rule: LifecycleRule, created: Date): Date {
  const { days, date } = rule.expiration!;
  if (days === undefined) return new Date(date!);
  const at = created.getTime() + days * DAY_MS;
  return new Date((Math.floor(at / DAY_MS) + 1) * DAY_MS);
}

/**
 * Sets x-amz-expiration on the response when an enabled Expiration rule of `bucket`
 * covers the object. `object` is asked for only when the bucket has such a rule.
 */
export function writeExpirationHeader(
  r: S3Request,
  bucket: string,
  object: () => FilteredObject & { created: Date },
): void {
  const xml = r.engine.findBucketConfig(bucket, 'lifecycle');
  const rules = xml === undefined ? [] : expiringRules(xml);
  if (rules.length === 0) return;
  const o = object();
  let first: { at: Date; id: string } | undefined;
  for (const rule of rules) {
    if (!filterCovers(rule.filter, o)) continue;
    const at = expiryOf(rule, o.created);
    // Days a date cannot hold (S3 takes up to 2^31 - 1): no expiry an HTTP date can name.
    if (Number.isNaN(at.getTime()) || at.getUTCFullYear() > 9999) continue;
    if (!first || at < first.at) first = { at, id: rule.id ?? '' };
  }
  if (first) {
    r.res.setHeader(
      'x-amz-expiration',
      `expiry-date="${httpDate(first.at)}", rule-id="${encodeURIComponent(first.id)}"`,
    );
  }
}

/** For a version just written: its size, and its tags read back. */
export function writtenObject(
  r: S3Request,
  bucket: string,
  key: string,
  written: { versionId: string; size: number },
): () => FilteredObject & { created: Date } {
  return () => ({ key, size: written.size, tags: tagsOf(), created: new Date(r.engine.now()) });
  function tagsOf(): Record<string, string> {
    try {
      return r.engine.getObjectTagging(bucket, key, written.versionId).tags;
    } catch {
      return {}; // replaced or deleted since (a null version): the write itself succeeded
    }
  }
}
