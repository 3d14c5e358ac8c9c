import { describe, expect, it } from 'vitest';
import { expectError } from '../../../test/helpers/expect-error.js';
import {
  allUsersAccess,
  cannedGrants,
  GROUPS,
  isPublicAcl,
  loadAcl,
  OWNER_ID,
  parseCannedAcl,
  storeAcl,
  type Grant,
} from './grants.js';

const ownerFull: Grant = {
  grantee: { type: 'CanonicalUser', id: OWNER_ID },
  permission: 'FULL_CONTROL',
};

describe('canned ACLs', () => {
  it('expand to the grants S3 shows', () => {
    expect(OWNER_ID).toMatch(/^[0-9a-f]{64}$/);
    expect(cannedGrants('private')).toEqual([ownerFull]);
    expect(cannedGrants('bucket-owner-full-control')).toEqual([ownerFull]);
    expect(cannedGrants('public-read')).toEqual([
      ownerFull,
      { grantee: { type: 'Group', uri: GROUPS.AllUsers }, permission: 'READ' },
    ]);
    expect(cannedGrants('public-read-write').map((g) => g.permission)).toEqual([
      'FULL_CONTROL',
      'READ',
      'WRITE',
    ]);
    expect(cannedGrants('authenticated-read')[1]).toEqual({
      grantee: { type: 'Group', uri: GROUPS.AuthenticatedUsers },
      permission: 'READ',
    });
    expect(cannedGrants('log-delivery-write').slice(1)).toEqual([
      { grantee: { type: 'Group', uri: GROUPS.LogDelivery }, permission: 'WRITE' },
      { grantee: { type: 'Group', uri: GROUPS.LogDelivery }, permission: 'READ_ACP' },
    ]);
  });

  it('refuse unknown names, naming them, and log-delivery-write on objects', async () => {
    expect(parseCannedAcl('public-read', 'object')).toBe('public-read');
    expect(parseCannedAcl('log-delivery-write', 'bucket')).toBe('log-delivery-write');
    await expectError(
      () => parseCannedAcl('public', 'object'),
      'E_INVALID_ARGUMENT',
      /unknown canned ACL "public" in x-amz-acl/,
    );
    await expectError(
      () => parseCannedAcl('log-delivery-write', 'object'),
      'E_INVALID_ARGUMENT',
      /buckets only/,
    );
    await expectError(() => parseCannedAcl('aws-exec-read', 'object'), 'E_NOT_IMPLEMENTED');
  });
});

describe('public ACLs', () => {
  it('are those granting AllUsers or AuthenticatedUsers anything', () => {
    expect(isPublicAcl(cannedGrants('private'))).toBe(false);
    expect(isPublicAcl(cannedGrants('log-delivery-write'))).toBe(false);
    expect(isPublicAcl(cannedGrants('public-read'))).toBe(true);
    expect(isPublicAcl(cannedGrants('authenticated-read'))).toBe(true);
    expect(
      isPublicAcl([{ grantee: { type: 'Group', uri: GROUPS.AllUsers }, permission: 'READ_ACP' }]),
    ).toBe(true);
  });

  it('give AllUsers read and write as granted; FULL_CONTROL is both', () => {
    expect(allUsersAccess(cannedGrants('private'))).toEqual({ read: false, write: false });
    expect(allUsersAccess(cannedGrants('public-read'))).toEqual({ read: true, write: false });
    expect(allUsersAccess(cannedGrants('public-read-write'))).toEqual({ read: true, write: true });
    expect(allUsersAccess(cannedGrants('authenticated-read'))).toEqual({
      read: false,
      write: false,
    });
    expect(
      allUsersAccess([
        { grantee: { type: 'Group', uri: GROUPS.AllUsers }, permission: 'FULL_CONTROL' },
      ]),
    ).toEqual({ read: true, write: true });
  });
});

describe('stored form', () => {
  it('is nothing for private, the canned name when it is one, else JSON', () => {
    expect(storeAcl('private')).toBeUndefined();
    expect(storeAcl('bucket-owner-read')).toBeUndefined();
    expect(storeAcl([ownerFull])).toBeUndefined();
    expect(storeAcl('public-read')).toBe('public-read');
    // The same grants in another order are still public-read.
    expect(storeAcl([...cannedGrants('public-read')].reverse())).toBe('public-read');
    const custom: Grant[] = [
      { grantee: { type: 'Group', uri: GROUPS.AllUsers }, permission: 'READ' },
    ];
    expect(storeAcl(custom)).toBe(JSON.stringify(custom));
    expect(storeAcl([])).toBe('[]');
  });

  it('round-trips through loadAcl; unreadable values are private', () => {
    for (const c of ['public-read', 'public-read-write', 'authenticated-read'] as const)
      expect(loadAcl(storeAcl(c))).toEqual(cannedGrants(c));
    const custom: Grant[] = [
      { grantee: { type: 'Group', uri: GROUPS.AllUsers }, permission: 'WRITE_ACP' },
    ];
    expect(loadAcl(storeAcl(custom))).toEqual(custom);
    expect(loadAcl(undefined)).toEqual([ownerFull]);
    expect(loadAcl('not json')).toEqual([ownerFull]);
    expect(loadAcl('[{"grantee":{"type":"Email"},"permission":"READ"}]')).toEqual([ownerFull]);
    expect(loadAcl('[]')).toEqual([]);
  });
});
