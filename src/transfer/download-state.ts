/**
 * The partial file of a download and its sidecar. Bytes go to `<path>.stowage-partial`;
 * `<path>.stowage-partial.json` says which object (bucket, key, version, ETag, size) they
 * belong to and how long a prefix of them is complete and synced to disk. A re-run whose
 * object still has that ETag continues after the prefix; anything else starts over.
 */
import { rm } from 'node:fs/promises';
import { readJsonOrUndefined, writeJsonAtomic } from './local-file.js';

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
 * The partial file, the sidecar, and the sidecar's temp file while it is being replaced
 * (writeJsonAtomic's `<name>.<8 hex>.tmp`), any case: a case-insensitive file system
 * (macOS, Windows) makes `X.STOWAGE-PARTIAL` the same file as `x.stowage-partial`.
 */
const PARTIAL_NAME = /\.stowage-partial(\.json(\.[0-9a-f]{8}\.tmp)?)?$/i;

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
