/**
 * Clients that open a GET and stop reading hold what the server has read for them until
 * the connection times out. The engine's read budget (src/engine/blobs/read-memory.ts)
 * keeps that bounded: 32 streams read 1 MiB at a time, the others 64 KiB. Before it, every
 * such GET of an SSE-S3 object held about 3 MiB, with no limit but the connection cap.
 */
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { patternBytes, tempDir } from '../helpers/engine.js';
import { clientOf, exited, killAllServers, serve } from '../helpers/serve-process.js';

const MiB = 1024 * 1024;
const ROOT = {
  STOWAGE_ROOT_ACCESS_KEY: 'STWSTALLKEY',
  STOWAGE_ROOT_SECRET_KEY: 'stall-secret-0123',
};
const STALLED = 150;

const cleanups: Array<() => void> = [];
afterAll(() => {
  killAllServers();
  cleanups.forEach((c) => c());
});

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('stowage serve and GETs whose clients stop reading', () => {
  it(`holds a bounded amount of memory for ${STALLED} of them, and serves the next GET whole`, async () => {
    const { dir, cleanup } = tempDir('stowage-stalled-');
    cleanups.push(cleanup);
    const s = await serve(dir, ROOT);
    const client = clientOf(s.info, ROOT.STOWAGE_ROOT_SECRET_KEY);
    const body = patternBytes(24 * MiB, 5);
    await client.send(new CreateBucketCommand({ Bucket: 'stalls' }));
    // Stored with SSE-S3, the default: the stream decrypts into buffers of its own.
    await client.send(new PutObjectCommand({ Bucket: 'stalls', Key: 'big', Body: body }));
    const url = new URL(
      await getSignedUrl(client, new GetObjectCommand({ Bucket: 'stalls', Key: 'big' })),
    );
    const rss = (): number =>
      Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${s.child.pid}/status`, 'utf8'))![1]) / 1024;
    const before = rss();
    const request = `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`;
    const sockets = Array.from({ length: STALLED }, () => {
      const socket = net.connect(Number(url.port), url.hostname);
      socket.on('error', () => {});
      socket.pause(); // reads nothing: the kernel's buffers fill, then the server's
      socket.write(request);
      return socket;
    });
    let peak = before;
    for (let i = 0; i < 16; i++) {
      await sleep(250);
      peak = Math.max(peak, rss());
    }
    // 32 streams in large batches (about 3 MiB each held here) and 118 in small ones
    // (about a quarter of a MiB): about 100 MB here. Before the budget: about 450 MB.
    expect(peak - before).toBeLessThan(250);
    for (const socket of sockets) socket.destroy();
    const got = await client.send(new GetObjectCommand({ Bucket: 'stalls', Key: 'big' }));
    expect(sha(await got.Body!.transformToByteArray())).toBe(sha(body));
    client.destroy();
    s.child.kill('SIGTERM');
    expect(await exited(s.child), s.stderr()).toBe(0);
  }, 60_000);
});
