/**
 * `x-amz-transition-default-minimum-object-size` of PutBucketLifecycleConfiguration: which
 * objects too small to be worth a transition a lifecycle configuration skips. S3 answers
 * it on the PUT and on every GET (`all_storage_classes_128K` unless set), so a client that
 * set `varies_by_storage_class` (Terraform's `transition_default_minimum_object_size`)
 * reads it back. Kept beside the lifecycle document, as its own row of the lifecycle kind.
 */
import { isStowageError, StowageError } from '../../errors.js';
import { header, type S3Request } from '../context.js';

const MIN_SIZE_HEADER = 'x-amz-transition-default-minimum-object-size';
const VALUES = ['all_storage_classes_128K', 'varies_by_storage_class'] as const;
const DEFAULT = VALUES[0];
/** The config id of the row that holds the setting (the document's row has id ''). */
const ROW_ID = 'transition-default-minimum-object-size';

/** Checks the request's setting before anything is stored; returns the one to keep. */
export function requestedMinimumSize(r: S3Request): string {
  const value = header(r, MIN_SIZE_HEADER);
  if (value === undefined) return DEFAULT;
  if (!(VALUES as readonly string[]).includes(value)) {
    throw new StowageError(
      'E_INVALID_REQUEST',
      `Invalid TransitionDefaultMinimumObjectSize found: ${value} (expected ${VALUES.join(' or ')})`,
    );
  }
  return value;
}

/** Stores the setting of a lifecycle configuration just stored, and answers it. */
export async function keepMinimumSize(r: S3Request, bucket: string, value: string): Promise<void> {
  await r.engine.putBucketConfig(bucket, 'lifecycle', value, ROW_ID);
  r.res.setHeader(MIN_SIZE_HEADER, value);
}

/** Answers the setting kept with the bucket's lifecycle configuration. */
export function answerMinimumSize(r: S3Request, bucket: string): void {
  r.res.setHeader(
    MIN_SIZE_HEADER,
    r.engine.findBucketConfig(bucket, 'lifecycle', ROW_ID) ?? DEFAULT,
  );
}

/** Forgets the setting with its lifecycle configuration. */
export async function forgetMinimumSize(r: S3Request, bucket: string): Promise<void> {
  try {
    await r.engine.deleteBucketConfig(bucket, 'lifecycle', ROW_ID);
  } catch (err) {
    if (!isStowageError(err, 'E_NO_SUCH_BUCKET_CONFIG')) throw err;
  }
}
