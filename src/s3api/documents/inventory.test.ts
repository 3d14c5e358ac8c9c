import { describe, expect, it } from 'vitest';
import { expectError } from '../../../test/helpers/expect-error.js';
import { INVENTORY_OPTIONAL_FIELDS, validateInventory } from './inventory.js';

interface Parts {
  id?: string;
  enabled?: string;
  destination?: string;
  schedule?: string;
  versions?: string;
  extra?: string;
}
/** Seed 000 §11.2 (DailyInventory), with parts replaced. */
const inv = (p: Parts = {}): string =>
  '<InventoryConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
  (p.destination ??
    '<Destination><S3BucketDestination><Bucket>arn:aws:s3:::ziggie-cloud-logs</Bucket><Format>CSV</Format><Prefix>inventory</Prefix></S3BucketDestination></Destination>') +
  (p.enabled ?? '<IsEnabled>true</IsEnabled>') +
  (p.id ?? '<Id>DailyInventory</Id>') +
  (p.versions ?? '<IncludedObjectVersions>Current</IncludedObjectVersions>') +
  '<OptionalFields><Field>Size</Field><Field>StorageClass</Field><Field>ETag</Field></OptionalFields>' +
  (p.schedule ?? '<Schedule><Frequency>Daily</Frequency></Schedule>') +
  (p.extra ?? '') +
  '</InventoryConfiguration>';
const check = (xml: string, id = 'DailyInventory'): void => validateInventory(xml, { id });
const dest = (inner: string): string =>
  `<Destination><S3BucketDestination>${inner}</S3BucketDestination></Destination>`;

describe('validateInventory', () => {
  it('accepts the seed configuration, Weekly/All/Parquet, a filter and encryption', () => {
    check(inv());
    check(
      inv({
        schedule: '<Schedule><Frequency>Weekly</Frequency></Schedule>',
        versions: '<IncludedObjectVersions>All</IncludedObjectVersions>',
        destination: dest(
          '<AccountId>123456789012</AccountId><Bucket>arn:aws:s3:::ziggie-cloud-logs</Bucket><Format>Parquet</Format>' +
            '<Encryption><SSE-KMS><KeyId>arn:aws:kms:eu-north-1:1:key/k</KeyId></SSE-KMS></Encryption>',
        ),
        extra: '<Filter><Prefix>game-assets/</Prefix></Filter>',
      }),
    );
  });

  it("accepts every optional field of S3's service model, LifecycleExpirationDate included", () => {
    const fields = INVENTORY_OPTIONAL_FIELDS.map((f) => `<Field>${f}</Field>`).join('');
    expect(INVENTORY_OPTIONAL_FIELDS).toContain('LifecycleExpirationDate');
    check(
      inv().replace(
        /<OptionalFields>.*<\/OptionalFields>/,
        `<OptionalFields>${fields}</OptionalFields>`,
      ),
    );
  });

  it('refuses a missing or mismatched Id', async () => {
    await expectError(
      () => check(inv({ id: '' })),
      'E_MALFORMED_XML',
      /missing the required element <Id>/,
    );
    await expectError(
      () => check(inv(), 'weekly'),
      'E_INVALID_ARGUMENT',
      /"DailyInventory" does not match the id request parameter "weekly"/,
    );
  });

  it('refuses missing required parts', async () => {
    await expectError(
      () => check(inv({ enabled: '' })),
      'E_MALFORMED_XML',
      /missing the required element <IsEnabled>/,
    );
    await expectError(
      () => check(inv({ destination: '' })),
      'E_MALFORMED_XML',
      /missing the required element <Destination>/,
    );
    await expectError(
      () => check(inv({ schedule: '' })),
      'E_MALFORMED_XML',
      /missing the required element <Schedule>/,
    );
    await expectError(
      () => check(inv({ versions: '' })),
      'E_MALFORMED_XML',
      /missing the required element <IncludedObjectVersions>/,
    );
    await expectError(
      () => check(inv({ destination: dest('<Bucket>arn:aws:s3:::logs</Bucket>') })),
      'E_MALFORMED_XML',
      /missing the required element <Format>/,
    );
  });

  it('refuses values outside their sets', async () => {
    await expectError(
      () => check(inv({ enabled: '<IsEnabled>yes</IsEnabled>' })),
      'E_MALFORMED_XML',
      /<IsEnabled> .* must be true or false/,
    );
    await expectError(
      () => check(inv({ schedule: '<Schedule><Frequency>Hourly</Frequency></Schedule>' })),
      'E_MALFORMED_XML',
      /<Frequency> .* must be one of Daily, Weekly; got "Hourly"/,
    );
    await expectError(
      () => check(inv({ versions: '<IncludedObjectVersions>Latest</IncludedObjectVersions>' })),
      'E_MALFORMED_XML',
      /must be one of All, Current; got "Latest"/,
    );
    await expectError(
      () =>
        check(
          inv({ destination: dest('<Bucket>arn:aws:s3:::logs</Bucket><Format>JSON</Format>') }),
        ),
      'E_MALFORMED_XML',
      /<Format> .* must be one of CSV, ORC, Parquet; got "JSON"/,
    );
    await expectError(
      () => check(inv({ extra: '<OptionalFields><Field>Colour</Field></OptionalFields>' })),
      'E_MALFORMED_XML',
      /<OptionalFields> may appear only once/,
    );
  });

  it('refuses an unknown optional field, a destination that is not a bucket ARN, two encryptions', async () => {
    await expectError(
      () => check(inv().replace('<Field>ETag</Field>', '<Field>Colour</Field>')),
      'E_MALFORMED_XML',
      /<Field> .* must be one of Size, .*; got "Colour"/,
    );
    await expectError(
      () =>
        check(inv({ destination: dest('<Bucket>ziggie-cloud-logs</Bucket><Format>CSV</Format>') })),
      'E_INVALID_ARGUMENT',
      /the destination <Bucket> "ziggie-cloud-logs" is not a bucket ARN/,
    );
    await expectError(
      () =>
        check(
          inv({
            destination: dest(
              '<Bucket>arn:aws:s3:::logs</Bucket><Format>CSV</Format><Encryption><SSE-S3/><SSE-KMS><KeyId>k</KeyId></SSE-KMS></Encryption>',
            ),
          }),
        ),
      'E_MALFORMED_XML',
      /exactly one of <SSE-S3> or <SSE-KMS>/,
    );
  });
});
