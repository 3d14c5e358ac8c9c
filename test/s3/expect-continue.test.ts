/**
 * `Expect: 100-continue` (src/s3api/expect-continue.ts): `100 Continue` only once the
 * operation reads the body; a request refused before that gets its error at once, the
 * client sends no body, and the connection is closed. Checked on a raw socket, where the
 * bytes on the wire can be seen, and with curl, which sends the header for bodies over
 * 1 MiB and reports how much it uploaded.
 */
import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patternBytes, tempDir } from '../helpers/engine.js';
import { ensureDebianPackages, runPeer } from '../helpers/peers.js';
import { connectRaw } from '../helpers/raw-socket.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const CURL = '/usr/bin/curl';
const BUCKET = 'continue';
let t: TestServer;
const { dir, cleanup } = tempDir('stowage-continue-');

beforeAll(async () => {
  ensureDebianPackages({ [CURL]: 'curl' });
  t = await startTestServer();
  await t.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(async () => {
  await t.close();
  cleanup();
});

const presignPut = (Bucket: string, Key: string): Promise<string> =>
  getSignedUrl(t.client, new PutObjectCommand({ Bucket, Key }), { expiresIn: 300 });

/** The head of a PUT announcing `length` bytes and waiting for 100 Continue. */
function head(url: string, length: number): string {
  const u = new URL(url);
  return (
    `PUT ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\n` +
    `Content-Length: ${length}\r\nExpect: 100-continue\r\n\r\n`
  );
}

describe('Expect: 100-continue', () => {
  it('answers 100 Continue to an accepted upload, then stores the body it asked for', async () => {
    const body = patternBytes(256 * 1024, 4);
    const c = await connectRaw(Number(new URL(t.url).port));
    c.socket.write(head(await presignPut(BUCKET, 'accepted.bin'), body.length));
    await c.waitFor(/^HTTP\/1\.1 100 Continue\r\n\r\n/);
    // Nothing but the interim answer until the body is sent.
    await new Promise((r) => setTimeout(r, 100));
    expect(c.text()).toBe('HTTP/1.1 100 Continue\r\n\r\n');
    c.socket.write(body);
    await c.waitFor(/HTTP\/1\.1 200 OK/);
    c.socket.destroy();
    const stored = await t.client.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: 'accepted.bin' }),
    );
    expect(stored.ContentLength).toBe(body.length);
  });

  it('refuses without 100 Continue, before any byte of the body, and closes the connection', async () => {
    for (const [url, status, code] of [
      [await presignPut('no-such-bucket', 'x.bin'), 404, 'NoSuchBucket'],
      [`${t.url}/${BUCKET}/anonymous.bin`, 403, 'AccessDenied'],
    ] as const) {
      const c = await connectRaw(Number(new URL(t.url).port));
      c.socket.write(head(url, 50 * 1024 * 1024));
      await c.closed;
      expect(c.text()).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
      expect(c.text()).toContain(`<Code>${code}</Code>`);
      expect(c.text()).toMatch(/\r\nConnection: close\r\n/i);
      expect(c.text()).not.toContain('100 Continue');
    }
  });

  it('lets curl skip the body of a refused upload and send the body of an accepted one', async () => {
    const file = path.join(dir, 'three-mb.bin');
    writeFileSync(file, patternBytes(3_000_000, 8));
    const curl = async (url: string): Promise<string> => {
      const r = await runPeer(
        CURL,
        ['-s', '-o', '/dev/null', '-w', '%{http_code} %{size_upload}', '-T', file, url],
        {},
      );
      return r.stdout;
    };
    expect(await curl(await presignPut(BUCKET, 'curl.bin'))).toBe('200 3000000');
    expect(await curl(await presignPut('no-such-bucket', 'curl.bin'))).toBe('404 0');
    expect(await curl(`${t.url}/${BUCKET}/anonymous.bin`)).toBe('403 0');
  });
});

describe('other Expect values', () => {
  it('ignores an Expect that is not 100-continue (empty, 200), as S3 does, and stores the body', async () => {
    for (const [key, expectValue] of [
      ['expect-empty.bin', ''],
      ['expect-200.bin', '200'],
    ] as const) {
      const u = new URL(await presignPut(BUCKET, key));
      const c = await connectRaw(Number(u.port));
      c.socket.write(
        `PUT ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\n` +
          `Content-Length: 3\r\nExpect: ${expectValue}\r\n\r\nbar`,
      );
      await c.waitFor(/HTTP\/1\.1 200 OK[\s\S]*\r\n\r\n/);
      // One answer only: no 417 before it, no error for the body after it.
      await new Promise((r) => setTimeout(r, 100));
      expect(c.text().match(/HTTP\/1\.1 /g)).toHaveLength(1);
      c.socket.destroy();
      const stored = await t.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
      expect([key, stored.ContentLength]).toEqual([key, 3]);
    }
  });
});
