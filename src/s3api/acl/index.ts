/**
 * Reading the ACLs in force: a bucket's (its `acl` document) and an object version's
 * (the engine's per-version column), and what they give everyone, for authorisation.
 */
import type { Engine } from '../../engine/engine.js';
import { isStowageError } from '../../errors.js';
import { groupAccess, GROUPS, loadAcl, type Grant } from './grants.js';
import { aclsDisabled } from './ownership.js';
import { parseAccessControlPolicy } from './xml.js';

const NOT_FOUND = new Set([
  'E_NO_SUCH_BUCKET_CONFIG',
  'E_NO_SUCH_KEY',
  'E_NO_SUCH_VERSION',
  'E_METHOD_NOT_ALLOWED',
  'E_NO_SUCH_BUCKET',
  // An invalid version id or key cannot name a public object.
  'E_INVALID_ARGUMENT',
]);

/** A bucket's stored ACL document, or undefined (private). NoSuchBucket propagates. */
function storedBucketAcl(engine: Engine, bucket: string): string | undefined {
  return engine.findBucketConfig(bucket, 'acl');
}

/**
 * The grants of a bucket's ACL. Buckets written before ACLs were interpreted may hold the
 * raw AccessControlPolicy XML a client sent; it is read as such (private if invalid).
 */
export function bucketAclOf(engine: Engine, bucket: string): Grant[] {
  const stored = storedBucketAcl(engine, bucket);
  if (stored !== undefined && stored.trimStart().startsWith('<')) {
    try {
      return parseAccessControlPolicy(stored);
    } catch {
      return loadAcl(undefined);
    }
  }
  return loadAcl(stored);
}

/** The grants of an object version's ACL (the latest version without `versionId`). */
export function objectAclOf(
  engine: Engine,
  bucket: string,
  key: string,
  versionId?: string,
): Grant[] {
  return loadAcl(engine.getObjectAcl(bucket, key, versionId).acl);
}

/**
 * What ACLs give everyone (the AllUsers group, i.e. anonymous requests), and with
 * `authenticated` what they give any signed caller (AuthenticatedUsers too): with a key, the
 * object version's ACL (`read`: GetObject/HeadObject; `write` is always false for
 * objects); without, the bucket's (`read`: list the bucket, `write`: write objects into
 * it). FULL_CONTROL counts as both. A missing bucket, object or version is not public.
 * One indexed SQLite read. Callers apply the bucket's IgnorePublicAcls themselves.
 *
 * @example
 * if (principal.kind === 'anonymous' && publicAccessOf(engine, bucket, key).read) allow();
 */
export function publicAccessOf(
  engine: Engine,
  bucket: string,
  key?: string,
  versionId?: string,
  authenticated = false,
): { read: boolean; write: boolean } {
  try {
    // ACLs disabled (ObjectOwnership BucketOwnerEnforced): they give nobody anything.
    if (aclsDisabled(engine, bucket)) return { read: false, write: false };
    const groups = authenticated ? [GROUPS.AllUsers, GROUPS.AuthenticatedUsers] : [GROUPS.AllUsers];
    if (key === undefined) return groupAccess(bucketAclOf(engine, bucket), groups);
    const object = groupAccess(objectAclOf(engine, bucket, key, versionId), groups);
    return { read: object.read, write: false };
  } catch (err) {
    if (isStowageError(err) && NOT_FOUND.has(err.code)) return { read: false, write: false };
    throw err;
  }
}
