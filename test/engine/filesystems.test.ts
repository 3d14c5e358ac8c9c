/**
 * Data directories on file systems other than the usual local disk. One on a network or
 * FUSE file system is refused unless the operator says one server only uses it
 * (src/engine/filesystem.ts): its lock cannot keep out a server on another mount. Here
 * that file system is Debian's bindfs over a local directory, mounted twice as a NAS share
 * would be on two machines. An exFAT disk (a studio's USB drive; exfat-fuse on a loop
 * device) is local, and has no hard links and no file modes.
 */
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { readAll, tempDir } from '../helpers/engine.js';
import { expectError } from '../helpers/expect-error.js';
import { ensureDebianPackages } from '../helpers/peers.js';
import { waitUntil } from '../helpers/rgw-support.js';
import { runCli } from '../helpers/run-cli.js';
import { clientOf, exited, killAllServers, serve } from '../helpers/serve-process.js';
import { mountExfat, mountTmpfs } from '../helpers/small-fs.js';

const BINDFS = '/usr/bin/bindfs';
let work: { dir: string; cleanup: () => void };
let share: string;
const mounts: string[] = [];

function mountShare(name: string): string {
  const point = path.join(work.dir, name);
  mkdirSync(point);
  execFileSync(BINDFS, [share, point]);
  mounts.push(point);
  return point;
}

beforeAll(() => {
  ensureDebianPackages({ [BINDFS]: 'bindfs' });
  work = tempDir('stowage-netfs-');
  share = path.join(work.dir, 'share');
  mkdirSync(share);
});

afterAll(() => {
  killAllServers();
  for (const point of mounts) execFileSync('umount', ['-l', point]);
  work?.cleanup();
});

describe('a data directory on a FUSE mount', () => {
  it('is refused, naming the file system and the setting, before anything is made there', async () => {
    const first = mountShare('first');
    await expectError(
      Engine.open({ dataDir: path.join(first, 'data'), fsync: false }),
      'E_CONFIG_INVALID',
      /is on fuse, a network or FUSE file system.*engine\.allowNetworkFilesystem: true/,
    );
    expect(existsSync(path.join(share, 'data', 'meta.db'))).toBe(false);
    expect(existsSync(path.join(share, 'data', 'LOCK'))).toBe(false);
  });

  it('is refused by the CLI with exit 2, and opened when the config allows it', async () => {
    const second = mountShare('second');
    const dataDir = path.join(second, 'data');
    mkdirSync(dataDir, { recursive: true });
    const refused = await runCli(['engine', 'check', '--data-dir', dataDir]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('is on fuse, a network or FUSE file system');
    expect(refused.stderr).not.toMatch(/\n\s+at /);

    const engine = await Engine.open({ dataDir, fsync: false, allowNetworkFilesystem: true });
    try {
      // bindfs mounts as plain `fuse` (sshfs as `fuse.sshfs`).
      expect(engine.filesystem).toEqual({ type: 'fuse', shared: true, memory: false });
      await engine.createBucket('on-the-share');
      expect(existsSync(path.join(share, 'data', 'meta.db'))).toBe(true);
    } finally {
      await engine.close();
    }
  });
});

describe('a data directory on a local file system', () => {
  it('opens, and its file system is not shared', async () => {
    const engine = await Engine.open({ dataDir: path.join(work.dir, 'local'), fsync: false });
    try {
      expect(engine.filesystem.shared).toBe(false);
      expect(engine.filesystem.memory).toBe(false);
    } finally {
      await engine.close();
    }
  });

  it('on tmpfs, opens and is known to be memory', async () => {
    const fs = mountTmpfs(64 * 1024 * 1024, 'stowage-netfs-tmpfs-');
    try {
      const engine = await Engine.open({ dataDir: path.join(fs.mountPoint, 'data'), fsync: false });
      expect(engine.filesystem).toEqual({ type: 'tmpfs', shared: false, memory: true });
      await engine.close();
    } finally {
      fs.unmount();
    }
  });
});

describe('tmp/ or blobs/ on another file system than the data directory', () => {
  it.each(['blobs', 'tmp'])('%s/ linked to another file system is refused at open', async (sub) => {
    const other = mountTmpfs(16 * 1024 * 1024, 'stowage-split-');
    const { dir, cleanup } = tempDir('stowage-split-data-');
    try {
      mkdirSync(path.join(other.mountPoint, sub));
      symlinkSync(path.join(other.mountPoint, sub), path.join(dir, sub));
      await expectError(
        Engine.open({ dataDir: dir, fsync: false }),
        'E_CONFIG_INVALID',
        new RegExp(`its ${sub}/ is on another file system \\(a symbolic link or a mount\\)`),
      );
      // Nothing was created beside it: no database, no lock left behind.
      expect(existsSync(path.join(dir, 'meta.db'))).toBe(false);
      rmSync(path.join(dir, sub));
      const engine = await Engine.open({ dataDir: dir, fsync: false });
      await engine.close();
    } finally {
      cleanup();
      other.unmount();
    }
  });
});

describe('tmp/ removed under an open engine', () => {
  it('is made again by the next upload that needs it', async () => {
    const { dir, cleanup } = tempDir('stowage-tmp-gone-');
    const engine = await Engine.open({ dataDir: dir, fsync: false });
    try {
      await engine.createBucket('assets');
      rmSync(path.join(dir, 'tmp'), { recursive: true });
      // Over the inline size, so written to a temp file first; it failed (ENOENT) until a
      // restart.
      await engine.putObject('assets', 'big', Buffer.alloc(300_000, 7));
      expect((await readAll(engine.getObject('assets', 'big').body)).length).toBe(300_000);
      expect(existsSync(path.join(dir, 'tmp'))).toBe(true);
    } finally {
      await engine.close();
      cleanup();
    }
  });
});

describe('stowage serve on a FUSE mount', () => {
  it('exits 2 naming it, and with engine.allowNetworkFilesystem serves and warns', async () => {
    const third = mountShare('third');
    const dataDir = path.join(third, 'served');
    const refused = await runCli(['serve', '--port', '0', '--data-dir', dataDir]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('is on fuse, a network or FUSE file system');
    const config = path.join(work.dir, 'allow.yaml');
    writeFileSync(config, 'engine:\n  allowNetworkFilesystem: true\n');
    const started = await serve(dataDir, { STOWAGE_CONFIG: config });
    try {
      await waitUntil('the warning', 5000, () =>
        started.stderr().includes('a network or FUSE file system (engine.allowNetworkFilesystem)'),
      );
    } finally {
      started.child.kill('SIGTERM');
      await exited(started.child);
    }
  });
});

describe('a data directory on an exFAT disk', () => {
  it('stores encrypted objects, multipart ones too, and keeps them over a kill -9', async () => {
    const usb = mountExfat(256 * 1024 * 1024, 'stowage-exfat-');
    try {
      const dataDir = path.join(usb.mountPoint, 'stowage');
      const first = await serve(dataDir);
      const secret = first.info.secretAccessKeyShownOnce!;
      let client = clientOf(first.info, secret);
      const small = randomBytes(10_000);
      const big = randomBytes(12 * 1024 * 1024);
      await client.send(new CreateBucketCommand({ Bucket: 'usb' }));
      const put = await client.send(
        new PutObjectCommand({ Bucket: 'usb', Key: 'small.bin', Body: small }),
      );
      // Encrypted at rest by default: the key file was made without a hard link.
      expect(put.ServerSideEncryption).toBe('AES256');
      const { UploadId } = await client.send(
        new CreateMultipartUploadCommand({ Bucket: 'usb', Key: 'big.bin' }),
      );
      const parts = [];
      for (let n = 1, at = 0; at < big.length; n++, at += 5 * 1024 * 1024) {
        const body = big.subarray(at, at + 5 * 1024 * 1024);
        const part = await client.send(
          new UploadPartCommand({
            Bucket: 'usb',
            Key: 'big.bin',
            UploadId,
            PartNumber: n,
            Body: body,
          }),
        );
        parts.push({ PartNumber: n, ETag: part.ETag });
      }
      await client.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'usb',
          Key: 'big.bin',
          UploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
      first.child.kill('SIGKILL');
      await exited(first.child);
      client.destroy();

      const second = await serve(dataDir);
      client = clientOf(second.info, secret);
      for (const [key, bytes] of [
        ['small.bin', small],
        ['big.bin', big],
      ] as const) {
        const got = await client.send(new GetObjectCommand({ Bucket: 'usb', Key: key }));
        expect(Buffer.from(await got.Body!.transformToByteArray()).equals(bytes)).toBe(true);
      }
      client.destroy();
      second.child.kill('SIGTERM');
      await exited(second.child);
      const check = await runCli(['engine', 'check', '--deep', '--data-dir', dataDir]);
      expect(check.code, check.stderr).toBe(0);
    } finally {
      usb.unmount();
    }
  }, 120_000);
});
