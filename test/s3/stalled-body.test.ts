/**
 * A request body that stops arriving is answered 400 RequestTimeout, as S3 answers it,
 * once `server.bodyIdleTimeoutSeconds` pass without a byte (1 s here), and nothing is
 * stored; a slow body that keeps coming is not cut off, however long it takes in all.
 */
import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRaw } from '../helpers/raw-socket.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ server: { bodyIdleTimeoutSeconds: 1 } });
  await t.client.send(new CreateBucketCommand({ Bucket: 'stall' }));
});
afterAll(() => t.close());

async function putHead(key: string, length: number): Promise<string> {
  const url = new URL(
    await getSignedUrl(t.client, new PutObjectCommand({ Bucket: 'stall', Key: key })),
  );
  return `PUT ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Length: ${length}\r\n\r\n`;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function stored(key: string): Promise<boolean> {
  return t.client.send(new HeadObjectCommand({ Bucket: 'stall', Key: key })).then(
    () => true,
    () => false,
  );
}

describe('a request body that stops arriving', () => {
  it('gets 400 RequestTimeout after the idle timeout, and nothing is stored', async () => {
    const c = await connectRaw(Number(new URL(t.url).port));
    c.socket.write(await putHead('stalled', 100_000));
    c.socket.write(Buffer.alloc(1000, 1));
    await c.waitFor(/HTTP\/1\.1 400/, 'a 400 answer');
    await c.waitFor(/<Code>RequestTimeout<\/Code>/, 'RequestTimeout');
    expect(c.text()).toMatch(/not read from or written to within the timeout period/);
    c.socket.destroy();
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
