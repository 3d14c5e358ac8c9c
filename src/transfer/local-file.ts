/**
 * The local side of a transfer: checking a source file, translating file-system errors
 * into StowageErrors that name the path, and writing small JSON files atomically.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import {
  lstat,
  open,
  readdir,
  readFile,
  rename,
  rm,
  rmdir,
  stat,
  writeFile,
  type FileHandle,
} from 'node:fs/promises';
import path from 'node:path';
import { StowageError, toStowageError } from '../errors.js';
import { SyncMode } from './sync-mode.js';

/** Turns a Node file-system error about `filePath` into a StowageError naming it. */
export function localError(err: unknown, filePath: string, doing: string): StowageError {
  if (err instanceof StowageError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const details = { path: filePath };
  switch (code) {
    case 'ENOENT':
      return new StowageError('E_LOCAL_NOT_FOUND', `${doing} ${filePath}: no such file`, {
        cause: err,
        details,
      });
    case 'EISDIR':
    case 'ENOTDIR':
      return new StowageError('E_LOCAL_NOT_A_FILE', `${doing} ${filePath}: not a regular file`, {
        cause: err,
        details,
      });
    case 'EACCES':
    case 'EPERM':
      return new StowageError('E_LOCAL_UNREADABLE', `${doing} ${filePath}: permission denied`, {
        cause: err,
        details,
      });
    case 'EROFS':
      return new StowageError('E_LOCAL_READ_ONLY', `${doing} ${filePath}: read-only file system`, {
        cause: err,
        details,
      });
    case 'ENOSPC':
    case 'EDQUOT':
      return new StowageError(
        'E_STORAGE_FULL',
        `${doing} ${filePath}: no space left on the local file system`,
        { cause: err, details },
      );
    case 'ENAMETOOLONG':
      return new StowageError(
        'E_LOCAL_NAME_TOO_LONG',
        `${doing} ${filePath}: a name in the path is longer than the file system allows (255 bytes on most)`,
        { cause: err, details },
      );
    default:
      return toStowageError(err, `${doing} ${filePath}`);
  }
}

/** An upload source that is a directory or a special file. */
function notAFile(filePath: string, isDirectory: boolean): StowageError {
  return new StowageError(
    'E_LOCAL_NOT_A_FILE',
    `cannot upload ${filePath}: it is a ${isDirectory ? 'directory' : 'special file'}, not a regular file`,
    { details: { path: filePath } },
  );
}

/** A read that ended before the size the file had when opened. */
function shrank(filePath: string, sizeBytes: number): StowageError {
  return new StowageError(
    'E_LOCAL_CHANGED',
    `${filePath} changed during the upload (it is shorter than the ${sizeBytes} bytes it had)`,
    { details: { path: filePath } },
  );
}

/** A source file opened for reading, with the size and mtime it had when opened. */
export interface SourceFile {
  handle: FileHandle;
  sizeBytes: number;
  /** Milliseconds since the epoch, rounded to an integer (what `stowage-mtime` stores; rounding, not flooring, keeps a download-then-upload round trip stable). */
  mtimeMs: number;
}

/**
 * Opens `filePath` for an upload: it must exist, be a regular file and be readable.
 * Opening first (before any request) makes a bad path fail fast with a clear error.
 * O_NONBLOCK keeps the open of a FIFO with no writer from blocking a thread-pool thread
 * forever (the upload never settled, and four of them stopped every fs call of the
 * process); it is then refused as not a file. A regular file reads as without it.
 */
export async function openSource(filePath: string): Promise<SourceFile> {
  let handle: FileHandle;
  try {
    handle = await open(filePath, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw localError(err, filePath, 'cannot read');
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw notAFile(filePath, st.isDirectory());
    return { handle, sizeBytes: st.size, mtimeMs: Math.round(st.mtimeMs) };
  } catch (err) {
    await handle.close();
    throw localError(err, filePath, 'cannot read');
  }
}

/** Files up to this size are read with synchronous calls (see {@link readSmallFile}). */
export const SYNC_READ_MAX_BYTES = 1024 * 1024;

/** A whole small file read at once, with the size and mtime it had. */
export interface SmallFile {
  body: Buffer;
  sizeBytes: number;
  mtimeMs: number;
}

/**
 * Reads from the page cache take ~5 µs here (p99 40-80 µs), from the disk ~80 µs (p50):
 * one mode for the process, since the page cache is shared by every transfer in it.
 */
export const readMode = new SyncMode(60);

/**
 * The same for the steps of a small download (see download-whole.ts): a stat or a rename
 * takes under 50 µs; creating and writing a file takes 0.2–0.5 ms for a third of the files
 * while other downloads' fdatasyncs commit the ext4 journal (measured with 16 in flight),
 * more on a busy machine. Only steps over 2 ms say the disk itself is slow. With this
 * threshold the 10,000-file download took 5.5–7.7 s, as with synchronous calls only
 * (6.2–8.1 s); at 500 µs, 8.4–9.2 s; on the thread pool only, 9.6–9.8 s.
 */
export const writeMode = new SyncMode(2000);

/**
 * Reads `filePath` whole with synchronous calls when it is a regular file of at most
 * `maxBytes` and the files read lately came from the page cache ({@link SyncMode});
 * returns undefined otherwise (read it with {@link openSource}). An upload of 10,000
 * small files made 40,000 thread-pool round trips without this. O_NONBLOCK keeps the
 * open of a FIFO from blocking; it is then refused as not a file.
 *
 * @throws StowageError naming the path, as {@link openSource}.
 */
export function readSmallFile(
  filePath: string,
  maxBytes: number,
  mode: SyncMode = readMode,
): SmallFile | undefined {
  if (!mode.useSync()) return undefined;
  return mode.timed(() => readSmallFileNow(filePath, maxBytes));
}

function readSmallFileNow(filePath: string, maxBytes: number): SmallFile | undefined {
  let fd: number;
  try {
    fd = openSync(filePath, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw localError(err, filePath, 'cannot read');
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw notAFile(filePath, st.isDirectory());
    if (st.size > maxBytes) return undefined;
    const body = Buffer.allocUnsafe(st.size);
    let got = 0;
    while (got < st.size) {
      const n = readSync(fd, body, got, st.size - got, got);
      if (n === 0) throw shrank(filePath, st.size);
      got += n;
    }
    return { body, sizeBytes: st.size, mtimeMs: Math.round(st.mtimeMs) };
  } catch (err) {
    throw localError(err, filePath, 'cannot read');
  } finally {
    closeSync(fd);
  }
}

/** Reads exactly `length` bytes at `position` (a short read means the file shrank). */
export async function readRange(
  file: SourceFile,
  filePath: string,
  position: number,
  length: number,
): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await file.handle.read(buf, got, length - got, position + got);
    if (bytesRead === 0) throw shrank(filePath, file.sizeBytes);
    got += bytesRead;
  }
  return buf;
}

/** What a transfer reads of a local path. */
export interface LocalStat {
  sizeBytes: number;
  /** Rounded to an integer, as `stowage-mtime` stores it. */
  mtimeMs: number;
  isFile: boolean;
}

function localStatOf(st: Stats): LocalStat {
  return { sizeBytes: st.size, mtimeMs: Math.round(st.mtimeMs), isFile: st.isFile() };
}

/** Size and integer mtime of a path, or undefined if it does not exist. */
export async function statOrUndefined(filePath: string): Promise<LocalStat | undefined> {
  try {
    return localStatOf(await stat(filePath));
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return undefined;
    throw localError(err, filePath, 'cannot stat');
  }
}

/** {@link statOrUndefined} with a synchronous call. */
export function statOrUndefinedSync(filePath: string): LocalStat | undefined {
  try {
    const st = statSync(filePath, { throwIfNoEntry: false });
    return st && localStatOf(st);
  } catch (err) {
    throw localError(err, filePath, 'cannot stat');
  }
}

/** Writes JSON to `file` atomically: a temp file in the same directory, then rename. */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, JSON.stringify(value));
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw localError(err, file, 'cannot write');
  }
}

/** Parsed JSON of `file`, or undefined when it is missing or unreadable as JSON. */
export async function readJsonOrUndefined(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Before a download to `filePath`: a directory there that holds nothing but (empty)
 * directories is removed, since the object takes its place. One that holds a file is
 * refused with E_LOCAL_NOT_A_FILE, marked `retryAfterDeletions`: when the store's object
 * replaced a folder of the same name, a `sync --delete` is about to delete those files
 * (runPlan runs such an item again after the deletions). Anything else at the path is left
 * for the download to judge.
 */
export async function makeWayForFile(filePath: string): Promise<void> {
  const notEmpty = (cause?: unknown) =>
    new StowageError(
      'E_LOCAL_NOT_A_FILE',
      `cannot download to ${filePath}: it is a directory that is not empty`,
      { cause, details: { path: filePath, retryAfterDeletions: true } },
    );
  try {
    if (!(await lstat(filePath)).isDirectory()) return;
    // Checked before anything is removed: a folder that stays keeps its empty subfolders.
    if (!(await holdsOnlyFolders(filePath))) throw notEmpty();
    await removeFolders(filePath);
  } catch (err) {
    if (err instanceof StowageError) throw err;
    const code = (err as { code?: unknown } | null)?.code;
    if (code === 'ENOENT') return;
    // A file appeared in it meanwhile.
    if (code === 'ENOTEMPTY' || code === 'EEXIST') throw notEmpty(err);
    throw localError(err, filePath, 'cannot replace the empty directory');
  }
}

/** True when nothing under `dir` is anything but a directory. */
async function holdsOnlyFolders(dir: string): Promise<boolean> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (!e.isDirectory() || !(await holdsOnlyFolders(path.join(dir, e.name)))) return false;
  }
  return true;
}

/** Removes a tree of empty directories, deepest first; rmdir refuses one that gained a file. */
async function removeFolders(dir: string): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.isDirectory()) await removeFolders(path.join(dir, e.name));
  }
  await rmdir(dir);
}
