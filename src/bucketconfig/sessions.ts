/** How plan and apply reach the store of each bucket, and how they carry errors. */
import type { StoreSession } from '../client/ops/index.js';
import type { DesiredBucket } from './canonical.js';

/** An error as plans carry it (safe to print and to put in --json). */
export interface PlanError {
  code: string;
  message: string;
}

/** The session of a bucket's store: one session for all, or one per declared store. */
export type SessionFor = StoreSession | ((bucket: DesiredBucket) => Promise<StoreSession>);

/** The session for `bucket`. */
export async function sessionOf(
  sessions: SessionFor,
  bucket: DesiredBucket,
): Promise<StoreSession> {
  return typeof sessions === 'function' ? sessions(bucket) : sessions;
}
