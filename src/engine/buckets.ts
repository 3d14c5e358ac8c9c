/** Buckets and their sub-resource documents. */
import { StowageError } from '../errors.js';
import type { EngineContext } from './context.js';
import { assertBucketName } from './names.js';
import { forgetCompleted } from './objects/completed-uploads.js';
import type { BucketConfigKind, BucketInfo, VersioningState } from './types.js';

interface BucketRow {
  name: string;
  region: string;
  owner: string;
  created_at: number;
  versioning: string;
  object_lock: number;
}

function toInfo(row: BucketRow): BucketInfo {
  return {
    name: row.name,
    region: row.region,
    owner: row.owner,
    createdAt: new Date(row.created_at),
    versioning: row.versioning as VersioningState,
    objectLock: row.object_lock === 1,
  };
}

/** Reads a bucket row or throws E_NO_SUCH_BUCKET. Usable inside commit jobs. */
export function requireBucket(ctx: EngineContext, name: string): BucketInfo {
  const row = ctx.buckets.row(
    name,
    () => ctx.sql('SELECT * FROM buckets WHERE name = ?').get(name) as BucketRow | undefined,
  );
  if (!row) {
    throw new StowageError('E_NO_SUCH_BUCKET', `bucket "${name}" does not exist`, {
      details: { bucket: name },
    });
  }
  return toInfo(row);
}

/** Stores one bucket document row (a bucket's document of a kind, by id), replacing it. */
const UPSERT_CONFIG = `INSERT INTO bucket_configs (bucket, kind, config_id, document, updated_at) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (bucket, kind, config_id) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at`;

/** Documents of one listable kind (by id) a bucket may hold, as on S3. */
const MAX_CONFIGURATIONS = 1000;

/**
 * A new id of a listable kind past MAX_CONFIGURATIONS is TooManyConfigurations, as on S3;
 * replacing one is not adding. Checked inside the commit, so two new ids cannot both land.
 */
function refuseTooMany(ctx: EngineContext, bucket: string, kind: BucketConfigKind, id: string) {
  const held = ctx
    .sql(
      "SELECT COUNT(*) AS n, MAX(config_id = ?) AS replaces FROM bucket_configs WHERE bucket = ? AND kind = ? AND config_id != ''",
    )
    .get(id, bucket, kind) as { n: number; replaces: number | null };
  if (held.n < MAX_CONFIGURATIONS || held.replaces === 1) return;
  throw new StowageError(
    'E_INVALID_REQUEST',
    `bucket "${bucket}" already has ${held.n} ${kind} configurations, the most S3 allows ` +
      `(${MAX_CONFIGURATIONS}): delete one before adding "${id}"`,
    { s3Code: 'TooManyConfigurations', details: { bucket, limit: MAX_CONFIGURATIONS } },
  );
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$|^[a-z0-9-]{1,32}$/;

/**
 * Creates a bucket. Region defaults to the engine's region (S3's LocationConstraint).
 * `EU`, S3's legacy name for eu-west-1 that older clients (s3cmd, boto 2) still send, is
 * stored as eu-west-1. `objectLock` creates it with Object Lock, and so with versioning
 * Enabled, as S3 does.
 */
export async function createBucket(
  ctx: EngineContext,
  name: string,
  region?: string,
  documents: Readonly<Partial<Record<BucketConfigKind, string>>> = {},
  options: { objectLock?: boolean } = {},
): Promise<BucketInfo> {
  assertBucketName(name);
  for (const kind of Object.keys(documents)) assertKind(kind);
  const given = region === undefined || region === '' ? ctx.region : region;
  const where = given === 'EU' ? 'eu-west-1' : given;
  if (!REGION.test(where)) {
    throw new StowageError(
      'E_INVALID_LOCATION_CONSTRAINT',
      `invalid LocationConstraint "${where}"`,
      {
        details: { region: where },
      },
    );
  }
  const documentBytes = Object.values(documents).reduce((n, d) => n + d.length, 0);
  await ctx.blobs.ensureSpace(documentBytes);
  return ctx.queue.run(() => {
    const existing = ctx.sql('SELECT owner FROM buckets WHERE name = ?').get(name) as
      { owner: string } | undefined;
    if (existing) {
      const code =
        existing.owner === ctx.owner ? 'E_BUCKET_ALREADY_OWNED_BY_YOU' : 'E_BUCKET_ALREADY_EXISTS';
      throw new StowageError(code, `bucket "${name}" already exists`, {
        details: { bucket: name },
      });
    }
    ctx.buckets.invalidate();
    const now = ctx.now();
    const lock = options.objectLock === true;
    ctx
      .sql(
        'INSERT INTO buckets (name, region, owner, created_at, versioning, object_lock) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(name, where, ctx.owner, now, lock ? 'Enabled' : 'Unversioned', lock ? 1 : 0);
    // In the same commit: a bucket is never seen (or left by a crash) without the ACL,
    // ownership or tags its CreateBucket gave it.
    const upsert = ctx.sql(UPSERT_CONFIG);
    for (const [kind, document] of Object.entries(documents))
      upsert.run(name, kind, '', document, now);
    return requireBucket(ctx, name);
  });
}

/** Lists all buckets by name. */
export function listBuckets(ctx: EngineContext): BucketInfo[] {
  return (ctx.sql('SELECT * FROM buckets ORDER BY name').all() as BucketRow[]).map(toInfo);
}

/** Deletes an empty bucket: no versions, no delete markers, no multipart uploads. */
export async function deleteBucket(ctx: EngineContext, name: string): Promise<void> {
  await ctx.queue.run((tx) => {
    requireBucket(ctx, name);
    const hasVersions = ctx.sql('SELECT 1 FROM versions WHERE bucket = ? LIMIT 1').get(name);
    if (hasVersions) {
      throw new StowageError(
        'E_BUCKET_NOT_EMPTY',
        `bucket "${name}" is not empty: delete its objects, versions and delete markers first`,
        { details: { bucket: name } },
      );
    }
    // Unfinished multipart uploads are not objects: S3 aborts them with the bucket (as RGW
    // and CloudServer do), so `aws s3 rb --force` works after an interrupted upload.
    const parts = ctx
      .sql(
        `SELECT p.blob_id FROM parts p JOIN uploads u ON u.upload_id = p.upload_id
         WHERE u.bucket = ? AND p.blob_id IS NOT NULL`,
      )
      .all(name) as Array<{ blob_id: string }>;
    tx.dropBlobs(parts.map((p) => p.blob_id));
    ctx.sql('DELETE FROM uploads WHERE bucket = ?').run(name);
    forgetCompleted(ctx, name);
    // Where its deleted versions stood (placement.ts): kept, they would place a marker of
    // the old bucket in a new one of the same name, and its listing would skip versions.
    ctx.sql('DELETE FROM version_gaps WHERE bucket = ?').run(name);
    ctx.buckets.invalidate();
    ctx.sql('DELETE FROM buckets WHERE name = ?').run(name);
  });
}

/** Sets the versioning state. A bucket can never go back to Unversioned, as in S3. */
export async function putBucketVersioning(
  ctx: EngineContext,
  name: string,
  state: string,
): Promise<void> {
  if (state !== 'Enabled' && state !== 'Suspended') {
    throw new StowageError(
      'E_ILLEGAL_VERSIONING_CONFIGURATION',
      `versioning status must be Enabled or Suspended, got "${state}"`,
    );
  }
  await ctx.blobs.ensureSpace(0);
  await ctx.queue.run(() => {
    if (requireBucket(ctx, name).objectLock && state !== 'Enabled') {
      throw new StowageError(
        'E_INVALID_BUCKET_STATE',
        `An Object Lock configuration is present on bucket "${name}", so the versioning ` +
          'state cannot be changed: it stays Enabled',
        { details: { bucket: name } },
      );
    }
    ctx.buckets.invalidate();
    ctx.sql('UPDATE buckets SET versioning = ? WHERE name = ?').run(state, name);
  });
}

/**
 * Turns Object Lock on (it can never be turned off) and stores the bucket's object-lock
 * document (its default retention, as the S3 front end writes it) in one commit. Needs
 * versioning Enabled, as S3 does.
 */
export async function putObjectLockConfiguration(
  ctx: EngineContext,
  name: string,
  document: string,
): Promise<void> {
  await ctx.blobs.ensureSpace(document.length);
  await ctx.queue.run(() => {
    const bucket = requireBucket(ctx, name);
    if (!bucket.objectLock && bucket.versioning !== 'Enabled') {
      throw new StowageError(
        'E_INVALID_BUCKET_STATE',
        `Versioning must be 'Enabled' on bucket "${name}" to apply an Object Lock configuration ` +
          `(it is ${bucket.versioning})`,
        { details: { bucket: name } },
      );
    }
    ctx.buckets.invalidate();
    ctx.sql('UPDATE buckets SET object_lock = 1 WHERE name = ?').run(name);
    ctx.sql(UPSERT_CONFIG).run(name, 'object-lock', '', document, ctx.now());
  });
}

/** The S3 error code S3 answers when a bucket has no document of this kind. */
const MISSING_CODE: Record<BucketConfigKind, string> = {
  policy: 'NoSuchBucketPolicy',
  cors: 'NoSuchCORSConfiguration',
  lifecycle: 'NoSuchLifecycleConfiguration',
  'intelligent-tiering': 'NoSuchConfiguration',
  encryption: 'ServerSideEncryptionConfigurationNotFoundError',
  'public-access-block': 'NoSuchPublicAccessBlockConfiguration',
  logging: 'NoSuchConfiguration',
  inventory: 'NoSuchConfiguration',
  replication: 'ReplicationConfigurationNotFoundError',
  tagging: 'NoSuchTagSet',
  notification: 'NoSuchConfiguration',
  metrics: 'NoSuchConfiguration',
  analytics: 'NoSuchConfiguration',
  acl: 'NoSuchConfiguration',
  website: 'NoSuchWebsiteConfiguration',
  'ownership-controls': 'OwnershipControlsNotFoundError',
  'object-lock': 'ObjectLockConfigurationNotFoundError',
  'request-payment': 'NoSuchConfiguration',
  accelerate: 'NoSuchConfiguration',
};

/** Every kind of bucket document the engine stores. */
export const BUCKET_CONFIG_KINDS = Object.keys(MISSING_CODE) as BucketConfigKind[];

function assertKind(kind: string): asserts kind is BucketConfigKind {
  if (!Object.hasOwn(MISSING_CODE, kind)) {
    throw new StowageError('E_INVALID_ARGUMENT', `unknown bucket configuration kind "${kind}"`, {
      details: { kind, expected: BUCKET_CONFIG_KINDS },
    });
  }
}

/**
 * Stores a bucket document (the S3 front end validates its content first). `id` names
 * one of several documents of a listable kind (inventory, intelligent-tiering, metrics,
 * analytics), at most 1,000 per kind and bucket.
 * `side` holds settings kept beside the document as rows of the same kind (by id), written
 * in the same commit.
 */
export async function putBucketConfig(
  ctx: EngineContext,
  bucket: string,
  kind: BucketConfigKind,
  document: string,
  id = '',
  side: Readonly<Record<string, string>> = {},
): Promise<void> {
  assertKind(kind);
  await ctx.blobs.ensureSpace(document.length);
  await ctx.queue.run(() => {
    requireBucket(ctx, bucket);
    if (id !== '') refuseTooMany(ctx, bucket, kind, id);
    ctx.buckets.invalidate();
    const upsert = ctx.sql(UPSERT_CONFIG);
    const now = ctx.now();
    upsert.run(bucket, kind, id, document, now);
    for (const [sideId, value] of Object.entries(side))
      upsert.run(bucket, kind, sideId, value, now);
  });
}

/**
 * Reads a bucket document, or undefined when the bucket has none (E_NO_SUCH_BUCKET still
 * throws). For the request path, which asks for policy, CORS, ACL, encryption and public
 * access block on every request and must not pay for an error each time.
 */
export function findBucketConfig(
  ctx: EngineContext,
  bucket: string,
  kind: BucketConfigKind,
  id = '',
): string | undefined {
  assertKind(kind);
  requireBucket(ctx, bucket);
  return ctx.buckets.document(bucket, kind, id, () => {
    const row = ctx
      .sql('SELECT document FROM bucket_configs WHERE bucket = ? AND kind = ? AND config_id = ?')
      .get(bucket, kind, id) as { document: string } | undefined;
    return row?.document;
  });
}

/** Reads a bucket document or throws E_NO_SUCH_BUCKET_CONFIG with S3's specific code. */
export function getBucketConfig(
  ctx: EngineContext,
  bucket: string,
  kind: BucketConfigKind,
  id = '',
): string {
  const document = findBucketConfig(ctx, bucket, kind, id);
  if (document === undefined) {
    throw new StowageError(
      'E_NO_SUCH_BUCKET_CONFIG',
      `bucket "${bucket}" has no ${kind} configuration${id ? ` with id "${id}"` : ''}`,
      { s3Code: MISSING_CODE[kind], details: { bucket, kind, id } },
    );
  }
  return document;
}

/** Lists the documents of one kind, by id. */
export function listBucketConfigs(
  ctx: EngineContext,
  bucket: string,
  kind: BucketConfigKind,
): Array<{ id: string; document: string }> {
  assertKind(kind);
  requireBucket(ctx, bucket);
  return ctx
    .sql(
      'SELECT config_id AS id, document FROM bucket_configs WHERE bucket = ? AND kind = ? ORDER BY config_id',
    )
    .all(bucket, kind) as Array<{ id: string; document: string }>;
}

/**
 * Deletes a bucket document. Deleting a bucket's only document of a kind (CORS, lifecycle
 * …) that it does not have succeeds, as in S3; deleting one of several by an `id` no
 * document has is E_NO_SUCH_BUCKET_CONFIG (NoSuchConfiguration), as S3 answers it. The
 * rows named by `sideIds` (settings kept beside the document) go in the same commit.
 */
export async function deleteBucketConfig(
  ctx: EngineContext,
  bucket: string,
  kind: BucketConfigKind,
  id = '',
  sideIds: readonly string[] = [],
): Promise<void> {
  assertKind(kind);
  await ctx.queue.run(() => {
    requireBucket(ctx, bucket);
    ctx.buckets.invalidate();
    const remove = ctx.sql(
      'DELETE FROM bucket_configs WHERE bucket = ? AND kind = ? AND config_id = ?',
    );
    const { changes } = remove.run(bucket, kind, id);
    for (const sideId of sideIds) remove.run(bucket, kind, sideId);
    if (changes === 0 && id !== '') {
      throw new StowageError(
        'E_NO_SUCH_BUCKET_CONFIG',
        `bucket "${bucket}" has no ${kind} configuration with id "${id}"`,
        { s3Code: MISSING_CODE[kind], details: { bucket, kind, id } },
      );
    }
  });
}
