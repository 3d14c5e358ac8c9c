/**
 * PutBucketInventoryConfiguration: an `Id` equal to `?id=`, whether it is enabled, a
 * destination bucket ARN and format, a schedule, which versions to list and which fields.
 */
import type { DocumentContext } from './types.js';
import {
  allowOnly,
  booleanOf,
  checkConfigurationId,
  elementOf,
  invalidArgument,
  malformed,
  oneOf,
  parseDocument,
  requireElement,
  requireText,
  textOf,
  textsOf,
  type XmlElement,
} from './xml-fields.js';

/** The fields an inventory report may add to each line. */
export const INVENTORY_OPTIONAL_FIELDS = [
  'Size',
  'LastModifiedDate',
  'StorageClass',
  'ETag',
  'IsMultipartUploaded',
  'ReplicationStatus',
  'EncryptionStatus',
  'ObjectLockRetainUntilDate',
  'ObjectLockMode',
  'ObjectLockLegalHoldStatus',
  'IntelligentTieringAccessTier',
  'BucketKeyStatus',
  'ChecksumAlgorithm',
  'ObjectAccessControlList',
  'ObjectOwner',
  'LifecycleExpirationDate',
] as const;

const ROOT = 'InventoryConfiguration';
/** `arn:aws:s3:::<bucket>`: how S3 names a destination bucket. */
export const BUCKET_ARN = /^arn:aws(?:-cn|-us-gov)?:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** The required `<Bucket>` of a report destination: a bucket ARN, else InvalidArgument. */
export function requireDestinationBucket(node: XmlElement, where: string): string {
  const bucket = requireText(node, 'Bucket', where);
  if (!BUCKET_ARN.test(bucket)) {
    throw invalidArgument(
      `the destination <Bucket> "${bucket}" is not a bucket ARN (arn:aws:s3:::name)`,
    );
  }
  return bucket;
}

function checkDestination(node: XmlElement): void {
  const where = `the <Destination> of ${ROOT}`;
  allowOnly(node, ['S3BucketDestination'], where);
  const dest = requireElement(node, 'S3BucketDestination', where);
  const at = `the <S3BucketDestination> of ${ROOT}`;
  allowOnly(dest, ['AccountId', 'Bucket', 'Format', 'Prefix', 'Encryption'], at);
  requireDestinationBucket(dest, at);
  oneOf(requireText(dest, 'Format', at), ['CSV', 'ORC', 'Parquet'], 'Format', at);
  textOf(dest, 'AccountId', at);
  textOf(dest, 'Prefix', at);
  const encryption = elementOf(dest, 'Encryption', at);
  if (encryption) {
    const enc = `the <Encryption> of ${at}`;
    allowOnly(encryption, ['SSE-S3', 'SSE-KMS'], enc);
    if (Object.keys(encryption).length !== 1) {
      throw malformed(`${enc} needs exactly one of <SSE-S3> or <SSE-KMS>`);
    }
    const kms = elementOf(encryption, 'SSE-KMS', enc);
    if (kms) {
      allowOnly(kms, ['KeyId'], enc);
      requireText(kms, 'KeyId', enc);
    }
  }
}

/** The bucket-document validator for `?inventory`. */
export function validateInventory(xml: string, ctx: Pick<DocumentContext, 'id'>): void {
  const doc = parseDocument(xml, ROOT);
  allowOnly(
    doc,
    [
      'Id',
      'IsEnabled',
      'Destination',
      'Filter',
      'IncludedObjectVersions',
      'OptionalFields',
      'Schedule',
    ],
    ROOT,
  );
  checkConfigurationId(doc, ROOT, ctx.id);
  if (booleanOf(doc, 'IsEnabled', ROOT) === undefined) {
    throw malformed(`${ROOT} is missing the required element <IsEnabled>`);
  }
  checkDestination(requireElement(doc, 'Destination', ROOT));
  const schedule = requireElement(doc, 'Schedule', ROOT);
  allowOnly(schedule, ['Frequency'], `the <Schedule> of ${ROOT}`);
  oneOf(
    requireText(schedule, 'Frequency', `the <Schedule> of ${ROOT}`),
    ['Daily', 'Weekly'],
    'Frequency',
    ROOT,
  );
  oneOf(
    requireText(doc, 'IncludedObjectVersions', ROOT),
    ['All', 'Current'],
    'IncludedObjectVersions',
    ROOT,
  );
  const filter = elementOf(doc, 'Filter', ROOT);
  if (filter) {
    allowOnly(filter, ['Prefix'], `the <Filter> of ${ROOT}`);
    textOf(filter, 'Prefix', `the <Filter> of ${ROOT}`);
  }
  const fields = elementOf(doc, 'OptionalFields', ROOT);
  if (fields) {
    allowOnly(fields, ['Field'], `the <OptionalFields> of ${ROOT}`);
    for (const f of textsOf(fields, 'Field', `the <OptionalFields> of ${ROOT}`)) {
      oneOf(f, INVENTORY_OPTIONAL_FIELDS, 'Field', `the <OptionalFields> of ${ROOT}`);
    }
  }
}
