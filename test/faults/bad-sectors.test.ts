/**
 * A disk that cannot read part of an object's file (a bad sector: EIO), made by the FUSE
 * layer of the power-loss tests (`--bad-reads`), under `stowage serve`:
 *
 * - A GET that reaches the bad bytes is cut (the client sees a short body, never wrong
 *   bytes that look whole); one that stops before them is whole.
 * - The log says which file the disk could not read, and what to do. It said "an
 *   encrypted blob of this object is truncated": the kernel answers a read that reaches a
 *   bad page with the bytes before it, and the decryption took that short read for the
 *   end of the file.
 * - The server stays ready (reads of other objects are fine), and `stowage engine check
 *   --deep` lists each unreadable object among its problems. It stopped at the first blob
 *   in the clear it could not read, with an error instead of a report.
 *
 * And one in `meta.db`, which SQLite reports as damage ("unable to get the page", "database
 * disk image is malformed"): the refusal at start and the log while serving say that the
 * disk cannot read it, and from which byte, rather than that the file is damaged, since a
 * failing disk is to be checked and copied off before anything is restored onto it.
 *
 * Needs root, python3-fusepy and libfuse2 (installed when missing); it never skips.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { patternBytes, tempDir } from '../helpers/engine.js';
import { mountPowerLossFs } from '../helpers/power-loss.js';
import {
  BIN,
  clientOf,
  deepCheck,
  exited,
  killAllServers,
  serve,
  type Started,
} from '../helpers/serve-process.js';

const MiB = 1024 * 1024;
const BUCKET = 'sectors';
const ROOT = {
  STOWAGE_ROOT_ACCESS_KEY: 'STWSECTORKEY',
  STOWAGE_ROOT_SECRET_KEY: 'sector-secret-0123',
};

const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  killAllServers();
  for (const c of cleanups.reverse()) await c();
});

/** Blob files (over 1 MiB) under `dir`, by name. */
function largeBlobs(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(path.join(dir, f)).isFile() && statSync(path.join(dir, f)).size > MiB)
    .map((f) => path.basename(f));
}

async function get(client: S3Client, key: string, range?: string): Promise<Buffer> {
  const r = await client.send(
    new GetObjectCommand({ Bucket: BUCKET, Key: key, ...(range ? { Range: range } : {}) }),
  );
  return Buffer.from(await r.Body!.transformToByteArray());
}

describe('stowage serve on a disk with a bad sector in an object file', () => {
  it('cuts the GETs that reach it, serves the bytes before it, names the file in the log, and check --deep lists it', async () => {
    const { dir, cleanup } = tempDir('stowage-sectors-');
    cleanups.push(cleanup);
    const bad = path.join(dir, 'bad-reads');
    const fs = await mountPowerLossFs(dir, 'ext4', ['--no-crash', '--bad-reads', bad]);
    cleanups.push(() => fs.release());
    const dataDir = path.join(fs.mountPoint, 'data');
    const config = path.join(dir, 'stowage.yaml');
    // The layer is FUSE, refused unless allowed; objects in the clear unless asked.
    writeFileSync(
      config,
      'engine:\n  allowNetworkFilesystem: true\nserver:\n  defaultEncryption: none\n',
    );
    const env = { ...ROOT, STOWAGE_CONFIG: config };
    let s: Started = await serve(dataDir, env);
    let client = clientOf(s.info, ROOT.STOWAGE_ROOT_SECRET_KEY, 1);
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const bodies = { clear: patternBytes(3 * MiB, 1), sealed: patternBytes(3 * MiB, 2) };
    const blobsDir = path.join(dir, 'back', 'data', 'blobs');
    const blobOf: Record<string, string> = {};
    for (const key of ['clear', 'sealed'] as const) {
      const before = new Set(largeBlobs(blobsDir));
      await client.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: key,
          Body: bodies[key],
          ...(key === 'sealed' ? { ServerSideEncryption: 'AES256' } : {}),
        }),
      );
      blobOf[key] = largeBlobs(blobsDir).find((b) => !before.has(b))!;
      expect(blobOf[key]).toBeDefined();
    }

    // Both files unreadable from 1.5 MiB on.
    writeFileSync(bad, `${blobOf.clear} ${1.5 * MiB}\n${blobOf.sealed} ${1.5 * MiB}\n`);
    for (const key of ['clear', 'sealed'] as const) {
      await expect(get(client, key)).rejects.toThrow();
      const head = await get(client, key, `bytes=0-${MiB - 1}`);
      expect(head.equals(bodies[key].subarray(0, MiB))).toBe(true);
    }
    const log = s.stderr();
    for (const key of ['clear', 'sealed'] as const) {
      expect(log).toContain(
        `cannot read ${path.join(dataDir, 'blobs', blobOf[key]!.slice(0, 2), blobOf[key]!)}: the disk reported an I/O error (EIO)`,
      );
    }
    expect(log).not.toMatch(/truncated|shorter than recorded/);
    expect((await fetch(`${s.info.url}/health/ready`)).status).toBe(200);
    s.child.kill('SIGTERM');
    expect(await exited(s.child)).toBe(0);

    const check = deepCheck(dataDir, { STOWAGE_CONFIG: config });
    expect(check.status, check.output).toBe(5);
    for (const key of ['clear', 'sealed']) {
      expect(check.output).toMatch(
        new RegExp(
          `${key} \\(version null\\): blob ${blobOf[key]} cannot be read: the disk reported an I/O error \\(EIO\\)`,
        ),
      );
    }

    // The disk mended: every byte is there.
    rmSync(bad);
    s = await serve(dataDir, env);
    client = clientOf(s.info, ROOT.STOWAGE_ROOT_SECRET_KEY, 1);
    for (const key of ['clear', 'sealed'] as const) {
      expect((await get(client, key)).equals(bodies[key])).toBe(true);
    }
    s.child.kill('SIGTERM');
    expect(await exited(s.child)).toBe(0);
    expect(deepCheck(dataDir, { STOWAGE_CONFIG: config }).status).toBe(0);
  }, 120_000);
});

describe('stowage serve on a disk with a bad sector in meta.db', () => {
  it('says the disk cannot read it, at start and while serving', async () => {
    const { dir, cleanup } = tempDir('stowage-sectors-db-');
    cleanups.push(cleanup);
    const config = path.join(dir, 'stowage.yaml');
    writeFileSync(config, 'engine:\n  allowNetworkFilesystem: true\n');
    // A meta.db several times SQLite's 2 MB page cache, filled on a plain directory (the
    // FUSE layer is slow) and then put under the layer.
    const plain = path.join(dir, 'plain');
    let s = await serve(plain, ROOT);
    let client = clientOf(s.info, ROOT.STOWAGE_ROOT_SECRET_KEY, 1);
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const keys = Array.from({ length: 2400 }, (_, i) => `k${String(i).padStart(5, '0')}`);
    for (let i = 0; i < keys.length; i += 48) {
      await Promise.all(
        keys
          .slice(i, i + 48)
          .map((Key, j) =>
            client.send(
              new PutObjectCommand({ Bucket: BUCKET, Key, Body: patternBytes(3000, i + j) }),
            ),
          ),
      );
    }
    s.child.kill('SIGTERM');
    expect(await exited(s.child)).toBe(0);
    cpSync(plain, path.join(dir, 'back', 'data'), { recursive: true });
    const bad = path.join(dir, 'bad-reads');
    const fs = await mountPowerLossFs(dir, 'ext4', ['--no-crash', '--bad-reads', bad]);
    cleanups.push(() => fs.release());
    const dataDir = path.join(fs.mountPoint, 'data');
    const size = statSync(path.join(dataDir, 'meta.db')).size;
    expect(size).toBeGreaterThan(6 * MiB);
    const from = Math.floor(size / 2);
    writeFileSync(bad, `meta.db ${from}\n`);

    // At start, with the check and without it (the open's own reads meet the page).
    const said = new RegExp(
      `cannot open data directory .*: the disk cannot read meta\\.db from byte \\d+ on \\(EIO`,
    );
    for (const check of ['true', 'false']) {
      writeFileSync(
        config,
        `engine:\n  allowNetworkFilesystem: true\nserver:\n  checkDatabaseAtStart: ${check}\n`,
      );
      const refused = spawnSync(
        process.execPath,
        [BIN, 'serve', '--port', '0', '--data-dir', dataDir],
        { env: { PATH: process.env.PATH, ...ROOT, STOWAGE_CONFIG: config }, timeout: 60_000 },
      );
      expect(refused.status, refused.stderr.toString()).toBe(5);
      expect(refused.stderr.toString()).toMatch(said);
      expect(refused.stderr.toString()).not.toContain('is damaged');
    }

    // While serving: started with every page readable, then the disk fails under it.
    rmSync(bad);
    const env = { ...ROOT, STOWAGE_CONFIG: config };
    s = await serve(dataDir, env);
    client = clientOf(s.info, ROOT.STOWAGE_ROOT_SECRET_KEY, 1);
    writeFileSync(bad, `meta.db ${from}\n`);
    // Out of the kernel's page cache too, so that SQLite's reads reach the disk.
    writeFileSync('/proc/sys/vm/drop_caches', '3');
    let failed = 0;
    for (const Key of keys.filter((_, i) => i % 50 === 0)) {
      await client.send(new GetObjectCommand({ Bucket: BUCKET, Key })).then(
        (r) => r.Body!.transformToByteArray(),
        () => failed++,
      );
    }
    expect(failed).toBeGreaterThan(0);
    const ready = await fetch(`${s.info.url}/health/ready`);
    expect(ready.status).toBe(503);
    const lines = s.stderr().split('\n');
    expect(
      lines.filter((l) => /the disk cannot read meta\.db from byte \d+ on \(EIO/.test(l)),
    ).toHaveLength(1);
    expect(lines.filter((l) => l.includes('is damaged: requests'))).toHaveLength(0);
    s.child.kill('SIGTERM');
    await exited(s.child);
  }, 180_000);
});
