/**
 * Changing an object's storage class in place: CopyObject onto itself with the new
 * StorageClass and MetadataDirective COPY (metadata, content type and tags are kept; the
 * object's encryption is asked for again, since a copy otherwise takes the bucket default).
 */
import { CopyObjectCommand, HeadObjectCommand, type StorageClass } from '@aws-sdk/client-s3';
import { StowageError } from '../../errors.js';
import { listObjects } from './list.js';
import { call, type ItemResult, type StoreSession } from './session.js';
import { S3_STORAGE_CLASSES } from '../../storage-classes.js';

/** The storage classes S3 knows. */
export const STORAGE_CLASSES = S3_STORAGE_CLASSES;

/** CopyObject's limit; larger objects need a multipart copy. */
export const MAX_COPY_OBJECT_BYTES = 5 * 1024 ** 3;

/** How many objects `--recursive` changes at once. */
const CONCURRENCY = 8;

/**
 * Copies an object over 5 GiB onto itself in the new class (a multipart copy, keeping
 * metadata, tags and encryption); set-class has no pacer or part pool of its own, so the
 * caller supplies one (the CLI passes src/transfer's copyObject).
 */
export type LargeClassCopy = (o: {
  bucket: string;
  key: string;
  storageClass: string;
  sse?: 'AES256' | 'aws:kms';
  sseKmsKeyId?: string;
}) => Promise<void>;

/** What set-class does with objects too large for CopyObject. */
export interface LargeObjects {
  copyLarge?: LargeClassCopy;
  /** Objects above this size go to `copyLarge`. Default 5 GiB (tests use less). */
  largeObjectBytes?: number;
}

/** One object of {@link setStorageClass}. */
export interface ClassChange {
  key: string;
  /** The class before the change, when known. */
  from?: string;
  to: string;
}

/** Checks a class name; returns it uppercased. */
export function checkStorageClass(name: string): string {
  const upper = name.toUpperCase();
  if (!(STORAGE_CLASSES as readonly string[]).includes(upper)) {
    throw new StowageError(
      'E_USAGE',
      `invalid storage class "${name}": expected one of ${STORAGE_CLASSES.join(', ')}`,
      { details: { storageClass: name } },
    );
  }
  return upper;
}

/**
 * Changes the class of one object (skipped when it is already in that class).
 *
 * @throws StowageError for a missing object; `E_INVALID_OBJECT_STATE` for an archived object
 *   that was not restored; `E_ENTITY_TOO_LARGE` above 5 GiB without `copyLarge`.
 */
export async function setObjectClass(
  session: StoreSession,
  options: { bucket: string; key: string; storageClass: string } & LargeObjects,
): Promise<ItemResult<ClassChange>> {
  const { bucket, key } = options;
  const to = checkStorageClass(options.storageClass);
  const head = await call(session, { bucket, key }, () =>
    session.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })),
  );
  const from = head.StorageClass ?? 'STANDARD';
  if (from === to) return { ok: true, skipped: `already ${to}`, key, from, to };
  const sse = head.ServerSideEncryption;
  if (Number(head.ContentLength ?? 0) > (options.largeObjectBytes ?? MAX_COPY_OBJECT_BYTES)) {
    if (!options.copyLarge) {
      throw new StowageError(
        'E_ENTITY_TOO_LARGE',
        `s3://${bucket}/${key}: objects over 5 GiB need a multipart copy (give copyLarge)`,
        { details: { bucket, key } },
      );
    }
    const copyLarge = options.copyLarge;
    await refusedClass(`s3://${bucket}/${key}`, to, () =>
      copyLarge({
        bucket,
        key,
        storageClass: to,
        ...(sse === 'AES256' || sse === 'aws:kms' ? { sse } : {}),
        ...(sse === 'aws:kms' && head.SSEKMSKeyId ? { sseKmsKeyId: head.SSEKMSKeyId } : {}),
      }),
    );
    return { ok: true, key, from, to };
  }
  await refusedClass(`s3://${bucket}/${key}`, to, () =>
    call(session, { bucket, key }, () =>
      session.s3.send(
        new CopyObjectCommand({
          Bucket: bucket,
          Key: key,
          // The copy source is a URL path: each key segment is percent-encoded.
          CopySource: `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`,
          StorageClass: to as StorageClass,
          MetadataDirective: 'COPY',
          ...(sse === 'AES256' ? { ServerSideEncryption: sse } : {}),
          ...(sse === 'aws:kms'
            ? { ServerSideEncryption: sse, SSEKMSKeyId: head.SSEKMSKeyId }
            : {}),
        }),
      ),
    ),
  );
  return { ok: true, key, from, to };
}

/**
 * A store that lacks a class (Ceph RGW without extra placement targets, MinIO without
 * tiers) answers InvalidStorageClass or a bare InvalidArgument: say which class it refused.
 */
async function refusedClass<R>(
  url: string,
  storageClass: string,
  send: () => Promise<R>,
): Promise<R> {
  try {
    return await send();
  } catch (err) {
    if (
      err instanceof StowageError &&
      (err.code === 'E_INVALID_STORAGE_CLASS' || err.code === 'E_INVALID_ARGUMENT')
    ) {
      throw new StowageError(
        'E_INVALID_STORAGE_CLASS',
        `${url}: the store does not accept storage class ${storageClass} (it answered ${String(err.details.s3Code ?? err.code)})`,
        { cause: err, details: { ...err.details, storageClass } },
      );
    }
    throw err;
  }
}

/**
 * Changes the class of every object under a prefix, a few at a time, yielding one result
 * per object (in completion order); failures are reported and the rest go on. Objects
 * already in the class are skipped without a request.
 *
 * @example
 * for await (const r of setClassRecursive(session, { bucket: 'renders', prefix: '2025/', storageClass: 'GLACIER' })) …
 */
export async function* setClassRecursive(
  session: StoreSession,
  options: { bucket: string; prefix: string; storageClass: string } & LargeObjects,
): AsyncGenerator<ItemResult<ClassChange>> {
  const { bucket, prefix, copyLarge, largeObjectBytes } = options;
  const to = checkStorageClass(options.storageClass);
  const running = new Map<number, Promise<{ id: number; result: ItemResult<ClassChange> }>>();
  let next = 0;
  const start = (key: string, from: string) => {
    const id = next++;
    const p = setObjectClass(session, {
      bucket,
      key,
      storageClass: to,
      copyLarge,
      largeObjectBytes,
    }).then(
      (result) => ({ id, result }),
      (err: unknown) => ({
        id,
        result: { ok: false as const, error: err as StowageError, key, from, to },
      }),
    );
    running.set(id, p);
  };
  for await (const entry of listObjects(session, { bucket, prefix, recursive: true })) {
    if (entry.type !== 'object') continue;
    if (entry.storageClass === to) {
      yield { ok: true, skipped: `already ${to}`, key: entry.key, from: to, to };
      continue;
    }
    start(entry.key, entry.storageClass);
    if (running.size >= CONCURRENCY) {
      const done = await Promise.race(running.values());
      running.delete(done.id);
      yield done.result;
    }
  }
  while (running.size > 0) {
    const done = await Promise.race(running.values());
    running.delete(done.id);
    yield done.result;
  }
}
