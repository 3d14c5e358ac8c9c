/**
 * Walks a local directory tree and yields its files in S3 key order (UTF-8 byte order of
 * the relative '/'-separated path), so the walk can be merged with an S3 listing.
 *
 * Order: a directory `d` contributes keys that all start with `d/`, so sorting each
 * directory's entries by `name` for files and `name + '/'` for directories, and
 * descending lazily in that order, yields the whole tree in global key order: 'a-b',
 * 'a.b', 'a/b' (since '-' < '.' < '/'), which neither readdir nor a plain per-directory
 * name sort gives. Memory holds the sorted entries of the directories on the current
 * path only.
 *
 * Hostile trees never crash the walk: each odd entry becomes a `skip` or `problem` item
 * (see {@link ListedItem}) naming the path with control characters escaped.
 */
import { lstatSync, promises as fsp, type Dirent, type Stats } from 'node:fs';
import path from 'node:path';
import { StowageError } from '../../errors.js';
import { isPartialName } from '../download-state.js';
import { compareBytes } from './key-order.js';
import { decodeName, showPath, showRawPath } from './local-names.js';
import { localProblem } from './local-problems.js';
import type { ListedItem } from './types.js';

/** Options for {@link walkLocal}. */
export interface WalkLocalOptions {
  /** Follow symbolic links (loops are detected and reported). Default false: skip them. */
  followSymlinks?: boolean;
  /** A missing root yields nothing instead of failing (a download's destination). */
  allowMissingRoot?: boolean;
  /**
   * Who will read the files, for the permission check of each file's mode bits. Default:
   * this process's effective uid and groups. ACLs are not checked; such files fail later,
   * when the transfer opens them, as a per-item failure.
   */
  reader?: { uid: number; gids: readonly number[] };
  /**
   * False: plain files are passed over without a stat, and only what is not one (links,
   * directories that cannot be walked …) is yielded: what a recursive `cp` down needs to
   * know of its destination, at the cost of a readdir per directory. Default true.
   */
  files?: boolean;
  /**
   * The prefix the keys are stored under at the destination (`backups/` of
   * `s3://b/backups/`): a key is too long (E_KEY_TOO_LONG) when the two together are.
   */
  keyPrefix?: string;
}

const MAX_KEY_BYTES = 1024;

interface Candidate {
  name: Buffer;
  text: string;
  valid: boolean;
  dirent: Dirent<Buffer>;
  /** For symlinks: the target's stat, or the error stat'ing it. */
  target?: Stats | NodeJS.ErrnoException;
  isDir: boolean;
  sortKey: Buffer;
}

interface WalkState {
  follow: boolean;
  files: boolean;
  reader: { uid: number; gids: readonly number[] } | undefined;
  /** dev:ino of the directories on the current path (only when following links). */
  ancestors: Set<string>;
  /** Bytes of the destination prefix every key gets (WalkLocalOptions.keyPrefix). */
  keyPrefixBytes: number;
}

function defaultReader(): { uid: number; gids: readonly number[] } | undefined {
  if (typeof process.geteuid !== 'function') return undefined;
  const gids = new Set(process.getgroups?.() ?? []);
  gids.add(process.getegid?.() ?? -1);
  return { uid: process.geteuid(), gids: [...gids] };
}

function canRead(st: Stats, reader: WalkState['reader']): boolean {
  if (!reader || reader.uid === 0) return true;
  if (st.uid === reader.uid) return (st.mode & 0o400) !== 0;
  if (reader.gids.includes(st.gid)) return (st.mode & 0o040) !== 0;
  return (st.mode & 0o004) !== 0;
}

const inode = (st: Stats): string => `${st.dev}:${st.ino}`;

/**
 * Yields every file under `root` in S3 key order, with skips and problems in place.
 * Throws only when the root itself cannot be walked.
 *
 * @example
 * for await (const item of walkLocal('/srv/assets')) {
 *   if (item.kind === 'entry') console.log(item.entry.key, item.entry.sizeBytes);
 * }
 */
export async function* walkLocal(
  root: string,
  options: WalkLocalOptions = {},
): AsyncGenerator<ListedItem> {
  const abs = path.resolve(root);
  let st: Stats;
  try {
    st = await fsp.stat(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && options.allowMissingRoot) return;
    if (code === 'ENOENT') {
      throw new StowageError(
        'E_INVALID_ARGUMENT',
        `local directory ${showPath(abs)} does not exist`,
        {
          cause: err,
          details: { path: abs },
        },
      );
    }
    throw localProblem(err, abs, 'local directory');
  }
  if (!st.isDirectory()) {
    throw new StowageError('E_INVALID_ARGUMENT', `${showPath(abs)} is not a directory`, {
      details: { path: abs },
    });
  }
  const state: WalkState = {
    follow: options.followSymlinks ?? false,
    files: options.files ?? true,
    reader: options.reader ?? defaultReader(),
    ancestors: new Set([inode(st)]),
    keyPrefixBytes: Buffer.byteLength(options.keyPrefix ?? ''),
  };
  let entries: Candidate[];
  try {
    entries = await readSorted(abs);
  } catch (err) {
    throw localProblem(err, abs, 'local directory');
  }
  yield* walkEntries(abs, '', entries, state);
}

function lstatOrError(file: string): Stats | NodeJS.ErrnoException {
  try {
    return lstatSync(file);
  } catch (err) {
    return err as NodeJS.ErrnoException;
  }
}

/** Reads a directory and sorts its entries by key order (see the module comment). */
async function readSorted(dir: string): Promise<Candidate[]> {
  const dirents = await fsp.readdir(dir, { withFileTypes: true, encoding: 'buffer' });
  const out: Candidate[] = [];
  for (const dirent of dirents) {
    const name = dirent.name;
    const { text, valid } = decodeName(name);
    let target: Candidate['target'];
    if (dirent.isSymbolicLink() && valid) {
      target = await fsp.stat(path.join(dir, text)).catch((e: NodeJS.ErrnoException) => e);
    }
    const isDir =
      dirent.isDirectory() ||
      (target !== undefined && !(target instanceof Error) && target.isDirectory());
    out.push({
      name,
      text,
      valid,
      dirent,
      target,
      isDir,
      sortKey: Buffer.from(isDir ? `${text}/` : text),
    });
  }
  out.sort((a, b) => compareBytes(a.sortKey, b.sortKey));
  return out;
}

async function* walkEntries(
  dir: string,
  prefix: string,
  entries: Candidate[],
  state: WalkState,
): AsyncGenerator<ListedItem> {
  for (const c of entries) {
    if (!state.files && c.valid && c.dirent.isFile()) continue;
    // Plain files are lstat'ed with the synchronous call: the inode was just read by
    // readdir, so it is cached, and each async call is a thread-pool round trip that cost
    // more main-thread time than the lstat itself (10k of them in a re-sync of 10k files).
    const st = c.valid && c.dirent.isFile() ? lstatOrError(path.join(dir, c.text)) : undefined;
    yield* visit(dir, prefix, c, st, state);
  }
}

async function* visit(
  dir: string,
  prefix: string,
  c: Candidate,
  fileStat: Stats | NodeJS.ErrnoException | undefined,
  state: WalkState,
): AsyncGenerator<ListedItem> {
  const key = prefix + (c.isDir ? `${c.text}/` : c.text);
  const subtree = c.isDir ? { subtree: true } : {};
  if (!c.valid) {
    const shown = showRawPath(dir, c.name);
    const error = new StowageError('E_INVALID_KEY', `file name is not valid UTF-8: ${shown}`, {
      details: { path: shown },
    });
    yield { kind: 'problem', key, path: shown, error, ...subtree };
    return;
  }
  const full = path.join(dir, c.text);
  if (state.keyPrefixBytes + Buffer.byteLength(key) > MAX_KEY_BYTES) {
    const error = new StowageError(
      'E_KEY_TOO_LONG',
      `key for ${showPath(full)} is longer than ${MAX_KEY_BYTES} bytes${state.keyPrefixBytes > 0 ? ' with the destination prefix' : ''}`,
      {
        details: { path: full },
      },
    );
    yield { kind: 'problem', key, path: full, error, ...subtree };
    return;
  }
  if (!c.isDir && isPartialName(c.text)) {
    // Stowage's own download leftovers: neither uploaded nor deleted, and on a download's
    // destination they hide the key of the same name (see download-state.ts).
    yield {
      kind: 'skip',
      key,
      path: full,
      reason: 'partial download of stowage (not transferred)',
    };
    return;
  }
  if (c.dirent.isSymbolicLink()) {
    yield* visitLink(full, key, c, state);
    return;
  }
  if (c.dirent.isDirectory()) {
    yield* descend(full, key, undefined, state);
    return;
  }
  if (c.dirent.isFile()) {
    yield fileItem(full, key, fileStat, state);
    return;
  }
  yield { kind: 'skip', key, path: full, reason: `not a regular file (${kindOf(c.dirent)})` };
}

function fileItem(
  full: string,
  key: string,
  st: Stats | NodeJS.ErrnoException | undefined,
  state: WalkState,
): ListedItem {
  if (st === undefined || st instanceof Error) {
    if ((st as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
      return { kind: 'skip', key, path: full, reason: 'disappeared during the walk' };
    }
    return { kind: 'problem', key, path: full, error: localProblem(st, full, 'file') };
  }
  if (!canRead(st, state.reader)) {
    const error = new StowageError(
      'E_LOCAL_UNREADABLE',
      `file ${showPath(full)} cannot be read (permission denied)`,
      {
        details: { path: full },
      },
    );
    return { kind: 'problem', key, path: full, error };
  }
  return { kind: 'entry', entry: { key, sizeBytes: st.size, mtimeMs: st.mtimeMs, path: full } };
}

async function* visitLink(
  full: string,
  key: string,
  c: Candidate,
  state: WalkState,
): AsyncGenerator<ListedItem> {
  const target = c.target;
  const subtree = c.isDir ? { subtree: true } : {};
  if (target instanceof Error && target.code === 'ENOENT') {
    yield { kind: 'skip', key, path: full, reason: 'broken symbolic link' };
    return;
  }
  // A link that is not followed is skipped whatever its target: one that loops or cannot be
  // read is no failure of this run (a failure would also hold back every --delete).
  if (!state.follow || target === undefined) {
    yield { kind: 'skip', key, path: full, reason: 'symbolic link (not followed)', ...subtree };
    return;
  }
  if (target instanceof Error) {
    if (target.code === 'ELOOP') {
      const error = new StowageError(
        'E_SYMLINK_LOOP',
        `symbolic link ${showPath(full)} leads in a loop`,
        {
          cause: target,
          details: { path: full },
        },
      );
      yield { kind: 'problem', key, path: full, error };
    } else {
      yield {
        kind: 'problem',
        key,
        path: full,
        error: localProblem(target, full, 'symbolic link'),
      };
    }
    return;
  }
  if (target.isDirectory()) {
    if (state.ancestors.has(inode(target))) {
      const error = new StowageError(
        'E_SYMLINK_LOOP',
        `symbolic link ${showPath(full)} leads back to a directory above it`,
        {
          details: { path: full },
        },
      );
      yield { kind: 'problem', key, path: full, error, subtree: true };
      return;
    }
    yield* descend(full, key, target, state);
    return;
  }
  if (target.isFile()) {
    yield fileItem(full, key, target, state);
    return;
  }
  yield {
    kind: 'skip',
    key,
    path: full,
    reason: 'symbolic link to something that is not a regular file',
  };
}

async function* descend(
  full: string,
  key: string,
  st: Stats | undefined,
  state: WalkState,
): AsyncGenerator<ListedItem> {
  let entries: Candidate[];
  let id: string | undefined;
  try {
    if (state.follow) id = inode(st ?? (await fsp.stat(full)));
    entries = await readSorted(full);
  } catch (err) {
    yield {
      kind: 'problem',
      key,
      path: full,
      error: localProblem(err, full, 'directory'),
      subtree: true,
    };
    return;
  }
  if (id !== undefined) state.ancestors.add(id);
  try {
    yield* walkEntries(full, key, entries, state);
  } finally {
    if (id !== undefined) state.ancestors.delete(id);
  }
}

function kindOf(d: Dirent<Buffer>): string {
  if (d.isFIFO()) return 'fifo';
  if (d.isSocket()) return 'socket';
  if (d.isBlockDevice()) return 'block device';
  if (d.isCharacterDevice()) return 'character device';
  return 'unknown type';
}
