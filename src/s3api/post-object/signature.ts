/**
 * Who signed a POST Object form (S3 "Authenticating requests: browser-based uploads using
 * POST"): with SigV4, `x-amz-algorithm`, `x-amz-credential`, `x-amz-date` and
 * `x-amz-signature`, the hex HMAC-SHA256 of the base64 `policy` under the signing key of
 * the credential's scope. A form with none of them is anonymous (a bucket policy decides).
 */
import { StowageError } from '../../errors.js';
import { parseAmzDate } from '../../sigv4/amz-date.js';
import { ALGORITHM, deriveSigningKey, sign, signaturesEqual } from '../../sigv4/signing-key.js';
import { USE_SIGV4 } from '../auth/authorization-header.js';
import { parseCredentialScope } from '../auth/credential-scope.js';
import { credentialOf, signatureDoesNotMatch } from '../auth/sigv4.js';
import type { CredentialLookup } from '../auth/types.js';
import type { Principal } from '../front.js';
import { missingField } from './form.js';

const SIGV4_FIELDS = ['x-amz-algorithm', 'x-amz-credential', 'x-amz-date', 'x-amz-signature'];

/**
 * The caller a form speaks for: anonymous without a signature; else the key whose
 * signature of `policy` checks out. SigV2 forms (`AWSAccessKeyId`, `signature`) are refused
 * as SigV2 requests are; a signed form without a policy, or a bad signature, fails with
 * S3's error.
 */
export function postFormPrincipal(
  fields: ReadonlyMap<string, string>,
  lookup: CredentialLookup,
): Principal {
  if (fields.has('awsaccesskeyid') || fields.has('signature')) {
    throw new StowageError(
      'E_INVALID_REQUEST',
      // boto3's generate_presigned_post signs with SigV2 unless told s3v4.
      `The authorization mechanism you have provided is not supported: this form is signed with SigV2 (AWSAccessKeyId, signature). ${USE_SIGV4}`,
      { details: { mechanism: 'SigV2' } },
    );
  }
  if (!SIGV4_FIELDS.some((f) => fields.has(f))) {
    if (fields.has('policy')) throw missingField('x-amz-signature');
    return { kind: 'anonymous' };
  }
  const [algorithm, credential, amzDate, signature] = SIGV4_FIELDS.map((f) => {
    const v = fields.get(f);
    if (v === undefined) throw missingField(f);
    return v;
  }) as [string, string, string, string];
  const policy = fields.get('policy');
  if (policy === undefined) throw missingField('policy');
  if (algorithm !== ALGORITHM) {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      `x-amz-algorithm must be ${ALGORITHM}, got "${algorithm}"`,
      { details: { argumentName: 'x-amz-algorithm', argumentValue: algorithm } },
    );
  }
  if (parseAmzDate(amzDate) === undefined) {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      `x-amz-date must be a date like 20261206T120000Z, got "${amzDate}"`,
      { details: { argumentName: 'x-amz-date', argumentValue: amzDate } },
    );
  }
  // Any region, as for requests signed in headers (one server holds every region's buckets).
  const scope = parseCredentialScope(credential, amzDate, {}, (problem) => {
    throw new StowageError('E_INVALID_ARGUMENT', `x-amz-credential: ${problem}`, {
      details: { argumentName: 'x-amz-credential', argumentValue: credential },
    });
  });
  const found = credentialOf(lookup, scope.accessKeyId);
  const key = deriveSigningKey(found.secretAccessKey, scope.date, scope.region, scope.service);
  if (!signaturesEqual(sign(key, policy), signature)) {
    throw signatureDoesNotMatch({
      accessKeyId: scope.accessKeyId,
      stringToSign: policy.slice(0, 2048),
    });
  }
  return {
    kind: 'key',
    accessKeyId: scope.accessKeyId,
    ...(found.userArn ? { userArn: found.userArn } : {}),
  };
}
