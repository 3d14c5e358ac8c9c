/**
 * Whether the disk can read the metadata database at all. SQLite reports a page it cannot
 * read (EIO, a bad sector) as damage ("unable to get the page", "database disk image is
 * malformed"), and a damaged file asks for a restore from a backup onto the same disk; a
 * failing disk asks first for the disk to be checked and the data copied off it. Read
 * only once SQLite has reported damage: a sequential read of meta.db and its log.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { databaseFile } from '../../data-dir.js';

const CHUNK = 1024 * 1024;

/** The first byte of `file` a read fails on with EIO; undefined when all of it reads. */
function firstUnreadableByte(file: string): number | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  const buf = Buffer.allocUnsafe(CHUNK);
  let pos = 0;
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, pos);
      if (n === 0) return undefined;
      pos += n;
    }
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EIO' ? pos : undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * "the disk cannot read meta.db from byte N (EIO)" when it cannot (meta.db or its log),
 * else undefined.
 */
export function unreadableDatabase(dataDir: string): string | undefined {
  const db = databaseFile(dataDir);
  for (const file of [db, `${db}-wal`]) {
    const at = firstUnreadableByte(file);
    if (at !== undefined) {
      return `the disk cannot read ${path.basename(file)} from byte ${at} on (EIO: a failing disk, see dmesg)`;
    }
  }
  return undefined;
}

/** What to do about a metadata database the disk cannot read. */
export const FAILING_DISK_ADVICE =
  'Check the disk, copy the data directory off it (what can be read: ' +
  'ddrescue), and put a backup made with stowage engine backup in its place on a sound ' +
  'disk (docs/engine.md, "A damaged metadata database")';
