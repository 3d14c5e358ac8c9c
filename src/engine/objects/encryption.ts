/**
 * Encryption at rest of object versions and uploads: resolving a requested setting,
 * making a blob's data key, and checking the SSE-C key a request brings.
 */
import { createHash } from 'node:crypto';
import { StowageError } from '../../errors.js';
import { requireBucket } from '../buckets.js';
import type { EngineContext } from '../context.js';
import {
  resolveEncryption,
  sealNewBlob,
  withCustomerKey,
  type BlobEnvelope,
  type BlobKey,
  type KeySource,
} from '../crypto/envelope.js';
import { KEY_BYTES } from '../crypto/keys.js';
import type { ObjectEncryption } from '../types.js';

/** A resolved setting and the data key of the blob about to be written. */
export interface BlobEncryption {
  setting: ObjectEncryption;
  encrypt: { envelope: BlobEnvelope; blobKey: BlobKey };
}

/** Validates `setting` for `bucket` (KMS key ids become ARNs in the bucket's region). */
export function resolveFor(
  ctx: EngineContext,
  bucket: string,
  setting: ObjectEncryption | undefined,
): ObjectEncryption | undefined {
  if (setting === undefined) return undefined;
  return resolveEncryption(setting, requireBucket(ctx, bucket).region);
}

/**
 * A fresh data key for one blob under a resolved setting; for SSE-C, wrapped under
 * `customerKey`, which must be the setting's key.
 */
export async function blobEncryption(
  ctx: EngineContext,
  setting: ObjectEncryption | undefined,
  customerKey?: Buffer,
  what: KeyedThing = 'object',
): Promise<BlobEncryption | undefined> {
  const keys = keysFor(ctx, setting, customerKey, what);
  if (!setting) return undefined;
  return { setting, encrypt: await sealNewBlob(keys, setting) };
}

/** The base64 MD5 of an SSE-C key, as S3 takes and reports it. */
export function customerKeyMd5(key: Buffer): string {
  return createHash('md5').update(key).digest('base64');
}

/** What an SSE-C key is checked against: a stored version, a copy's source, an upload. */
export type KeyedThing = 'object' | 'source' | 'upload';

const MISSING: Record<KeyedThing, string> = {
  object:
    'The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.',
  source:
    'The source object was stored using SSE-C: the copy needs its key (x-amz-copy-source-server-side-encryption-customer-*)',
  upload:
    'The multipart upload was initiated with SSE-C: every part needs the same key (x-amz-server-side-encryption-customer-*)',
};

/**
 * Checks the SSE-C key a request sent against the setting it is to open or write, and
 * returns the keys to do it with. An SSE-C setting needs its own key: none is
 * InvalidRequest, another one AccessDenied (InvalidArgument for a part of an upload, as
 * S3 answers). A key sent for anything else is InvalidRequest, as on S3.
 */
export function keysFor(
  ctx: EngineContext,
  setting: ObjectEncryption | undefined,
  customerKey: Buffer | undefined,
  what: KeyedThing,
): KeySource {
  if (setting?.algorithm !== 'SSE-C') {
    if (customerKey === undefined) return ctx.keys;
    throw new StowageError(
      'E_INVALID_REQUEST',
      what === 'upload'
        ? 'The encryption parameters are not applicable to this multipart upload: it was not initiated with SSE-C.'
        : 'The encryption parameters are not applicable to this object.',
    );
  }
  if (customerKey === undefined) throw new StowageError('E_INVALID_REQUEST', MISSING[what]);
  if (
    customerKey.byteLength !== KEY_BYTES ||
    customerKeyMd5(customerKey) !== setting.customerKeyMd5
  ) {
    throw new StowageError(
      what === 'upload' ? 'E_INVALID_ARGUMENT' : 'E_ACCESS_DENIED',
      what === 'upload'
        ? 'The provided encryption parameters did not match the ones used originally.'
        : `The SSE-C key does not match the key the ${what === 'source' ? 'source ' : ''}object was encrypted with.`,
    );
  }
  return withCustomerKey(ctx.keys, customerKey);
}

/** Parses a stored setting column. */
export function encryptionOf(column: string | null | undefined): ObjectEncryption | undefined {
  return column ? (JSON.parse(column) as ObjectEncryption) : undefined;
}

/** `{ encryption }` for spreading into results, or nothing. */
export function encryptionField(setting: ObjectEncryption | undefined): {
  encryption?: ObjectEncryption;
} {
  return setting ? { encryption: setting } : {};
}
