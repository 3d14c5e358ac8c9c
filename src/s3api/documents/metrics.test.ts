import { describe, it } from 'vitest';
import { expectError } from '../../../test/helpers/expect-error.js';
import { validateMetrics } from './metrics.js';

const metrics = (inner: string): string =>
  `<MetricsConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${inner}</MetricsConfiguration>`;
const check = (xml: string, id = 'EntireBucket'): void => validateMetrics(xml, { id });

describe('validateMetrics', () => {
  it('accepts the seed configuration (an Id only) and filters', () => {
    check(metrics('<Id>EntireBucket</Id>'));
    check(metrics('<Id>EntireBucket</Id><Filter><Prefix>game-assets/</Prefix></Filter>'));
    check(
      metrics(
        '<Id>EntireBucket</Id><Filter><And><Prefix>a/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag>' +
          '<AccessPointArn>arn:aws:s3:eu-north-1:1:accesspoint/ap</AccessPointArn></And></Filter>',
      ),
    );
  });

  it('refuses a missing or mismatched Id', async () => {
    await expectError(
      () => check(metrics('')),
      'E_MALFORMED_XML',
      /MetricsConfiguration is missing the required element <Id>/,
    );
    await expectError(
      () => check(metrics('<Id>Other</Id>')),
      'E_INVALID_ARGUMENT',
      /"Other" does not match the id request parameter "EntireBucket"/,
    );
  });

  it('refuses two predicates without And, and unknown elements', async () => {
    await expectError(
      () =>
        check(
          metrics(
            '<Id>EntireBucket</Id><Filter><Prefix>a</Prefix><AccessPointArn>x</AccessPointArn></Filter>',
          ),
        ),
      'E_MALFORMED_XML',
      /combine several conditions in <And>/,
    );
    await expectError(
      () => check(metrics('<Id>EntireBucket</Id><Filter><Suffix>a</Suffix></Filter>')),
      'E_MALFORMED_XML',
      /unknown element <Suffix>/,
    );
    await expectError(
      () => check(metrics('<Id>EntireBucket</Id><Enabled>true</Enabled>')),
      'E_MALFORMED_XML',
      /unknown element <Enabled>/,
    );
  });
});
