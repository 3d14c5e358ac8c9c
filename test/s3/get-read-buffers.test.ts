/**
 * A GET hands each 1 MiB read buffer back to the object's stream once the socket has its
 * bytes, and the stream reads the next MiB into it (src/engine/blobs/read-buffers.ts). A
 * buffer reused too early would send one MiB's bytes in place of another's. Slow readers,
 * over HTTP and over TLS, with several GETs at once and ranges across buffer edges, must
 * still get every byte as stored; the bookkeeping itself is tested on ReadBuffers.
 */
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReadBuffers } from '../../src/engine/blobs/read-buffers.js';
import { makeCertificate, OPENSSL } from '../helpers/certificate.js';
import { patternBytes } from '../helpers/engine.js';
import { ensureDebianPackages } from '../helpers/peers.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const MiB = 1024 * 1024;
const BUCKET = 'reads';
const OBJECTS = {
  'nine.bin': patternBytes(9 * MiB + 77, 31),
  'three.bin': patternBytes(3 * MiB, 32),
  'five.bin': patternBytes(5 * MiB + 1, 33),
};

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('ReadBuffers', () => {
  it('gives a buffer back once, and only its own', () => {
    const buffers = new ReadBuffers(1024, 2);
    const a = buffers.take(1000);
    expect(a.byteLength).toBe(1000);
    buffers.give(a);
    buffers.give(a); // a second hand-back of the same chunk is ignored
    const b = buffers.take(1024);
    const c = buffers.take(10);
    expect(b.buffer).toBe(a.buffer); // reused
    expect(c.buffer).not.toBe(a.buffer); // not handed out twice
    buffers.give(Buffer.alloc(1024)); // not one of its buffers: ignored
    buffers.give(c.subarray(0, 5)); // part of one: the whole buffer comes back
    expect(buffers.take(1024).buffer).toBe(c.buffer);
  });

  it('keeps at most `keep` buffers and never a slice of the shared pool', () => {
    const buffers = new ReadBuffers(64, 1);
    const taken = [buffers.take(64), buffers.take(64), buffers.take(64)];
    for (const t of taken) expect(t.buffer.byteLength).toBe(64);
    for (const t of taken) buffers.give(t);
    const again = [buffers.take(64), buffers.take(64)];
    expect(again.filter((b) => taken.some((t) => t.buffer === b.buffer))).toHaveLength(1);
  });

  it('keeps nothing alive that is never given back (a copy, a library reader)', async () => {
    const gc = collector();
    const buffers = new ReadBuffers(1024 * 1024);
    // Taken and dropped, as by a consumer that has no way to hand chunks back.
    const refs = Array.from({ length: 8 }, () => new WeakRef(buffers.take(1024 * 1024).buffer));
    for (let i = 0; i < 5 && refs.some((r) => r.deref() !== undefined); i++) {
      await sleep(10);
      gc();
    }
    expect(refs.filter((r) => r.deref() !== undefined)).toHaveLength(0);
    expect(buffers.take(10).byteLength).toBe(10); // still in use
  });
});

/** A presigned GET URL of `key`. */
function urlOf(t: TestServer, key: string): Promise<string> {
  return getSignedUrl(t.client, new GetObjectCommand({ Bucket: BUCKET, Key: key }), {
    expiresIn: 600,
  });
}

/** V8's collector, for checking what a structure keeps alive. */
function collector(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

/** GETs `key` (with `range`), reading slowly: every 8th chunk, it stops for 40 ms. */
async function slowGet(
  t: TestServer,
  agent: http.Agent | undefined,
  key: string,
  range?: string,
): Promise<{ status: number; body: Buffer }> {
  const url = new URL(await urlOf(t, key));
  const headers = range ? { range } : {};
  const get = url.protocol === 'https:' ? https.get : http.get;
  return new Promise((resolve, reject) => {
    const req = get(url, { headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      let n = 0;
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        // Stop now and then, long enough for the server's writes to back up.
        if (n++ % 8 === 0) {
          res.pause();
          setTimeout(() => res.resume(), 40);
        }
      });
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

async function checkSlowReads(t: TestServer, agent?: http.Agent): Promise<void> {
  const whole = await Promise.all(
    Object.keys(OBJECTS).map((key) => slowGet(t, agent, key).then((r) => ({ key, ...r }))),
  );
  for (const { key, status, body } of whole) {
    expect(status, key).toBe(200);
    expect(body.byteLength, key).toBe(OBJECTS[key as keyof typeof OBJECTS].byteLength);
    expect(sha(body), key).toBe(sha(OBJECTS[key as keyof typeof OBJECTS]));
  }
  const nine = OBJECTS['nine.bin'];
  const ranges: [number, number][] = [
    [MiB - 5, 4 * MiB + 3],
    [2 * MiB, 9 * MiB + 76],
    [7, 7],
  ];
  const parts = await Promise.all(
    ranges.map(([a, b]) => slowGet(t, agent, 'nine.bin', `bytes=${a}-${b}`)),
  );
  parts.forEach(({ status, body }, i) => {
    const [a, b] = ranges[i]!;
    expect(status).toBe(206);
    expect(sha(body), `bytes=${a}-${b}`).toBe(sha(nine.subarray(a, b + 1)));
  });
}

async function putAll(t: TestServer): Promise<void> {
  await t.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  for (const [key, body] of Object.entries(OBJECTS)) {
    await t.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  }
}

describe('GET with recycled read buffers', () => {
  let plain: TestServer;
  let tls: TestServer;
  let work: string;
  let agent: https.Agent;

  beforeAll(async () => {
    ensureDebianPackages({ [OPENSSL]: 'openssl' });
    work = mkdtempSync(path.join(tmpdir(), 'stowage-reads-'));
    const { cert, key } = makeCertificate(work, 'server');
    agent = new https.Agent({ ca: readFileSync(cert) });
    // In the clear, so the bytes go from the file's read buffers straight to the socket.
    plain = await startTestServer({ server: { defaultEncryption: 'none' } });
    tls = await startTestServer({
      server: { defaultEncryption: 'none', tls: { certFile: cert, keyFile: key } },
      httpsAgent: agent,
    });
    await putAll(plain);
    await putAll(tls);
  }, 120_000);

  afterAll(async () => {
    agent?.destroy();
    await plain?.close();
    await tls?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('every byte arrives as stored over HTTP, three slow readers at once', async () => {
    await checkSlowReads(plain);
  }, 60_000);

  it('every byte arrives as stored over TLS, three slow readers at once', async () => {
    await checkSlowReads(tls, agent);
  }, 60_000);

  it('a reader that goes away mid-body leaves the next GETs whole', async () => {
    const url = await urlOf(plain, 'nine.bin');
    await new Promise<void>((resolve, reject) => {
      const req = http.get(url, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', (err) => (req.destroyed ? resolve() : reject(err)));
    });
    await sleep(50);
    await checkSlowReads(plain);
  }, 60_000);
});
