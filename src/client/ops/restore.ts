/**
 * Glacier-style restores: ask for a temporary readable copy (RestoreObject with Days and a
 * retrieval tier) and, optionally, wait for it by polling HeadObject's `x-amz-restore`.
 */
import { HeadObjectCommand, RestoreObjectCommand, type Tier } from '@aws-sdk/client-s3';
import { StowageError } from '../../errors.js';
import { translateS3Error } from '../errors.js';
import { parseRestoreHeader, type RestoreState } from './restore-header.js';
import { call, type StoreSession } from './session.js';

/** S3's retrieval tiers. */
export const RESTORE_TIERS = ['Standard', 'Bulk', 'Expedited'] as const;
export type RestoreTier = (typeof RESTORE_TIERS)[number];

/** What {@link requestRestore} asks for. */
export interface RestoreOptions {
  bucket: string;
  key: string;
  /** Days the restored copy stays readable (a whole number >= 1). */
  days: number;
  tier: RestoreTier;
}

/**
 * How a restore request went: `started` (202), `extended` (200: the copy was already
 * readable and now lives `days` longer), `in-progress` (409 RestoreAlreadyInProgress:
 * an earlier request still runs, which is no failure for the caller).
 */
export type RestoreOutcome = 'started' | 'extended' | 'in-progress';

/**
 * Asks the store to restore an archived object.
 *
 * @throws StowageError `E_USAGE` for bad days or tier; `E_INVALID_OBJECT_STATE` when the
 *   object is not in an archive class; `E_NO_SUCH_KEY` …
 * @example
 * await requestRestore(session, { bucket: 'backups', key: 'db/2026-01-01.sql.gz', days: 7, tier: 'Standard' });
 */
export async function requestRestore(
  session: StoreSession,
  options: RestoreOptions,
): Promise<RestoreOutcome> {
  const { bucket, key, days, tier } = options;
  if (!Number.isInteger(days) || days < 1) {
    throw new StowageError(
      'E_USAGE',
      `invalid --days "${String(days)}": expected a whole number of at least 1`,
    );
  }
  if (!(RESTORE_TIERS as readonly string[]).includes(tier)) {
    throw new StowageError(
      'E_USAGE',
      `invalid tier "${String(tier)}": expected ${RESTORE_TIERS.join(', ')}`,
    );
  }
  try {
    const out = await session.s3.send(
      new RestoreObjectCommand({
        Bucket: bucket,
        Key: key,
        RestoreRequest: { Days: days, GlacierJobParameters: { Tier: tier as Tier } },
      }),
    );
    return out.$metadata.httpStatusCode === 200 ? 'extended' : 'started';
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name === 'RestoreAlreadyInProgress') return 'in-progress';
    const error = translateS3Error(err, { bucket, key, store: session.store });
    if (error.code === 'E_NOT_IMPLEMENTED') {
      throw new StowageError(
        'E_NOT_IMPLEMENTED',
        `s3://${bucket}/${key}: the store does not implement RestoreObject (it has no archive storage classes to restore from)`,
        { cause: error, details: error.details },
      );
    }
    throw error;
  }
}

/** How {@link waitForRestore} polls. */
export interface WaitForRestoreOptions {
  bucket: string;
  key: string;
  /** Give up after this long (E_REQUEST_TIMEOUT). */
  timeoutMs: number;
  /** First pause between polls (default 1 s); it grows by half each time. */
  initialDelayMs?: number;
  /** Longest pause between polls (default 5 min: AWS restores take minutes to hours). */
  maxDelayMs?: number;
  /** Called after each poll that found the restore still running. */
  onPoll?: (state: RestoreState | undefined, elapsedMs: number) => void;
  /** Stops waiting (the promise rejects with the signal's reason). */
  signal?: AbortSignal;
}

/**
 * Polls HeadObject until `x-amz-restore` says `ongoing-request="false"`, with a growing
 * pause between polls. Resolves with the finished state (its expiry date).
 *
 * @throws StowageError `E_REQUEST_TIMEOUT` after `timeoutMs`; `E_INVALID_OBJECT_STATE` when
 *   no restore was requested for the object; errors of HeadObject.
 */
export async function waitForRestore(
  session: StoreSession,
  options: WaitForRestoreOptions,
): Promise<RestoreState> {
  const { bucket, key, timeoutMs, signal } = options;
  const start = Date.now();
  let delay = options.initialDelayMs ?? 1000;
  const maxDelay = options.maxDelayMs ?? 300_000;
  for (;;) {
    signal?.throwIfAborted();
    const head = await call(session, { bucket, key }, () =>
      session.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal }),
    );
    const state = parseRestoreHeader(head.Restore);
    if (state && !state.ongoing) return state;
    const cls = head.StorageClass ?? 'STANDARD';
    if (!state && cls !== 'GLACIER' && cls !== 'DEEP_ARCHIVE') {
      // Nothing to wait for: the object is readable as it is.
      return { ongoing: false };
    }
    if (!state) {
      throw new StowageError(
        'E_INVALID_OBJECT_STATE',
        `s3://${bucket}/${key}: no restore is running for this ${cls} object; start one with restore --days N`,
        { details: { bucket, key, storageClass: cls } },
      );
    }
    const elapsed = Date.now() - start;
    options.onPoll?.(state, elapsed);
    if (elapsed >= timeoutMs) {
      throw new StowageError(
        'E_REQUEST_TIMEOUT',
        `s3://${bucket}/${key}: the restore was still running after ${Math.round(elapsed / 1000)} s`,
        { details: { bucket, key, timeoutMs } },
      );
    }
    await sleep(Math.min(delay, Math.max(0, timeoutMs - elapsed)), signal);
    delay = Math.min(maxDelay, Math.round(delay * 1.5));
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
