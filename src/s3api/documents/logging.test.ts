import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../engine/engine.js';
import { openTestEngine } from '../../../test/helpers/engine.js';
import { expectError } from '../../../test/helpers/expect-error.js';
import { validateLogging } from './logging.js';
import { OWNER_ID } from '../acl/grants.js';

let engine: Engine;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ engine, close } = await openTestEngine());
  await engine.createBucket('ziggie-cloud-assets');
  await engine.createBucket('ziggie-cloud-logs');
});
afterAll(async () => close());

const status = (inner: string): string =>
  `<BucketLoggingStatus xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${inner}</BucketLoggingStatus>`;
const check = (xml: string): void =>
  validateLogging(xml, { bucket: 'ziggie-cloud-assets', id: '', engine });

describe('validateLogging', () => {
  it('accepts the seed document, an empty status (logging off) and a partitioned key format', () => {
    check(
      status(
        '<LoggingEnabled><TargetBucket>ziggie-cloud-logs</TargetBucket><TargetPrefix>s3-access-logs/</TargetPrefix></LoggingEnabled>',
      ),
    );
    check(status(''));
    check(
      status(
        '<LoggingEnabled><TargetBucket>ziggie-cloud-logs</TargetBucket><TargetPrefix></TargetPrefix>' +
          '<TargetObjectKeyFormat><PartitionedPrefix><PartitionDateSource>EventTime</PartitionDateSource></PartitionedPrefix></TargetObjectKeyFormat></LoggingEnabled>',
      ),
    );
  });

  it('refuses a target bucket that does not exist, with S3 code', async () => {
    const err = await expectError(
      () =>
        check(
          status(
            '<LoggingEnabled><TargetBucket>no-such-logs</TargetBucket><TargetPrefix>x/</TargetPrefix></LoggingEnabled>',
          ),
        ),
      'E_INVALID_LOGGING_TARGET',
      /The target bucket for logging does not exist: "no-such-logs"/,
    );
    expect(err.s3Code).toBe('InvalidTargetBucketForLogging');
    expect(err.httpStatus).toBe(400);
  });

  it('refuses a missing TargetBucket or TargetPrefix, unknown elements, a bad date source', async () => {
    await expectError(
      () => check(status('<LoggingEnabled><TargetPrefix>x/</TargetPrefix></LoggingEnabled>')),
      'E_MALFORMED_XML',
      /missing the required element <TargetBucket>/,
    );
    await expectError(
      () =>
        check(
          status('<LoggingEnabled><TargetBucket>ziggie-cloud-logs</TargetBucket></LoggingEnabled>'),
        ),
      'E_MALFORMED_XML',
      /missing the required element <TargetPrefix>/,
    );
    await expectError(
      () => check(status('<Enabled>true</Enabled>')),
      'E_MALFORMED_XML',
      /unknown element <Enabled>/,
    );
    await expectError(
      () =>
        check(
          status(
            '<LoggingEnabled><TargetBucket>ziggie-cloud-logs</TargetBucket><TargetPrefix/>' +
              '<TargetObjectKeyFormat><PartitionedPrefix><PartitionDateSource>Now</PartitionDateSource></PartitionedPrefix></TargetObjectKeyFormat></LoggingEnabled>',
          ),
        ),
      'E_MALFORMED_XML',
      /<PartitionDateSource> .* must be one of EventTime, DeliveryTime; got "Now"/,
    );
  });
});

describe('TargetGrants', () => {
  const enabled = (grants: string): string =>
    status(
      `<LoggingEnabled><TargetBucket>ziggie-cloud-logs</TargetBucket><TargetPrefix>l/</TargetPrefix><TargetGrants>${grants}</TargetGrants></LoggingEnabled>`,
    );
  const grant = (grantee: string, permission: string): string =>
    `<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group">${grantee}</Grantee><Permission>${permission}</Permission></Grant>`;
  const allUsers = '<URI>http://acs.amazonaws.com/groups/global/AllUsers</URI>';

  it('accepts grants to a predefined group or the owner, for FULL_CONTROL, READ or WRITE', () => {
    check(
      enabled(
        grant(allUsers, 'READ') +
          grant(`<ID>${OWNER_ID}</ID><DisplayName>owner</DisplayName>`, 'FULL_CONTROL'),
      ),
    );
    check(enabled(grant(allUsers, 'WRITE')));
    check(enabled(''));
  });

  it('refuses what S3 refuses: a bad permission or element, an empty grant, an unknown group', async () => {
    await expectError(() => check(enabled(grant(allUsers, 'FULL'))), 'E_MALFORMED_XML', /FULL/);
    await expectError(() => check(enabled('<Foo>bar</Foo>')), 'E_MALFORMED_XML', /<Foo>/);
    await expectError(() => check(enabled('<Grant/>')), 'E_MALFORMED_XML', /Permission/);
    await expectError(
      () => check(enabled(grant('', 'READ'))),
      'E_MALFORMED_XML',
      /exactly one of <ID>, <URI> or <EmailAddress>/,
    );
    await expectError(
      () => check(enabled(grant('<URI>http://example.com/x</URI>', 'READ'))),
      'E_INVALID_ARGUMENT',
      /not a predefined group/,
    );
  });
});
