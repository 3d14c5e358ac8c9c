/**
 * The data directory lock and start-up recovery: one engine per directory, a lock left by
 * a dead process is taken over, and after an unclean shutdown temp files and blobs no
 * metadata references are removed while referenced ones stay.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { isStowageError } from '../../src/errors.js';
import { patternBytes, readAll, tempDir } from '../helpers/engine.js';
import { BIN, exited, killAllServers, serve } from '../helpers/serve-process.js';

const ROOT = { STOWAGE_ROOT_ACCESS_KEY: 'STWLOCKKEY', STOWAGE_ROOT_SECRET_KEY: 'lock-secret-0123' };

const BUCKET = 'locks';
const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function dataDir(): string {
  const { dir, cleanup } = tempDir('stowage-lock-');
  cleanups.push(cleanup);
  return dir;
}

async function open(dir: string): Promise<Engine> {
  const engine = await Engine.open({ dataDir: dir });
  cleanups.push(() => engine.close());
  return engine;
}

async function expectLocked(p: Promise<unknown>, pid: number): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isStowageError(err, 'E_DATA_DIR_LOCKED'), String(err)).toBe(true);
  expect((err as { details: { pid: number } }).details.pid).toBe(pid);
}

/** The pid of a process that has exited (and been reaped), so nothing answers to it. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  if (!r.pid) throw new Error('could not start a child process');
  return r.pid;
}

const lockOf = (dir: string): string => readFileSync(path.join(dir, 'LOCK'), 'utf8').trim();

function blobFiles(dir: string): string[] {
  const root = path.join(dir, 'blobs');
  return readdirSync(root)
    .flatMap((shard) => readdirSync(path.join(root, shard)))
    .sort();
}

describe('a data directory that cannot be used', () => {
  it('is a setup error naming the directory and the cause, not an internal error', async () => {
    const parent = dataDir();
    writeFileSync(path.join(parent, 'file'), 'in the way');
    const inFile = path.join(parent, 'file', 'data');
    const notDir = await Engine.open({ dataDir: inFile, fsync: false }).catch((e: unknown) => e);
    expect(isStowageError(notDir) && notDir.code).toBe('E_CONFIG_INVALID');
    expect((notDir as Error).message).toMatch(
      /cannot use data directory .*file\/data: .*(ENOTDIR|EEXIST)/,
    );
    expect((notDir as { exitCode: number }).exitCode).toBe(2);
    // meta.db that is not a database file (here a directory): SQLite cannot open it.
    const dir = dataDir();
    mkdirSync(path.join(dir, 'meta.db'));
    const cant = await Engine.open({ dataDir: dir, fsync: false }).catch((e: unknown) => e);
    expect(isStowageError(cant) && cant.code).toBe('E_CONFIG_INVALID');
    expect((cant as Error).message).toMatch(/metadata database cannot be opened|SQLITE_CANTOPEN/);
    // The directory is not left locked.
    rmdirSync(path.join(dir, 'meta.db'));
    const engine = await open(dir);
    await engine.close();
  });
});

/**
 * A data directory owned by `nobody`, and `stowage engine check` on it run as `nobody`:
 * root may write anywhere, a service account may not.
 */
function nobodysDataDir(): { dir: string; check: () => SpawnSyncReturns<string> } {
  const parent = dataDir();
  chmodSync(parent, 0o755);
  const dir = path.join(parent, 'data');
  mkdirSync(dir);
  chownSync(dir, 65534, 65534);
  const check = () =>
    spawnSync(process.execPath, [BIN, 'engine', 'check', '--data-dir', dir], {
      uid: 65534,
      gid: 65534,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: parent },
    });
  return { dir, check };
}

describe('a data directory part of which this user cannot write', () => {
  it('stops the start, naming the directory, instead of failing every large upload later', async () => {
    const { dir, check } = nobodysDataDir();
    const first = check();
    expect([first.status, first.stderr]).toEqual([0, '']);
    // tmp/ left owned by root (a restore run as root, say).
    chownSync(path.join(dir, 'tmp'), 0, 0);
    const second = check();
    expect(second.stderr).toMatch(
      /cannot use data directory .*data: permission denied \(EACCES: .*tmp/,
    );
    expect(second.status).toBe(2);
    // A fan-out directory of blobs/ made by a run as root: uploads landing there would fail.
    chownSync(path.join(dir, 'tmp'), 65534, 65534);
    mkdirSync(path.join(dir, 'blobs', '7d'));
    const third = check();
    expect(third.stderr).toMatch(
      /cannot use data directory .*permission denied \(EACCES: .*blobs\/7d/,
    );
    expect(third.status).toBe(2);
  });
});

describe('a metadata database this user cannot write', () => {
  it('names the file that is not writable, also when it is the -shm one SQLite left', async () => {
    const { dir, check } = nobodysDataDir();
    expect(check().status).toBe(0);
    // What a start against a read-only meta.db leaves once meta.db itself is fixed: a
    // meta.db-shm of mode 0444. The message named meta.db only, so fixing it fixed nothing.
    const shm = path.join(dir, 'meta.db-shm');
    writeFileSync(shm, Buffer.alloc(32768));
    chownSync(shm, 65534, 65534);
    chmodSync(shm, 0o444);
    const refused = check();
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/not writable by this process: .*meta\.db-shm\)/);
    expect(refused.stderr).not.toMatch(/not writable by this process: [^)]*meta\.db[,)]/);
    chmodSync(shm, 0o644);
    expect(check().status).toBe(0);
  });
});

describe('an encryption key file objects use', () => {
  it('missing, stops `stowage serve` naming the file and the key instead of answering 500 later', async () => {
    const dir = dataDir();
    const engine = await Engine.open({ dataDir: dir, fsync: false });
    await engine.createBucket(BUCKET);
    await engine.putObject(BUCKET, 'vault.bin', 'secret', {
      encryption: { algorithm: 'aws:kms', kmsKeyId: 'studio-key' },
    });
    await engine.close();
    const kmsDir = path.join(dir, 'keys', 'kms');
    const [file] = readdirSync(kmsDir);
    rmSync(path.join(kmsDir, file!));
    const run = spawnSync(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dir], {
      env: { PATH: process.env.PATH ?? '', ...ROOT },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(5);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      new RegExp(
        `^stowage: the encryption key file .*keys/kms/${file!.replace('.', '\\.')} \\(the SSE-KMS key "studio-key"\\) is missing, and stored objects were encrypted with it: restore it`,
      ),
    );
    expect(run.stderr).not.toMatch(/at \S+ \(|internal error/i);
  });
});

describe('data directory lock', () => {
  it('a second open of an open directory fails with E_DATA_DIR_LOCKED and leaves the first working', async () => {
    const dir = dataDir();
    const first = await open(dir);
    await expectLocked(Engine.open({ dataDir: dir }), process.pid);
    // The failed open must not have released or rewritten the first engine's lock.
    expect(lockOf(dir)).toBe(String(process.pid));
    await first.createBucket(BUCKET);
    await first.putObject(BUCKET, 'k', 'still mine');
    expect((await readAll(first.getObject(BUCKET, 'k').body)).toString()).toBe('still mine');
  });

  it('a close that cannot remove LOCK (a file system gone read-only) still ends well and frees the lock', async () => {
    const dir = dataDir();
    const engine = await Engine.open({ dataDir: dir });
    await engine.createBucket(BUCKET);
    // An immutable directory: no entry of it can be removed, by root either (EPERM), as on
    // a file system the kernel turned read-only under the server (EROFS).
    spawnSync('chattr', ['+i', dir], { stdio: 'pipe' });
    try {
      expect(() => rmSync(path.join(dir, 'LOCK'))).toThrow();
      // It threw, and `stowage serve` stopped with exit 1 on SIGTERM.
      await engine.close();
    } finally {
      spawnSync('chattr', ['-i', dir], { stdio: 'pipe' });
    }
    // The LOCK left names this process, which no longer holds the directory.
    const again = await open(dir);
    expect(again.listBuckets().map((b) => b.name)).toEqual([BUCKET]);
  });

  it('a server running on the directory keeps this process out; once it is killed, the lock is free', async () => {
    const dir = dataDir();
    const other = await serve(dir, ROOT);
    cleanups.push(() => killAllServers());
    await expectLocked(Engine.open({ dataDir: dir }), other.child.pid!);
    expect(lockOf(dir)).toBe(String(other.child.pid));
    other.child.kill('SIGKILL');
    await exited(other.child);
    const engine = await open(dir);
    expect(lockOf(dir)).toBe(String(process.pid));
    expect(engine.recovery.uncleanShutdown).toBe(true);
  });

  it('of servers started at once on a directory a killed server left, exactly one runs', async () => {
    const dir = dataDir();
    const first = await serve(dir, ROOT);
    cleanups.push(() => killAllServers());
    first.child.kill('SIGKILL');
    await exited(first.child);
    const starts = await Promise.allSettled(Array.from({ length: 4 }, () => serve(dir, ROOT)));
    // With --json a refused start prints its error as the JSON document on stdout.
    const outcomes = starts.map((s) =>
      s.status === 'rejected' ? String(s.reason) : JSON.stringify(s.value.info),
    );
    expect(
      outcomes.filter((o) => o.includes('"url"')),
      outcomes.join('\n'),
    ).toHaveLength(1);
    expect(outcomes.filter((o) => o.includes('E_DATA_DIR_LOCKED'))).toHaveLength(3);
  });

  it('of servers started at once on a new directory, the one that runs keeps the credentials it printed', async () => {
    // Each would generate a root key; only the lock holder may write (or forget) it.
    for (let round = 0; round < 6; round++) {
      const dir = dataDir();
      const starts = await Promise.allSettled(Array.from({ length: 3 }, () => serve(dir)));
      cleanups.push(() => killAllServers());
      // A refused start prints its error as the JSON document, so it may resolve too.
      const running = starts.flatMap((s) =>
        s.status === 'fulfilled' && s.value.info.url ? [s.value] : [],
      );
      expect(running, `round ${round}`).toHaveLength(1);
      const shown = running[0]!.info;
      expect(shown.secretAccessKeyShownOnce).toBeTruthy();
      const stored = JSON.parse(readFileSync(path.join(dir, 'credentials.json'), 'utf8')) as {
        accessKeyId: string;
        secretAccessKey: string;
      };
      expect(stored, `round ${round}`).toEqual({
        accessKeyId: shown.accessKeyId,
        secretAccessKey: shown.secretAccessKeyShownOnce,
      });
      running[0]!.child.kill('SIGTERM');
      await exited(running[0]!.child);
    }
  });

  it('a LOCK.db a write cut short left unreadable stops the start with what to do, never an internal error', async () => {
    for (const bytes of [
      Buffer.alloc(4096, 7),
      Buffer.from('SQLite format 3\0' + 'x'.repeat(100)),
    ]) {
      const dir = dataDir();
      writeFileSync(path.join(dir, 'LOCK.db'), bytes);
      const err = await Engine.open({ dataDir: dir }).catch((e: unknown) => e);
      expect(isStowageError(err, 'E_CONFIG_INVALID'), String(err)).toBe(true);
      expect((err as Error).message).toContain(
        `if no Stowage process uses ${dir}, delete ${path.join(dir, 'LOCK.db')}`,
      );
      // As told: deleted, the next start works.
      rmSync(path.join(dir, 'LOCK.db'));
      const engine = await open(dir);
      expect(lockOf(dir)).toBe(String(process.pid));
      await engine.close();
    }
  });

  it('a start removes a temp file holding a secret that a killed first start left', async () => {
    const dir = dataDir();
    const left = path.join(dir, 'credentials.json.4242.0badc0de.tmp');
    writeFileSync(left, '{"accessKeyId":"X","secretAccessKey":"left-behind"}', { mode: 0o600 });
    const s = await serve(dir);
    cleanups.push(() => killAllServers());
    expect(s.info.url).toBeTruthy();
    expect(existsSync(left)).toBe(false);
    expect(existsSync(path.join(dir, 'credentials.json'))).toBe(true);
    s.child.kill('SIGTERM');
    await exited(s.child);
  });

  it('takes over a stale lock whose process is gone, and an empty or garbled one', async () => {
    for (const content of [String(deadPid()), '', 'not a pid']) {
      const dir = dataDir();
      writeFileSync(path.join(dir, 'LOCK'), content);
      const engine = await open(dir);
      expect(lockOf(dir)).toBe(String(process.pid));
      await engine.close();
      expect(existsSync(path.join(dir, 'LOCK'))).toBe(false);
    }
  });
});

describe('a Stowage from before LOCK.db (a pid in LOCK and meta.db open)', () => {
  /** A process that holds the directory as those builds did, until killed. */
  function oldServer(dir: string): ChildProcess {
    const child = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('node:fs');
         fs.openSync(process.argv[1] + '/meta.db', 'r+');
         fs.writeFileSync(process.argv[1] + '/LOCK', String(process.pid));
         console.log('holding');
         setInterval(() => {}, 1000);`,
        dir,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    cleanups.push(() => {
      child.kill('SIGKILL');
    });
    return child;
  }

  it('still running, keeps this process out and its files untouched; once it stops, the lock is free', async () => {
    const dir = dataDir();
    await (await Engine.open({ dataDir: dir })).close();
    const old = oldServer(dir);
    await new Promise((resolve) => old.stdout!.once('data', resolve));
    // An upload of the old server in progress: a start-up recovery would delete it.
    const inFlight = path.join(dir, 'tmp', 'upload-in-progress.tmp');
    writeFileSync(inFlight, 'half an upload');
    const err = await Engine.open({ dataDir: dir }).catch((e: unknown) => e);
    expect(isStowageError(err, 'E_DATA_DIR_LOCKED'), String(err)).toBe(true);
    expect((err as { details: { pid: number } }).details.pid).toBe(old.pid);
    expect((err as Error).message).toContain('a Stowage from before 2026-12-03');
    expect(existsSync(inFlight)).toBe(true);
    expect(lockOf(dir)).toBe(String(old.pid));
    old.kill('SIGKILL');
    await exited(old);
    const engine = await open(dir);
    expect(lockOf(dir)).toBe(String(process.pid));
    expect(engine.recovery.tmpFilesRemoved).toBe(1);
    expect(existsSync(inFlight)).toBe(false);
  });

  it('a program that is no Stowage (no Node process) with meta.db open, under a pid LOCK names, keeps no one out', async () => {
    const dir = dataDir();
    await (await Engine.open({ dataDir: dir })).close();
    // A shell that opens meta.db, writes its pid to LOCK and becomes `sleep` (same pid,
    // descriptor kept): a backup tool reading the database after a crash left LOCK behind.
    const tool = spawn(
      '/bin/sh',
      ['-c', 'exec 3<"$1/meta.db"; echo $$ > "$1/LOCK"; echo holding; exec sleep 30', 'sh', dir],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    cleanups.push(() => {
      tool.kill('SIGKILL');
    });
    await new Promise((resolve) => tool.stdout!.once('data', resolve));
    expect(lockOf(dir)).toBe(String(tool.pid));
    const engine = await open(dir);
    expect(lockOf(dir)).toBe(String(process.pid));
    await engine.close();
  });

  it("a live process that reused a crashed owner's pid, without meta.db open, keeps no one out", async () => {
    const dir = dataDir();
    const stranger = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    cleanups.push(() => {
      stranger.kill('SIGKILL');
    });
    writeFileSync(path.join(dir, 'LOCK'), String(stranger.pid));
    const engine = await open(dir);
    expect(lockOf(dir)).toBe(String(process.pid));
    await engine.close();
  });
});

describe('start-up recovery', () => {
  it('after an unclean shutdown removes temp files and unreferenced blobs and keeps the rest', async () => {
    const dir = dataDir();
    const engine = await open(dir);
    await engine.createBucket(BUCKET);
    const big = patternBytes(200_000, 1);
    await engine.putObject(BUCKET, 'single', big);
    const up = await engine.createMultipartUpload(BUCKET, 'open-upload');
    await engine.uploadPart(BUCKET, 'open-upload', up.uploadId, 1, patternBytes(5000, 2));
    const referenced = blobFiles(dir);
    expect(referenced).toHaveLength(2);

    // A copy taken while the engine runs looks exactly like the directory after a crash:
    // clean_shutdown unset, and a LOCK naming a pid (made stale here).
    const crashed = dataDir();
    cpSync(dir, crashed, { recursive: true });
    writeFileSync(path.join(crashed, 'LOCK'), String(deadPid()));
    writeFileSync(path.join(crashed, 'tmp', 'deadbeef.tmp'), 'half a write');
    mkdirSync(path.join(crashed, 'blobs', 'ab'), { recursive: true });
    const orphan = `ab${'0'.repeat(30)}`;
    writeFileSync(path.join(crashed, 'blobs', 'ab', orphan), 'published, never committed');

    const recovered = await open(crashed);
    expect(recovered.recovery).toEqual({
      uncleanShutdown: true,
      tmpFilesRemoved: 1,
      orphanBlobsRemoved: 1,
    });
    expect(readdirSync(path.join(crashed, 'tmp'))).toEqual([]);
    expect(blobFiles(crashed)).toEqual(referenced);
    expect((await readAll(recovered.getObject(BUCKET, 'single').body)).equals(big)).toBe(true);
    expect(recovered.listParts(BUCKET, 'open-upload', up.uploadId).parts).toHaveLength(1);
    expect((await recovered.check({ deep: true })).problems).toEqual([]);
  });

  it('a metadata database that is missing or empty beside object files stops the open and deletes nothing', async () => {
    const dir = dataDir();
    const engine = await Engine.open({ dataDir: dir });
    await engine.createBucket(BUCKET);
    await engine.putObject(BUCKET, 'a', patternBytes(200_000, 1));
    await engine.putObject(BUCKET, 'b', patternBytes(300_000, 2));
    await engine.close();
    const files = blobFiles(dir);
    expect(files).toHaveLength(2);
    const db = path.join(dir, 'meta.db');
    const saved = readFileSync(db);
    for (const damage of [() => rmSync(db), () => writeFileSync(db, '')]) {
      damage();
      for (let attempt = 0; attempt < 2; attempt++) {
        const err = await Engine.open({ dataDir: dir }).then(
          (e) => e.close().then(() => 'opened'),
          (e: unknown) => e,
        );
        expect(isStowageError(err, 'E_DATA_CORRUPT'), String(err)).toBe(true);
        expect((err as Error).message).toMatch(
          /meta\.db is missing or empty, but .*blobs holds object files: the database was lost or replaced\. Restore meta\.db/,
        );
        expect(blobFiles(dir)).toEqual(files);
      }
    }
    writeFileSync(db, saved);
    const back = await open(dir);
    expect((await readAll(back.getObject(BUCKET, 'b').body)).equals(patternBytes(300_000, 2))).toBe(
      true,
    );
    expect((await back.check({ deep: true })).problems).toEqual([]);
  });

  it('after a crash, a missing meta.db beside its write-ahead log stops the open and leaves the log as it was', async () => {
    const dir = dataDir();
    const engine = await open(dir);
    await engine.createBucket(BUCKET);
    for (const k of ['a', 'b', 'c']) await engine.putObject(BUCKET, k, patternBytes(1000, 4));
    // A copy taken while the engine runs is the directory after a crash: the latest
    // commits are in meta.db-wal only.
    const crashed = dataDir();
    cpSync(dir, crashed, { recursive: true });
    writeFileSync(path.join(crashed, 'LOCK'), String(deadPid()));
    const wal = path.join(crashed, 'meta.db-wal');
    const walBytes = readFileSync(wal);
    expect(walBytes.length).toBeGreaterThan(0);
    const db = path.join(crashed, 'meta.db');
    const saved = readFileSync(db);
    rmSync(db);
    const err = await Engine.open({ dataDir: crashed }).then(
      (e) => e.close().then(() => 'opened'),
      (e: unknown) => e,
    );
    expect(isStowageError(err, 'E_DATA_CORRUPT'), String(err)).toBe(true);
    expect((err as Error).message).toMatch(
      /missing or empty, but its write-ahead log .*meta\.db-wal/,
    );
    expect(existsSync(db)).toBe(false);
    expect(readFileSync(wal).equals(walBytes)).toBe(true);
    writeFileSync(db, saved);
    const back = await open(crashed);
    expect(back.listObjects(BUCKET).objects.map((o) => o.key)).toEqual(['a', 'b', 'c']);
  });

  it('after a clean close reports a clean shutdown; temp files still go, blobs are not scanned', async () => {
    const dir = dataDir();
    let engine = await Engine.open({ dataDir: dir });
    expect(engine.recovery.uncleanShutdown).toBe(false); // a new directory is not a crash
    await engine.createBucket(BUCKET);
    await engine.putObject(BUCKET, 'k', patternBytes(1000, 3));
    await engine.close();

    writeFileSync(path.join(dir, 'tmp', 'x.tmp'), 'left by a killed upload');
    engine = await open(dir);
    expect(engine.recovery).toEqual({
      uncleanShutdown: false,
      tmpFilesRemoved: 1,
      orphanBlobsRemoved: 0,
    });
    expect((await readAll(engine.getObject(BUCKET, 'k').body)).equals(patternBytes(1000, 3))).toBe(
      true,
    );
    await engine.close();
    engine = await open(dir);
    expect(engine.recovery.uncleanShutdown).toBe(false);
  });

  it('collects a blob whose removal missed because the directory was moved away meanwhile', async () => {
    const { dir: parent, cleanup } = tempDir('stowage-moved-');
    cleanups.push(cleanup);
    const dir = path.join(parent, 'data');
    const engine = await Engine.open({ dataDir: dir });
    await engine.createBucket(BUCKET);
    await engine.putObject(BUCKET, 'big', patternBytes(300_000, 4));
    expect(blobFiles(dir)).toHaveLength(1);
    // An operator's `mv` (to another name on the same disk, and back): SQLite keeps its
    // files open, so the delete commits, but the blob file is not at its path to remove.
    const away = path.join(parent, 'moved');
    renameSync(dir, away);
    await engine.deleteObject(BUCKET, 'big');
    // Blob files go after the commit, in the background.
    await new Promise((r) => setTimeout(r, 200));
    renameSync(away, dir);
    await engine.close();
    expect(blobFiles(dir)).toHaveLength(1);
    // The close asked the next start to collect it (before, it said all was clean).
    const again = await open(dir);
    expect(again.recovery.orphanBlobsRemoved).toBe(1);
    expect(blobFiles(dir)).toEqual([]);
    expect((await again.check()).problems).toEqual([]);
  });
});
