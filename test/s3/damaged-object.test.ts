/**
 * A GET whose stored bytes are gone answers S3's InternalError (500) with an XML body,
 * never a crash or a hanging connection, and the server goes on serving. Both kinds of
 * blob: a file under blobs/ (a large object) and a row of meta.db (a small one). Also:
 * a client that goes away mid-body does not disturb the next requests.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobFileIds, patternBytes } from '../helpers/engine.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
const BUCKET = 'damaged';
const small = patternBytes(10_000, 1);
const big = patternBytes(300_000, 2);

beforeAll(async () => {
  t = await startTestServer();
  await t.server.engine.createBucket(BUCKET);
  for (const [key, body] of [
    ['small.bin', small],
    ['big.bin', big],
    ['intact.bin', small],
  ] as const) {
    await t.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  }
});
afterAll(async () => t?.close());

async function getStatus(key: string): Promise<{ status: number; code?: string }> {
  try {
    const got = await t.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    await got.Body!.transformToByteArray();
    return { status: got.$metadata.httpStatusCode ?? 0 };
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    // S3's generic message: what went wrong names files of the server, which the log keeps.
    if (e.name === 'InternalError') {
      expect(e.message).toBe('We encountered an internal error. Please try again.');
    }
    return { status: e.$metadata?.httpStatusCode ?? 0, code: e.name };
  }
}

const blobFiles = (): string[] => blobFileIds(t.dataDir);

async function getIntact(): Promise<void> {
  const got = await t.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'intact.bin' }));
  expect(Buffer.from(await got.Body!.transformToByteArray()).equals(small)).toBe(true);
}

describe('a GET of bytes that are gone', () => {
  it('a missing blob file: 500 InternalError, and the server still serves', async () => {
    const files = blobFiles();
    expect(files).toHaveLength(1); // only big.bin is over the inline limit
    rmSync(path.join(t.dataDir, 'blobs', files[0]!.slice(0, 2), files[0]!));
    expect(await getStatus('big.bin')).toEqual({ status: 500, code: 'InternalError' });
    await getIntact();
  });

  it('a missing inline row: 500 InternalError, and the server still serves', async () => {
    const head = t.server.engine.headObject(BUCKET, 'small.bin');
    const db = new Database(path.join(t.dataDir, 'meta.db'));
    try {
      const segs = db
        .prepare('SELECT segments FROM versions WHERE bucket = ? AND key = ?')
        .pluck()
        .get(BUCKET, 'small.bin') as string;
      const b = (JSON.parse(segs) as Array<{ b: string }>)[0]!.b;
      expect(b).toMatch(/^j\d+$/);
      expect(
        db.prepare('DELETE FROM inline_rows WHERE id = ?').run(Number(b.slice(1))).changes,
      ).toBe(1);
    } finally {
      db.close();
    }
    expect(head.size).toBe(small.length);
    expect(await getStatus('small.bin')).toEqual({ status: 500, code: 'InternalError' });
    await getIntact();
  });
});

describe('a client that goes away mid-body', () => {
  it('is dropped quietly, its blob lease ends, and the next requests are answered', async () => {
    const body = patternBytes(8 * 1024 * 1024, 3);
    await t.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'big2.bin', Body: body }));
    const before = blobFiles();
    const abort = new AbortController();
    const got = await t.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'big2.bin' }), {
      abortSignal: abort.signal,
    });
    const stream = got.Body as NodeJS.ReadableStream;
    await new Promise<void>((resolve) => stream.once('data', () => resolve()));
    stream.on('error', () => undefined); // the client side's own "aborted"
    abort.abort();
    // Overwrite it: the old file may go only once the aborted read's lease has ended.
    await t.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'big2.bin', Body: big }));
    await expect
      .poll(() => blobFiles().filter((f) => before.includes(f)), { timeout: 5000 })
      .toEqual([]);
    await getIntact();
  });
});
