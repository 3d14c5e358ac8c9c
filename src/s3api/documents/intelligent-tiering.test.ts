import { describe, it } from 'vitest';
import { expectError } from '../../../test/helpers/expect-error.js';
import { validateIntelligentTiering } from './intelligent-tiering.js';

const it_ = (inner: string): string =>
  `<IntelligentTieringConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${inner}</IntelligentTieringConfiguration>`;
const tier = (days: number | string, t: string): string =>
  `<Tiering><Days>${days}</Days><AccessTier>${t}</AccessTier></Tiering>`;
const doc = (
  tierings: string,
  head = '<Id>GameAssetsTiering</Id><Status>Enabled</Status>',
): string => it_(head + tierings);
const check = (xml: string, id = 'GameAssetsTiering'): void =>
  validateIntelligentTiering(xml, { id });

describe('validateIntelligentTiering', () => {
  it('accepts the seed 000 configuration, and one with a tag filter', () => {
    check(
      doc(
        tier(90, 'ARCHIVE_ACCESS') + tier(180, 'DEEP_ARCHIVE_ACCESS'),
        '<Id>GameAssetsTiering</Id><Filter><Prefix>game-assets/</Prefix></Filter><Status>Enabled</Status>',
      ),
    );
    check(
      doc(
        tier(730, 'DEEP_ARCHIVE_ACCESS'),
        '<Id>GameAssetsTiering</Id><Filter><And><Prefix>a/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></And></Filter><Status>Disabled</Status>',
      ),
    );
  });

  it('refuses an Id that is missing or is not the id parameter', async () => {
    await expectError(
      () => check(it_('<Status>Enabled</Status>' + tier(90, 'ARCHIVE_ACCESS'))),
      'E_MALFORMED_XML',
      /missing the required element <Id>/,
    );
    await expectError(
      () => check(doc(tier(90, 'ARCHIVE_ACCESS')), 'other'),
      'E_INVALID_ARGUMENT',
      'the configuration Id "GameAssetsTiering" does not match the id request parameter "other"',
    );
    await expectError(
      () =>
        check(
          doc(tier(90, 'ARCHIVE_ACCESS'), `<Id>${'i'.repeat(65)}</Id><Status>Enabled</Status>`),
          'i'.repeat(65),
        ),
      'E_INVALID_ARGUMENT',
      /longer than 64 characters/,
    );
  });

  it('refuses a missing or bad Status, no Tiering, an unknown tier', async () => {
    await expectError(
      () => check(doc(tier(90, 'ARCHIVE_ACCESS'), '<Id>GameAssetsTiering</Id>')),
      'E_MALFORMED_XML',
      /missing the required element <Status>/,
    );
    await expectError(
      () => check(doc(tier(90, 'ARCHIVE_ACCESS'), '<Id>GameAssetsTiering</Id><Status>On</Status>')),
      'E_MALFORMED_XML',
      /<Status> .* must be one of Enabled, Disabled; got "On"/,
    );
    await expectError(() => check(doc('')), 'E_MALFORMED_XML', /at least one <Tiering>/);
    await expectError(
      () => check(doc(tier(90, 'COLD_ACCESS'))),
      'E_MALFORMED_XML',
      /<AccessTier> .* must be one of ARCHIVE_ACCESS, DEEP_ARCHIVE_ACCESS; got "COLD_ACCESS"/,
    );
    await expectError(
      () => check(doc('<Tiering><AccessTier>ARCHIVE_ACCESS</AccessTier></Tiering>')),
      'E_MALFORMED_XML',
      /missing the required element <Days>/,
    );
  });

  it('refuses days outside each tier range, a repeated tier, deep archive not after archive', async () => {
    await expectError(
      () => check(doc(tier(30, 'ARCHIVE_ACCESS'))),
      'E_INVALID_ARGUMENT',
      "'Days' for AccessTier 'ARCHIVE_ACCESS' must be between 90 and 730, got 30",
    );
    await expectError(
      () => check(doc(tier(731, 'ARCHIVE_ACCESS'))),
      'E_INVALID_ARGUMENT',
      /between 90 and 730, got 731/,
    );
    await expectError(
      () => check(doc(tier(100, 'DEEP_ARCHIVE_ACCESS'))),
      'E_INVALID_ARGUMENT',
      "'Days' for AccessTier 'DEEP_ARCHIVE_ACCESS' must be between 180 and 730, got 100",
    );
    await expectError(
      () => check(doc(tier(90, 'ARCHIVE_ACCESS') + tier(120, 'ARCHIVE_ACCESS'))),
      'E_INVALID_ARGUMENT',
      /AccessTier 'ARCHIVE_ACCESS' appears more than once/,
    );
    await expectError(
      () => check(doc(tier(400, 'ARCHIVE_ACCESS') + tier(200, 'DEEP_ARCHIVE_ACCESS'))),
      'E_INVALID_ARGUMENT',
      /'Days' for DEEP_ARCHIVE_ACCESS \(200\) must be greater than for ARCHIVE_ACCESS \(400\)/,
    );
  });
});
