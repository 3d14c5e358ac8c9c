/**
 * The local side of a transfer: checking a source file, translating file-system errors
 * into StowageErrors that name the path, and writing small JSON files atomically.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { open, readFile, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { StowageError, toStowageError } from '../errors.js';

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
    'E_INVALID_REQUEST',
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
 */
export async function openSource(filePath: string): Promise<SourceFile> {
  let handle: FileHandle;
  try {
    handle = await open(filePath, 'r');
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
 * Whether small files are read with synchronous calls, decided from how long those take.
 * From the page cache a read takes ~5 µs; from the disk ~80 µs here, and a run of those
 * stalls the event loop, so requests reach the store one at a time instead of in a stream
 * (an upload of 10,000 cold 4 KiB files took 6.3 s instead of 3.9 s, with both ends
 * spending more CPU per file). Two slow reads in a row switch to the thread pool, where
 * the disk reads of concurrent uploads overlap, for the next {@link ASYNC_WINDOW} files.
 */
export class ReadMode {
  private asyncLeft = 0;
  private slowInRow = 0;

  /** True when the next small file should be read synchronously. */
  useSync(): boolean {
    if (this.asyncLeft === 0) return true;
    this.asyncLeft -= 1;
    return false;
  }

  /** Notes how long a synchronous read took. */
  record(micros: number): void {
    if (micros <= SLOW_READ_MICROS) {
      this.slowInRow = 0;
    } else if (++this.slowInRow >= 2) {
      this.slowInRow = 0;
      this.asyncLeft = ASYNC_WINDOW;
    }
  }
}

/** Slower than the page cache ever is here (p99 ~40-80 µs from it, p50 ~80 µs from disk). */
const SLOW_READ_MICROS = 60;
/** Files read on the thread pool before synchronous reads are tried again. */
export const ASYNC_WINDOW = 256;
/** One mode for the process: the page cache is shared by every transfer in it. */
const readMode = new ReadMode();

/**
 * Reads `filePath` whole with synchronous calls when it is a regular file of at most
 * `maxBytes` and the files read lately came from the page cache ({@link ReadMode});
 * returns undefined otherwise (read it with {@link openSource}).
 *
 * Each asynchronous fs call costs a thread-pool round trip (a futex wake and a context
 * switch, about 0.1 ms on the main thread here); an upload of 10,000 small files made
 * 40,000 of them. From the page cache the four synchronous calls take a few microseconds.
 * O_NONBLOCK keeps the open of a FIFO from blocking; it is then refused as not a file.
 *
 * @throws StowageError naming the path, as {@link openSource}.
 */
export function readSmallFile(
  filePath: string,
  maxBytes: number,
  mode: ReadMode = readMode,
): SmallFile | undefined {
  if (!mode.useSync()) return undefined;
  const started = process.hrtime.bigint();
  const file = readSmallFileNow(filePath, maxBytes);
  mode.record(Number(process.hrtime.bigint() - started) / 1000);
  return file;
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

/** Size and integer mtime of a path, or undefined if it does not exist. */
export async function statOrUndefined(
  filePath: string,
): Promise<{ sizeBytes: number; mtimeMs: number; isFile: boolean } | undefined> {
  try {
    const st = await stat(filePath);
    return { sizeBytes: st.size, mtimeMs: Math.round(st.mtimeMs), isFile: st.isFile() };
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return undefined;
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
