import { describe, it } from 'vitest';
import { expectError } from '../../../test/helpers/expect-error.js';
import { validatePublicAccessBlock } from './public-access-block.js';

const pab = (inner: string): string =>
  `<PublicAccessBlockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${inner}</PublicAccessBlockConfiguration>`;

describe('validatePublicAccessBlock', () => {
  it('accepts the seed document, some settings, or none', () => {
    validatePublicAccessBlock(
      pab(
        '<BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls>' +
          '<BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets>',
      ),
    );
    validatePublicAccessBlock(pab('<BlockPublicPolicy>false</BlockPublicPolicy>'));
    validatePublicAccessBlock(pab(''));
  });

  it('refuses values other than true and false, and unknown settings', async () => {
    for (const v of ['TRUE', '1', 'yes', '']) {
      await expectError(
        () => validatePublicAccessBlock(pab(`<BlockPublicAcls>${v}</BlockPublicAcls>`)),
        'E_MALFORMED_XML',
        `<BlockPublicAcls> in PublicAccessBlockConfiguration must be true or false, got "${v}"`,
      );
    }
    await expectError(
      () => validatePublicAccessBlock(pab('<BlockPublicAcl>true</BlockPublicAcl>')),
      'E_MALFORMED_XML',
      /unknown element <BlockPublicAcl>/,
    );
  });
});
