/**
 * S3 Object Ownership. A bucket whose OwnershipControls say `BucketOwnerEnforced` has ACLs
 * disabled, as in S3: they no longer give access (a public-read object or bucket is not
 * public), reads of an ACL show the owner's full control only, and a request that would
 * set any other ACL is refused with AccessControlListNotSupported. A bucket cannot be put
 * in that mode while its own ACL grants others anything (InvalidBucketAclWithObjectOwnership).
 */
import type { Engine } from '../../engine/engine.js';
import { StowageError } from '../../errors.js';
import { childText, children, parseXml } from '../xml/parse.js';
import { OWNER_ID, type Grant } from './grants.js';

/** S3's three ObjectOwnership settings. */
export const OBJECT_OWNERSHIP = ['BucketOwnerEnforced', 'BucketOwnerPreferred', 'ObjectWriter'];

/** The ObjectOwnership of an OwnershipControls document (MalformedXML if it has none valid). */
export function ownershipOfDocument(xml: string): string {
  const doc = parseXml(Buffer.from(xml), 'OwnershipControls');
  const rules = children(doc, 'Rule');
  const value = rules.length === 1 ? childText(rules[0]!, 'ObjectOwnership') : undefined;
  if (value === undefined || !OBJECT_OWNERSHIP.includes(value)) {
    throw new StowageError(
      'E_MALFORMED_XML',
      `OwnershipControls needs one <Rule> whose <ObjectOwnership> is ${OBJECT_OWNERSHIP.join(', ')}`,
    );
  }
  return value;
}

/** True when the bucket's ACLs are disabled (ObjectOwnership BucketOwnerEnforced). */
export function aclsDisabled(engine: Engine, bucket: string): boolean {
  const stored = engine.findBucketConfig(bucket, 'ownership-controls');
  if (stored === undefined) return false;
  try {
    return ownershipOfDocument(stored) === 'BucketOwnerEnforced';
  } catch {
    return false;
  }
}

/** True when the grants give the owner full control and nobody anything else. */
export function ownerOnly(grants: readonly Grant[]): boolean {
  return grants.every(
    (g) =>
      g.grantee.type === 'CanonicalUser' &&
      g.grantee.id === OWNER_ID &&
      g.permission === 'FULL_CONTROL',
  );
}

/** Refuses, on a bucket with ACLs disabled, an ACL that gives anyone but the owner anything. */
export function refuseDisabledAcl(engine: Engine, bucket: string, grants: readonly Grant[]): void {
  if (ownerOnly(grants) || !aclsDisabled(engine, bucket)) return;
  throw new StowageError(
    'E_ACL_NOT_SUPPORTED',
    `The bucket does not allow ACLs: bucket "${bucket}" has ObjectOwnership BucketOwnerEnforced`,
    { details: { bucket } },
  );
}

/**
 * Refuses PutBucketAcl and PutObjectAcl on a bucket with ACLs disabled, whatever the ACL:
 * S3 fails every request to set or update an ACL there, `private` included (only writes of
 * objects may name `bucket-owner-full-control` or `private`, see refuseDisabledAcl).
 */
export function refuseAclUpdate(engine: Engine, bucket: string): void {
  if (!aclsDisabled(engine, bucket)) return;
  throw new StowageError(
    'E_ACL_NOT_SUPPORTED',
    `The bucket does not allow ACLs: bucket "${bucket}" has ObjectOwnership BucketOwnerEnforced, and its ACLs cannot be set`,
    { details: { bucket } },
  );
}

/** Refuses BucketOwnerEnforced for a bucket whose own ACL grants others anything. */
export function refuseEnforcedOverAcl(bucket: string, bucketGrants: readonly Grant[]): void {
  if (ownerOnly(bucketGrants)) return;
  throw new StowageError(
    'E_INVALID_BUCKET_ACL_WITH_OBJECT_OWNERSHIP',
    `Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting: bucket "${bucket}" has an ACL granting others access; set it to private first`,
    { details: { bucket } },
  );
}
