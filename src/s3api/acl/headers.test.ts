import { describe, expect, it } from 'vitest';
import { expectError } from '../../../test/helpers/expect-error.js';
import { GROUPS, OWNER_ID } from './grants.js';
import { aclFromHeaders, parseGrantHeader } from './headers.js';

const from =
  (h: Record<string, string>) =>
  (name: string): string | undefined =>
    h[name];

describe('ACL request headers', () => {
  it('are absent when no ACL header is sent', () => {
    expect(aclFromHeaders(from({}), 'object')).toBeUndefined();
  });

  it('read x-amz-acl as a canned ACL', () => {
    expect(aclFromHeaders(from({ 'x-amz-acl': 'public-read' }), 'object')).toEqual({
      canned: 'public-read',
    });
  });

  it('read x-amz-grant-* with uri and id grantees, quoted or not, comma-separated', () => {
    const acl = aclFromHeaders(
      from({
        'x-amz-grant-read': `uri="${GROUPS.AllUsers}", id=${OWNER_ID}`,
        'x-amz-grant-full-control': `id="${OWNER_ID}"`,
      }),
      'bucket',
    );
    expect(acl).toEqual({
      grants: [
        { grantee: { type: 'CanonicalUser', id: OWNER_ID }, permission: 'FULL_CONTROL' },
        { grantee: { type: 'Group', uri: GROUPS.AllUsers }, permission: 'READ' },
        { grantee: { type: 'CanonicalUser', id: OWNER_ID }, permission: 'READ' },
      ],
    });
  });

  it('refuse a canned ACL together with grant headers (InvalidRequest)', async () => {
    await expectError(
      () =>
        aclFromHeaders(
          from({ 'x-amz-acl': 'private', 'x-amz-grant-read': `uri="${GROUPS.AllUsers}"` }),
          'object',
        ),
      'E_INVALID_REQUEST',
      /both a canned ACL/,
    );
  });

  it('refuse unknown canned ACLs and bad grantees, naming them', async () => {
    await expectError(
      () => aclFromHeaders(from({ 'x-amz-acl': 'world-readable' }), 'object'),
      'E_INVALID_ARGUMENT',
      /"world-readable"/,
    );
    await expectError(
      () => parseGrantHeader('x-amz-grant-read', 'uri=', 'READ'),
      'E_INVALID_ARGUMENT',
      /"uri=" is not of the form/,
    );
    await expectError(
      () => parseGrantHeader('x-amz-grant-read', 'id="123"', 'READ'),
      'E_INVALID_ARGUMENT',
      /x-amz-grant-read id "123" is not a canonical user/,
    );
    await expectError(
      () => parseGrantHeader('x-amz-grant-read', 'uri="http://acs.amazonaws.com/groups/x"', 'READ'),
      'E_INVALID_ARGUMENT',
      /not a predefined group/,
    );
    await expectError(
      () => parseGrantHeader('x-amz-grant-read', 'emailAddress="a@b.c"', 'READ'),
      'E_NOT_IMPLEMENTED',
    );
    await expectError(
      () => parseGrantHeader('x-amz-grant-read', 'arn="x"', 'READ'),
      'E_INVALID_ARGUMENT',
      /unknown grantee type "arn"/,
    );
    await expectError(
      () => parseGrantHeader('x-amz-grant-read', ' ', 'READ'),
      'E_INVALID_ARGUMENT',
      /empty/,
    );
  });
});
