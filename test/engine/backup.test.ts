/**
 * `stowage engine backup` (src/engine/backup/): a backup is a data directory that serves
 * what the source held; a second one copies only what changed; a blob a server deletes
 * under the copy makes a new snapshot; a blob the source lost is reported (exit 5) and a
 * previous backup's copy of it kept; destinations that are no backup are refused; a
 * damaged source database is refused; a full disk or a killed backup leaves the previous
 * backup whole. The live-server case (writers overwriting and deleting during the backup,
 * then the backup served) is in test/faults/backup-live.test.ts.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  lstatSync,
  readdirSync,
  symlinkSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backupDataDir, type BackupReport } from '../../src/engine/backup/backup.js';
import { Engine } from '../../src/engine/engine.js';
import type { ObjectEncryption } from '../../src/engine/types.js';
import { blobFileIds, patternBytes, readAll, tempDir } from '../helpers/engine.js';
import { runCli } from '../helpers/run-cli.js';
import { BIN, deepCheck, exited, killAllServers, serve } from '../helpers/serve-process.js';
import { mountTmpfs } from '../helpers/small-fs.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const KMS: ObjectEncryption = { algorithm: 'aws:kms', kmsKeyId: 'game-key' };
const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

let cleanups: Array<() => void | Promise<void>> = [];
beforeEach(() => {
  cleanups = [];
});
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
});
afterAll(() => killAllServers());

function dirFor(prefix: string): string {
  const { dir, cleanup } = tempDir(prefix);
  cleanups.push(cleanup);
  return dir;
}

/** A source data directory with an engine open on it (closed after the test). */
async function source(): Promise<{ engine: Engine; dir: string }> {
  const dir = dirFor('stowage-backup-src-');
  const engine = await Engine.open({ dataDir: dir, fsync: false });
  cleanups.push(() => engine.close());
  return { engine, dir };
}

/** Contents of every latest object of `bucket` in data directory `dir`, by key (MD5). */
async function contents(dir: string, bucket: string): Promise<Record<string, string>> {
  const engine = await Engine.open({ dataDir: dir, fsync: false });
  try {
    const out: Record<string, string> = {};
    for (const o of engine.listObjects(bucket, { maxKeys: 1000 }).objects) {
      out[o.key] = md5(await readAll(engine.getObject(bucket, o.key).body));
    }
    return out;
  } finally {
    await engine.close();
  }
}

/**
 * Overwrites `bkt/<key>` and waits (up to a second) until the blob files it replaced have
 * left `blobs/`, which happens after the commit; returns their ids.
 */
async function overwrite(
  engine: Engine,
  dir: string,
  key: string,
  body: Buffer,
): Promise<string[]> {
  const before = blobFileIds(dir);
  await engine.putObject('bkt', key, body);
  for (let i = 0; i < 100 && blobFileIds(dir).some((id) => before.includes(id)); i++)
    await new Promise((r) => setTimeout(r, 10));
  return before;
}

describe('a backup is a data directory that serves what the source held', () => {
  it('inline and file blobs, SSE-S3 and SSE-KMS, versions, bucket documents, uploads, keys', async () => {
    const { engine, dir } = await source();
    await engine.createBucket('game-assets');
    await engine.createBucket('vault');
    await engine.putBucketVersioning('vault', 'Enabled');
    const cors =
      '<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod><AllowedOrigin>*</AllowedOrigin></CORSRule></CORSConfiguration>';
    await engine.putBucketConfig('game-assets', 'cors', cors);
    const expected: Record<string, string> = {};
    for (const [i, size] of [10, 100 * KiB, 300 * KiB, 6 * MiB].entries()) {
      const body = patternBytes(size, i + 1);
      await engine.putObject('game-assets', `sprites/${i}.png`, body, {
        encryption: i % 2 ? KMS : { algorithm: 'AES256' },
      });
      expected[`sprites/${i}.png`] = md5(body);
    }
    const v1 = patternBytes(200 * KiB, 7);
    const v2 = patternBytes(200 * KiB, 8);
    const first = await engine.putObject('vault', 'save.dat', v1);
    await engine.putObject('vault', 'save.dat', v2);
    const upload = await engine.createMultipartUpload('vault', 'big.bin');
    await engine.uploadPart('vault', 'big.bin', upload.uploadId, 1, patternBytes(5 * MiB, 9));

    const dest = path.join(dirFor('stowage-backup-dst-'), 'backup');
    const r = await runCli(['--json', 'engine', 'backup', dest], {
      env: { STOWAGE_DATA_DIR: dir },
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as BackupReport;
    // Blob files: the 300 KiB and 6 MiB sprites, both versions and the part.
    expect(report).toMatchObject({ versions: 6, blobs: 5, blobsCopied: 5, snapshots: 1 });
    expect(report.missing).toEqual([]);
    expect(existsSync(path.join(dest, 'keys', 'sse-s3.key'))).toBe(true);

    expect(await contents(dest, 'game-assets')).toEqual(expected);
    const restored = await Engine.open({ dataDir: dest, fsync: false });
    try {
      expect(restored.getBucketConfig('game-assets', 'cors')).toBe(cors);
      expect(md5(await readAll(restored.getObject('vault', 'save.dat').body))).toBe(md5(v2));
      const old = restored.getObject('vault', 'save.dat', { versionId: first.versionId });
      expect(md5(await readAll(old.body))).toBe(md5(v1));
      const uploads = restored.listMultipartUploads('vault').uploads;
      expect(uploads.map((u) => u.uploadId)).toEqual([upload.uploadId]);
    } finally {
      await restored.close();
    }
    expect(deepCheck(dest)).toMatchObject({ status: 0 });
  });

  it('a second backup copies only new blob files and removes those no longer referenced', async () => {
    const { engine, dir } = await source();
    await engine.createBucket('bkt');
    for (let i = 0; i < 6; i++) await engine.putObject('bkt', `k${i}`, patternBytes(200 * KiB, i));
    const dest = dirFor('stowage-backup-dst-');
    expect(await backupDataDir(dir, dest)).toMatchObject({ blobsCopied: 6, blobsKept: 0 });
    await engine.putObject('bkt', 'k0', patternBytes(200 * KiB, 100)); // replaces a blob
    await engine.deleteObject('bkt', 'k1');
    await engine.putObject('bkt', 'k9', patternBytes(200 * KiB, 9));
    const second = await backupDataDir(dir, dest);
    expect(second).toMatchObject({ blobs: 6, blobsCopied: 2, blobsKept: 4, blobsRemoved: 2 });
    expect(blobFileIds(dest).sort()).toEqual(blobFileIds(dir).sort());
    await engine.close();
    expect(await contents(dest, 'bkt')).toEqual(await contents(dir, 'bkt'));
  });
});

describe('a source that changes or was damaged', () => {
  it('a blob the server deletes under the copy is moved aside for it, and the backup is of the first snapshot', async () => {
    const { engine, dir } = await source();
    await engine.createBucket('bkt');
    const older = patternBytes(300 * KiB, 1);
    await engine.putObject('bkt', 'hero.png', older);
    const dest = dirFor('stowage-backup-dst-');
    const held = path.join(dir, 'tmp', 'held');
    const rounds: number[] = [];
    const report = await backupDataDir(dir, dest, {
      onSnapshot: async (round) => {
        rounds.push(round);
        // After the snapshot, before its copies: the server overwrites the object. Seeing
        // the backup's hold, it moves the replaced blob file aside instead of deleting it.
        const before = await overwrite(engine, dir, 'hero.png', patternBytes(300 * KiB, 2));
        expect(readdirSync(held)).toEqual(before);
      },
    });
    expect(rounds).toEqual([1]);
    expect(report).toMatchObject({ snapshots: 1, blobs: 1, missing: [] });
    expect(await contents(dest, 'bkt')).toEqual({ 'hero.png': md5(older) });
    // The last backup out empties the held files, and its hold is gone: the server deletes
    // again.
    expect(readdirSync(held)).toEqual([]);
    await overwrite(engine, dir, 'hero.png', patternBytes(300 * KiB, 3));
    expect(readdirSync(held)).toEqual([]);
  });

  it('a blob deleted under the copy without a hold (a server of an earlier version) makes a new snapshot', async () => {
    const { engine, dir } = await source();
    await engine.createBucket('bkt');
    await engine.putObject('bkt', 'hero.png', patternBytes(300 * KiB, 1));
    const newer = patternBytes(300 * KiB, 2);
    const dest = dirFor('stowage-backup-dst-');
    const rounds: number[] = [];
    const report = await backupDataDir(dir, dest, {
      onSnapshot: async (round) => {
        rounds.push(round);
        if (round === 1) {
          await overwrite(engine, dir, 'hero.png', newer);
          // What a server that knows no holds does: the file is gone.
          rmSync(path.join(dir, 'tmp', 'held'), { recursive: true, force: true });
        }
      },
    });
    expect(rounds).toEqual([1, 2]);
    expect(report).toMatchObject({ snapshots: 2, blobs: 1, missing: [] });
    expect(await contents(dest, 'bkt')).toEqual({ 'hero.png': md5(newer) });
  });

  it('a blob file the source lost is reported (exit 5), the rest is backed up', async () => {
    const { engine, dir } = await source();
    await engine.createBucket('bkt');
    await engine.putObject('bkt', 'a', patternBytes(300 * KiB, 1));
    await engine.putObject('bkt', 'b', patternBytes(300 * KiB, 2));
    await engine.close();
    const [lost] = blobFileIds(dir);
    rmSync(path.join(dir, 'blobs', lost!.slice(0, 2), lost!));
    const dest = dirFor('stowage-backup-dst-');
    const r = await runCli(['engine', 'backup', dest], { env: { STOWAGE_DATA_DIR: dir } });
    expect(r.code).toBe(5);
    expect(r.stdout).toContain('PROBLEMS FOUND: 1 blob files the metadata names are missing');
    expect(r.stdout).toContain(`missing-blob: ${lost}`);
    expect(blobFileIds(dest)).toHaveLength(1);
  });

  it("a previous backup's copy of a blob the source lost is kept", async () => {
    const { engine, dir } = await source();
    await engine.createBucket('bkt');
    const body = patternBytes(300 * KiB, 1);
    await engine.putObject('bkt', 'a', body);
    const dest = dirFor('stowage-backup-dst-');
    await backupDataDir(dir, dest);
    await engine.close();
    const [id] = blobFileIds(dir);
    rmSync(path.join(dir, 'blobs', id!.slice(0, 2), id!));
    expect(await backupDataDir(dir, dest)).toMatchObject({ blobsKept: 1, missing: [] });
    expect(await contents(dest, 'bkt')).toEqual({ a: md5(body) });
  });

  it('a damaged source database is refused (E_DATA_CORRUPT) and the previous backup stays', async () => {
    const { engine, dir } = await source();
    await engine.createBucket('bkt');
    for (let i = 0; i < 400; i++) await engine.putObject('bkt', `k${i}`, patternBytes(2 * KiB, i));
    const dest = dirFor('stowage-backup-dst-');
    await backupDataDir(dir, dest);
    await engine.close();
    const db = path.join(dir, 'meta.db');
    const bytes = readFileSync(db);
    for (let page = 2; page * 4096 < bytes.length; page += 3)
      bytes.fill(0x5a, page * 4096 + 8, page * 4096 + 2000);
    writeFileSync(db, bytes);
    const before = readFileSync(path.join(dest, 'meta.db'));
    const r = await runCli(['engine', 'backup', dest], { env: { STOWAGE_DATA_DIR: dir } });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(
      /cannot copy the metadata database .*meta\.db: it is damaged .*nothing was backed up.*\(E_DATA_CORRUPT\)/,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(readFileSync(path.join(dest, 'meta.db')).equals(before)).toBe(true);
    expect(deepCheck(dest)).toMatchObject({ status: 0 });
  });
});

describe('destinations that are no backup are refused, nothing written', () => {
  async function refusal(dest: string, dataDir: string): Promise<string> {
    const r = await runCli(['engine', 'backup', dest], { env: { STOWAGE_DATA_DIR: dataDir } });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    return r.stderr;
  }

  it('the data directory itself, inside it or around it', async () => {
    const { dir } = await source();
    expect(await refusal(path.join(dir, 'sub', 'backup'), dir)).toMatch(
      /the backup directory .* is the data directory .*, or inside it, or around it.*\(E_CONFIG_INVALID\)/,
    );
    expect(existsSync(path.join(dir, 'sub'))).toBe(false);
    expect(await refusal(dir, dir)).toContain('or inside it');
    expect(await refusal(path.dirname(dir), dir)).toContain('or around it');
  });

  it('a directory holding other files, or a data directory no backup made', async () => {
    const { dir } = await source();
    const home = dirFor('stowage-backup-home-');
    writeFileSync(path.join(home, 'notes.txt'), 'mine');
    expect(await refusal(home, dir)).toMatch(
      /is not empty and holds no backup \(it has notes\.txt\)/,
    );
    expect(readdirSync(home)).toEqual(['notes.txt']);
    writeFileSync(path.join(home, 'backup.tar'), 'a file');
    expect(await refusal(path.join(home, 'backup.tar'), dir)).toMatch(
      /the backup directory .*backup\.tar is a file, or under one: name a directory \(E_CONFIG_INVALID\)/,
    );
    expect(await refusal(path.join(home, 'backup.tar', 'x'), dir)).toContain(
      'is a file, or under one',
    );
    const other = (await source()).dir;
    expect(await refusal(other, dir)).toMatch(
      /holds a Stowage data directory that stowage engine backup did not make \(it has no BACKUP\.json\)/,
    );
  });

  it('a source that is no data directory', async () => {
    const empty = dirFor('stowage-backup-empty-');
    expect(await refusal(dirFor('stowage-backup-dst-'), empty)).toMatch(
      /is not a Stowage data directory \(it has no meta\.db\)/,
    );
    expect(await refusal(dirFor('stowage-backup-dst-'), path.join(empty, 'typo'))).toMatch(
      /no data directory at .*typo: pass the --data-dir of the store to back up/,
    );
  });

  it('a backup that was served is a data directory: BACKUP.json goes, and a backup into it is refused', async () => {
    const { engine, dir } = await source();
    await engine.createBucket('bkt');
    const dest = dirFor('stowage-backup-dst-');
    await backupDataDir(dir, dest);
    expect(existsSync(path.join(dest, 'BACKUP.json'))).toBe(true);
    const s = await serve(dest);
    try {
      expect(existsSync(path.join(dest, 'BACKUP.json'))).toBe(false);
      // Say a restore put this backup in the live directory's place: a backup run the
      // wrong way round must not replace what is stored since.
      const r = await runCli(['engine', 'backup', dest], { env: { STOWAGE_DATA_DIR: dir } });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /holds a Stowage data directory that stowage engine backup did not make/,
      );
    } finally {
      s.child.kill('SIGTERM');
      await exited(s.child);
    }
  });
});

describe('what the review of the first version found', () => {
  it('two backups into one directory at once: the second is refused (E_DATA_DIR_LOCKED)', async () => {
    const { engine, dir } = await source();
    await engine.createBucket('bkt');
    const dest = dirFor('stowage-backup-dst-');
    let second: Awaited<ReturnType<typeof runCli>> | undefined;
    await backupDataDir(dir, dest, {
      onSnapshot: async () => {
        second ??= await runCli(['engine', 'backup', dest], { env: { STOWAGE_DATA_DIR: dir } });
      },
    });
    expect(second!.code).toBe(7);
    expect(second!.stderr).toMatch(/is in use by another Stowage process \(pid \d+\)/);
  });

  it('a first backup cut short, and a BACKUP.json write cut short, do not keep the next one out', async () => {
    const { engine, dir } = await source();
    await engine.createBucket('bkt');
    await engine.putObject('bkt', 'a', patternBytes(300 * KiB, 1));
    const dest = dirFor('stowage-backup-dst-');
    // What a first backup killed after its marker and some blobs leaves: no meta.db.
    await expect(
      backupDataDir(dir, dest, {
        onSnapshot: () => {
          throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    expect(existsSync(path.join(dest, 'BACKUP.json'))).toBe(true);
    expect(existsSync(path.join(dest, 'meta.db'))).toBe(false);
    writeFileSync(path.join(dest, 'BACKUP.json.4242.0123abcd.tmp'), '{');
    expect(await backupDataDir(dir, dest)).toMatchObject({ blobs: 1, missing: [] });
    expect(readdirSync(dest).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(await contents(dest, 'bkt')).toEqual({ a: md5(patternBytes(300 * KiB, 1)) });
  });

  it("a backup of a stopped store is marked for the recovery of an unclean stop (its first start collects a later backup's leftovers)", async () => {
    const { engine, dir } = await source();
    await engine.createBucket('bkt');
    await engine.close();
    const dest = dirFor('stowage-backup-dst-');
    await backupDataDir(dir, dest);
    const db = new Database(path.join(dest, 'meta.db'), { readonly: true });
    try {
      expect(
        db.prepare("SELECT value FROM settings WHERE name = 'clean_shutdown'").pluck().get(),
      ).toBe('0');
    } finally {
      db.close();
    }
  });

  it('a damaged index (quick_check misses it) is refused, and nothing replaces the backup', async () => {
    const { engine, dir } = await source();
    await engine.createBucket('bkt');
    for (const k of ['AAAAAAAA1', 'AAAAAAAA2', 'AAAAAAAA3']) await engine.putObject('bkt', k, 'x');
    const dest = dirFor('stowage-backup-dst-');
    await backupDataDir(dir, dest);
    await engine.close();
    // One byte of a key in the versions_current index changed: the table and its index
    // disagree, which SQLite reports as SQLITE_CORRUPT_INDEX.
    const file = path.join(dir, 'meta.db');
    const db = new Database(file);
    db.pragma('wal_checkpoint(TRUNCATE)');
    const root = db
      .prepare("SELECT rootpage FROM sqlite_schema WHERE name = 'versions_current'")
      .pluck()
      .get() as number;
    db.close();
    const bytes = readFileSync(file);
    const page = bytes.subarray((root - 1) * 4096, root * 4096);
    const at = page.indexOf('AAAAAAAA2');
    expect(at).toBeGreaterThan(0);
    page[at + 8] = '9'.charCodeAt(0);
    writeFileSync(file, bytes);
    const before = readFileSync(path.join(dest, 'meta.db'));
    const r = await runCli(['engine', 'backup', dest], { env: { STOWAGE_DATA_DIR: dir } });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(
      /it is damaged \(SQLite's integrity_check: .*versions_current.*\); nothing was backed up/,
    );
    expect(readFileSync(path.join(dest, 'meta.db')).equals(before)).toBe(true);
  });

  it('a key file that is a symbolic link is copied (as the file it points to)', async () => {
    const { engine, dir } = await source();
    await engine.createBucket('bkt');
    const body = patternBytes(300 * KiB, 5);
    await engine.putObject('bkt', 'sealed', body, { encryption: { algorithm: 'AES256' } });
    await engine.close();
    const vault = dirFor('stowage-backup-vault-');
    const key = path.join(dir, 'keys', 'sse-s3.key');
    cpSync(key, path.join(vault, 'sse-s3.key'));
    rmSync(key);
    symlinkSync(path.join(vault, 'sse-s3.key'), key);
    const dest = dirFor('stowage-backup-dst-');
    expect(await backupDataDir(dir, dest)).toMatchObject({ missing: [] });
    expect(lstatSync(path.join(dest, 'keys', 'sse-s3.key')).isFile()).toBe(true);
    expect(await contents(dest, 'bkt')).toEqual({ sealed: md5(body) });
  });
});

describe('a backup cut short leaves the previous backup whole', () => {
  it('the backup directory file system full: E_STORAGE_FULL, exit 7', async () => {
    const { engine, dir } = await source();
    await engine.createBucket('bkt');
    for (let i = 0; i < 12; i++) await engine.putObject('bkt', `k${i}`, patternBytes(MiB, i));
    const fs = mountTmpfs(4 * MiB, 'stowage-backup-full-');
    cleanups.push(() => fs.unmount());
    const dest = path.join(fs.mountPoint, 'backup');
    const r = await runCli(['engine', 'backup', dest], { env: { STOWAGE_DATA_DIR: dir } });
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(
      /the backup directory .*backup has no room left: the backup was not finished, and a previous backup there is unchanged \(E_STORAGE_FULL\)/,
    );
    expect(existsSync(path.join(dest, 'meta.db'))).toBe(false);
  });

  it('killed with SIGKILL mid-copy: the previous backup checks clean; the next completes', async () => {
    const { engine, dir } = await source();
    await engine.createBucket('bkt');
    const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
    for (const k of keys) await engine.putObject('bkt', k, patternBytes(2 * MiB, k.length));
    const dest = dirFor('stowage-backup-dst-');
    await backupDataDir(dir, dest);
    const first = await contentsWhileOpen(engine);
    for (const [i, k] of keys.entries())
      await engine.putObject('bkt', k, patternBytes(2 * MiB, 1000 + i));
    await engine.close();
    const child = spawn(process.execPath, [BIN, 'engine', 'backup', dest], {
      env: { PATH: process.env.PATH, STOWAGE_DATA_DIR: dir },
      stdio: 'ignore',
    });
    // Killed once some new blob files are in place, before the snapshot replaces meta.db.
    const old = new Set(blobFileIds(dest));
    for (let i = 0; i < 2000 && blobFileIds(dest).filter((id) => !old.has(id)).length < 3; i++)
      await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    await exited(child);
    const copiedBeforeKill = blobFileIds(dest).filter((id) => !old.has(id)).length;
    expect(copiedBeforeKill).toBeGreaterThanOrEqual(3);
    expect(copiedBeforeKill).toBeLessThan(keys.length);
    // Checked on a copy: opening a backup collects blob files its database does not name
    // (those this one had copied), and the next backup should find them.
    const copy = dirFor('stowage-backup-copy-');
    cpSync(dest, copy, { recursive: true });
    expect(deepCheck(copy)).toMatchObject({ status: 0 });
    expect(await contents(copy, 'bkt')).toEqual(first);
    const again = await backupDataDir(dir, dest);
    expect(again.blobsKept).toBeGreaterThanOrEqual(copiedBeforeKill);
    expect(again.blobsRemoved).toBe(keys.length);
    expect(await contents(dest, 'bkt')).toEqual(await contents(dir, 'bkt'));
  });
});

async function contentsWhileOpen(engine: Engine): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const o of engine.listObjects('bkt', { maxKeys: 1000 }).objects) {
    out[o.key] = md5(await readAll(engine.getObject('bkt', o.key).body));
  }
  return out;
}
