/**
 * `stowage engine backup` of a directory `stowage serve` is using, while writers overwrite
 * and delete objects through S3 the whole time (every object encrypted with SSE-S3, the
 * server's default). The backup is then served by a second `stowage serve`: every object
 * that stood still is there byte for byte, the versioned bucket has every version, each
 * key the writers touched holds one of the bodies written to it, and `stowage engine
 * check --deep` finds nothing wrong. The deterministic cases (a blob deleted under the
 * copy, a killed backup, a full disk) are in test/engine/backup.test.ts.
 */
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BackupReport } from '../../src/engine/backup/backup.js';
import { patternBytes, tempDir } from '../helpers/engine.js';
import {
  BIN,
  clientOf,
  deepCheck,
  exited,
  killAllServers,
  serve,
  type Started,
} from '../helpers/serve-process.js';

const ROOT = {
  STOWAGE_ROOT_ACCESS_KEY: 'STWBACKUPKEY',
  STOWAGE_ROOT_SECRET_KEY: 'backup-secret-0123',
};
const KiB = 1024;
const MiB = 1024 * KiB;
const md5 = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');

const dirs: Array<() => void> = [];
afterAll(() => {
  killAllServers();
  for (const cleanup of dirs) cleanup();
});

async function body(client: S3Client, bucket: string, key: string, versionId?: string) {
  const r = await client.send(
    new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }),
  );
  return md5(await r.Body!.transformToByteArray());
}

/** A data directory with `stowage serve` on it, and where its backup goes. */
async function served(prefix: string) {
  const { dir: root, cleanup } = tempDir(prefix);
  dirs.push(cleanup);
  const src = path.join(root, 'data');
  const dest = path.join(root, 'backup');
  const server = await serve(src, ROOT);
  return { src, dest, server, client: clientOf(server.info, ROOT.STOWAGE_ROOT_SECRET_KEY) };
}

/**
 * `stowage --json engine backup`, spawned (not spawnSync: the writers in this process go
 * on meanwhile); resolves with its output once it has exited 0.
 */
async function backUp(src: string, dest: string): Promise<{ out: string }> {
  const backup = spawn(process.execPath, [BIN, '--json', 'engine', 'backup', dest], {
    env: { PATH: process.env.PATH, STOWAGE_DATA_DIR: src },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  backup.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  backup.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  expect(await exited(backup), err + out).toBe(0);
  return { out };
}

async function stop(s: Started): Promise<void> {
  s.child.kill('SIGTERM');
  expect(await exited(s.child), s.stderr()).toBe(0);
}

describe('stowage engine backup beside a busy stowage serve', () => {
  it('the backup serves every object that stood still, every version, and a whole body for every key written meanwhile', async () => {
    const { src, dest, server, client } = await served('stowage-backup-live-');
    await client.send(new CreateBucketCommand({ Bucket: 'game-assets' }));
    await client.send(new CreateBucketCommand({ Bucket: 'db-backups' }));
    await client.send(
      new PutBucketVersioningCommand({
        Bucket: 'db-backups',
        VersioningConfiguration: { Status: 'Enabled' },
      }),
    );
    const still = new Map<string, string>();
    const sizes = [KiB, 200 * KiB, MiB, 5 * MiB];
    for (let i = 0; i < 24; i++) {
      const b = patternBytes(sizes[i % sizes.length]!, i + 1);
      await client.send(
        new PutObjectCommand({ Bucket: 'game-assets', Key: `art/${i}.png`, Body: b }),
      );
      still.set(`art/${i}.png`, md5(b));
    }
    const versions: Array<{ id: string; md5: string }> = [];
    for (let i = 0; i < 3; i++) {
      const b = patternBytes(300 * KiB, 100 + i);
      const r = await client.send(
        new PutObjectCommand({ Bucket: 'db-backups', Key: 'pg.sql.gz', Body: b }),
      );
      versions.push({ id: r.VersionId!, md5: md5(b) });
    }

    // Writers: overwrite and delete eight keys until the backup has finished.
    const written = new Map<string, Set<string>>();
    let writing = true;
    let writes = 0;
    const writer = async (w: number) => {
      for (let i = w; writing; i += 2) {
        const key = `churn/${i % 8}`;
        const b = randomBytes(150 * KiB + (i % 5) * 100 * KiB);
        if (!written.has(key)) written.set(key, new Set());
        written.get(key)!.add(md5(b));
        await client.send(new PutObjectCommand({ Bucket: 'game-assets', Key: key, Body: b }));
        if (i % 3 === 0) {
          await client.send(
            new DeleteObjectCommand({ Bucket: 'game-assets', Key: `churn/${(i + 3) % 8}` }),
          );
        }
        writes++;
      }
    };
    const writers = Promise.all([writer(0), writer(1)]);
    while (writes < 20) await new Promise((r) => setTimeout(r, 10));

    const backup = backUp(src, dest);
    const writesBefore = writes;
    const { out } = await backup;
    const writesDuring = writes - writesBefore;
    writing = false;
    await writers;
    const report = JSON.parse(out) as BackupReport;
    expect(report.missing).toEqual([]);
    // Not asserted (timing), but shown: how much the writers did while it copied.
    console.log(
      `backup: ${report.snapshots} snapshot(s), ${report.blobsCopied} blob files copied, ${writesDuring} writes during the backup`,
    );
    await stop(server);

    const restored = await serve(dest, ROOT);
    const rc = clientOf(restored.info, ROOT.STOWAGE_ROOT_SECRET_KEY);
    for (const [key, sum] of still) expect(await body(rc, 'game-assets', key), key).toBe(sum);
    const listed = await rc.send(new ListObjectVersionsCommand({ Bucket: 'db-backups' }));
    expect(listed.Versions!.map((v) => v.VersionId).reverse()).toEqual(versions.map((v) => v.id));
    for (const v of versions) expect(await body(rc, 'db-backups', 'pg.sql.gz', v.id)).toBe(v.md5);
    const churn = await rc.send(
      new ListObjectsV2Command({ Bucket: 'game-assets', Prefix: 'churn/' }),
    );
    for (const o of churn.Contents ?? []) {
      expect(written.get(o.Key!)?.has(await body(rc, 'game-assets', o.Key!)), o.Key).toBe(true);
    }
    await stop(restored);
    const check = deepCheck(dest);
    expect(check.status, check.output).toBe(0);
  });

  it('a key overwritten all the time is backed up whole: the server moves the blobs it replaces aside for the backup', async () => {
    const { src, dest, server, client } = await served('stowage-backup-hot-');
    await client.send(new CreateBucketCommand({ Bucket: 'game-assets' }));
    // Enough small objects that each snapshot takes a while to write (a 40 MB meta.db).
    for (let i = 0; i < 2000; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, (_, j) =>
          client.send(
            new PutObjectCommand({
              Bucket: 'game-assets',
              Key: `meta/${i + j}.json`,
              Body: patternBytes(20 * KiB, i + j),
            }),
          ),
        ),
      );
    }
    // Two keys overwritten with 200 KB bodies as fast as the server takes them. Before,
    // every snapshot's blob of them was gone by the time it was copied: 5 snapshots, exit 5,
    // and a backup whose hot keys answered 500.
    const written = new Map<string, Set<string>>();
    let writing = true;
    const hot = async (key: string) => {
      written.set(key, new Set());
      while (writing) {
        const b = randomBytes(200 * KiB);
        written.get(key)!.add(md5(b));
        await client.send(new PutObjectCommand({ Bucket: 'game-assets', Key: key, Body: b }));
      }
    };
    const writers = Promise.all([hot('hot/status-0'), hot('hot/status-1')]);
    await new Promise((r) => setTimeout(r, 300));
    const backup = backUp(src, dest);
    const writesBefore = [...written.values()].reduce((n, v) => n + v.size, 0);
    const { out } = await backup;
    const writesDuring = [...written.values()].reduce((n, v) => n + v.size, 0) - writesBefore;
    writing = false;
    await writers;
    expect(writesDuring).toBeGreaterThan(10);
    const report = JSON.parse(out) as BackupReport;
    expect(report.missing).toEqual([]);
    await stop(server);
    const restored = await serve(dest, ROOT);
    const rc = clientOf(restored.info, ROOT.STOWAGE_ROOT_SECRET_KEY);
    for (const key of ['hot/status-0', 'hot/status-1']) {
      expect(written.get(key)!.has(await body(rc, 'game-assets', key)), key).toBe(true);
    }
    await stop(restored);
    const check = deepCheck(dest);
    expect(check.status, check.output).toBe(0);
  }, 120_000);
});
