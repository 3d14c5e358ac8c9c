/**
 * `x-amz-transition-default-minimum-object-size` of PutBucketLifecycleConfiguration: which
 * objects too small to be worth a transition a lifecycle configuration skips. S3 answers
 * it on the PUT and on every GET (`all_storage_classes_128K` unless set), so a client that
 * set `varies_by_storage_class` (Terraform's `transition_default_minimum_object_size`)
 * reads it back. Kept beside the lifecycle document, as its own row of the lifecycle kind,
 * written and deleted in the same commit as the document.
 */
import { StowageError } from '../../errors.js';
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

/** The side row that keeps the setting, to store in one commit with the document. */
export function minimumSizeRow(value: string): Record<string, string> {
  return { [ROW_ID]: value };
}

/** Answers the setting just stored on a PUT. */
export function answerStoredMinimumSize(r: S3Request, value: string): void {
  r.res.setHeader(MIN_SIZE_HEADER, value);
}

/** Answers the setting kept with the bucket's lifecycle configuration. */
export function answerMinimumSize(r: S3Request, bucket: string): void {
  r.res.setHeader(
    MIN_SIZE_HEADER,
    r.engine.findBucketConfig(bucket, 'lifecycle', ROW_ID) ?? DEFAULT,
  );
}

/** The side row deleted with the lifecycle configuration, in the same commit. */
export const MINIMUM_SIZE_ROWS: readonly string[] = [ROW_ID];
