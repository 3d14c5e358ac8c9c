/**
 * Downloading an object of at most one part: one GET into memory, checked before any byte
 * reaches the disk, then written to the partial file, synced and renamed onto the target.
 *
 * The ranged path (download.ts) keeps a sidecar so an interrupted download can continue;
 * for a single GET there is nothing to continue, and the sidecar's atomic writes (two
 * files, two fsyncs, renames) cost more than the download. Downloading 10,000 files of
 * 4 KiB made ~25 file-system calls per file that way; this path makes 8. While they stay
 * fast (sync-mode.ts), all of them but the fdatasync are synchronous calls.
 */
import { closeSync, fdatasync, futimesSync, openSync, renameSync, writeSync } from 'node:fs';
import { open, rename, rm, utimes } from 'node:fs/promises';
import { promisify } from 'node:util';
import { isStowageError } from '../errors.js';
import { pickMtime, replacedError, verify, type Head } from './download-checks.js';
import type { DownloadResult } from './download.js';
import { discardPartial, partialPathsFor } from './download-state.js';
import { bareEtag, OrderedHasher } from './hashing.js';
import { localError, writeMode } from './local-file.js';
import { ProgressTracker, type ProgressListener } from './progress.js';
import { getRangeWithHeaders, type RangeSource } from './ranged-get.js';
import { META_SHA256 } from './types.js';

/** What the caller passes on from its options. */
interface WholeTarget {
  key: string;
  path: string;
  preserveMtime?: boolean;
  onProgress?: ProgressListener | undefined;
}

/** What {@link downloadWhole} did (the caller adds the duration). */
export type WholeResult = Omit<DownloadResult, 'durationMs'>;

/** How the local side goes. */
interface WholeLocal {
  /** A partial file of an earlier run exists: it and its sidecar are removed. */
  leftovers: boolean;
  /** Synchronous calls (see {@link writeMode}) instead of the thread pool. */
  sync: boolean;
}

/**
 * Downloads the object `source` names (its size at most one part) to `o.path`.
 * `head`: what a HEAD answered; without it (the size and ETag came from a listing) the
 * GET's own headers give the metadata, and a 0-byte object is still fetched for them.
 */
export async function downloadWhole(
  o: WholeTarget,
  source: RangeSource,
  what: string,
  { leftovers, sync }: WholeLocal,
  head?: Head & { VersionId?: string },
): Promise<WholeResult> {
  const progress = new ProgressTracker(o.key, source.sizeBytes, 0, o.onProgress);
  let body: Buffer;
  try {
    if (head && source.sizeBytes === 0) {
      body = Buffer.alloc(0);
    } else {
      const got = await getRangeWithHeaders(source, 0, source.sizeBytes, progress);
      body = got.body;
      head ??= got.headers;
    }
  } catch (err) {
    if (isStowageError(err, 'E_PRECONDITION_FAILED')) {
      throw replacedError(what, source.etag, err, source.bucket, source.key);
    }
    throw err;
  }
  // With a stored SHA-256 the MD5 is never compared (see verify): skip computing it.
  const hasher = new OrderedHasher(0, { md5: !head.Metadata?.[META_SHA256] });
  hasher.add(0, body);
  const digest = hasher.digest();
  const verifiedBy = verify(head, digest, source.etag, what);
  if (typeof verifiedBy !== 'string') {
    if (leftovers) await discardPartial(o.path);
    throw verifiedBy;
  }
  const { partial } = partialPathsFor(o.path);
  const mtimeMs = pickMtime(head, o.preserveMtime === true);
  try {
    if (sync) await writeNowSync(partial, o.path, body, mtimeMs);
    else await writeOnPool(partial, o.path, body, mtimeMs);
  } catch (err) {
    await rm(partial, { force: true }).catch(() => undefined);
    throw localError(err, o.path, 'cannot write');
  }
  if (leftovers) await discardPartial(o.path);
  progress.finish();
  return {
    key: o.key,
    path: o.path,
    sizeBytes: source.sizeBytes,
    etag: bareEtag(source.etag),
    sha256: digest.sha256,
    verifiedBy,
    resumedBytes: 0,
    ...(head.VersionId ? { versionId: head.VersionId } : {}),
  };
}

/** Writes `body` to `partial`, syncs it and renames it onto `target`, on the thread pool. */
async function writeOnPool(
  partial: string,
  target: string,
  body: Buffer,
  mtimeMs: number | undefined,
): Promise<void> {
  const fd = await open(partial, 'w');
  try {
    await fd.writeFile(body);
    await fd.datasync();
  } finally {
    await fd.close();
  }
  if (mtimeMs !== undefined) await utimes(partial, new Date(), new Date(mtimeMs));
  await rename(partial, target);
}

const fdatasyncOnPool = promisify(fdatasync);

/** The same with synchronous calls but the fdatasync, which waits for the disk. */
async function writeNowSync(
  partial: string,
  target: string,
  body: Buffer,
  mtimeMs: number | undefined,
): Promise<void> {
  const fd = writeMode.timed(() => {
    const fd = openSync(partial, 'w');
    try {
      for (let at = 0; at < body.byteLength;) at += writeSync(fd, body, at);
      if (mtimeMs !== undefined) futimesSync(fd, new Date(), new Date(mtimeMs));
      return fd;
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  });
  try {
    await fdatasyncOnPool(fd);
  } finally {
    closeSync(fd);
  }
  writeMode.timed(() => renameSync(partial, target));
}
