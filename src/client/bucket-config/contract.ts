/**
 * The contract every bucket sub-resource (versioning, policy, CORS, lifecycle …) implements,
 * so that plan/apply (issue 5) can read, write, remove and compare them the same way on any
 * S3 store. The canonical value `T` is exactly the @aws-sdk/client-s3 input shape of the
 * put-call (docs/bucketconfig-live.md lists them).
 *
 * Every implementation MUST:
 * - `read`: return `undefined` when the sub-resource is not set (S3's "NoSuch…" / "…NotFound"
 *   answers, an empty list, an empty tag set); otherwise the live document, already passed
 *   through `normalize`. A missing bucket MUST throw E_NO_SUCH_BUCKET, never read as unset.
 *   One exception: encryption reads `undefined` for the store's SSE-S3 default (AWS since
 *   2023, the embedded store) and `{ Rules: [] }` for a store with no default encryption
 *   (Ceph RGW), since only the first gives what a declared SSE-S3 asks for.
 * - `write`: make the live document equal (by `normalize`) to `desired`, replacing what was
 *   there; for by-id collections (Intelligent-Tiering, inventory) and prefixes, entries not in
 *   `desired` are deleted. After a successful write, `read` returns a value `equal` to it.
 * - `remove`: make `read` return `undefined` (for --prune). Versioning cannot be removed from a
 *   bucket: its `remove` suspends it, and `read` then returns `{ Status: 'Suspended' }`;
 *   encryption on a store without default encryption reads `{ Rules: [] }` again.
 * - `normalize`: be pure and idempotent, return a new value, and map every spelling S3
 *   treats as the same (defaults filled in, order that does not matter sorted) to one form.
 * - throw only StowageError: SDK errors go through translateS3Error; an operation the store
 *   does not implement (NotImplemented, MethodNotAllowed, a 501/405, an answer the SDK cannot
 *   parse) becomes E_NOT_IMPLEMENTED naming the sub-resource and the store.
 * - never retry or cache: the S3Client's retry policy applies, each call talks to the store.
 */
import type { StoreSession } from '../ops/session.js';

/** The sub-resources, in a safe apply order (versioning before replication, …). */
export const SUB_RESOURCE_NAMES = [
  'versioning',
  'objectLock',
  'ownershipControls',
  'publicAccessBlock',
  // After the public-access-block, which may have to let a public ACL through first.
  'acl',
  'cors',
  'encryption',
  'lifecycle',
  'intelligentTiering',
  'logging',
  'inventory',
  'replication',
  'tags',
  'notifications',
  'prefixes',
  // Last: a policy can deny the caller itself (a Deny on its key, or on plain HTTP), and
  // must not stop the rest of an apply.
  'policy',
] as const;

/** One sub-resource's name. */
export type SubResourceName = (typeof SUB_RESOURCE_NAMES)[number];

/** Reads, writes, removes and compares one bucket sub-resource (see the file comment). */
export interface SubResource<T> {
  readonly name: SubResourceName;
  /** The live document, normalized, or `undefined` when not set. */
  read(session: StoreSession, bucket: string): Promise<T | undefined>;
  /** Replaces the live document with `desired`. */
  write(session: StoreSession, bucket: string, desired: T): Promise<void>;
  /** Removes the document (versioning: suspends). */
  remove(session: StoreSession, bucket: string): Promise<void>;
  /** The canonical comparable form of a document. */
  normalize(value: T): T;
  /**
   * True when the live document already gives what `desired` asks for. Without it, the two
   * must be the same document. (Folder placeholders: every declared one exists; others may
   * too, since they are the bucket's objects, not its configuration.)
   */
  satisfies?(desired: T, live: T): boolean;
}

/**
 * True when live document `b` gives what `a` asks for for `sub` (both undefined: equal):
 * the same document, or what the sub-resource's `satisfies` accepts.
 */
export function equal<T>(sub: SubResource<T>, a: T | undefined, b: T | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (sub.satisfies) return sub.satisfies(sub.normalize(a), sub.normalize(b));
  return canonicalJson(sub.normalize(a)) === canonicalJson(sub.normalize(b));
}

/** JSON with object keys sorted and `undefined` members dropped: a stable comparison key. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

/** A deep copy with object keys sorted and `undefined` members dropped. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value instanceof Date) return value.toISOString();
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** `items` sorted by a string key (stable, locale-independent). */
export function sortBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  return [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** A sorted copy of a string list, or undefined when absent/empty. */
export function sortedList(list: readonly string[] | undefined): string[] | undefined {
  return list && list.length > 0 ? [...list].sort() : undefined;
}
