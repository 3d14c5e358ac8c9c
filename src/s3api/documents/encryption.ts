/**
 * PutBucketEncryption: `<ServerSideEncryptionConfiguration>` with a `<Rule>` that sets the
 * default algorithm. A KMS key may only be named for the KMS algorithms. The rule's
 * `<BlockedEncryptionTypes>` may block SSE-C writes to the bucket.
 */
import { resolveEncryption } from '../../engine/crypto/envelope.js';
import {
  allowOnly,
  booleanOf,
  elementOf,
  elementsOf,
  invalidArgument,
  malformed,
  oneOf,
  parseDocument,
  requireElement,
  requireText,
  textOf,
  textsOf,
} from './xml-fields.js';

/** The default-encryption algorithms S3 accepts. */
export const SSE_ALGORITHMS = ['AES256', 'aws:kms', 'aws:kms:dsse'] as const;

const ROOT = 'ServerSideEncryptionConfiguration';
/** What BlockedEncryptionTypes may name: SSE-C blocks customer-key writes, NONE nothing. */
const BLOCKABLE = ['NONE', 'SSE-C'] as const;

/** The bucket-document validator for `?encryption`. */
export function validateEncryption(xml: string): void {
  const doc = parseDocument(xml, ROOT);
  allowOnly(doc, ['Rule'], ROOT);
  const rules = elementsOf(doc, 'Rule', ROOT);
  if (rules.length === 0) throw malformed(`${ROOT} must contain a <Rule>`);
  // S3 takes exactly one rule (MalformedXML for two, in AWS-validated LocalStack tests).
  if (rules.length > 1) throw malformed(`${ROOT} must contain one <Rule>, not ${rules.length}`);
  rules.forEach((rule, i) => {
    const where = `Rule ${i + 1} of ${ROOT}`;
    allowOnly(
      rule,
      ['ApplyServerSideEncryptionByDefault', 'BucketKeyEnabled', 'BlockedEncryptionTypes'],
      where,
    );
    booleanOf(rule, 'BucketKeyEnabled', where);
    const blocked = elementOf(rule, 'BlockedEncryptionTypes', where);
    if (blocked) {
      const at = `<BlockedEncryptionTypes> of ${where}`;
      allowOnly(blocked, ['EncryptionType'], at);
      for (const type of textsOf(blocked, 'EncryptionType', at)) {
        oneOf(type, BLOCKABLE, 'EncryptionType', at);
      }
    }
    const byDefault = requireElement(rule, 'ApplyServerSideEncryptionByDefault', where);
    const at = `<ApplyServerSideEncryptionByDefault> of ${where}`;
    allowOnly(byDefault, ['SSEAlgorithm', 'KMSMasterKeyID'], at);
    const algorithm = oneOf(
      requireText(byDefault, 'SSEAlgorithm', at),
      SSE_ALGORITHMS,
      'SSEAlgorithm',
      at,
    );
    const key = textOf(byDefault, 'KMSMasterKeyID', at);
    if (key !== undefined && algorithm === 'AES256') {
      throw invalidArgument(
        'a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse',
        'ApplyServerSideEncryptionByDefault',
      );
    }
    if (key === '') throw invalidArgument(`<KMSMasterKeyID> in ${at} must not be empty`);
    // The key id must be one that every write can then use: checked as a write's is.
    if (key !== undefined) {
      try {
        resolveEncryption({ algorithm, kmsKeyId: key }, 'us-east-1');
      } catch (err) {
        throw invalidArgument(`<KMSMasterKeyID> in ${at}: ${(err as Error).message}`);
      }
    }
  });
}
