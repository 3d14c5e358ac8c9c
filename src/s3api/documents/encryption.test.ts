import { describe, expect, it } from 'vitest';
import type { StowageError } from '../../errors.js';
import { expectError } from '../../../test/helpers/expect-error.js';
import { validateEncryption } from './encryption.js';

const sse = (rule: string): string =>
  `<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${rule}</ServerSideEncryptionConfiguration>`;
const byDefault = (inner: string, extra = ''): string =>
  sse(
    `<Rule><ApplyServerSideEncryptionByDefault>${inner}</ApplyServerSideEncryptionByDefault>${extra}</Rule>`,
  );

describe('validateEncryption', () => {
  it('accepts the seed documents: AES256 with a bucket key, aws:kms with a key ARN; and DSSE', () => {
    validateEncryption(
      byDefault('<SSEAlgorithm>AES256</SSEAlgorithm>', '<BucketKeyEnabled>true</BucketKeyEnabled>'),
    );
    validateEncryption(
      byDefault(
        '<SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>arn:aws:kms:eu-north-1:ACCOUNT_ID:key/KEY_ID</KMSMasterKeyID>',
      ),
    );
    validateEncryption(byDefault('<SSEAlgorithm>aws:kms:dsse</SSEAlgorithm>'));
  });

  it('refuses a configuration without a rule or without a default', async () => {
    await expectError(
      () => validateEncryption(sse('')),
      'E_MALFORMED_XML',
      /must contain a <Rule>/,
    );
    await expectError(
      () => validateEncryption(sse('<Rule><BucketKeyEnabled>true</BucketKeyEnabled></Rule>')),
      'E_MALFORMED_XML',
      /missing the required element <ApplyServerSideEncryptionByDefault>/,
    );
    await expectError(
      () => validateEncryption(byDefault('')),
      'E_MALFORMED_XML',
      /missing the required element <SSEAlgorithm>/,
    );
  });

  it('refuses an unknown algorithm, a bad boolean, an unknown element', async () => {
    await expectError(
      () => validateEncryption(byDefault('<SSEAlgorithm>AES128</SSEAlgorithm>')),
      'E_MALFORMED_XML',
      /<SSEAlgorithm> .* must be one of AES256, aws:kms, aws:kms:dsse; got "AES128"/,
    );
    await expectError(
      () =>
        validateEncryption(
          byDefault(
            '<SSEAlgorithm>AES256</SSEAlgorithm>',
            '<BucketKeyEnabled>yes</BucketKeyEnabled>',
          ),
        ),
      'E_MALFORMED_XML',
      /<BucketKeyEnabled> .* must be true or false/,
    );
    await expectError(
      () =>
        validateEncryption(byDefault('<SSEAlgorithm>AES256</SSEAlgorithm><KmsKeyId>k</KmsKeyId>')),
      'E_MALFORMED_XML',
      /unknown element <KmsKeyId>/,
    );
  });

  it('refuses a KMS key with AES256, with S3 wording', async () => {
    await expectError(
      () =>
        validateEncryption(
          byDefault('<SSEAlgorithm>AES256</SSEAlgorithm><KMSMasterKeyID>k</KMSMasterKeyID>'),
        ),
      'E_INVALID_ARGUMENT',
      'a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse',
    );
    // S3's error names the element (ArgumentName in the XML).
    let caught: unknown;
    try {
      validateEncryption(
        byDefault('<SSEAlgorithm>AES256</SSEAlgorithm><KMSMasterKeyID>k</KMSMasterKeyID>'),
      );
    } catch (err) {
      caught = err;
    }
    expect((caught as StowageError).details).toEqual({
      argumentName: 'ApplyServerSideEncryptionByDefault',
    });
  });
});
