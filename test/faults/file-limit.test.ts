/**
 * `stowage serve` under a low open-file limit (`ulimit -n`, a systemd unit's LimitNOFILE,
 * `docker run --ulimit nofile=`), run with util-linux's prlimit:
 *
 * - Too low to work at all: refused at start with what to raise. It died with a stack
 *   trace of EMFILE while opening its data directory.
 * - Below what server.maxConnections needs: the cap is lowered to fit, and the log says so
 *   at start and when connections are dropped. Idle connections used every descriptor
 *   before the cap of 4,096 was reached, and requests went unanswered while the log said
 *   nothing (a resource probe).
 * - Out of descriptors anyway (no cap): a request is 503 SlowDown, retryable, and the log
 *   says so once, not a 500 with a stack trace each.
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { tempDir } from '../helpers/engine.js';
import { connectRaw, type RawConnection } from '../helpers/raw-socket.js';
import {
  exited,
  killAllServers,
  serve,
  serveArgs,
  type Started,
} from '../helpers/serve-process.js';
import { TEST_KEY } from '../helpers/server.js';
import { signedHeaderLines } from '../helpers/signed-fetch.js';

const ROOT = {
  STOWAGE_ROOT_ACCESS_KEY: TEST_KEY.accessKeyId,
  STOWAGE_ROOT_SECRET_KEY: TEST_KEY.secretAccessKey,
};
const sockets: RawConnection[] = [];
const cleanups: Array<() => void> = [];
afterAll(() => {
  sockets.forEach((c) => c.socket.destroy());
  killAllServers();
  cleanups.forEach((c) => c());
});

function dataDirWith(config?: string): { dataDir: string; env: Record<string, string> } {
  const { dir, cleanup } = tempDir('stowage-nofile-');
  cleanups.push(cleanup);
  const env: Record<string, string> = { PATH: process.env.PATH!, LOG_LEVEL: 'warn', ...ROOT };
  if (config) {
    env.STOWAGE_CONFIG = path.join(dir, 'stowage.yaml');
    writeFileSync(env.STOWAGE_CONFIG, config);
  }
  return { dataDir: path.join(dir, 'data'), env };
}

const args = (nofile: number, dataDir: string): string[] => [
  `--nofile=${nofile}:${nofile}`,
  process.execPath,
  ...serveArgs(dataDir),
];

/** `stowage serve` with at most `nofile` open files; resolves once it listens. */
function serveLimited(nofile: number, config?: string): Promise<Started> {
  const { dataDir, env } = dataDirWith(config);
  return serve(dataDir, env, 0, undefined, ['prlimit', `--nofile=${nofile}:${nofile}`]);
}

async function idleConnections(port: number, n: number): Promise<void> {
  for (let i = 0; i < n; i++) sockets.push(await connectRaw(port));
}

describe('stowage serve under a low open-file limit', () => {
  it('refuses to start below 128 files, saying what to raise', () => {
    const { dataDir, env } = dataDirWith();
    const r = spawnSync('prlimit', args(100, dataDir), { env, encoding: 'utf8', timeout: 30_000 });
    // With --json the error is a JSON document on stdout.
    const said = `${r.stdout}${r.stderr}`;
    expect(r.status, said).toBe(2);
    expect(said).toContain('this process may open only 100 files (ulimit -n)');
    expect(said).toContain('needs at least 128');
    expect(said).not.toContain('    at ');
  });

  it('lowers the connection cap to fit, and says so at start and when it drops connections', async () => {
    const s = await serveLimited(200);
    expect(s.stderr()).toContain(
      'may open only 200 files (ulimit -n): at most 68 connections are accepted, not server.maxConnections (4096)',
    );
    const port = Number(new URL(s.info.url).port);
    await idleConnections(port, 75);
    await vi.waitFor(
      () =>
        expect(s.stderr()).toContain(
          '68 connections are open (the open-file limit, ulimit -n 200): new ones are dropped',
        ),
      { timeout: 10_000 },
    );
    sockets.splice(0).forEach((c) => c.socket.destroy());
    await vi.waitFor(
      async () => expect((await fetch(`${s.info.url}/health/ready`)).status).toBe(200),
      { timeout: 10_000 },
    );
    s.child.kill('SIGTERM');
    expect(await exited(s.child)).toBe(0);
  }, 60_000);

  it('answers 503 SlowDown when descriptors run out anyway, and logs it once', async () => {
    const s = await serveLimited(200, 'server:\n  maxConnections: 0\n');
    const port = Number(new URL(s.info.url).port);
    const client = new S3Client({
      endpoint: s.info.url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: TEST_KEY,
      maxAttempts: 1,
    });
    await client.send(new CreateBucketCommand({ Bucket: 'nofile' }));
    client.destroy();
    // One connection opened first; then idle ones until the process has no descriptor left.
    const mine = await connectRaw(port);
    sockets.push(mine);
    await idleConnections(port, 250);
    await new Promise((r) => setTimeout(r, 500));
    // Over the inline size: its bytes need a file under tmp/.
    const body = Buffer.alloc(200 * 1024, 7);
    for (let i = 0; i < 2; i++) {
      const head = await signedHeaderLines(s.info, {
        method: 'PUT',
        path: `/nofile/big-${i}`,
        headers: {
          'content-length': String(body.length),
          'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
        },
      });
      const before = mine.text().length;
      mine.socket.write(`PUT /nofile/big-${i} HTTP/1.1\r\n${head}\r\n`);
      mine.socket.write(body);
      await vi.waitFor(() => expect(mine.text().slice(before)).toMatch(/<\/Error>/), {
        timeout: 10_000,
      });
      expect(mine.text().slice(before)).toMatch(/^HTTP\/1\.1 503 /);
      expect(mine.text().slice(before)).toContain('<Code>SlowDown</Code>');
    }
    const lines = s.stderr().split('\n');
    expect(lines.filter((l) => l.includes('requests fail with 503 SlowDown'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('EMFILE') && l.includes('"stack"'))).toHaveLength(0);
    s.child.kill('SIGKILL');
  }, 60_000);
});
