/**
 * Start-up recovery. Temp files always belong to writes that never finished. After an
 * unclean shutdown (the `clean_shutdown` setting is `0`; a new directory has none) blobs that no version or
 * part references are garbage from writes that crashed between rename and commit, or
 * from deletions that crashed before unlinking; after a clean one that left such blobs
 * (`gc`: a removal failed, or a commit's sync failed) they are collected too.
 */
import type { Database } from 'better-sqlite3';
import { promises as fsp } from 'node:fs';
import { StowageError } from '../errors.js';
import type { BlobStore } from './blobs/blob-store.js';

/** What start-up cleaned. */
export interface RecoveryReport {
  uncleanShutdown: boolean;
  tmpFilesRemoved: number;
  orphanBlobsRemoved: number;
}

/** Ids of every blob the metadata references. */
export function referencedBlobIds(db: Database): Set<string> {
  const ids = new Set<string>();
  for (const row of db.prepare('SELECT segments FROM versions WHERE segments <> ?').iterate('[]')) {
    for (const seg of JSON.parse((row as { segments: string }).segments) as Array<{ b: string }>)
      ids.add(seg.b);
  }
  for (const row of db.prepare('SELECT blob_id FROM parts WHERE blob_id IS NOT NULL').iterate()) {
    ids.add((row as { blob_id: string }).blob_id);
  }
  return ids;
}

/**
 * Refuses, before SQLite touches anything, a metadata database that is missing or empty
 * while the directory holds what only it can describe: blob files, or a write-ahead log
 * (after a crash the latest commits are only there). Opening would make a new database
 * and SQLite would discard that log; recovery would then collect every blob as garbage.
 *
 * @throws StowageError `E_DATA_CORRUPT` naming the file and what to restore.
 */
export async function refuseLostDatabase(dbFile: string, blobs: BlobStore): Promise<void> {
  const size = async (file: string) => (await fsp.stat(file).catch(() => undefined))?.size ?? 0;
  if ((await size(dbFile)) > 0) return;
  const wal = (await size(`${dbFile}-wal`)) > 0;
  if (!wal && !(await blobs.holdsFiles())) return;
  const what = wal ? `its write-ahead log ${dbFile}-wal` : `${blobs.blobsDir} holds object files`;
  throw new StowageError(
    'E_DATA_CORRUPT',
    `the metadata database ${dbFile} is missing or empty, but ${what}: the database was lost ` +
      'or replaced. Restore meta.db (with meta.db-wal, if the backup has one) from a backup of ' +
      'the data directory; nothing was changed',
  );
}

/** Runs recovery and marks the directory as in use (unclean until markClean). */
export async function recover(
  db: Database,
  blobs: BlobStore,
  force = false,
): Promise<RecoveryReport> {
  const clean = db.prepare("SELECT value FROM settings WHERE name = 'clean_shutdown'").get() as
    { value: string } | undefined;
  // No flag at all: a new directory, never opened before (the first open sets it to '0',
  // before any blob is written). Blob files beside such a database mean the database was
  // lost or replaced (moved aside, truncated to 0 bytes, restored without it): collecting
  // them as garbage would delete every object for good.
  if (clean === undefined && (await blobs.holdsFiles())) {
    throw new StowageError(
      'E_DATA_CORRUPT',
      `the metadata database ${db.name} is new or empty, but ${blobs.blobsDir} holds object files: ` +
        'the database was lost or replaced. Restore meta.db (with meta.db-wal, if the backup has one) ' +
        'from a backup of the data directory; nothing was deleted',
    );
  }
  // 'gc': a clean shutdown that left unreferenced blob files (a removal failed).
  const uncleanShutdown = clean !== undefined && clean.value !== '1' && clean.value !== 'gc';
  const tmpFilesRemoved = await blobs.cleanTmp();
  let orphanBlobsRemoved = 0;
  if (uncleanShutdown || clean === undefined || clean.value === 'gc' || force) {
    const ids = referencedBlobIds(db);
    orphanBlobsRemoved = await blobs.collectGarbage((id) => ids.has(id));
  }
  // On disk before any blob file is: commits write the WAL without fsync (the engine syncs
  // after its own), so a power cut before the first one's sync would bring back the '1' of
  // the last clean stop, and blob files written meanwhile would never be collected (found
  // by a power-loss probe).
  if (blobs.fsync) db.pragma('synchronous = FULL');
  try {
    setCleanFlag(db, false);
  } finally {
    if (blobs.fsync) db.pragma('synchronous = NORMAL');
  }
  return { uncleanShutdown, tmpFilesRemoved, orphanBlobsRemoved };
}

/**
 * Records whether the engine shut down cleanly, and if so whether it left unreferenced
 * blob files for the next start to collect.
 */
export function setCleanFlag(db: Database, clean: boolean, leftGarbage = false): void {
  db.prepare(
    "INSERT INTO settings (name, value) VALUES ('clean_shutdown', ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
  ).run(clean ? (leftGarbage ? 'gc' : '1') : '0');
}
