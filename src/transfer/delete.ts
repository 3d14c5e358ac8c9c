/**
 * Deleting objects and reading the stored SHA-256, paced and retried like every other
 * request of a run: the pieces `rm`, `mv` and `sync --delete` / `--checksum` need.
 */
import { DeleteObjectCommand, DeleteObjectsCommand, type S3Client } from '@aws-sdk/client-s3';
import { splitByXml, translateS3Error } from '../client/index.js';
import type { StowageError } from '../errors.js';
import type { Pacer } from './pacer.js';
import { withRetry } from './retry.js';
import { headWithRetry } from './source-head.js';
import { META_MTIME, META_SHA256 } from './types.js';

/** S3's most keys per DeleteObjects request. */
export const MAX_DELETE_BATCH = 1000;

/** The outcome of one key of {@link deleteObjects}. */
export type DeletedKey =
  { key: string; ok: true } | { key: string; ok: false; error: StowageError };

const url = (bucket: string, key: string) => `s3://${bucket}/${key}`;

/**
 * Deletes one object. Deleting a key that does not exist succeeds, as in S3.
 *
 * @example
 * await deleteObject({ client, pacer }, 'assets', 'old/a.png');
 */
export async function deleteObject(
  s: { client: S3Client; pacer: Pacer; attempts?: number },
  bucket: string,
  key: string,
): Promise<void> {
  await withRetry(
    s.pacer,
    () => s.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })),
    { attempts: s.attempts, what: `delete of ${url(bucket, key)}`, target: { bucket, key } },
  );
}

/**
 * Deletes keys in DeleteObjects batches of at most {@link MAX_DELETE_BATCH} and yields one
 * result per key: a key the store refused carries the store's reason; when a whole batch
 * request fails, each of its keys carries that error. The rest go on.
 *
 * @example
 * for await (const r of deleteObjects({ client, pacer }, 'assets', keys)) if (!r.ok) console.error(r.key, r.error.message);
 */
export async function* deleteObjects(
  s: { client: S3Client; pacer: Pacer; attempts?: number },
  bucket: string,
  keys: AsyncIterable<string> | Iterable<string>,
  batchSize = MAX_DELETE_BATCH,
): AsyncGenerator<DeletedKey> {
  const size = Math.max(1, Math.min(MAX_DELETE_BATCH, Math.floor(batchSize)));
  let batch: string[] = [];
  for await (const key of keys) {
    batch.push(key);
    if (batch.length >= size) {
      yield* deleteBatch(s, bucket, batch);
      batch = [];
    }
  }
  if (batch.length > 0) yield* deleteBatch(s, bucket, batch);
}

async function* deleteBatch(
  s: { client: S3Client; pacer: Pacer; attempts?: number },
  bucket: string,
  batch: string[],
): AsyncGenerator<DeletedKey> {
  // Keys XML cannot carry would fail the whole DeleteObjects (MalformedXML): one by one.
  const [keys, alone] = splitByXml(batch, (k) => k);
  for (const key of alone) {
    try {
      await deleteObject(s, bucket, key);
      yield { key, ok: true };
    } catch (err) {
      yield { key, ok: false, error: err as StowageError };
    }
  }
  if (keys.length === 0) return;
  let out;
  try {
    out = await withRetry(
      s.pacer,
      () =>
        s.client.send(
          new DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
          }),
        ),
      {
        attempts: s.attempts,
        what: `delete of ${keys.length} keys in s3://${bucket}/`,
        target: { bucket },
      },
    );
  } catch (err) {
    for (const key of keys) yield { key, ok: false, error: err as StowageError };
    return;
  }
  const errors = new Map<string, { Code?: string; Message?: string }>();
  for (const e of out.Errors ?? []) if (e.Key !== undefined) errors.set(e.Key, e);
  for (const key of keys) {
    const e = errors.get(key);
    if (!e) {
      yield { key, ok: true };
      continue;
    }
    const cause = Object.assign(new Error(e.Message ?? e.Code ?? 'delete failed'), {
      name: e.Code ?? 'Error',
    });
    yield { key, ok: false, error: translateS3Error(cause, { bucket, key }) };
  }
}

type HeadSession = { client: S3Client; pacer: Pacer; attempts?: number };

/** The user metadata of an object (one HEAD). */
async function storedMetadata(
  s: HeadSession,
  bucket: string,
  key: string,
): Promise<Record<string, string>> {
  const head = await headWithRetry(
    s.client,
    s.pacer,
    { bucket, key },
    {
      attempts: s.attempts,
      what: `stat of ${url(bucket, key)}`,
    },
  );
  return head.Metadata ?? {};
}

/**
 * The `stowage-sha256` an upload stored with the object (one HEAD), or undefined when the
 * object has none (written by another tool). For `sync --checksum`.
 */
export async function storedSha256(
  s: HeadSession,
  bucket: string,
  key: string,
): Promise<string | undefined> {
  const value = (await storedMetadata(s, bucket, key))[META_SHA256];
  return value && /^[0-9a-f]{64}$/i.test(value) ? value.toLowerCase() : undefined;
}

/**
 * The `stowage-mtime` (ms) an upload stored with the object: the mtime its file had. One
 * HEAD; undefined when the object has none. For sync's time rule (compare.ts).
 */
export async function storedMtime(
  s: HeadSession,
  bucket: string,
  key: string,
): Promise<number | undefined> {
  const value = Number((await storedMetadata(s, bucket, key))[META_MTIME]);
  return Number.isFinite(value) ? value : undefined;
}
