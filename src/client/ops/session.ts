/**
 * What every store operation takes: the client and, for error messages, the store it talks
 * to. Operations translate every SDK error with {@link translateS3Error} before it leaves.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { StowageError } from '../../errors.js';
import { translateS3Error } from '../errors.js';
import type { ResolvedStore } from '../types.js';

/** A client plus the store it was made for. */
export interface StoreSession {
  s3: S3Client;
  /** Names the store and its key (masked) in credential errors. */
  store?: Pick<ResolvedStore, 'name' | 'credentials' | 'source'> & { endpoint?: string };
}

/**
 * The outcome of one item of a batch (a deleted version, an object whose class changed):
 * batches report every item and finish the rest instead of throwing on the first failure.
 */
export type ItemResult<T> =
  ({ ok: true; skipped?: string } & T) | ({ ok: false; error: StowageError } & T);

/** Runs one SDK call, translating what it throws. */
export async function call<R>(
  session: StoreSession,
  where: { bucket?: string; key?: string },
  send: () => Promise<R>,
): Promise<R> {
  try {
    return await send();
  } catch (err) {
    throw translateS3Error(err, { ...where, store: session.store });
  }
}
