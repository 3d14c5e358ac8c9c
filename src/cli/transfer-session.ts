/**
 * What one cp / mv / rm / sync run shares: the store's client (with few SDK retries,
 * because the transfer layer retries through the pacer), one {@link Pacer}, the
 * concurrency, part size and the directory of multipart resume state.
 */
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client, type ResolvedStore } from '../client/index.js';
import { DEFAULT_CONCURRENCY, Pacer } from '../transfer/index.js';
import type { CliContext } from './context.js';
import { storeFor } from './store.js';

/** One run's transfer surroundings. */
export interface TransferSession {
  store: ResolvedStore;
  client: S3Client;
  pacer: Pacer;
  /** Files (or deletions) in flight at once. */
  fileConcurrency: number;
  /** Parts in flight per file. */
  partConcurrency: number;
  partSizeBytes: number;
  /** Where multipart uploads keep their resume state. */
  stateDir: string;
  /** Closes the client's sockets. */
  close(): void;
}

/** The limits a run was given on the command line (already validated). */
export interface SessionLimits {
  rateLimit?: number;
  bandwidthLimit?: number;
}

/** Files in flight when neither the store nor S3_MAX_PARALLEL_UPLOADS says otherwise. */
export const DEFAULT_FILE_CONCURRENCY = 32;

/**
 * `$XDG_CACHE_HOME/stowage/transfers`, else `~/.cache/stowage/transfers`: a re-run of the
 * same command finds the state of an interrupted multipart upload there and resumes it.
 */
export function transferStateDir(env: Record<string, string | undefined>): string {
  const cache = env.XDG_CACHE_HOME || path.join(env.HOME || env.USERPROFILE || '.', '.cache');
  return path.join(cache, 'stowage', 'transfers');
}

/**
 * Opens the run's store for transfers.
 *
 * @example
 * const session = await openTransferSession(ctx, { rateLimit: 100 });
 * try { … } finally { session.close(); }
 */
export async function openTransferSession(
  ctx: CliContext,
  limits: SessionLimits,
): Promise<TransferSession> {
  const { store } = await storeFor(ctx);
  const client = createS3Client(store, { maxAttempts: 2, bodiesCarryMd5: true });
  const pacer = new Pacer({
    rateLimit: limits.rateLimit ?? store.rateLimit,
    bandwidthLimit: limits.bandwidthLimit ?? store.bandwidthLimit,
  });
  const files =
    store.defaults.maxParallelUploads ?? Math.min(store.maxSockets, DEFAULT_FILE_CONCURRENCY);
  return {
    store,
    client,
    pacer,
    fileConcurrency: Math.max(1, files),
    partConcurrency: DEFAULT_CONCURRENCY,
    partSizeBytes: store.partSizeBytes,
    stateDir: transferStateDir(ctx.io.env),
    close: () => client.destroy(),
  };
}
