/**
 * Power cuts, not just kills: `stowage serve` on a FUSE layer that drops, at each crash,
 * everything the server had not made durable (test/helpers/power-loss.ts). After `kill
 * -9` the page cache survives; after a power cut only what was fsynced does.
 *
 * - The layer is checked first: a file fsynced in a directory never fsynced is lost
 *   (strict mode), one whose directory was fsynced survives.
 * - Acknowledged writes and deletes survive `kill -9` plus a power cut, in strict and
 *   ext4-like modes, and `engine check --deep` finds nothing wrong.
 * - A delete, a clean stop and a power cut leave no blob file that no object names (the
 *   removal's directory is fsynced before the clean stop is recorded).
 * - After a restart, a PUT cut by `kill -9` and a power cut between its blob's publishing
 *   and its commit's sync leaves an orphan the next start collects (the start's unclean
 *   flag is on disk before any blob is written).
 */
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readdirSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/engine.js';
import { mountPowerLossFs, type PowerLossFs } from '../helpers/power-loss.js';
import { clientOf, deepCheck, exited, serve, type Started } from '../helpers/serve-process.js';

const ROOT = {
  STOWAGE_ROOT_ACCESS_KEY: 'STWPOWERKEY',
  STOWAGE_ROOT_SECRET_KEY: 'power-secret-0123',
};
const BUCKET = 'power-cut';
const md5 = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');

let cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function layer(mode: 'strict' | 'ext4', extra: string[] = []) {
  const { dir, cleanup } = tempDir('stowage-power-');
  const fs: PowerLossFs = await mountPowerLossFs(dir, mode, extra);
  cleanups.push(cleanup, () => fs.release());
  const dataDir = path.join(fs.mountPoint, 'data');
  // The layer is a FUSE file system, which the engine refuses unless told.
  const config = path.join(dir, 'stowage.yaml');
  writeFileSync(config, 'engine:\n  allowNetworkFilesystem: true\n');
  const env = { ...ROOT, STOWAGE_CONFIG: config };
  return {
    fs,
    dir,
    dataDir,
    start: async (): Promise<{ s: Started; client: S3Client }> => {
      const s = await serve(dataDir, env);
      cleanups.push(() => void (s.child.exitCode === null && s.child.kill('SIGKILL')));
      return { s, client: clientOf(s.info, ROOT.STOWAGE_ROOT_SECRET_KEY, 1) };
    },
    check: () => deepCheck(dataDir, { STOWAGE_CONFIG: config }),
  };
}

async function stop(s: Started, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  s.child.kill(signal);
  await exited(s.child);
}

async function body(client: S3Client, key: string): Promise<string | undefined> {
  try {
    const r = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return md5(await r.Body!.transformToByteArray());
  } catch (err) {
    if ((err as { name?: string }).name === 'NoSuchKey') return undefined;
    throw err;
  }
}

describe('the power-loss layer itself', () => {
  it('drops a file whose directory was never fsynced (strict), keeps one whose directory was', async () => {
    const { fs } = await layer('strict');
    const write = (name: string) => {
      const fd = openSync(path.join(fs.mountPoint, name), 'w');
      writeSync(fd, 'bytes');
      fsyncSync(fd);
      closeSync(fd);
    };
    write('lost');
    await fs.crash();
    await fs.remount();
    expect(existsSync(path.join(fs.mountPoint, 'lost'))).toBe(false);
    write('kept');
    const dirFd = openSync(fs.mountPoint, 'r');
    fsyncSync(dirFd);
    closeSync(dirFd);
    await fs.crash();
    await fs.remount();
    expect(readdirSync(fs.mountPoint)).toEqual(['kept']);
  });
});

describe('stowage serve and a power cut', () => {
  it.each(['strict', 'ext4'] as const)(
    '%s: acknowledged writes and deletes survive kill -9 and a power cut',
    async (mode) => {
      const { fs, start, check } = await layer(mode);
      const { s, client } = await start();
      await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
      // Per key: what the last acknowledged request left, and what one in flight may leave.
      const acked = new Map<string, string | undefined>();
      const inFlight = new Map<string, string | undefined>();
      let running = true;
      const worker = async (w: number) => {
        for (let i = 0; running; i++) {
          const key = `k${w}-${i % 6}`;
          if (i % 4 === 3) {
            inFlight.set(key, undefined);
            await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
            acked.set(key, undefined);
          } else {
            const b = randomBytes([700, 90_000, 400_000, 1_500_000][i % 4]!);
            inFlight.set(key, md5(b));
            await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: b }));
            acked.set(key, md5(b));
          }
          inFlight.delete(key);
        }
      };
      const workers = [0, 1, 2].map((w) => worker(w).catch(() => undefined));
      await new Promise((r) => setTimeout(r, 2500));
      expect(acked.size).toBeGreaterThan(6);
      await stop(s, 'SIGKILL');
      running = false;
      await Promise.all(workers);
      await fs.crash();
      await fs.remount();

      const again = await start();
      for (const [key, sum] of acked) {
        const got = await body(again.client, key);
        if (inFlight.has(key)) expect([sum, inFlight.get(key)], key).toContain(got);
        else expect(got, key).toBe(sum);
      }
      await stop(again.s, 'SIGTERM');
      expect(check()).toMatchObject({ status: 0 });
    },
    120_000,
  );

  it('a delete, a clean stop and a power cut leave no blob file that no object names', async () => {
    const { fs, start, check } = await layer('strict');
    const { s, client } = await start();
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const kept = randomBytes(3_000_000);
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'kept', Body: kept }));
    await client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'gone', Body: randomBytes(3_000_000) }),
    );
    await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'gone' }));
    await stop(s, 'SIGTERM');
    await fs.crash();
    await fs.remount();
    // Before: "orphan-blob: blob … is not referenced by any object", exit 5, for good.
    expect(check()).toEqual({
      status: 0,
      output: expect.stringMatching(/^ok: 1 versions, 1 blobs checked/),
    });
    const again = await start();
    expect(await body(again.client, 'kept')).toBe(md5(kept));
    await stop(again.s, 'SIGTERM');
  }, 120_000);

  it('after a restart, a PUT cut between its blob and its commit leaves an orphan the next start collects', async () => {
    const { fs, dir, dataDir, start, check } = await layer('strict');
    const first = await start();
    await first.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await stop(first.s, 'SIGTERM');
    await fs.crash();
    // The layer holds each fsync of the write-ahead log 4 s, which widens the window
    // between a blob's publishing and its commit's sync (the order is the server's own);
    // once `freeze` exists no fsync counts.
    const freeze = path.join(dir, 'freeze');
    await fs.remount(['--slow-fsync', 'meta.db-wal:4', '--freeze-file', freeze]);
    const { s, client } = await start();
    const put = client
      .send(new PutObjectCommand({ Bucket: BUCKET, Key: 'big', Body: randomBytes(3_000_000) }))
      .then(
        () => 'acknowledged',
        () => 'failed',
      );
    // Looked for in the backing directory: the layer answers one call at a time, and a
    // listing through it would wait out the held fsync.
    const blobs = path.join(dir, 'back', path.relative(fs.mountPoint, dataDir), 'blobs');
    const published = () =>
      existsSync(blobs) &&
      readdirSync(blobs).some((d) => readdirSync(path.join(blobs, d)).length > 0);
    for (let i = 0; i < 100 && !published(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(published()).toBe(true);
    writeFileSync(freeze, '');
    await stop(s, 'SIGKILL');
    expect(await put).toBe('failed');
    await fs.crash();
    await fs.remount();
    // Before: no recovery (the flag still said clean), "orphan-blob", exit 5, for good.
    const r = check();
    expect(r.output).toContain('recovered first from an unclean shutdown');
    expect(r).toMatchObject({ status: 0 });
    expect(check()).toEqual({
      status: 0,
      output: expect.stringMatching(/^ok: 0 versions, 0 blobs checked/),
    });
  }, 120_000);
});
