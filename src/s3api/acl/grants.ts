/**
 * S3 access control lists: grants, the canned ACLs, and the stored form.
 *
 * This server has one account, so one owner: {@link OWNER}. ACLs are stored (bucket
 * `acl` document, object version `acl` column) as a canned ACL name when they are one,
 * else as a JSON grant list; private is stored as nothing at all.
 */
import { StowageError } from '../../errors.js';

/**
 * The canonical user id of this server's one account (64 hex digits, as S3's are: the
 * SHA-256 of "stowage"). Every bucket and object is owned by it.
 */
export const OWNER_ID = '0fca2861e8b04fea44c2a54966be37f0632f7beed03e38a3866ee0233ae7f6e0';

/** The owner as S3 reports it in `<Owner>` and owner grants. */
export const OWNER = Object.freeze({ id: OWNER_ID, displayName: 'stowage' });

/** The predefined S3 groups a grant may name. */
export const GROUPS = Object.freeze({
  AllUsers: 'http://acs.amazonaws.com/groups/global/AllUsers',
  AuthenticatedUsers: 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers',
  LogDelivery: 'http://acs.amazonaws.com/groups/s3/LogDelivery',
});

/** ACL permissions. */
export const PERMISSIONS = ['FULL_CONTROL', 'READ', 'WRITE', 'READ_ACP', 'WRITE_ACP'] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Who a grant is for: this server's owner (by canonical id) or a predefined group. */
export type Grantee = { type: 'CanonicalUser'; id: string } | { type: 'Group'; uri: string };

/** One grant. */
export interface Grant {
  grantee: Grantee;
  permission: Permission;
}

/** What an ACL applies to: canned ACLs and grants differ between buckets and objects. */
export type AclTarget = 'bucket' | 'object';

/** S3's canned ACLs. `aws-exec-read` (an EC2 grant) is not supported here. */
export const CANNED_ACLS = [
  'private',
  'public-read',
  'public-read-write',
  'authenticated-read',
  'bucket-owner-read',
  'bucket-owner-full-control',
  'log-delivery-write',
] as const;
export type CannedAcl = (typeof CANNED_ACLS)[number];

const owner = (): Grant => ({
  grantee: { type: 'CanonicalUser', id: OWNER_ID },
  permission: 'FULL_CONTROL',
});
const group = (uri: string, permission: Permission): Grant => ({
  grantee: { type: 'Group', uri },
  permission,
});

/**
 * The grants of a canned ACL, as S3 expands them. The bucket-owner-* ACLs give the bucket
 * owner access to an object written by another account; here the bucket owner is the
 * object owner, so S3 shows only the owner's FULL_CONTROL grant, as for private.
 */
export function cannedGrants(canned: CannedAcl): Grant[] {
  switch (canned) {
    case 'public-read':
      return [owner(), group(GROUPS.AllUsers, 'READ')];
    case 'public-read-write':
      return [owner(), group(GROUPS.AllUsers, 'READ'), group(GROUPS.AllUsers, 'WRITE')];
    case 'authenticated-read':
      return [owner(), group(GROUPS.AuthenticatedUsers, 'READ')];
    case 'log-delivery-write':
      return [owner(), group(GROUPS.LogDelivery, 'WRITE'), group(GROUPS.LogDelivery, 'READ_ACP')];
    default:
      return [owner()];
  }
}

/**
 * Checks an `x-amz-acl` value. Unknown names are InvalidArgument; `log-delivery-write`
 * applies to buckets only, as in S3's canned ACL table.
 */
export function parseCannedAcl(value: string, target: AclTarget): CannedAcl {
  if (!(CANNED_ACLS as readonly string[]).includes(value)) {
    throw new StowageError(
      value === 'aws-exec-read' ? 'E_NOT_IMPLEMENTED' : 'E_INVALID_ARGUMENT',
      value === 'aws-exec-read'
        ? 'the canned ACL aws-exec-read is not supported'
        : `unknown canned ACL "${value}" in x-amz-acl; expected one of ${CANNED_ACLS.join(', ')}`,
      { details: { argumentName: 'x-amz-acl' } },
    );
  }
  if (value === 'log-delivery-write' && target === 'object') {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      'the canned ACL log-delivery-write applies to buckets only, not objects',
      { details: { argumentName: 'x-amz-acl' } },
    );
  }
  return value as CannedAcl;
}

/** Whether an ACL grants anything to everyone or to every AWS account (S3's "public"). */
export function isPublicAcl(grants: readonly Grant[]): boolean {
  return grants.some(
    (g) =>
      g.grantee.type === 'Group' &&
      (g.grantee.uri === GROUPS.AllUsers || g.grantee.uri === GROUPS.AuthenticatedUsers),
  );
}

/** What the AllUsers group may do under these grants. */
export function allUsersAccess(grants: readonly Grant[]): { read: boolean; write: boolean } {
  return groupAccess(grants, [GROUPS.AllUsers]);
}

/** What the grants give members of any of `groups` (group URIs). */
export function groupAccess(
  grants: readonly Grant[],
  groups: readonly string[],
): { read: boolean; write: boolean } {
  const perms = new Set(
    grants
      .filter((g) => g.grantee.type === 'Group' && groups.includes(g.grantee.uri))
      .map((g) => g.permission),
  );
  const full = perms.has('FULL_CONTROL');
  return { read: full || perms.has('READ'), write: full || perms.has('WRITE') };
}

function sameGrants(a: readonly Grant[], b: readonly Grant[]): boolean {
  const key = (g: Grant): string =>
    `${g.permission} ${g.grantee.type === 'Group' ? g.grantee.uri : g.grantee.id}`;
  const as = a.map(key).sort();
  const bs = b.map(key).sort();
  return as.length === bs.length && as.every((k, i) => k === bs[i]);
}

const STORED_CANNED: readonly CannedAcl[] = [
  'public-read',
  'public-read-write',
  'authenticated-read',
  'log-delivery-write',
];

/**
 * The stored form of an ACL: undefined for private, the canned name when the grants are
 * exactly a canned ACL's, else a JSON grant list.
 */
export function storeAcl(acl: CannedAcl | readonly Grant[]): string | undefined {
  const grants = typeof acl === 'string' ? cannedGrants(acl) : acl;
  if (sameGrants(grants, cannedGrants('private'))) return undefined;
  for (const c of STORED_CANNED) if (sameGrants(grants, cannedGrants(c))) return c;
  return JSON.stringify(grants);
}

function isGrant(v: unknown): v is Grant {
  if (typeof v !== 'object' || v === null) return false;
  const g = v as {
    grantee?: { type?: unknown; id?: unknown; uri?: unknown };
    permission?: unknown;
  };
  if (!(PERMISSIONS as readonly unknown[]).includes(g.permission)) return false;
  return (
    (g.grantee?.type === 'CanonicalUser' && typeof g.grantee.id === 'string') ||
    (g.grantee?.type === 'Group' && typeof g.grantee.uri === 'string')
  );
}

/** The grants of a stored ACL (undefined = private). Unreadable values count as private. */
export function loadAcl(stored: string | undefined | null): Grant[] {
  if (stored === undefined || stored === null || stored === '') return cannedGrants('private');
  if ((CANNED_ACLS as readonly string[]).includes(stored)) return cannedGrants(stored as CannedAcl);
  try {
    const parsed: unknown = JSON.parse(stored);
    if (Array.isArray(parsed) && parsed.every(isGrant)) return parsed;
  } catch {
    // fall through: not one of our stored forms
  }
  return cannedGrants('private');
}
