/**
 * Request documents (DeleteObjects lists, configuration documents, part lists) are read
 * whole before the server acts on them, up to 2 MiB each. Clients that send most of one and
 * stop hold what they sent until the idle timeout; past 64 MiB of such documents at once
 * (src/s3api/small-body.ts) a request is answered 503 SlowDown and nothing is done.
 */
import { CreateBucketCommand, DeleteObjectsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCUMENT_MEMORY_BYTES } from '../../src/s3api/small-body.js';
import { connectRaw, type RawConnection } from '../helpers/raw-socket.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { signedHeaderLines } from '../helpers/signed-fetch.js';

const BUCKET = 'documents';
const DECLARED = 2_000_000;
const SENT = 1_900_000;
const CONNECTIONS = 40;

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
  await t.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await t.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'kept', Body: 'x' }));
}, 60_000);
afterAll(async () => {
  await t?.close();
});

/** A DeleteObjects body of exactly DECLARED bytes (one key, padded with white space). */
function deleteDocument(): Buffer {
  const xml = '<Delete><Object><Key>kept</Key></Object></Delete>';
  return Buffer.from(xml + ' '.repeat(DECLARED - xml.length));
}

/** Opens a DeleteObjects request that declares DECLARED bytes, sends SENT of them and stops. */
async function stalledDelete(body: Buffer): Promise<RawConnection> {
  const conn = await connectRaw(Number(new URL(t.url).port));
  const head = await signedHeaderLines(t, {
    method: 'POST',
    path: `/${BUCKET}`,
    query: { delete: '' },
    headers: {
      'content-length': String(DECLARED),
      'content-md5': createHash('md5').update(body).digest('base64'),
      'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
    },
  });
  conn.socket.write(`POST /${BUCKET}?delete HTTP/1.1\r\n${head}\r\n`);
  conn.socket.write(body.subarray(0, SENT));
  return conn;
}

describe('request documents held in memory', () => {
  it('answers 503 SlowDown past 64 MiB of documents being received, and takes them again once those go', async () => {
    expect(DOCUMENT_MEMORY_BYTES).toBe(64 * 1024 * 1024);
    const body = deleteDocument();
    const conns = await Promise.all(Array.from({ length: CONNECTIONS }, () => stalledDelete(body)));
    await sleep(1500);
    const answers = conns.map((c) => c.text());
    const refused = answers.filter((a) => a.startsWith('HTTP/1.1 503'));
    // 35 documents of 1.9 MB fit in 64 MiB; the 36th may be cut part-way through its bytes.
    expect(refused.length).toBeGreaterThanOrEqual(CONNECTIONS - 36);
    expect(refused.length).toBeLessThanOrEqual(CONNECTIONS - 34);
    for (const a of refused) {
      expect(a).toContain('<Code>SlowDown</Code>');
      expect(a).toContain('Please reduce your request rate');
    }
    // The others are still waiting for the rest of their bodies: no answer yet.
    expect(answers.filter((a) => a === '')).toHaveLength(CONNECTIONS - refused.length);
    for (const c of conns) c.socket.destroy();
    await Promise.all(conns.map((c) => c.closed));
    await sleep(100);
    // What they held is given back: a DeleteObjects goes through, and nothing was deleted
    // by the refused or abandoned ones.
    const done = await t.client.send(
      new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: 'kept' }] } }),
    );
    expect(done.Deleted?.map((d) => d.Key)).toEqual(['kept']);
    // And 35 more stalled ones are all taken in again (none refused).
    const again = await Promise.all(Array.from({ length: 30 }, () => stalledDelete(body)));
    await sleep(1000);
    expect(again.filter((c) => c.text() !== '')).toHaveLength(0);
    for (const c of again) c.socket.destroy();
  }, 60_000);
});
