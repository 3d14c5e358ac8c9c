/**
 * Who owns and may reach a bucket's objects: object lock (with its default retention),
 * object ownership and the bucket's canned ACL.
 */
import {
  DeleteBucketOwnershipControlsCommand,
  GetBucketAclCommand,
  GetBucketOwnershipControlsCommand,
  GetObjectLockConfigurationCommand,
  PutBucketAclCommand,
  PutBucketOwnershipControlsCommand,
  PutObjectLockConfigurationCommand,
  type Grant,
  type ObjectLockConfiguration,
  type OwnershipControls,
} from '@aws-sdk/client-s3';
import { StowageError } from '../../errors.js';
import { liveCall, mustCall } from './calls.js';
import type { SubResource } from './contract.js';

/**
 * `{ ObjectLockEnabled: 'Enabled', Rule? }`. A bucket without object lock reads as
 * undefined; object lock cannot be turned off again, so `remove` is refused.
 */
export const objectLock: SubResource<ObjectLockConfiguration> = {
  name: 'objectLock',
  async read(session, bucket) {
    const out = await liveCall(
      session,
      'objectLock',
      bucket,
      () => session.s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket })),
      { read: true },
    );
    const doc = out?.ObjectLockConfiguration;
    return doc?.ObjectLockEnabled === 'Enabled' ? objectLock.normalize(doc) : undefined;
  },
  async write(session, bucket, desired) {
    await mustCall(session, 'objectLock', bucket, () =>
      session.s3.send(
        new PutObjectLockConfigurationCommand({ Bucket: bucket, ObjectLockConfiguration: desired }),
      ),
    );
  },
  remove(_session, bucket) {
    return Promise.reject(
      new StowageError(
        'E_INVALID_REQUEST',
        `s3://${bucket}: object lock cannot be turned off on a bucket once it is enabled`,
        { details: { bucket, subResource: 'objectLock' } },
      ),
    );
  },
  normalize(v) {
    const r = v.Rule?.DefaultRetention;
    const days = r?.Days ?? (r?.Years === undefined ? undefined : r.Years * 365);
    return r?.Mode && days !== undefined
      ? { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: r.Mode, Days: days } } }
      : { ObjectLockEnabled: 'Enabled' };
  },
};

/** `{ Rules: [{ ObjectOwnership }] }`; a bucket without the document reads as undefined. */
export const ownershipControls: SubResource<OwnershipControls> = {
  name: 'ownershipControls',
  async read(session, bucket) {
    const out = await liveCall(
      session,
      'ownershipControls',
      bucket,
      () => session.s3.send(new GetBucketOwnershipControlsCommand({ Bucket: bucket })),
      { read: true },
    );
    const rules = out?.OwnershipControls?.Rules;
    return rules?.length ? ownershipControls.normalize({ Rules: rules }) : undefined;
  },
  async write(session, bucket, desired) {
    await mustCall(session, 'ownershipControls', bucket, () =>
      session.s3.send(
        new PutBucketOwnershipControlsCommand({ Bucket: bucket, OwnershipControls: desired }),
      ),
    );
  },
  async remove(session, bucket) {
    await mustCall(session, 'ownershipControls', bucket, () =>
      session.s3.send(new DeleteBucketOwnershipControlsCommand({ Bucket: bucket })),
    );
  },
  normalize(v) {
    return { Rules: (v.Rules ?? []).map((r) => ({ ObjectOwnership: r.ObjectOwnership })) };
  },
};

const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
const AUTHENTICATED_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';
const LOG_DELIVERY = 'http://acs.amazonaws.com/groups/s3/LogDelivery';

/** The grants each canned ACL adds to the owner's FULL_CONTROL, as `group permission`. */
const CANNED_EXTRA: Record<string, string[]> = {
  private: [],
  'public-read': [`${ALL_USERS} READ`],
  'public-read-write': [`${ALL_USERS} READ`, `${ALL_USERS} WRITE`],
  'authenticated-read': [`${AUTHENTICATED_USERS} READ`],
  'log-delivery-write': [`${LOG_DELIVERY} READ_ACP`, `${LOG_DELIVERY} WRITE`],
};

/**
 * The canned ACL a bucket's grants amount to, or a `custom: …` description of grants no
 * canned ACL gives (so that plan shows them as a change).
 */
export function cannedAclOf(grants: readonly Grant[], ownerId: string | undefined): string {
  const extra: string[] = [];
  for (const g of grants) {
    const who = g.Grantee?.URI ?? g.Grantee?.ID ?? g.Grantee?.EmailAddress ?? '?';
    const isOwner = g.Grantee?.ID !== undefined && g.Grantee.ID === ownerId;
    if (isOwner && g.Permission === 'FULL_CONTROL') continue;
    extra.push(`${who} ${g.Permission ?? '?'}`);
  }
  extra.sort();
  const key = extra.join(',');
  for (const [canned, grantsOf] of Object.entries(CANNED_EXTRA)) {
    if ([...grantsOf].sort().join(',') === key) return canned;
  }
  return `custom: ${extra.join(', ')}`;
}

/** The canned ACL as a string; `private` (every bucket's default) reads as undefined. */
export const acl: SubResource<string> = {
  name: 'acl',
  async read(session, bucket) {
    const out = await liveCall(session, 'acl', bucket, () =>
      session.s3.send(new GetBucketAclCommand({ Bucket: bucket })),
    );
    const canned = cannedAclOf(out?.Grants ?? [], out?.Owner?.ID);
    return canned === 'private' ? undefined : canned;
  },
  async write(session, bucket, desired) {
    await mustCall(session, 'acl', bucket, () =>
      session.s3.send(
        new PutBucketAclCommand({
          Bucket: bucket,
          ACL: desired as NonNullable<ConstructorParameters<typeof PutBucketAclCommand>[0]['ACL']>,
        }),
      ),
    );
  },
  async remove(session, bucket) {
    await acl.write(session, bucket, 'private');
  },
  normalize(v) {
    return v;
  },
};
