/**
 * A request body that stops arriving is answered 400 RequestTimeout, as S3 answers it,
 * once `server.idleTimeoutSeconds` pass without a byte (1 s here), and nothing is
 * stored; a slow body that keeps coming is not cut off, however long it takes in all. A
 * connection that never sends a request is closed after the same time (node:http alone
 * would keep it open for ever). A response the client stops reading is cut after the same
 * time without progress. A body that kept coming while the whole server process stood
 * still for longer than the timeout (SIGSTOP: a paused VM, a swap storm) is not cut when it
 * runs again: the bytes that came meanwhile count.
 */
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/engine.js';
import { clientOf, exited, killAllServers, serve } from '../helpers/serve-process.js';
import { isStored } from '../helpers/list-keys.js';
import { connectRaw } from '../helpers/raw-socket.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ server: { idleTimeoutSeconds: 1 } });
  await t.client.send(new CreateBucketCommand({ Bucket: 'stall' }));
});
afterAll(() => {
  killAllServers();
  return t.close();
});

async function putHead(key: string, length: number): Promise<string> {
  const url = new URL(
    await getSignedUrl(t.client, new PutObjectCommand({ Bucket: 'stall', Key: key })),
  );
  return `PUT ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Length: ${length}\r\n\r\n`;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Whether `key` holds an object. */
const stored = (key: string): Promise<boolean> => isStored(t.client, 'stall', key);

describe('a request body that stops arriving', () => {
  it('gets 400 RequestTimeout after the idle timeout, and nothing is stored', async () => {
    const c = await connectRaw(Number(new URL(t.url).port));
    c.socket.write(await putHead('stalled', 100_000));
    c.socket.write(Buffer.alloc(1000, 1));
    await c.waitFor(/HTTP\/1\.1 400/, 'a 400 answer');
    await c.waitFor(/<Code>RequestTimeout<\/Code>/, 'RequestTimeout');
    expect(c.text()).toMatch(/not read from or written to within the timeout period/);
    // As on S3, the connection is closed with the answer: nothing more is read from it.
    expect(c.text()).toMatch(/[Cc]onnection: close/);
    await c.closedWithin(2000);
    expect(await stored('stalled')).toBe(false);
  });

  it('is not cut off while it keeps coming, however slowly', async () => {
    const c = await connectRaw(Number(new URL(t.url).port));
    c.socket.write(await putHead('dripped', 6));
    // 6 bytes over 2.4 s: longer than the timeout in all, never 1 s without a byte.
    for (const b of 'drip!\n') {
      c.socket.write(b);
      await sleep(400);
    }
    await c.waitFor(/HTTP\/1\.1 200/, 'a 200 answer');
    c.socket.destroy();
    expect(await stored('dripped')).toBe(true);
  });
});

describe('a response nobody reads', () => {
  it('is cut after the idle timeout without a byte taken, freeing the connection', async () => {
    // A client that asks for a large object and stops reading would hold the connection,
    // an open file and megabytes of buffers for ever.
    await t.client.send(
      new PutObjectCommand({ Bucket: 'stall', Key: 'large', Body: Buffer.alloc(48 << 20, 7) }),
    );
    const url = new URL(
      await getSignedUrl(t.client, new GetObjectCommand({ Bucket: 'stall', Key: 'large' })),
    );
    const c = await connectRaw(Number(new URL(t.url).port));
    c.socket.write(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);
    await c.waitFor(/HTTP\/1\.1 200/, 'the response head');
    c.socket.pause();
    // Reading nothing for longer than the timeout, then everything there is: the server
    // closed the connection part-way (a paused socket sees its end only once it reads).
    await sleep(4000);
    c.socket.resume();
    await c.closedWithin(15_000);
    expect(c.text().length).toBeLessThan(48 << 20);
  }, 40_000);
});

describe('a connection that sends nothing', () => {
  it('is closed after the idle timeout, while a connection in use stays', async () => {
    const port = Number(new URL(t.url).port);
    const silent = await Promise.all(Array.from({ length: 5 }, () => connectRaw(port)));
    const t0 = Date.now();
    await Promise.all(silent.map((c) => c.closedWithin(5000)));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(500);
    // A keep-alive connection that just got an answer is kept past the idle timeout.
    const used = await connectRaw(port);
    used.socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    await used.waitFor(/HTTP\/1\.1 200/, 'the health answer');
    await sleep(1500);
    expect(used.socket.destroyed).toBe(false);
    used.socket.destroy();
  });
});

describe('a server process that stood still longer than the idle timeout', () => {
  it('does not cut a body whose bytes came meanwhile', async () => {
    const { dir, cleanup } = tempDir('stowage-paused-');
    const config = path.join(dir, 'stowage.yaml');
    writeFileSync(config, 'server:\n  idleTimeoutSeconds: 1\n');
    const root = {
      STOWAGE_ROOT_ACCESS_KEY: 'STWPAUSEKEY',
      STOWAGE_ROOT_SECRET_KEY: 'pause-secret-0123',
    };
    const s = await serve(path.join(dir, 'data'), { ...root, STOWAGE_CONFIG: config });
    try {
      const client = clientOf(s.info, root.STOWAGE_ROOT_SECRET_KEY);
      await client.send(new CreateBucketCommand({ Bucket: 'paused' }));
      const url = new URL(
        await getSignedUrl(client, new PutObjectCommand({ Bucket: 'paused', Key: 'k' })),
      );
      const c = await connectRaw(Number(url.port));
      c.socket.write(
        `PUT ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Length: 2000\r\n\r\n`,
      );
      c.socket.write(Buffer.alloc(1000, 1));
      await sleep(300);
      // The server waits for the rest of the body, with its 1 s timer armed, when it stops.
      s.child.kill('SIGSTOP');
      await sleep(300);
      c.socket.write(Buffer.alloc(1000, 2));
      await sleep(1500);
      s.child.kill('SIGCONT');
      await c.waitFor(/HTTP\/1\.1 \d+/, 'an answer');
      expect(c.text()).toMatch(/^HTTP\/1\.1 200 /);
      c.socket.destroy();
      const got = await client.send(new GetObjectCommand({ Bucket: 'paused', Key: 'k' }));
      expect((await got.Body!.transformToByteArray()).length).toBe(2000);
    } finally {
      s.child.kill('SIGCONT');
      s.child.kill('SIGTERM');
      await exited(s.child);
      cleanup();
    }
  }, 30_000);
});
