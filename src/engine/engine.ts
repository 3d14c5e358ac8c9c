/**
 * The embedded object store: one data directory holding a SQLite metadata database
 * (`meta.db`) and blob files (`blobs/`, `tmp/`). This class composes the operation
 * modules and owns the lifecycle: lock, recovery, group commit, clean shutdown.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { databaseFile } from '../data-dir.js';
import { syncMadeDirectories } from '../durable-write.js';
import { StowageError } from '../errors.js';
import { BlobStore } from './blobs/blob-store.js';
import type { BlobBody } from './blobs/write-blob.js';
import * as buckets from './buckets.js';
import type { EngineContext, EngineLimits } from './context.js';
import { CommitQueue } from './db/commit-queue.js';
import { compactDatabase, type CompactReport } from './db/compact.js';
import { KeyStore } from './crypto/keys.js';
import { keyInUse } from './crypto/keys-in-use.js';
import { openDatabase } from './db/open-database.js';
import { WalSync } from './db/wal-sync.js';
import { writeFault } from './db/write-faults.js';
import { InlineBlobs } from './blobs/inline-blobs.js';
import { AccessTimes } from './access-times.js';
import { BucketCache } from './bucket-cache.js';
import { loadXxhash } from './checksums/index.js';
import { statementCache } from './db/statements.js';
import { checkIntegrity, type IntegrityReport } from './integrity.js';
import { listMultipartUploads } from './listing/list-uploads.js';
import { listObjects, listObjectSummaries } from './listing/list-objects.js';
import { listObjectVersions } from './listing/list-versions.js';
import { lockDataDir } from './lock.js';
import * as acl from './objects/acl.js';
import * as attributes from './objects/attributes.js';
import { copyObject } from './objects/copy.js';
import { deleteObject, deleteObjects } from './objects/delete.js';
import * as multipart from './objects/multipart/index.js';
import * as lock from './objects/object-lock.js';
import { putObject } from './objects/put.js';
import { getObject, headObject, versionToChange } from './objects/read.js';
import { recover, refuseLostDatabase, setCleanFlag, type RecoveryReport } from './recovery.js';
import type * as T from './types.js';
import { filesystemOf, type FilesystemInfo } from './filesystem.js';
import { defaultReserveBytes, setupError } from './setup-errors.js';

/** Options of Engine.open. */
export interface EngineOptions {
  /** The data directory; created if missing. */
  dataDir: string;
  /** fsync blobs, directories and commits (default true). Off only for throwaway data. */
  fsync?: boolean;
  /** Source of time (default: the system clock). */
  clock?: T.Clock;
  limits?: Partial<EngineLimits>;
  /** Region for buckets created without one (default us-east-1). */
  region?: string;
  /** Owner recorded on buckets (default "stowage"). */
  owner?: string;
  /**
   * Free space new object bytes must leave on the file system (default: 2% of its size,
   * at most 64 MiB, at least 8 MiB or a quarter of a small one). Writes that would eat into it fail with E_STORAGE_FULL, so deletes,
   * which need a little room for the metadata journal, can still free space. 0 disables.
   */
  reserveBytes?: number;
  /**
   * Bodies of at most this many bytes, written by a PUT or a copy, are kept in the
   * metadata database rather than in files (default 128 KiB; 0: always files). See
   * blobs/inline-blobs.ts.
   */
  inlineMaxBytes?: number;
  /**
   * Opens a data directory on a network or FUSE file system (NFS, SMB, sshfs …), which is
   * refused otherwise: its lock cannot keep out a second server on another mount, and two
   * servers corrupt the database (filesystem.ts). Only for a directory one server uses.
   */
  allowNetworkFilesystem?: boolean;
  /**
   * Runs SQLite's `quick_check` on the metadata database before anything writes to it, and
   * refuses a damaged one (`E_DATA_CORRUPT`) rather than answering errors later. `stowage
   * serve` sets it; it reads the whole database file once.
   */
  verifyDatabase?: boolean;
}

const DAY_MS = 86_400_000;

/**
 * How far `advanceClock` may move engine time ahead of the system clock: 100 years, ample
 * for demos, and dates that S3's forms (four-digit years) and JavaScript can still write.
 * Past JavaScript's last date, every later command on the data directory failed with
 * "Invalid time value".
 */
export const MAX_CLOCK_OFFSET_MS = 36_525 * DAY_MS;

/** S3's limits, the defaults. */
export const DEFAULT_LIMITS: EngineLimits = {
  minPartSizeBytes: 5 * 1024 * 1024,
  maxPutSizeBytes: 5 * 1024 ** 3,
  maxObjectSizeBytes: 5 * 1024 ** 4,
};

const systemClock: T.Clock = { now: () => Date.now() };

/** How long the slow parts of Engine.open took, in milliseconds. */
export interface OpenTimes {
  /** Opening meta.db, with SQLite's quick_check when `verifyDatabase` asked for it. */
  databaseMs: number;
  /** Start-up recovery: after an unclean shutdown, a scan of every blob file. */
  recoveryMs: number;
}

/**
 * The embedded object store engine.
 *
 * @example
 * const engine = await Engine.open({ dataDir: './stowage-data' });
 * await engine.createBucket('game-assets');
 * await engine.putObject('game-assets', 'sprites/hero.png', bytes, { headers: { contentType: 'image/png' } });
 * const { body } = engine.getObject('game-assets', 'sprites/hero.png');
 * await engine.close();
 */
export class Engine {
  private closed = false;
  private readonly inFlight = new Set<Promise<unknown>>();

  private constructor(
    readonly dataDir: string,
    private readonly db: Database,
    private readonly blobs: BlobStore,
    private readonly queue: CommitQueue,
    private readonly ctx: EngineContext,
    private readonly unlock: () => Promise<void>,
    /** What start-up recovery found and cleaned. */
    readonly recovery: RecoveryReport,
    /** The persisted demo clock offset, shared with ctx.now(). */
    private readonly offset: { ms: number },
    /** Last-access times waiting for the next commit batch. */
    private readonly accessTimes: AccessTimes,
    /** The file system of the data directory. */
    readonly filesystem: FilesystemInfo,
    /** How long opening took: the database (with its check, if asked) and recovery. */
    readonly openTimes: OpenTimes,
  ) {}

  /** Opens (creating if needed) a data directory. Only one process may hold it. */
  static async open(options: EngineOptions): Promise<Engine> {
    const dataDir = path.resolve(options.dataDir);
    let unlock: () => Promise<void>;
    let filesystem: FilesystemInfo;
    /** The first directory mkdir made on the way to dataDir, if any. */
    let madeDir: string | undefined;
    try {
      // A directory made here is the owner's alone; an existing one keeps its mode.
      madeDir = await fsp.mkdir(dataDir, { recursive: true, mode: 0o700 });
      filesystem = filesystemOf(dataDir);
      if (filesystem.shared && options.allowNetworkFilesystem !== true) {
        throw new StowageError(
          'E_CONFIG_INVALID',
          `cannot use data directory ${dataDir}: it is on ${filesystem.type}, a network or FUSE file system, ` +
            "where the directory's lock cannot keep out a server using it through another mount or " +
            'from another machine, and two servers corrupt its database. Put it on a local disk ' +
            '(and back that up to the share), or set engine.allowNetworkFilesystem: true if only ' +
            'one server will ever use it',
          { details: { dataDir, filesystem: filesystem.type } },
        );
      }
      unlock = await lockDataDir(dataDir);
    } catch (err) {
      throw setupError(err, dataDir);
    }
    let opened: Database | undefined;
    try {
      // The XXHASH checksums are WebAssembly, compiled once before the first write. Without
      // WebAssembly (node --jitless) only they are refused (NotImplemented), not the engine.
      await loadXxhash().catch(() => undefined);
      const fsync = options.fsync ?? true;
      const reserveBytes = options.reserveBytes ?? (await defaultReserveBytes(dataDir));
      const blobs = new BlobStore(dataDir, {
        fsync,
        reserveBytes,
        ...(options.inlineMaxBytes !== undefined ? { inlineMaxBytes: options.inlineMaxBytes } : {}),
      });
      await blobs.init();
      // The data directory's entries (tmp/, blobs/; meta.db's comes with SQLite's sync of
      // its write-ahead log) and, when this open made it, its own entry in its parent and
      // those of the directories made on the way: without them a power cut after
      // acknowledged writes could take the whole new directory (a power-loss layer did).
      if (fsync) await syncMadeDirectories(dataDir, madeDir);
      const dbFile = databaseFile(dataDir);
      await refuseLostDatabase(dbFile, blobs);
      const openingDb = performance.now();
      const db = openDatabase(dbFile, { verify: options.verifyDatabase === true });
      opened = db;
      const recovering = performance.now();
      blobs.attachInline(new InlineBlobs(db));
      multipart.continueUploadIds(db);
      const report = await recover(db, blobs);
      const openTimes: OpenTimes = {
        databaseMs: Math.round(recovering - openingDb),
        recoveryMs: Math.round(performance.now() - recovering),
      };
      const clock = options.clock ?? systemClock;
      const row = db.prepare("SELECT value FROM settings WHERE name = 'clock_offset_ms'").get() as
        { value: string } | undefined;
      // An offset stored past the limit (by a version that did not check it) is read as the
      // limit, so the data directory opens.
      const stored = row ? Number(row.value) : 0;
      const offset = { ms: stored >= 0 ? Math.min(stored, MAX_CLOCK_OFFSET_MS) : 0 };
      const queue = new CommitQueue(
        db,
        (ids) => blobs.remove(ids),
        (ids) => blobs.dropInline(ids),
        fsync ? new WalSync(`${dbFile}-wal`) : undefined,
      );
      const recordKey = db.prepare('INSERT OR IGNORE INTO encryption_keys (ref) VALUES (?)');
      const forgetKey = db.prepare('DELETE FROM encryption_keys WHERE ref = ?');
      const accessTimes = new AccessTimes(db, () => queue.schedule());
      const ctx: EngineContext = {
        db,
        sql: statementCache(db),
        blobs,
        buckets: new BucketCache(db),
        keys: new KeyStore(
          dataDir,
          (ref) => keyInUse(db, ref),
          (ref) => recordKey.run(ref),
          (ref) => forgetKey.run(ref),
        ),
        queue,
        limits: { ...DEFAULT_LIMITS, ...options.limits },
        now: () => clock.now() + offset.ms,
        touch: (rowId) => accessTimes.record(rowId, ctx.now()),
        owner: options.owner ?? 'stowage',
        region: options.region ?? 'us-east-1',
      };
      await ctx.keys.checkKeys(
        db.prepare('SELECT ref FROM encryption_keys').pluck().all() as string[],
      );
      queue.addBatchHook(() => accessTimes.write());
      return new Engine(
        dataDir,
        db,
        blobs,
        queue,
        ctx,
        unlock,
        report,
        offset,
        accessTimes,
        filesystem,
        openTimes,
      );
    } catch (err) {
      // E.g. recovery's metadata write on a full disk: release everything, report it as ours.
      opened?.close();
      await unlock();
      throw setupError(err, dataDir);
    }
  }

  /**
   * Runs an operation unless closed, and lets close() wait for it. An operation that failed
   * on a read-only data directory or a deleted metadata log stops writes (write-faults.ts)
   * and fails with why.
   */
  private op<R>(fn: () => R): R {
    if (this.closed) throw new StowageError('E_ENGINE_CLOSED');
    const r = fn();
    if (r instanceof Promise) {
      const p = r
        .catch((err: unknown) => {
          const fault = writeFault(err, this.dataDir);
          if (!fault) throw err;
          this.queue.halt(fault);
          throw this.writesStopped ?? fault;
        })
        .finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
      return p as R;
    }
    return r;
  }

  /** Engine time (ms since epoch): the clock plus the persisted offset. */
  now(): number {
    return this.ctx.now();
  }

  /**
   * The time Object Lock retention is counted and judged by: engine time, but never later
   * than the real time, so an advanced clock neither ends nor lengthens a retention.
   */
  lockNow(): number {
    return lock.lockClock(this.ctx);
  }

  /**
   * Moves engine time forward (persisted), so demos and tests can let restores complete
   * without waiting hours.
   */
  async advanceClock(ms: number): Promise<number> {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new StowageError('E_INVALID_ARGUMENT', `the clock can only move forward, got ${ms} ms`);
    }
    return this.op(() =>
      this.queue.run(() => {
        const next = this.offset.ms + ms;
        if (next > MAX_CLOCK_OFFSET_MS) {
          const days = (n: number): string =>
            `${Math.floor(n / DAY_MS).toLocaleString('en-US')} days`;
          throw new StowageError(
            'E_INVALID_ARGUMENT',
            `the engine clock can be at most 100 years (36,525 days) ahead of the system clock: it is ${days(this.offset.ms)} ahead, and ${days(ms)} more would pass that`,
          );
        }
        this.db
          .prepare(
            "INSERT INTO settings (name, value) VALUES ('clock_offset_ms', ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
          )
          .run(String(next));
        this.offset.ms = next;
        return next;
      }),
    );
  }

  /** The persisted clock offset in ms. */
  get clockOffset(): number {
    return this.offset.ms;
  }

  /**
   * Creates a bucket; `documents` (an ACL, ownership controls, tags…) are stored in the
   * same commit, so the bucket never exists without them.
   */
  createBucket(
    name: string,
    options: {
      region?: string;
      documents?: Readonly<Partial<Record<T.BucketConfigKind, string>>>;
      /** Create it with Object Lock (and so versioning Enabled). */
      objectLock?: boolean;
    } = {},
  ): Promise<T.BucketInfo> {
    return this.op(() =>
      buckets.createBucket(this.ctx, name, options.region, options.documents ?? {}, {
        objectLock: options.objectLock === true,
      }),
    );
  }
  /** Turns Object Lock on (for good) and stores the bucket's object-lock document. */
  putObjectLockConfiguration(bucket: string, document: string): Promise<void> {
    return this.op(() => buckets.putObjectLockConfiguration(this.ctx, bucket, document));
  }
  getObjectRetention(bucket: string, key: string, versionId?: string): T.ObjectRetention {
    return this.op(() => lock.getObjectRetention(this.ctx, bucket, key, versionId));
  }
  /** Sets, extends, shortens or (undefined) removes a version's retention. */
  putObjectRetention(
    bucket: string,
    key: string,
    retention: T.ObjectRetention | undefined,
    options?: { versionId?: string; bypassGovernance?: boolean },
  ): Promise<{ versionId: string }> {
    return this.op(() => lock.putObjectRetention(this.ctx, bucket, key, retention, options));
  }
  getObjectLegalHold(bucket: string, key: string, versionId?: string): T.LegalHoldStatus {
    return this.op(() => lock.getObjectLegalHold(this.ctx, bucket, key, versionId));
  }
  putObjectLegalHold(
    bucket: string,
    key: string,
    status: T.LegalHoldStatus,
    versionId?: string,
  ): Promise<{ versionId: string }> {
    return this.op(() => lock.putObjectLegalHold(this.ctx, bucket, key, status, versionId));
  }
  headBucket(name: string): T.BucketInfo {
    return this.op(() => buckets.requireBucket(this.ctx, name));
  }
  listBuckets(): T.BucketInfo[] {
    return this.op(() => buckets.listBuckets(this.ctx));
  }
  deleteBucket(name: string): Promise<void> {
    return this.op(() => buckets.deleteBucket(this.ctx, name));
  }
  putBucketVersioning(name: string, state: 'Enabled' | 'Suspended'): Promise<void> {
    return this.op(() => buckets.putBucketVersioning(this.ctx, name, state));
  }
  getBucketVersioning(name: string): T.VersioningState {
    return this.op(() => buckets.requireBucket(this.ctx, name).versioning);
  }
  /** Stores a bucket document, and the settings in `side` beside it in the same commit. */
  putBucketConfig(
    bucket: string,
    kind: T.BucketConfigKind,
    document: string,
    id?: string,
    side?: Readonly<Record<string, string>>,
  ): Promise<void> {
    return this.op(() => buckets.putBucketConfig(this.ctx, bucket, kind, document, id, side));
  }
  /** A bucket document, or undefined when there is none (NoSuchBucket still throws). */
  findBucketConfig(bucket: string, kind: T.BucketConfigKind, id?: string): string | undefined {
    return this.op(() => buckets.findBucketConfig(this.ctx, bucket, kind, id));
  }
  getBucketConfig(bucket: string, kind: T.BucketConfigKind, id?: string): string {
    return this.op(() => buckets.getBucketConfig(this.ctx, bucket, kind, id));
  }
  listBucketConfigs(
    bucket: string,
    kind: T.BucketConfigKind,
  ): Array<{ id: string; document: string }> {
    return this.op(() => buckets.listBucketConfigs(this.ctx, bucket, kind));
  }
  /** Deletes a bucket document, and the side rows `sideIds` in the same commit. */
  deleteBucketConfig(
    bucket: string,
    kind: T.BucketConfigKind,
    id?: string,
    sideIds?: readonly string[],
  ): Promise<void> {
    return this.op(() => buckets.deleteBucketConfig(this.ctx, bucket, kind, id, sideIds));
  }

  putObject(
    bucket: string,
    key: string,
    body: BlobBody,
    options?: T.PutObjectOptions,
  ): Promise<T.PutObjectResult> {
    return this.op(() => putObject(this.ctx, bucket, key, body, options));
  }
  getObject(bucket: string, key: string, options?: T.GetObjectOptions): T.GetObjectResult {
    return this.op(() => getObject(this.ctx, bucket, key, options));
  }
  /** The object's metadata; with a Range or partNumber, `range` is the bytes a GET would send. */
  headObject(
    bucket: string,
    key: string,
    options?: T.GetObjectOptions,
  ): T.ObjectInfo & { range?: { start: number; end: number } } {
    return this.op(() => headObject(this.ctx, bucket, key, options));
  }
  deleteObject(
    bucket: string,
    key: string,
    options?: T.DeleteObjectOptions,
  ): Promise<T.DeleteObjectResult> {
    return this.op(() => deleteObject(this.ctx, bucket, key, options));
  }
  deleteObjects(
    bucket: string,
    items: ReadonlyArray<{ key: string; versionId?: string; bypassGovernance?: boolean }>,
  ): Promise<T.DeleteObjectsItem[]> {
    return this.op(() => deleteObjects(this.ctx, bucket, items));
  }
  copyObject(
    source: { bucket: string; key: string },
    dest: { bucket: string; key: string },
    options?: T.CopyObjectOptions,
  ): Promise<T.CopyObjectResult> {
    return this.op(() =>
      copyObject(this.ctx, source.bucket, source.key, dest.bucket, dest.key, options),
    );
  }
  listObjects(bucket: string, options?: T.ListObjectsOptions): T.ListObjectsResult {
    return this.op(() => listObjects(this.ctx, bucket, options));
  }
  /** listObjects without headers, metadata, tags, parts or encryption: what a listing shows. */
  listObjectSummaries(
    bucket: string,
    options?: T.ListObjectsOptions,
  ): T.ListObjectsResult<T.ObjectSummary> {
    return this.op(() => listObjectSummaries(this.ctx, bucket, options));
  }
  listObjectVersions(bucket: string, options?: T.ListVersionsOptions): T.ListVersionsResult {
    return this.op(() => listObjectVersions(this.ctx, bucket, options));
  }
  getObjectTagging(
    bucket: string,
    key: string,
    versionId?: string,
  ): { versionId: string; tags: Record<string, string> } {
    return this.op(() => attributes.getObjectTagging(this.ctx, bucket, key, versionId));
  }
  putObjectTagging(
    bucket: string,
    key: string,
    tags: Record<string, string>,
    versionId?: string,
  ): Promise<{ versionId: string }> {
    return this.op(() => attributes.putObjectTagging(this.ctx, bucket, key, tags, versionId));
  }
  /** The ACL of a version (latest without `versionId`); `acl` is undefined when private. */
  getObjectAcl(
    bucket: string,
    key: string,
    versionId?: string,
  ): { versionId: string; acl?: string } {
    return this.op(() => acl.getObjectAcl(this.ctx, bucket, key, versionId));
  }
  /** Throws what a PutObjectAcl of this version would (NoSuchKey, 405 on a delete marker …). */
  checkObjectAclTarget(bucket: string, key: string, versionId?: string): void {
    this.op(() => versionToChange(this.ctx, bucket, key, versionId));
  }
  /** Replaces the ACL of a version (a canned name or JSON grant list; undefined = private). */
  putObjectAcl(
    bucket: string,
    key: string,
    value: string | undefined,
    versionId?: string,
  ): Promise<{ versionId: string }> {
    return this.op(() => acl.putObjectAcl(this.ctx, bucket, key, value, versionId));
  }
  restoreObject(
    bucket: string,
    key: string,
    options: T.RestoreObjectOptions,
  ): Promise<T.RestoreObjectResult> {
    return this.op(() => attributes.restoreObject(this.ctx, bucket, key, options));
  }

  createMultipartUpload(
    bucket: string,
    key: string,
    options?: T.CreateMultipartOptions,
  ): Promise<T.UploadInfo> {
    return this.op(() => multipart.createMultipartUpload(this.ctx, bucket, key, options));
  }
  uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: BlobBody,
    options?: T.UploadPartOptions,
  ): Promise<T.PartInfo> {
    return this.op(() =>
      multipart.uploadPart(this.ctx, bucket, key, uploadId, partNumber, body, options),
    );
  }
  uploadPartCopy(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    source: T.PartCopySource,
    /** SSE-C: the upload's key. */
    customerKey?: Buffer,
    /** Called before the bytes move, as CopyObjectOptions.onStart. */
    onStart?: (start: T.CopyStart) => void,
  ): Promise<T.PartInfo & { sourceVersionId: string }> {
    return this.op(() =>
      multipart.uploadPartCopy(
        this.ctx,
        bucket,
        key,
        uploadId,
        partNumber,
        source,
        customerKey,
        onStart,
      ),
    );
  }
  completeMultipartUpload(
    bucket: string,
    key: string,
    uploadId: string,
    parts: readonly T.CompletedPart[],
    options?: T.CompleteMultipartOptions,
  ): Promise<T.PutObjectResult> {
    return this.op(() =>
      multipart.completeMultipartUpload(this.ctx, bucket, key, uploadId, parts, options),
    );
  }
  abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    return this.op(() => multipart.abortMultipartUpload(this.ctx, bucket, key, uploadId));
  }
  listParts(
    bucket: string,
    key: string,
    uploadId: string,
    options?: T.ListPartsOptions,
  ): T.ListPartsResult {
    return this.op(() => multipart.listParts(this.ctx, bucket, key, uploadId, options));
  }
  listMultipartUploads(bucket: string, options?: T.ListUploadsOptions): T.ListUploadsResult {
    return this.op(() => listMultipartUploads(this.ctx, bucket, options));
  }

  /**
   * Gives the metadata database's free pages back to the file system (see db/compact.ts):
   * after many small objects were deleted, their space serves larger objects again. It
   * rewrites the database and holds every other write until done: for
   * `stowage engine compact`, with no server on the data directory.
   */
  compact(): Promise<CompactReport> {
    return this.op(async () => {
      // The operations already started finish first (this one is not in the set yet).
      await Promise.allSettled([...this.inFlight]);
      this.queue.flush();
      return compactDatabase(this.db, databaseFile(this.dataDir));
    });
  }

  /**
   * Checks the data directory: SQLite's integrity check, every referenced blob present
   * with its recorded size, no unreferenced blobs, and (with `deep`) every stored
   * SHA-256 recomputed from the bytes.
   */
  check(options: { deep?: boolean } = {}): Promise<IntegrityReport> {
    return this.op(() => checkIntegrity(this.db, this.blobs, options, this.ctx.keys));
  }

  /**
   * Why writes are refused (`E_WRITES_STOPPED`) until a restart: a sync of the metadata
   * log failed, the log was deleted under the engine, or the data directory's file system
   * turned read-only. Reads still work.
   */
  get writesStopped(): StowageError | undefined {
    return this.queue.writesStopped;
  }

  /**
   * Finishes in-flight operations, commits what is queued, marks a clean shutdown and
   * releases the data directory. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
    try {
      await this.queue.close();
      this.accessTimes.stop();
      this.accessTimes.write();
      const removalsSynced = await this.blobs.settleRemovals();
      // Commits may have been lost with the WAL frames a failed sync left behind: their
      // blob files are for the next start's recovery to collect.
      if (this.writesStopped) return;
      setCleanFlag(
        this.db,
        true,
        this.blobs.leavesGarbage || this.queue.keptDrops || !removalsSynced,
      );
    } catch {
      // Best effort (e.g. a full disk): without the clean flag the next open runs a full
      // recovery, which is safe. The directory must be released either way.
    } finally {
      this.db.close();
      await this.unlock();
    }
  }
}
