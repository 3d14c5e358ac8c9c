import { describe, expect, it } from 'vitest';
import { expectError } from '../../../test/helpers/expect-error.js';
import { cannedGrants, GROUPS, OWNER_ID } from './grants.js';
import { buildAccessControlPolicy, parseAccessControlPolicy } from './xml.js';

const XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';

function policy(grants: string, owner = `<Owner><ID>${OWNER_ID}</ID></Owner>`): string {
  return `<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${owner}<AccessControlList>${grants}</AccessControlList></AccessControlPolicy>`;
}

const allUsersRead = `<Grant><Grantee ${XSI} xsi:type="Group"><URI>${GROUPS.AllUsers}</URI></Grantee><Permission>READ</Permission></Grant>`;
const ownerFull = `<Grant><Grantee ${XSI} xsi:type="CanonicalUser"><ID>${OWNER_ID}</ID><DisplayName>x</DisplayName></Grantee><Permission>FULL_CONTROL</Permission></Grant>`;

describe('AccessControlPolicy XML', () => {
  it('is written as S3 writes it, with xsi:type on every grantee', () => {
    const xml = buildAccessControlPolicy(cannedGrants('public-read'));
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
        '<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
        `<Owner><ID>${OWNER_ID}</ID><DisplayName>stowage</DisplayName></Owner>` +
        '<AccessControlList>' +
        `<Grant><Grantee ${XSI} xsi:type="CanonicalUser"><ID>${OWNER_ID}</ID><DisplayName>stowage</DisplayName></Grantee><Permission>FULL_CONTROL</Permission></Grant>` +
        `<Grant><Grantee ${XSI} xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant>` +
        '</AccessControlList></AccessControlPolicy>',
    );
  });

  it('parses back to the grants it was written from', () => {
    for (const c of ['private', 'public-read-write', 'log-delivery-write'] as const)
      expect(parseAccessControlPolicy(buildAccessControlPolicy(cannedGrants(c)))).toEqual(
        cannedGrants(c),
      );
  });

  it('accepts grantees without xsi:type (inferred from ID / URI), no Owner, no grants', () => {
    const doc = policy(
      `<Grant><Grantee><URI>${GROUPS.AllUsers}</URI></Grantee><Permission>READ</Permission></Grant>` +
        `<Grant><Grantee><ID>${OWNER_ID}</ID></Grantee><Permission>WRITE_ACP</Permission></Grant>`,
      '',
    );
    expect(parseAccessControlPolicy(doc)).toEqual([
      { grantee: { type: 'Group', uri: GROUPS.AllUsers }, permission: 'READ' },
      { grantee: { type: 'CanonicalUser', id: OWNER_ID }, permission: 'WRITE_ACP' },
    ]);
    expect(parseAccessControlPolicy(policy(''))).toEqual([]);
    expect(parseAccessControlPolicy(policy(ownerFull + allUsersRead))).toEqual(
      cannedGrants('public-read'),
    );
  });

  it('refuses XML that is not well-formed as MalformedXML', async () => {
    await expectError(
      () => parseAccessControlPolicy('<AccessControlPolicy><Owner>'),
      'E_MALFORMED_XML',
      /not well-formed/,
    );
    await expectError(
      () => parseAccessControlPolicy('<Tagging/>'),
      'E_MALFORMED_XML',
      /expected a <AccessControlPolicy>/,
    );
  });

  it('refuses documents that are not ACLs as MalformedACLError', async () => {
    await expectError(
      () => parseAccessControlPolicy('<AccessControlPolicy><Owner/></AccessControlPolicy>'),
      'E_MALFORMED_ACL',
      /no <AccessControlList>/,
    );
    await expectError(
      () =>
        parseAccessControlPolicy(
          policy(
            `<Grant><Grantee><URI>${GROUPS.AllUsers}</URI></Grantee><Permission>LIST</Permission></Grant>`,
          ),
        ),
      'E_MALFORMED_ACL',
      /<Permission> "LIST" of grant 1/,
    );
    await expectError(
      () => parseAccessControlPolicy(policy('<Grant><Permission>READ</Permission></Grant>')),
      'E_MALFORMED_ACL',
      /has no <Grantee>/,
    );
    await expectError(
      () =>
        parseAccessControlPolicy(
          policy(
            `<Grant><Grantee ${XSI} xsi:type="Robot"><ID>x</ID></Grantee><Permission>READ</Permission></Grant>`,
          ),
        ),
      'E_MALFORMED_ACL',
      /unknown xsi:type "Robot"/,
    );
    await expectError(
      () => parseAccessControlPolicy(policy(allUsersRead.repeat(101))),
      'E_MALFORMED_ACL',
      /at most 100 grants, got 101/,
    );
  });

  it('refuses grantees this server cannot represent', async () => {
    await expectError(
      () =>
        parseAccessControlPolicy(
          policy(
            `<Grant><Grantee><ID>${'a'.repeat(64)}</ID></Grantee><Permission>READ</Permission></Grant>`,
          ),
        ),
      'E_INVALID_ARGUMENT',
      /grantee ID "a{64}" is not a canonical user of this server/,
    );
    await expectError(
      () =>
        parseAccessControlPolicy(
          policy(
            `<Grant><Grantee><URI>http://example.com/g</URI></Grantee><Permission>READ</Permission></Grant>`,
          ),
        ),
      'E_INVALID_ARGUMENT',
      /grantee URI "http:\/\/example.com\/g" is not a predefined group/,
    );
    await expectError(
      () =>
        parseAccessControlPolicy(
          policy(
            `<Grant><Grantee ${XSI} xsi:type="AmazonCustomerByEmail"><EmailAddress>a@b.c</EmailAddress></Grantee><Permission>READ</Permission></Grant>`,
          ),
        ),
      'E_NOT_IMPLEMENTED',
      /e-mail/,
    );
    // Another owner is a giveaway: AccessDenied, as S3 answers (s3-tests test_object_giveaway).
    await expectError(
      () => parseAccessControlPolicy(policy('', '<Owner><ID>someone-else</ID></Owner>')),
      'E_ACCESS_DENIED',
      /Owner ID "someone-else" is not the owner's/,
    );
  });

  it('refuses a second AccessControlList, or text where the grants belong, as malformed', async () => {
    const owner = `<Owner><ID>${OWNER_ID}</ID></Owner>`;
    const doc = (inner: string): string =>
      `<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${owner}${inner}</AccessControlPolicy>`;
    await expectError(
      () =>
        parseAccessControlPolicy(
          doc(
            `<AccessControlList>${ownerFull}</AccessControlList><AccessControlList>${allUsersRead}</AccessControlList>`,
          ),
        ),
      'E_MALFORMED_ACL',
      /more than one <AccessControlList>/,
    );
    await expectError(
      () => parseAccessControlPolicy(doc('<AccessControlList>junk</AccessControlList>')),
      'E_MALFORMED_ACL',
      /holds text/,
    );
    // An empty list is an ACL with no grants.
    expect(parseAccessControlPolicy(doc('<AccessControlList/>'))).toEqual([]);
    expect(parseAccessControlPolicy(doc('<AccessControlList> </AccessControlList>'))).toEqual([]);
  });
});
