/**
 * Encryption at rest of object versions and uploads: resolving a requested setting,
 * making a blob's data key, and recording the setting next to the row it belongs to.
 */
import { requireBucket } from '../buckets.js';
import type { EngineContext } from '../context.js';
import {
  resolveEncryption,
  sealNewBlob,
  type BlobEnvelope,
  type BlobKey,
} from '../crypto/envelope.js';
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

/** A fresh data key for one blob under a resolved setting. */
export async function blobEncryption(
  ctx: EngineContext,
  setting: ObjectEncryption | undefined,
): Promise<BlobEncryption | undefined> {
  if (!setting) return undefined;
  return { setting, encrypt: await sealNewBlob(ctx.keys, setting) };
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

/** Records the setting of an upload just created (inside its commit job). */
export function setUploadEncryption(
  ctx: EngineContext,
  uploadId: string,
  setting: ObjectEncryption | undefined,
): void {
  if (!setting) return;
  ctx
    .sql('UPDATE uploads SET encryption = ? WHERE upload_id = ?')
    .run(JSON.stringify(setting), uploadId);
}
