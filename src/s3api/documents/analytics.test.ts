import { describe, it } from 'vitest';
import { expectError } from '../../../test/helpers/expect-error.js';
import { validateAnalytics } from './analytics.js';

const analytics = (inner: string): string =>
  `<AnalyticsConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${inner}</AnalyticsConfiguration>`;
const check = (xml: string, id = 'textures'): void => validateAnalytics(xml, { id });
const EXPORT =
  '<DataExport><OutputSchemaVersion>V_1</OutputSchemaVersion><Destination><S3BucketDestination>' +
  '<Format>CSV</Format><BucketAccountId>123456789012</BucketAccountId>' +
  '<Bucket>arn:aws:s3:::ziggie-cloud-logs</Bucket><Prefix>analytics/</Prefix>' +
  '</S3BucketDestination></Destination></DataExport>';

describe('validateAnalytics', () => {
  it('accepts an analysis with or without an export, and filters', () => {
    check(analytics('<Id>textures</Id><StorageClassAnalysis/>'));
    check(analytics(`<Id>textures</Id><StorageClassAnalysis>${EXPORT}</StorageClassAnalysis>`));
    check(
      analytics(
        '<Id>textures</Id><Filter><And><Prefix>textures/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag>' +
          '</And></Filter><StorageClassAnalysis/>',
      ),
    );
  });

  it('refuses a missing analysis, a mismatched Id and unknown elements', async () => {
    await expectError(
      () => check(analytics('<Id>textures</Id>')),
      'E_MALFORMED_XML',
      /missing the required element <StorageClassAnalysis>/,
    );
    await expectError(
      () => check(analytics('<Id>other</Id><StorageClassAnalysis/>')),
      'E_INVALID_ARGUMENT',
      /"other" does not match the id request parameter "textures"/,
    );
    await expectError(
      () =>
        check(
          analytics('<Id>textures</Id><StorageClassAnalysis><Days>3</Days></StorageClassAnalysis>'),
        ),
      'E_MALFORMED_XML',
      /unknown element <Days>/,
    );
  });

  it('refuses an export S3 cannot write: another format or schema, a bucket that is not an ARN', async () => {
    const withExport = (xml: string): string =>
      analytics(`<Id>textures</Id><StorageClassAnalysis>${xml}</StorageClassAnalysis>`);
    await expectError(
      () => check(withExport(EXPORT.replace('CSV', 'ORC'))),
      'E_MALFORMED_XML',
      /<Format> .* must be one of CSV; got "ORC"/,
    );
    await expectError(
      () => check(withExport(EXPORT.replace('V_1', 'V_2'))),
      'E_MALFORMED_XML',
      /<OutputSchemaVersion> .* must be one of V_1/,
    );
    await expectError(
      () =>
        check(withExport(EXPORT.replace('arn:aws:s3:::ziggie-cloud-logs', 'ziggie-cloud-logs'))),
      'E_INVALID_ARGUMENT',
      /"ziggie-cloud-logs" is not a bucket ARN/,
    );
    await expectError(
      () =>
        check(
          withExport('<DataExport><OutputSchemaVersion>V_1</OutputSchemaVersion></DataExport>'),
        ),
      'E_MALFORMED_XML',
      /missing the required element <Destination>/,
    );
  });
});
