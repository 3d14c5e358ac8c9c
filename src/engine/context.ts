/** What every engine operation works with: the database, the blobs, the queue, the clock. */
import type { Database, Statement } from 'better-sqlite3';
import type { BlobStore } from './blobs/blob-store.js';
import type { BucketCache } from './bucket-cache.js';
import type { KeyStore } from './crypto/keys.js';
import type { CommitQueue } from './db/commit-queue.js';

/** Limits the engine enforces (validated config values). */
export interface EngineLimits {
  /** Minimum size of every multipart part but the last (S3: 5 MiB). */
  minPartSizeBytes: number;
  /** Largest single PUT or part (S3: 5 GiB). */
  maxPutSizeBytes: number;
  /** Largest object (S3: 5 TiB). */
  maxObjectSizeBytes: number;
}

/** Shared state of one open engine. */
export interface EngineContext {
  db: Database;
  /** A cached prepared statement for `sql` (see db/statements.ts). */
  sql(sql: string): Statement;
  blobs: BlobStore;
  /** Bucket rows and documents between requests (bucket-cache.ts). */
  buckets: BucketCache;
  /** Keys of encryption at rest (`<dataDir>/keys/`). */
  keys: KeyStore;
  queue: CommitQueue;
  limits: EngineLimits;
  /** Engine time in ms: the injected clock plus the persisted demo offset. */
  now(): number;
  /** Records a read of a version row (its last-access time, for tiering). */
  touch(rowId: number): void;
  /** Owner id recorded on buckets. */
  owner: string;
  /** Default region for buckets created without a LocationConstraint. */
  region: string;
}
