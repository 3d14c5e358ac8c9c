/**
 * The mapping between the two sides of a plan: the declared {@link DesiredBucket} (in the
 * shapes of stowage's canonical state) and the live sub-resources read through the S3 API
 * (src/client/bucket-config/). Most fields are the same document on both sides; this file
 * says which are, which are not managed by plan/apply, and which declared values read back
 * as "not set" (the store's own default), so that a plan after an apply shows no drift.
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

/** Declared fields plan/apply does not manage, with the reason shown to the user. */
export const UNMANAGED_FIELDS = {
  objectLock:
    'object lock is set when a bucket is created with it and is not read back by plan/apply yet',
  ownershipControls: 'object ownership is not read or written by plan/apply yet',
  acl: 'the canned ACL is not read or written by plan/apply yet',
  notifications:
    "webhook targets are delivered by stowage itself and are not S3's NotificationConfiguration, so plan/apply does not manage them yet",
} as const;

/** A declared field plan/apply does not manage. */
export type UnmanagedField = keyof typeof UNMANAGED_FIELDS;

/** What the declaration says for each sub-resource plan/apply manages, and what it cannot map. */
export interface DesiredDocuments {
  /** Sub-resource -> desired document; a missing entry is not declared. */
  documents: Partial<Record<SubResourceName, unknown>>;
  /** Declared fields with no live counterpart. */
  unmanaged: UnmanagedField[];
}

/**
 * The documents of `bucket` keyed by live sub-resource name. Every managed field has the
 * same shape on both sides (the put-call input); `notifications` (webhook targets vs S3's
 * NotificationConfiguration) does not map and is listed as unmanaged.
 */
export function desiredDocuments(bucket: DesiredBucket): DesiredDocuments {
  const documents: Partial<Record<SubResourceName, unknown>> = {};
  const same: SubResourceName[] = SUB_RESOURCE_NAMES.filter((n) => n !== 'notifications');
  for (const name of same) {
    const value = (bucket as unknown as Record<string, unknown>)[name];
    if (value !== undefined) documents[name] = value;
  }
  const unmanaged = (Object.keys(UNMANAGED_FIELDS) as UnmanagedField[]).filter(
    (field) => bucket[field] !== undefined,
  );
  return { documents, unmanaged };
}

/**
 * True when `value` is what the store reports as "not set" (its `read` answers undefined):
 * SSE-S3 without bucket key (every bucket's default), four false public-access-block flags,
 * an empty tag set, rule list or prefix list, logging without a target.
 */
export function readsAsUnset(name: SubResourceName, value: unknown): boolean {
  if (Array.isArray(value)) return value.length === 0;
  const doc = value as Record<string, unknown>;
  switch (name) {
    case 'encryption':
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
