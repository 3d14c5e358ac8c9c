/**
 * The mapping between the two sides of a plan: the declared {@link DesiredBucket} (in the
 * shapes of stowage's canonical state) and the live sub-resources read through the S3 API
 * (src/client/bucket-config/). Every field is the same document on both sides (the put-call
 * input); this file says which live values are never pruned, and which declared values read
 * back as "not set" (the store's own default), so that a plan after an apply shows no drift.
 */
import {
  SUB_RESOURCES,
  SUB_RESOURCE_NAMES,
  canonicalJson,
  equal,
  type SubResource,
  type SubResourceName,
} from '../client/bucket-config/index.js';
import type { DesiredBucket } from './canonical.js';

/**
 * Sub-resources a bucket always has on some stores or cannot lose: when the file does not
 * declare them, plan leaves the live value alone instead of showing a remove (AWS gives
 * every new bucket ownership controls; object lock cannot be turned off; folder
 * placeholders are the bucket's objects).
 */
export const NEVER_PRUNED: ReadonlySet<SubResourceName> = new Set([
  'objectLock',
  'ownershipControls',
  // Objects of the bucket, not configuration (src/client/bucket-config/prefixes.ts).
  'prefixes',
]);

/**
 * The declared documents of `bucket` keyed by live sub-resource name (sub-resource -> desired
 * document; a missing entry is not declared). Every field has the same shape on both sides:
 * the put-call input.
 */
export function desiredDocuments(bucket: DesiredBucket): Partial<Record<SubResourceName, unknown>> {
  const documents: Partial<Record<SubResourceName, unknown>> = {};
  for (const name of SUB_RESOURCE_NAMES) {
    const value = (bucket as unknown as Record<string, unknown>)[name];
    if (value !== undefined) documents[name] = value;
  }
  return documents;
}

/**
 * True when `value` is what the store reports as "not set" (its `read` answers undefined):
 * SSE-S3 without bucket key (every bucket's default), four false public-access-block flags,
 * an empty tag set, rule list, prefix list or notification document, logging without a
 * target, the private ACL, suspended versioning (what a remove leaves).
 */
export function readsAsUnset(name: SubResourceName, value: unknown): boolean {
  if (Array.isArray(value)) return value.length === 0;
  const doc = value as Record<string, unknown>;
  switch (name) {
    case 'acl':
      return value === 'private';
    case 'versioning':
      // What removing versioning leaves: S3 can only suspend it. Suspended (without MFA
      // delete) and never enabled both keep no versions of new objects.
      return doc.Status === 'Suspended' && doc.MFADelete !== 'Enabled';
    case 'encryption':
      // No default encryption at all (Ceph RGW) is unset too: nothing to remove.
      if (((doc.Rules as unknown[] | undefined) ?? []).length === 0) return true;
      return (
        canonicalJson((SUB_RESOURCES.encryption as SubResource<unknown>).normalize(doc)) ===
        canonicalJson({
          Rules: [
            {
              ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' },
              BucketKeyEnabled: false,
            },
          ],
        })
      );
    case 'publicAccessBlock':
      return !Object.values(doc).some(Boolean);
    case 'cors':
      return !(doc.CORSRules as unknown[] | undefined)?.length;
    case 'lifecycle':
      return !(doc.Rules as unknown[] | undefined)?.length;
    case 'logging':
      return doc.LoggingEnabled === undefined;
    case 'notifications':
      return !Object.values(doc).some((list) => (list as unknown[] | undefined)?.length);
    default:
      return false;
  }
}

/** True when the desired document and the live one (undefined: not set) mean the same. */
export function sameDocument(name: SubResourceName, desired: unknown, live: unknown): boolean {
  if (live === undefined) return readsAsUnset(name, desired);
  return equal(SUB_RESOURCES[name] as SubResource<unknown>, desired, live);
}

/** The comparable (normalized, key-sorted) form of a document, for diffs and --json. */
export function comparable(name: SubResourceName, value: unknown): unknown {
  if (value === undefined) return undefined;
  const sub = SUB_RESOURCES[name] as SubResource<unknown>;
  return JSON.parse(canonicalJson(sub.normalize(value))) as unknown;
}
