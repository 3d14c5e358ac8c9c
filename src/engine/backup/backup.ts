/**
 * `stowage engine backup`: copies a data directory to another directory, which is then a
 * data directory of its own (`stowage serve --data-dir <backup>` serves it as it was),
 * while a server may go on using the source.
 *
 * 1. A snapshot of the metadata database is written to the backup's `tmp/` (snapshot.ts).
 * 2. Every blob file that snapshot references and the backup lacks is copied, fsynced and
 *    renamed into place. Blob files never change once written, so one already in the
 *    backup (a previous backup's) with the same name and size is kept: a second backup
 *    copies only what is new.
 * 3. A running server that deletes a blob file meanwhile (an object overwritten or
 *    deleted) moves it aside for the backup while the backup's hold is fresh (holds.ts),
 *    and it is copied from there. If it is gone anyway (a server that knows no holds), a
 *    new snapshot is taken and only what it lacks is copied, up to {@link MAX_ROUNDS}.
 * 4. Encryption keys and access-key files are copied (after the snapshot: keys are never
 *    deleted, so those the snapshot needs are there), then the snapshot replaces the
 *    backup's `meta.db`, and only then are blob files the new snapshot does not reference
 *    removed. A backup cut short at any point leaves the previous backup whole.
 *
 * The backup directory is locked as a data directory is, so no server starts on it
 * half-written and two backups never write it at once.
 */
import { constants as fsConstants, promises as fsp } from 'node:fs';
import path from 'node:path';
import { syncDirectory, syncMadeDirectories, writeFileDurably } from '../../durable-write.js';
import { randomHex } from '../../random-bytes.js';
import { StowageError, toStowageError } from '../../errors.js';
import { BlobStore } from '../blobs/blob-store.js';
import { lockDataDir } from '../lock.js';
import { heldDir, holdRemovals } from './holds.js';
import { takeSnapshot } from './snapshot.js';

/** Snapshots taken at most before the blobs still missing are reported. */
export const MAX_ROUNDS = 5;
/** Blob files copied at once. */
const PARALLEL_COPIES = 4;
/** Files beside the database and the blobs that a data directory needs. */
const SIDE_FILES = ['credentials.json', 'access-keys.json'] as const;
/**
 * Written when a backup starts and again when it ends: what it was made from, and when.
 * A directory with a meta.db and no marker is a data directory, never a destination.
 */
const MARKER = 'BACKUP.json';
/** What a backup directory may hold (and `lost+found`, at the top of a disk of its own). */
const BACKUP_ENTRIES = new Set([
  'meta.db',
  'blobs',
  'tmp',
  'keys',
  'LOCK',
  'LOCK.db',
  MARKER,
  'lost+found',
  ...SIDE_FILES,
]);

/** What a backup did. */
export interface BackupReport {
  source: string;
  destination: string;
  /** Versions (delete markers included) in the backed-up snapshot. */
  versions: number;
  /** Blob files the snapshot references. */
  blobs: number;
  /** Blob files copied by this backup, and their bytes. */
  blobsCopied: number;
  bytesCopied: number;
  /** Blob files a previous backup had already copied. */
  blobsKept: number;
  /** Blob files of a previous backup that the new snapshot no longer references. */
  blobsRemoved: number;
  /** Snapshots taken (more than one when the source changed under the copy). */
  snapshots: number;
  /** Blob files the snapshot references that the source has neither in place nor aside. */
  missing: string[];
  durationMs: number;
}

/** Options of backupDataDir. */
export interface BackupOptions {
  /** Called with each snapshot's number (from 1) once it is taken, before its copies. */
  onSnapshot?: (round: number) => Promise<void> | void;
}

/**
 * Backs up data directory `source` to `destination` (created if missing; a previous
 * backup there is brought up to date).
 *
 * @throws StowageError `E_CONFIG_INVALID` for a source that is no data directory or a
 *   destination that is something else; `E_DATA_DIR_LOCKED` when a server uses the
 *   destination; `E_DATA_CORRUPT` when the source database is damaged; `E_STORAGE_FULL`.
 */
export async function backupDataDir(
  source: string,
  destination: string,
  options: BackupOptions = {},
): Promise<BackupReport> {
  const started = Date.now();
  const src = await checkSource(source);
  const { dest, made } = await prepareDestination(src, destination);
  const release = await lockDataDir(dest);
  const hold = await holdRemovals(path.join(src, 'tmp'));
  try {
    const tmp = path.join(dest, 'tmp');
    await fsp.rm(tmp, { recursive: true, force: true });
    await fsp.mkdir(tmp, { recursive: true, mode: 0o700 });
    await fsp.mkdir(path.join(dest, 'blobs'), { recursive: true });
    // First, so that a backup cut short (even before its meta.db is in place) leaves a
    // directory the next backup recognises as its own and finishes.
    await writeMarker(dest, { source: src, startedAt: new Date(started).toISOString() });
    const copy = new BlobCopier(src, dest);
    const snapshotFile = path.join(tmp, 'meta.db');
    let snapshot: Awaited<ReturnType<typeof takeSnapshot>> | undefined;
    let missing: string[] = [];
    let rounds = 0;
    while (rounds < MAX_ROUNDS && (rounds === 0 || missing.length > 0)) {
      rounds++;
      await fsp.rm(snapshotFile, { force: true });
      snapshot = await takeSnapshot(path.join(src, 'meta.db'), snapshotFile);
      await options.onSnapshot?.(rounds);
      missing = await copy.all(snapshot.blobIds);
    }
    await copy.syncDirs();
    await copySideFiles(src, dest);
    await installDatabase(snapshotFile, dest);
    const removed = await copy.to.collectGarbage((id) => snapshot!.blobIds.has(id));
    await writeMarker(dest, {
      source: src,
      startedAt: new Date(started).toISOString(),
      finishedAt: new Date().toISOString(),
      versions: snapshot!.versions,
      blobs: snapshot!.blobIds.size,
    });
    await fsp.rm(tmp, { recursive: true, force: true });
    await fsp.mkdir(tmp, { mode: 0o700 });
    // The backup directory's own entry, and those of the directories made on the way.
    await syncMadeDirectories(dest, made);
    return {
      source: src,
      destination: dest,
      versions: snapshot!.versions,
      blobs: snapshot!.blobIds.size,
      blobsCopied: copy.copied,
      bytesCopied: copy.bytes,
      blobsKept: copy.kept,
      blobsRemoved: removed,
      snapshots: rounds,
      missing,
      durationMs: Date.now() - started,
    };
  } catch (err) {
    const e = toStowageError(err, `back up ${src} to ${dest}`);
    if (e.code !== 'E_STORAGE_FULL') throw e;
    throw new StowageError(
      'E_STORAGE_FULL',
      `the backup directory ${dest} has no room left: the backup was not finished, and a previous backup there is unchanged`,
      { cause: err, details: { destination: dest } },
    );
  } finally {
    await hold?.release().catch(() => undefined);
    await release();
  }
}

async function writeMarker(dest: string, content: object): Promise<void> {
  await writeFileDurably(path.join(dest, MARKER), `${JSON.stringify(content, null, 2)}\n`, 0o644);
}

/**
 * Removes the marker of a backup that a server is about to serve: it is a data directory
 * from then on, so a backup run the wrong way round later (this directory as its
 * destination, after a restore) is refused instead of replacing what was stored since.
 * True when there was one.
 */
export async function forgetBackupMarker(dataDir: string): Promise<boolean> {
  return fsp.rm(path.join(dataDir, MARKER)).then(
    () => true,
    () => false,
  );
}

async function checkSource(source: string): Promise<string> {
  const dir = path.resolve(source);
  const db = await fsp.stat(path.join(dir, 'meta.db')).catch(() => undefined);
  if (!db?.isFile() || db.size === 0) {
    throw new StowageError(
      'E_CONFIG_INVALID',
      `${dir} is not a Stowage data directory (it has no meta.db): pass the --data-dir of the store to back up`,
      { details: { dataDir: dir } },
    );
  }
  return fsp.realpath(dir);
}

/**
 * The destination, made if missing. Refused: the source itself, a directory inside it or
 * around it, and a directory that holds anything but a data directory (so that a slip of
 * the keyboard cannot fill, and later prune, someone's home directory).
 */
async function prepareDestination(
  src: string,
  destination: string,
): Promise<{ dest: string; made: string | undefined }> {
  // Checked before anything is made (the path may not exist yet: its nearest existing
  // parent is resolved), and again once it exists (a symbolic link in it).
  refuseNested(src, await realParent(path.resolve(destination)));
  const wanted = path.resolve(destination);
  const made = await fsp.mkdir(wanted, { recursive: true, mode: 0o700 }).catch((err: unknown) => {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      throw new StowageError(
        'E_CONFIG_INVALID',
        `the backup directory ${wanted} is a file, or under one: name a directory`,
        { cause: err, details: { destination: wanted } },
      );
    }
    throw toStowageError(err, `cannot make the backup directory ${wanted}`);
  });
  const dest = await fsp.realpath(wanted);
  refuseNested(src, dest);
  const entries = await fsp.readdir(dest);
  // Beside the known entries: SQLite's files, and the temp file of a BACKUP.json write cut
  // short (the next write removes it).
  const stranger = entries.find(
    (e) =>
      !BACKUP_ENTRIES.has(e) &&
      !/^meta\.db-(wal|shm)$/.test(e) &&
      !/^BACKUP\.json\.\d+\.[0-9a-f]{8}\.tmp$/.test(e),
  );
  if (stranger !== undefined) {
    throw new StowageError(
      'E_CONFIG_INVALID',
      `the backup directory ${dest} is not empty and holds no backup (it has ${stranger}): back up to an empty or new directory, or to an earlier backup`,
      { details: { destination: dest } },
    );
  }
  if (entries.includes('meta.db') && !entries.includes(MARKER)) {
    throw new StowageError(
      'E_CONFIG_INVALID',
      `the backup directory ${dest} holds a Stowage data directory that stowage engine backup did not make (it has no ${MARKER}): a backup would replace its objects; back up to an empty or new directory, or to an earlier backup`,
      { details: { destination: dest } },
    );
  }
  return { dest, made };
}

/** The real path of `p`, or of the part of it that exists followed by the rest. */
async function realParent(p: string): Promise<string> {
  const real = await fsp.realpath(p).catch(() => undefined);
  if (real !== undefined) return real;
  const parent = path.dirname(p);
  if (parent === p) return p;
  return path.join(await realParent(parent), path.basename(p));
}

function refuseNested(src: string, dest: string): void {
  const inside = (a: string, b: string) => a === b || a.startsWith(b + path.sep);
  if (inside(dest, src) || inside(src, dest)) {
    throw new StowageError(
      'E_CONFIG_INVALID',
      `the backup directory ${dest} is the data directory ${src}, or inside it, or around it: back up to a directory apart from it (another disk, ideally)`,
      { details: { dataDir: src, destination: dest } },
    );
  }
}

/** Copies blob files from one data directory to another, each file once. */
class BlobCopier {
  copied = 0;
  bytes = 0;
  kept = 0;
  private readonly done = new Set<string>();
  private readonly shards = new Set<string>();

  /** Blob paths (the `blobs/<2 hex>/<id>` layout) and files of both directories. */
  private readonly from: BlobStore;
  readonly to: BlobStore;

  constructor(src: string, dest: string) {
    this.from = new BlobStore(src, { fsync: false });
    this.to = new BlobStore(dest, { fsync: false });
  }

  /** Copies the blobs of `ids` not copied yet; returns those the source lacks. */
  async all(ids: Set<string>): Promise<string[]> {
    const todo = [...ids].filter((id) => !this.done.has(id));
    const missing: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < todo.length) {
        const id = todo[next++]!;
        if (await this.one(id)) this.done.add(id);
        else missing.push(id);
      }
    };
    await Promise.all(Array.from({ length: PARALLEL_COPIES }, worker));
    return missing;
  }

  /** Copies one blob; false when the source has no such file. */
  private async one(id: string): Promise<boolean> {
    const inPlace = this.from.pathOf(id);
    // Where a server that saw this backup's hold moves a blob it deletes (holds.ts).
    const moved = path.join(heldDir(this.from.tmpDir), id);
    const to = this.to.pathOf(id);
    const [inPlaceStat, had] = await Promise.all([statOf(inPlace), statOf(to)]);
    const from = inPlaceStat ? inPlace : moved;
    const have = inPlaceStat ?? (await statOf(moved));
    // A previous backup's copy is kept when the source's is the same size, or gone (the
    // server deleted it since the snapshot, or the source lost it: the copy is then the
    // only one left).
    if (had && (!have || had.size === have.size)) {
      this.kept++;
      return true;
    }
    if (!have) return false;
    const tmp = path.join(this.to.tmpDir, `${id}.${randomHex(4)}`);
    try {
      // A reflink where the file system has them (btrfs, XFS), else copy_file_range. A
      // blob moved aside between the stat and the copy is copied from where it went.
      await fsp
        .copyFile(from, tmp, fsConstants.COPYFILE_FICLONE)
        .catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT' || from === moved) throw err;
          return fsp.copyFile(moved, tmp, fsConstants.COPYFILE_FICLONE);
        });
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      // Gone for good (no hold was seen, or it went stale): the next snapshot will not need it.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw toStowageError(err, `copy blob ${id}`);
    }
    await syncFile(tmp);
    const shard = path.dirname(to);
    if (!this.shards.has(shard)) {
      await fsp.mkdir(shard, { recursive: true });
      this.shards.add(shard);
    }
    await fsp.rename(tmp, to);
    this.copied++;
    this.bytes += have.size;
    return true;
  }

  /** Makes the renames durable before the database that names them replaces the old. */
  async syncDirs(): Promise<void> {
    for (const dir of [...this.shards, this.to.blobsDir]) await syncDirectory(dir);
  }
}

/** Keys, root credentials and access keys: each written whole, then renamed. */
async function copySideFiles(src: string, dest: string): Promise<void> {
  const keys = path.join(src, 'keys');
  const files: string[] = [...SIDE_FILES];
  for (const rel of await listFiles(keys)) files.push(path.join('keys', rel));
  for (const rel of files) {
    const from = path.join(src, rel);
    const to = path.join(dest, rel);
    const tmp = path.join(dest, 'tmp', `side.${randomHex(4)}`);
    try {
      await fsp.copyFile(from, tmp);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // none to copy
      throw err;
    }
    await syncFile(tmp);
    await fsp.mkdir(path.dirname(to), { recursive: true, mode: 0o700 });
    await fsp.rename(tmp, to);
    await syncDirectory(path.dirname(to));
  }
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const entries = await fsp.readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const e of entries) {
    // A key file or directory may be a symbolic link (the server follows it): so does this.
    const stat = await fsp.stat(path.join(dir, e.name)).catch(() => undefined);
    if (stat?.isDirectory())
      out.push(...(await listFiles(path.join(dir, e.name), path.join(prefix, e.name))));
    else if (stat?.isFile()) out.push(path.join(prefix, e.name));
  }
  return out;
}

/**
 * Puts the snapshot in place of the backup's database. A write-ahead log left beside the
 * old one (a server once ran on the backup) would be replayed into the new file: it goes
 * first.
 */
async function installDatabase(snapshotFile: string, dest: string): Promise<void> {
  await syncFile(snapshotFile);
  const db = path.join(dest, 'meta.db');
  for (const side of ['-wal', '-shm', '-journal']) await fsp.rm(db + side, { force: true });
  await fsp.rename(snapshotFile, db);
  await syncDirectory(dest);
}

async function statOf(file: string): Promise<{ size: number } | undefined> {
  return fsp.stat(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
}

async function syncFile(file: string): Promise<void> {
  const handle = await fsp.open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
