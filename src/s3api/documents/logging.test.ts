import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../engine/engine.js';
import { openTestEngine } from '../../../test/helpers/engine.js';
import { expectError } from '../../../test/helpers/expect-error.js';
import { validateLogging } from './logging.js';

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
