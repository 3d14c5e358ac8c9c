/**
 * What plan checks in the stores beyond the declared documents: a declared region against
 * the bucket's, and that inventory and replication destinations the file does not declare
 * exist (and, for replication, are versioned). Each problem is a {@link PlanError} of the
 * sub-resource it concerns.
 */
import { SUB_RESOURCES } from '../client/bucket-config/index.js';
import { bucketExists, bucketRegion, type StoreSession } from '../client/ops/index.js';
import { toStowageError } from '../errors.js';
import { bucketNameOf, type DesiredBucket } from './canonical.js';
import { sessionOf, type PlanError, type SessionFor } from './sessions.js';

/**
 * A bucket cannot move between regions: a declared region that differs from the live one is
 * an error (recreate the bucket, or correct the file). Stores that cannot say (no
 * GetBucketLocation) are not compared.
 */
export async function regionMismatch(
  session: StoreSession,
  bucket: DesiredBucket,
): Promise<PlanError | undefined> {
  if (bucket.region === undefined) return undefined;
  let live: string;
  try {
    live = await bucketRegion(session, bucket.name);
  } catch (err) {
    const e = toStowageError(err);
    if (e.code === 'E_NOT_IMPLEMENTED') return undefined;
    throw e;
  }
  if (live === bucket.region) return undefined;
  // Ceph RGW names the zonegroup of a bucket created without a LocationConstraint (which is
  // how a us-east-1 bucket is created) "default".
  if (live === 'default' && bucket.region === 'us-east-1') return undefined;
  return {
    code: 'E_INVALID_REQUEST',
    message: `the bucket is in region ${live} but the file declares region ${bucket.region}: S3 cannot move a bucket to another region (correct region:, or recreate the bucket)`,
  };
}

/**
 * The inventory destinations that are neither declared in the file (apply creates those
 * first) nor live in the store: an error naming the configuration and the bucket.
 */
export async function missingInventoryDestination(
  session: StoreSession,
  bucket: DesiredBucket,
  declared: ReadonlySet<string>,
): Promise<PlanError | undefined> {
  for (const c of bucket.inventory ?? []) {
    const dest = bucketNameOf(c.Destination.S3BucketDestination.Bucket);
    if (declared.has(dest) || (await bucketExists(session, dest))) continue;
    return {
      code: 'E_NO_SUCH_BUCKET',
      message: `inventory "${c.Id}": destination bucket "${dest}" does not exist (create it, or declare it under buckets:)`,
    };
  }
  return undefined;
}

/**
 * The replication destinations the file does not declare: each must exist in its store
 * (the rule's `destination.store`, else the bucket's) with versioning Enabled, as S3
 * requires versioning on both sides. A store that cannot say is not second-guessed.
 */
export async function replicationDestinationProblem(
  sessions: SessionFor,
  bucket: DesiredBucket,
  declared: ReadonlySet<string>,
): Promise<PlanError | undefined> {
  for (const rule of bucket.replication?.Rules ?? []) {
    const dest = bucketNameOf(rule.Destination.Bucket);
    if (declared.has(dest)) continue; // validate checks declared destinations
    const store = bucket.replicationStores?.[rule.ID] ?? bucket.store;
    const session = await sessionOf(sessions, { name: dest, ...(store ? { store } : {}) });
    let status: string | undefined;
    try {
      status = (await SUB_RESOURCES.versioning.read(session, dest))?.Status;
    } catch (err) {
      const e = toStowageError(err);
      if (e.code !== 'E_NO_SUCH_BUCKET') return undefined;
      return {
        code: 'E_NO_SUCH_BUCKET',
        message: `replication rule "${rule.ID}": destination bucket "${dest}" does not exist${store ? ` in store ${store}` : ''} (create it, or declare it under buckets:)`,
      };
    }
    if (status !== 'Enabled') {
      return {
        code: 'E_INVALID_REQUEST',
        message: `replication rule "${rule.ID}": destination bucket "${dest}" needs versioning Enabled (replication requires versioning on both sides)`,
      };
    }
  }
  return undefined;
}
