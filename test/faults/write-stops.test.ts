/**
 * Faults after which `stowage serve` must stop taking writes, found by a write that failed
 * (src/engine/db/write-faults.ts), on a real file system:
 *
 * - ext4 mounted `errors=remount-ro` (Debian's default for the root file system) turned
 *   read-only after an error, as the kernel's own `trigger_fs_error` makes it. Each write
 *   failed alone with 500 InternalError while `/health/ready` said ok.
 * - `meta.db-wal` deleted under a server that had committed nothing yet since it started:
 *   the log was opened at the first sync, so the deletion went unseen and PUTs answered
 *   200 into a file no directory held, to be lost at the next crash.
 *
 * Both now answer 503 ServiceUnavailable (E_WRITES_STOPPED) before anything changes, keep
 * reads, say why once, and keep every acknowledged write through the stop and the
 * restart. Mounting needs root; without it the test fails, it never skips.
 */
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { patternBytes, tempDir } from '../helpers/engine.js';
import { mountExt4 } from '../helpers/small-fs.js';
import {
  BIN,
  clientOf,
  exited,
  killAllServers,
  serve,
  type Started,
} from '../helpers/serve-process.js';

const MiB = 1024 * 1024;
const BUCKET = 'stops';
const ROOT = {
  STOWAGE_ROOT_ACCESS_KEY: 'STWSTOPKEY',
  STOWAGE_ROOT_SECRET_KEY: 'stop-secret-0123',
};

const cleanups: Array<() => void> = [];
afterAll(() => {
  killAllServers();
  cleanups.reverse().forEach((c) => c());
});

const clientFor = (s: Started): S3Client => clientOf(s.info, ROOT.STOWAGE_ROOT_SECRET_KEY, 1);

async function bodyOf(client: S3Client, key: string): Promise<Buffer> {
  const r = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await r.Body!.transformToByteArray());
}

async function readiness(s: Started): Promise<{ status: number; body: unknown }> {
  const r = await fetch(`${s.info.url}/health/ready`);
  return { status: r.status, body: await r.json() };
}

const stopped = { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } };

describe('stowage serve whose file system turns read-only', () => {
  it('refuses writes with 503 from the first failure, keeps reads, and keeps every acknowledged write through fsck and a restart', async () => {
    const fs = mountExt4(64 * MiB, 'stowage-ro-', [], ['errors=remount-ro']);
    const image = `${fs.mountPoint}.img`;
    cleanups.push(() => fs.unmount());
    const dataDir = path.join(fs.mountPoint, 'data');
    const small = patternBytes(1000, 1);
    // Over the inline size: its bytes go to a file under tmp/ first.
    const large = patternBytes(1 * MiB, 2);

    const s = await serve(dataDir, ROOT);
    const client = clientFor(s);
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'small', Body: small }));
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'large', Body: large }));
    expect((await readiness(s)).status).toBe(200);

    // The kernel's own test hook: an ext4 error, after which errors=remount-ro applies.
    const device = execFileSync('findmnt', ['-n', '-o', 'SOURCE', fs.mountPoint]).toString().trim();
    writeFileSync(`/sys/fs/ext4/${path.basename(device)}/trigger_fs_error`, '1');

    // A small PUT fails in SQLite's commit, a large one opening its file under tmp/, a
    // DELETE in its commit: each was a 500 before.
    const put = (key: string, body: Buffer) =>
      client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
    await expect(put('small-2', small)).rejects.toMatchObject({
      ...stopped,
      message: expect.stringMatching(/writes are stopped: the file system of .* is read-only/),
    });
    await expect(put('large-2', large)).rejects.toMatchObject(stopped);
    await expect(
      client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'small' })),
    ).rejects.toMatchObject(stopped);
    expect(await readiness(s)).toEqual({ status: 503, body: { status: 'writes stopped' } });
    expect(
      s
        .stderr()
        .split('\n')
        .filter((l) => l.includes('is read-only')),
    ).toHaveLength(1);
    expect((await bodyOf(client, 'small')).equals(small)).toBe(true);
    expect((await bodyOf(client, 'large')).equals(large)).toBe(true);
    s.child.kill('SIGTERM');
    expect(await exited(s.child)).toBe(0);

    // It does not start on the read-only file system, and says why.
    const refused = spawnSync(
      process.execPath,
      [BIN, 'serve', '--port', '0', '--data-dir', dataDir],
      {
        env: { PATH: process.env.PATH, ...ROOT },
        timeout: 30_000,
      },
    );
    expect(refused.status).toBe(2);
    expect(refused.stderr.toString()).toMatch(/cannot use data directory .*read-only/);

    // The operator's mend: unmount, fsck, mount again; everything acknowledged is there.
    execFileSync('umount', [fs.mountPoint]);
    const fsck = spawnSync('e2fsck', ['-fy', image]);
    expect(fsck.status, fsck.stdout.toString()).toBeLessThanOrEqual(1);
    execFileSync('mount', ['-o', 'loop', image, fs.mountPoint]);
    const again = await serve(dataDir, ROOT);
    const after = clientFor(again);
    expect((await bodyOf(after, 'small')).equals(small)).toBe(true);
    expect((await bodyOf(after, 'large')).equals(large)).toBe(true);
    await after.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'small-3', Body: small }));
    again.child.kill('SIGTERM');
    expect(await exited(again.child)).toBe(0);
  }, 60_000);
});

describe('stowage serve whose meta.db-wal is deleted', () => {
  it('refuses the first write after it, even with nothing committed since the start, and a clean stop keeps what it held', async () => {
    const { dir, cleanup } = tempDir('stowage-wal-gone-');
    cleanups.push(cleanup);
    const dataDir = path.join(dir, 'data');
    const first = await serve(dataDir, ROOT);
    const client = clientFor(first);
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'before', Body: 'kept' }));
    first.child.kill('SIGTERM');
    expect(await exited(first.child)).toBe(0);

    // A fresh start has committed nothing when the log goes ("-wal looked like a temp file").
    const s = await serve(dataDir, ROOT);
    const c = clientFor(s);
    rmSync(path.join(dataDir, 'meta.db-wal'));
    await expect(
      c.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'after', Body: 'lost?' })),
    ).rejects.toMatchObject({
      ...stopped,
      message: expect.stringContaining('meta.db-wal was deleted while the server had it open'),
    });
    expect(await readiness(s)).toEqual({ status: 503, body: { status: 'writes stopped' } });
    expect((await bodyOf(c, 'before')).toString()).toBe('kept');
    s.child.kill('SIGTERM');
    expect(await exited(s.child)).toBe(0);

    const again = await serve(dataDir, ROOT);
    expect((await bodyOf(clientFor(again), 'before')).toString()).toBe('kept');
    again.child.kill('SIGTERM');
    expect(await exited(again.child)).toBe(0);
  }, 60_000);
});
