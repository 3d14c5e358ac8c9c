/**
 * Downloading one object to a local file, resumably and verified. Bytes go to a partial
 * file beside the target (see download-state.ts), fetched with parallel ranged GETs that
 * carry If-Match; the file is fsync'ed, checked against `stowage-sha256` (or the MD5
 * ETag of a plain single-PUT object) and only then renamed onto the target, so the target
 * is never half-written.
 */
import { mkdirSync } from 'node:fs';
import { mkdir, open, rename, utimes } from 'node:fs/promises';
import path from 'node:path';
import { StowageError, isStowageError } from '../errors.js';
import { CoalescedSaver } from './coalesce.js';
import {
  claimPartial,
  discardPartial,
  partialPathsFor,
  resumablePrefix,
  writeSidecar,
  type PartialSidecar,
} from './download-state.js';
import { pickMtime, replacedError, verify, type VerifiedBy } from './download-checks.js';
import { downloadWhole } from './download-whole.js';
import { bareEtag, OrderedHasher } from './hashing.js';
import { localError, statOrUndefined, statOrUndefinedSync, writeMode } from './local-file.js';
import { ProgressTracker } from './progress.js';
import { getRange, type RangeSource } from './ranged-get.js';
import { headWithRetry } from './source-head.js';
import { META_SHA256, type TransferBase } from './types.js';
import { checkTarget, transferSettings } from './validate.js';
import { fetchChunks } from './chunks.js';

/** Options of {@link downloadFile}. */
export interface DownloadFileOptions extends TransferBase {
  bucket: string;
  key: string;
  /** The local file to write (parent directories are created). */
  path: string;
  versionId?: string;
  /**
   * What a listing said of the object (its ETag without quotes). When it is at most one
   * part, the HEAD is skipped: one GET with `If-Match` on that ETag brings the bytes and
   * the metadata together, and an object changed since the listing fails with
   * E_PRECONDITION_FAILED. Ignored with `versionId`.
   */
  listed?: { sizeBytes: number; etag: string };
  /**
   * Set the local mtime from the object's `stowage-mtime` metadata when it has one, so an
   * upload/download round trip keeps the original mtime. Default false: LastModified.
   */
  preserveMtime?: boolean;
}

/** What {@link downloadFile} did. */
export interface DownloadResult {
  key: string;
  path: string;
  sizeBytes: number;
  etag: string;
  /** SHA-256 of the bytes written. */
  sha256: string;
  /** What the bytes were checked against. */
  verifiedBy: VerifiedBy;
  /** Bytes an earlier, interrupted run had already written. */
  resumedBytes: number;
  durationMs: number;
  versionId?: string;
}

/**
 * Downloads `s3://bucket/key` to `path`.
 *
 * @example
 * const r = await downloadFile({ client, pacer: new Pacer(), bucket: 'assets',
 *   key: 'img/hero.webp', path: './hero.webp' });
 * console.log(r.sha256, r.verifiedBy);
 */
export async function downloadFile(options: DownloadFileOptions): Promise<DownloadResult> {
  const started = Date.now();
  const o = options;
  checkTarget(o.bucket, o.key);
  const settings = transferSettings(o);
  // One choice per download: synchronous calls while they stay fast (sync-mode.ts).
  const sync = writeMode.useSync();
  const statOf = (p: string) =>
    sync ? writeMode.timed(() => statOrUndefinedSync(p)) : statOrUndefined(p);
  const existing = await statOf(o.path);
  if (existing && !existing.isFile) {
    throw new StowageError(
      'E_LOCAL_NOT_A_FILE',
      `cannot download to ${o.path}: it is not a regular file`,
      {
        details: { path: o.path },
      },
    );
  }
  try {
    const dir = path.dirname(path.resolve(o.path));
    if (sync) writeMode.timed(() => mkdirSync(dir, { recursive: true }));
    else await mkdir(dir, { recursive: true });
  } catch (err) {
    throw localError(err, path.dirname(o.path), 'cannot create the directory');
  }
  const release = await claimPartial(o.path, sync);
  try {
    return await claimedDownload(o, { started, sync, settings, statOf });
  } finally {
    await release();
  }
}

/** {@link downloadFile} once the target's directory exists and its partial file is ours. */
async function claimedDownload(
  o: DownloadFileOptions,
  run: {
    started: number;
    sync: boolean;
    settings: ReturnType<typeof transferSettings>;
    statOf: (
      p: string,
    ) => ReturnType<typeof statOrUndefinedSync> | ReturnType<typeof statOrUndefined>;
  },
): Promise<DownloadResult> {
  const { started, sync, settings, statOf } = run;
  const what = `download of s3://${o.bucket}/${o.key}`;
  const { partial, sidecar } = partialPathsFor(o.path);
  // What the sidecar records of the object, and how the ranged GETs fetch its bytes.
  const identityOf = (etag: string, sizeBytes: number) => ({
    bucket: o.bucket,
    key: o.key,
    etag,
    sizeBytes,
    ...(o.versionId ? { versionId: o.versionId } : {}),
  });
  const sourceOf = (identity: ReturnType<typeof identityOf>): RangeSource => ({
    ...identity,
    client: o.client,
    pacer: o.pacer,
    signal: o.signal,
    attempts: settings.attempts,
  });
  // One GET: nothing worth resuming, so no sidecar and no partial prefix to keep.
  const whole = async (source: RangeSource, head?: Parameters<typeof downloadWhole>[4]) => {
    const leftovers = (await statOf(partial)) !== undefined;
    const r = await downloadWhole(o, source, what, { leftovers, sync }, head);
    return { ...r, durationMs: Date.now() - started };
  };
  if (o.listed && !o.versionId && o.listed.sizeBytes <= settings.partSizeBytes) {
    return whole(sourceOf(identityOf(`"${bareEtag(o.listed.etag)}"`, o.listed.sizeBytes)));
  }
  const head = await headWithRetry(o.client, o.pacer, o, {
    attempts: settings.attempts,
    signal: o.signal,
    what,
  });
  const sizeBytes = head.ContentLength ?? 0;
  const etag = head.ETag ?? '';
  const identity = identityOf(etag, sizeBytes);
  const source = sourceOf(identity);
  if (sizeBytes <= settings.partSizeBytes) return whole(source, head);
  const partialStat = await statOrUndefined(partial);
  const prefix = await resumablePrefix(sidecar, identity, partialStat?.sizeBytes);

  let fd;
  try {
    fd = await open(partial, prefix > 0 ? 'r+' : 'w+');
    await fd.truncate(prefix);
  } catch (err) {
    throw localError(err, partial, 'cannot write');
  }
  const progress = new ProgressTracker(o.key, sizeBytes, prefix, o.onProgress);
  // With a stored SHA-256 the MD5 is never compared (see verify): skip computing it.
  const hasher = new OrderedHasher(0, { md5: !head.Metadata?.[META_SHA256] });
  let done = false;
  let saver: CoalescedSaver | undefined;
  try {
    await hasher.feedPrefix(partial, prefix, o.signal);
    const side: PartialSidecar = { version: 1, ...identity, prefixBytes: prefix };
    await writeSidecar(sidecar, side);
    saver = new CoalescedSaver(async () => {
      const upTo = hasher.nextOffset;
      await fd.datasync();
      await writeSidecar(sidecar, { ...side, prefixBytes: upTo });
    });
    let writes: Promise<void> = Promise.resolve();
    await fetchChunks({
      from: prefix,
      sizeBytes,
      chunkBytes: settings.partSizeBytes,
      concurrency: settings.concurrency,
      hasher,
      fetch: (offset, length, into) => getRange(source, offset, length, progress, into),
      // One write at a time: concurrent large pwrite()s to one file contend for its inode
      // lock in the kernel and cost about twice the CPU of the same writes in sequence.
      write: (offset, bytes) => {
        const written = writes.then(() => fd.write(bytes, 0, bytes.length, offset));
        writes = written.then(
          () => undefined,
          () => undefined,
        );
        return written.then(() => undefined);
      },
      onPrefix: () => saver!.request(),
    });
    await saver.flush();
    await fd.sync();
    await fd.close();
    done = true;
  } catch (caught) {
    // A sidecar save still in flight settles first (it removes its temp file if it fails).
    await saver?.flush().catch(() => undefined);
    // A write of the partial file that failed (a full disk) names the local path; an
    // abort or a store's error stays as it is.
    const fsFailure = typeof (caught as { syscall?: unknown } | null)?.syscall === 'string';
    const err = fsFailure ? localError(caught, partial, 'cannot write') : caught;
    if (!done) await fd.close().catch(() => undefined);
    // Bytes that failed their check are not worth resuming from.
    if (isStowageError(err, 'E_CHECKSUM_MISMATCH')) await discardPartial(o.path);
    if (isStowageError(err, 'E_PRECONDITION_FAILED')) {
      // The object was replaced: the partial bytes belong to an object that is gone.
      await discardPartial(o.path);
      throw replacedError(what, etag, err, o.bucket, o.key);
    }
    throw err;
  }

  const digest = hasher.digest();
  const verifiedBy = verify(head, digest, etag, what);
  if (verifiedBy instanceof StowageError) {
    await discardPartial(o.path);
    throw verifiedBy;
  }
  const mtimeMs = pickMtime(head, o.preserveMtime === true);
  try {
    if (mtimeMs !== undefined) await utimes(partial, new Date(), new Date(mtimeMs));
    await rename(partial, o.path);
  } catch (err) {
    throw localError(err, o.path, 'cannot write');
  }
  await discardPartial(o.path);
  progress.finish();
  return {
    key: o.key,
    path: o.path,
    sizeBytes,
    etag: bareEtag(etag),
    sha256: digest.sha256,
    verifiedBy,
    resumedBytes: prefix,
    durationMs: Date.now() - started,
    ...(head.VersionId ? { versionId: head.VersionId } : {}),
  };
}
