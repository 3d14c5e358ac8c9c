/**
 * A damaged metadata database (pages overwritten on disk, as a failing disk or a bad copy
 * leaves them):
 * - `stowage serve` refuses to start on it (SQLite's quick_check, before anything writes)
 *   with E_DATA_CORRUPT, exit 5, a message that says what to do, and no stack trace;
 * - damage that appears while serving fails the requests that read it with 500, turns
 *   /health/ready to 503 "damaged" (liveness stays 200), and is logged once with advice;
 * - a backup taken before (`stowage engine backup`), put in the directory's place as
 *   docs/engine.md says, serves every object.
 */
import { GetObjectCommand, PutObjectCommand, CreateBucketCommand } from '@aws-sdk/client-s3';
import {
  closeSync,
  cpSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/engine.js';
import { runCli } from '../helpers/run-cli.js';
import { clientOf, exited, killAllServers, serve, type Started } from '../helpers/serve-process.js';

const ROOT = {
  STOWAGE_ROOT_ACCESS_KEY: 'STWDAMAGEKEY',
  STOWAGE_ROOT_SECRET_KEY: 'damage-secret-0123',
};
const KEYS = 1500;
const cleanups: Array<() => void> = [];
afterAll(() => {
  killAllServers();
  for (const c of cleanups) c();
});

function tempDirFor(prefix: string): string {
  const { dir, cleanup } = tempDir(prefix);
  cleanups.push(cleanup);
  return dir;
}

/** A stopped server's data directory holding KEYS small objects (inline in meta.db). */
async function filledDataDir(): Promise<string> {
  const dir = tempDirFor('stowage-damaged-');
  const s = await serve(dir, ROOT);
  const client = clientOf(s.info, ROOT.STOWAGE_ROOT_SECRET_KEY);
  await client.send(new CreateBucketCommand({ Bucket: 'game-assets' }));
  for (let i = 0; i < KEYS; i += 50) {
    await Promise.all(
      Array.from({ length: 50 }, (_, j) =>
        client.send(
          new PutObjectCommand({
            Bucket: 'game-assets',
            Key: `k/${i + j}`,
            Body: `body ${i + j} `.repeat(200),
          }),
        ),
      ),
    );
  }
  await stop(s);
  return dir;
}

async function stop(s: Started): Promise<void> {
  s.child.kill('SIGTERM');
  await exited(s.child);
}

/** The pages (numbered from 1, as SQLite does) of SQLite's own schema table. */
function schemaPages(dbFile: string): Set<number> {
  const db = new Database(dbFile, { readonly: true });
  try {
    return new Set(
      db
        .prepare("SELECT pageno FROM dbstat WHERE name = 'sqlite_schema'")
        .pluck()
        .all() as number[],
    );
  } finally {
    db.close();
  }
}

/** Overwrites part of the pages at `offsets` (from 0) of a database, as damage on disk would. */
function overwritePages(dbFile: string, offsets: Iterable<number>): void {
  const fd = openSync(dbFile, 'r+');
  try {
    for (const page of offsets) {
      // Page 0 starts with the file's 100-byte header: the damage goes after it.
      writeSync(fd, Buffer.alloc(1500, 0x5a), 0, 1500, page * 4096 + (page === 0 ? 108 : 8));
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Damages every third page from `first` (from 0) on, as damage on disk would, except the
 * pages of the schema: SQLite cannot read a database without them, and quick_check then
 * finds nothing to report (see the next test).
 */
function damage(dbFile: string, first = 2): void {
  const size = statSync(dbFile).size;
  const schema = schemaPages(dbFile);
  const pages: number[] = [];
  for (let page = first; page * 4096 < size; page += 3) if (!schema.has(page + 1)) pages.push(page);
  overwritePages(dbFile, pages);
}

describe('a damaged metadata database', () => {
  it('stowage serve refuses to start on it: E_DATA_CORRUPT, exit 5, what to do', async () => {
    const dir = await filledDataDir();
    damage(path.join(dir, 'meta.db'));
    const r = await runCli(['serve', '--data-dir', dir, '--port', '0'], { env: ROOT });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(
      /the metadata database .*meta\.db is damaged \(SQLite's quick_check found (\d+|100 or more) problems?: [^)]*page \d+[^)]*\); nothing was changed\. Keep a copy of the data directory as it is, then put a backup made with stowage engine backup in its place \(docs\/engine\.md, "A damaged metadata database"\) \(E_DATA_CORRUPT\)/,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("a damaged page of SQLite's schema: refused the same way, with what to do", async () => {
    const dir = await filledDataDir();
    const file = path.join(dir, 'meta.db');
    overwritePages(
      file,
      [...schemaPages(file)].map((p) => p - 1),
    );
    const r = await runCli(['serve', '--data-dir', dir, '--port', '0'], { env: ROOT });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(
      /the metadata database .*meta\.db is damaged \(SQLite could not read it: [^)]+\); nothing was changed\. Keep a copy of the data directory as it is, then put a backup made with stowage engine backup in its place \(docs\/engine\.md, "A damaged metadata database"\) \(E_DATA_CORRUPT\)/,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('server.checkDatabaseAtStart: false starts without the check', async () => {
    const dir = await filledDataDir();
    // Damage past the schema's pages, which a start without the check must read.
    damage(path.join(dir, 'meta.db'), 200);
    expect((await runCli(['serve', '--data-dir', dir, '--port', '0'], { env: ROOT })).code).toBe(5);
    writeFileSync(path.join(dir, 'no-check.yaml'), 'server:\n  checkDatabaseAtStart: false\n');
    const s = await serve(dir, { ...ROOT, STOWAGE_CONFIG: path.join(dir, 'no-check.yaml') });
    expect(s.info.url, JSON.stringify(s.info)).toBeDefined();
    expect((await fetch(`${s.info.url}/health/ready`)).status).toBe(200);
    await stop(s);
  });

  it('damage while serving: 500 for what reads it, readiness 503 "damaged", one log line with advice', async () => {
    const dir = await filledDataDir();
    const s = await serve(dir, ROOT);
    const client = clientOf(s.info, ROOT.STOWAGE_ROOT_SECRET_KEY, 1);
    const ready = async () => {
      const res = await fetch(`${s.info.url}/health/ready`);
      return { status: res.status, body: await res.json() };
    };
    expect(await ready()).toEqual({ status: 200, body: { status: 'ok' } });
    damage(path.join(dir, 'meta.db'));
    const failures: string[] = [];
    for (let i = 0; i < KEYS; i += 7) {
      try {
        const got = await client.send(
          new GetObjectCommand({ Bucket: 'game-assets', Key: `k/${i}` }),
        );
        await got.Body!.transformToString();
      } catch (err) {
        failures.push(
          `${(err as { name: string }).name} ${(err as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode}`,
        );
      }
    }
    expect(failures.length).toBeGreaterThan(0);
    expect(new Set(failures)).toEqual(new Set(['InternalError 500']));
    expect(await ready()).toEqual({ status: 503, body: { status: 'damaged' } });
    expect((await fetch(`${s.info.url}/health/live`)).status).toBe(200);
    const advice = s
      .stderr()
      .split('\n')
      .filter((l) => l.includes('/health/ready answers 503'));
    expect(advice).toHaveLength(1);
    expect(advice[0]).toMatch(
      /the metadata database .*meta\.db is damaged: .*stowage engine backup/,
    );
    await stop(s);
  });

  it('restored from a backup taken before the damage (docs/engine.md), it serves every object', async () => {
    const dir = await filledDataDir();
    const backup = path.join(tempDirFor('stowage-damaged-backup-'), 'backup');
    expect(
      (await runCli(['engine', 'backup', backup], { env: { STOWAGE_DATA_DIR: dir } })).code,
    ).toBe(0);
    damage(path.join(dir, 'meta.db'));
    expect((await runCli(['serve', '--data-dir', dir, '--port', '0'], { env: ROOT })).code).toBe(5);
    // As docs/engine.md "A damaged metadata database" says: keep the damaged directory,
    // put the backup in its place.
    renameSync(dir, `${dir}.damaged`);
    cleanups.push(() => rmSync(`${dir}.damaged`, { recursive: true, force: true }));
    cpSync(backup, dir, { recursive: true });
    const s = await serve(dir, ROOT);
    const client = clientOf(s.info, ROOT.STOWAGE_ROOT_SECRET_KEY, 1);
    for (let i = 0; i < KEYS; i += 7) {
      const got = await client.send(new GetObjectCommand({ Bucket: 'game-assets', Key: `k/${i}` }));
      expect(await got.Body!.transformToString()).toBe(`body ${i} `.repeat(200));
    }
    await stop(s);
  });
});
