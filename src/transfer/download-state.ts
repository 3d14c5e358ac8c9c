/**
 * The partial file of a download and its sidecar. Bytes go to `<path>.stowage-partial`;
 * `<path>.stowage-partial.json` says which object (bucket, key, version, ETag, size) they
 * belong to and how long a prefix of them is complete and synced to disk. A re-run whose
 * object still has that ETag continues after the prefix; anything else starts over.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { StowageError } from '../errors.js';
import { readLock, removeStaleLock } from '../stale-lock.js';
import { localError, readJsonOrUndefined, writeJsonAtomic, writeMode } from './local-file.js';

/** The sidecar's content. */
export interface PartialSidecar {
  version: 1;
  bucket: string;
  key: string;
  versionId?: string;
  etag: string;
  sizeBytes: number;
  /** Bytes [0, prefixBytes) of the partial file are complete and fsync'ed. */
  prefixBytes: number;
}

const PARTIAL_SUFFIX = '.stowage-partial';

/** The partial file and sidecar paths of a download target. */
export function partialPathsFor(target: string): { partial: string; sidecar: string } {
  const partial = `${target}${PARTIAL_SUFFIX}`;
  return { partial, sidecar: `${partial}.json` };
}

/**
 * The partial file, the sidecar, the sidecar's temp file while it is being replaced
 * (writeJsonAtomic's `<name>.<8 hex>.tmp`) and the claim (`.stowage-partial.lock`), any case: a case-insensitive file system
 * (macOS, Windows) makes `X.STOWAGE-PARTIAL` the same file as `x.stowage-partial`.
 */
const PARTIAL_NAME = /\.stowage-partial(\.json(\.[0-9a-f]{8}\.tmp)?|\.lock)?$/i;

/**
 * True when `name` (a file name or a key) is one of the files a download keeps beside its
 * target. Local walks skip such files and downloads of a tree skip such keys: otherwise a
 * bucket holding both `x` and `x.stowage-partial` (which a sync up of a directory with a
 * leftover partial file makes) would have one download write the other's partial file
 * while it is in flight, and the rename of `x` would then put the wrong bytes in place.
 * With those keys never downloaded, `<path>.stowage-partial` has one writer only.
 */
export function isPartialName(name: string): boolean {
  return PARTIAL_NAME.test(name);
}

/** The prefix a re-run may keep, or 0 when the sidecar is missing or about another object. */
export async function resumablePrefix(
  sidecarPath: string,
  want: Omit<PartialSidecar, 'version' | 'prefixBytes'>,
  partialSizeBytes: number | undefined,
): Promise<number> {
  if (partialSizeBytes === undefined) return 0;
  const s = (await readJsonOrUndefined(sidecarPath)) as Partial<PartialSidecar> | undefined;
  if (
    !s ||
    s.version !== 1 ||
    s.bucket !== want.bucket ||
    s.key !== want.key ||
    (s.versionId ?? null) !== (want.versionId ?? null) ||
    s.etag !== want.etag ||
    s.sizeBytes !== want.sizeBytes ||
    typeof s.prefixBytes !== 'number'
  ) {
    return 0;
  }
  return Math.max(0, Math.min(s.prefixBytes, partialSizeBytes, want.sizeBytes));
}

/** Writes the sidecar atomically. */
export async function writeSidecar(sidecarPath: string, s: PartialSidecar): Promise<void> {
  await writeJsonAtomic(sidecarPath, s);
}

/** Removes the partial file and its sidecar. */
export async function discardPartial(target: string): Promise<void> {
  const { partial, sidecar } = partialPathsFor(target);
  await rm(partial, { force: true });
  await rm(sidecar, { force: true });
}

/**
 * Claims the partial file of `target` for one download: `<target>.stowage-partial.lock`,
 * created exclusively, holds the owner's pid. Two downloads to one path at once (two
 * objects, or two processes) would write the same partial file, and one could verify its
 * own bytes and rename the other's into place; the second one meets E_LOCAL_IN_USE
 * instead. A claim whose process is gone (killed) is taken over. Resolves with the release.
 *
 * @throws StowageError `E_LOCAL_IN_USE` naming the path and the pid holding it.
 * @example
 * const release = await claimPartial('./hero.webp'); // `true` second: synchronous calls
 * try { ... } finally { await release(); }
 */
export async function claimPartial(target: string, sync = false): Promise<() => Promise<void>> {
  const lock = `${partialPathsFor(target).partial}.lock`;
  // Small files are handled with synchronous calls while those stay fast (sync-mode.ts).
  const create = (): Promise<void> | void =>
    sync
      ? writeMode.timed(() => writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' }))
      : writeFile(lock, `${process.pid}\n`, { flag: 'wx' });
  const remove = (): Promise<void> | void =>
    sync ? writeMode.timed(() => rmSync(lock, { force: true })) : rm(lock, { force: true });
  // A few rounds: a claim taken over by another download at the same moment, or removed
  // between the failed create and the read, is looked at again.
  for (let attempt = 0; ; attempt++) {
    try {
      await create();
      return async () => remove();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw localError(err, lock, 'cannot write');
      }
    }
    const state = await readLock(lock).catch((err: unknown) => {
      throw localError(err, lock, 'cannot read');
    });
    if (state === undefined && attempt < 5) continue;
    if (state?.stale && attempt < 5) {
      // Left by a download that was killed: nobody writes the partial file any more.
      if (!(await removeStaleLock(lock, state.text))) await sleep(20);
      continue;
    }
    const owner = state?.stale === false ? state.pid : undefined;
    throw new StowageError(
      'E_LOCAL_IN_USE',
      `cannot download to ${target}: another download${owner ? ` (process ${owner})` : ''} is writing it (${lock})`,
      { details: { path: target, lock, ...(owner ? { pid: owner } : {}) } },
    );
  }
}
