/**
 * The transfer commands through a proxy that answers 503 SlowDown to a share of requests
 * (a failure a real server cannot be made to produce on demand): `stowage sync` and
 * `stowage cp` still finish with every byte right, and exit 0.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patternBytes, tempDir } from '../helpers/engine.js';
import { runCli } from '../helpers/run-cli.js';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';
import { startFaultProxy, type FaultProxy } from '../transfer/helpers.js';

const work = tempDir('stowage-cli-faults-');
let srv: TestServer;
let proxy: FaultProxy;

/** A deterministic stream of numbers in [0, 1). */
function prng(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

beforeAll(async () => {
  srv = await startTestServer();
  const rand = prng(7);
  // Bucket creation goes through untouched; every other request has a 20% chance of a 503.
  proxy = await startFaultProxy(srv.url, (req) => ({
    kind:
      req.method === 'PUT' && /^\/[^/?]+\/?$/.test(req.url ?? '')
        ? 'forward'
        : rand() < 0.2
          ? 'slowdown'
          : 'forward',
  }));
});
afterAll(async () => {
  await proxy.close();
  await srv.close();
  work.cleanup();
});

const cli = (args: string[]) =>
  runCli(['--endpoint-url', proxy.url, '--no-progress', ...args], {
    env: {
      HOME: work.dir,
      AWS_ACCESS_KEY_ID: TEST_KEY.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_KEY.secretAccessKey,
    },
    cwd: work.dir,
  });

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('a 503 SlowDown storm between the CLI and the store', () => {
  it('sync up and cp down finish with every byte right', async () => {
    const src = path.join(work.dir, 'src');
    mkdirSync(src);
    const files = new Map<string, Buffer>();
    for (let i = 0; i < 12; i++) files.set(`f${i}.bin`, patternBytes(3000 + i, i));
    files.set('big.bin', patternBytes(12 * 1024 * 1024, 99)); // two parts of 8 MiB
    for (const [name, bytes] of files) writeFileSync(path.join(src, name), bytes);

    expect((await cli(['mb', 's3://storm'])).code).toBe(0);
    const up = await cli(['sync', src, 's3://storm/up/', '--json']);
    expect(up.stderr).not.toMatch(/failed/i);
    expect(up.code).toBe(0);
    const uploads = (text: string) => text.split('\n').filter((l) => l.includes('"type":"upload"'));
    expect(uploads(up.stdout)).toHaveLength(files.size);
    for (const [name, bytes] of files) {
      const got = await srv.client.send(
        new GetObjectCommand({ Bucket: 'storm', Key: `up/${name}` }),
      );
      expect(sha(Buffer.from(await got.Body!.transformToByteArray())), name).toBe(sha(bytes));
    }

    const out = path.join(work.dir, 'big.down');
    const down = await cli(['cp', 's3://storm/up/big.bin', out]);
    expect(down.code).toBe(0);
    expect(sha(readFileSync(out))).toBe(sha(files.get('big.bin')!));

    // The storm really happened, and a re-sync finds nothing left to do.
    expect(proxy.counts.slowdown).toBeGreaterThan(2);
    const again = await cli(['sync', src, 's3://storm/up/', '--json']);
    expect(again.code).toBe(0);
    expect(uploads(again.stdout)).toEqual([]);
  }, 180_000);
});
