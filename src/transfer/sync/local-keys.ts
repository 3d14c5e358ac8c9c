/**
 * Keys that cannot safely become local paths. A download writes `root/key`; a key such as
 * `../../etc/passwd` or `/abs` would escape the root, and `a//b` or `a/./b` would collide
 * with `a/b`. Such keys are reported, never written. Keys named like a download's partial file
(`x.stowage-partial`, see download-state.ts) are skipped: writing them could overwrite
the partial file of the download of `x` running beside them.
 */
import { StowageError } from '../../errors.js';
import { isPartialName } from '../download-state.js';

/** Why `key` cannot be a local file, or undefined when it can. */
export function localKeyProblem(
  key: string,
): { skip: string } | { error: StowageError } | undefined {
  if (key.endsWith('/')) return { skip: 'directory marker object (no local file)' };
  if (isPartialName(key)) {
    return { skip: "named like stowage's partial-download files (never downloaded in a tree)" };
  }
  const bad =
    key.includes('\0') || key.split('/').some((seg) => seg === '' || seg === '.' || seg === '..');
  if (!bad) return undefined;
  return {
    error: new StowageError(
      'E_INVALID_KEY',
      `key ${JSON.stringify(key)} cannot be written as a local file safely (empty, '.' or '..' path segment, or NUL)`,
      { details: { key } },
    ),
  };
}
