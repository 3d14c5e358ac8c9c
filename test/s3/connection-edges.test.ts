/**
 * Connections that are unusual but legal. A client that sends its request and then closes
 * its side (`printf 'GET …' | nc -N`, a script's shutdown(SHUT_WR)) still gets the whole
 * answer, as from S3, nginx or RGW: node:http's default drops it. A TLS client that offers
 * only HTTP/1.0 in ALPN (`curl --http1.0 https://…`) is served too.
 */
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificate, OPENSSL } from '../helpers/certificate.js';
import { patternBytes } from '../helpers/engine.js';
import { ensureDebianPackages } from '../helpers/peers.js';
import { connectRaw } from '../helpers/raw-socket.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const BODY = patternBytes(3 * 1024 * 1024 + 5, 41);
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Status and body of one HTTP/1.x response in `raw` (Content-Length framed). */
function parseResponse(raw: Buffer): { status: number; body: Buffer } {
  const end = raw.indexOf('\r\n\r\n');
  expect(end, 'a response head').toBeGreaterThan(0);
  const head = raw.subarray(0, end).toString('latin1');
  const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1]);
  return {
    status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]),
    body: raw.subarray(end + 4, end + 4 + length),
  };
}

describe('connection edges', () => {
  let t: TestServer;
  let secure: TestServer;
  let work: string;
  let ca: Buffer;

  beforeAll(async () => {
    ensureDebianPackages({ [OPENSSL]: 'openssl' });
    work = mkdtempSync(path.join(tmpdir(), 'stowage-edges-'));
    const { cert, key } = makeCertificate(work, 'server');
    ca = readFileSync(cert);
    // In the clear, so the body is streamed from the blob file in several reads.
    t = await startTestServer({ server: { defaultEncryption: 'none' } });
    secure = await startTestServer({ server: { tls: { certFile: cert, keyFile: key } } });
    await t.client.send(new CreateBucketCommand({ Bucket: 'edges' }));
    await t.client.send(new PutObjectCommand({ Bucket: 'edges', Key: 'big.bin', Body: BODY }));
  });
  afterAll(async () => {
    await t?.close();
    await secure?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('a client that half-closes after its request gets the whole answer', async () => {
    const url = new URL(
      await getSignedUrl(t.client, new GetObjectCommand({ Bucket: 'edges', Key: 'big.bin' })),
    );
    const c = await connectRaw(Number(url.port));
    c.socket.write(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);
    c.socket.end();
    await c.closedWithin(20_000);
    const r = parseResponse(Buffer.from(c.text(), 'latin1'));
    expect(r.status).toBe(200);
    expect(r.body.byteLength).toBe(BODY.byteLength);
    expect(sha(r.body)).toBe(sha(BODY));
  });

  it('a half-closed /health probe (nc -N) is answered', async () => {
    const c = await connectRaw(Number(new URL(t.url).port));
    c.socket.end('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await c.closedWithin(10_000);
    expect(c.text()).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('a TLS client offering only http/1.0 in ALPN is served', async () => {
    const port = Number(new URL(secure.url).port);
    const socket = tls.connect({ host: '127.0.0.1', port, ca, ALPNProtocols: ['http/1.0'] });
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    const done = new Promise<Error | undefined>((resolve) => {
      socket.once('error', resolve);
      socket.once('close', () => resolve(undefined));
    });
    socket.once('secureConnect', () => socket.write('GET /health HTTP/1.0\r\n\r\n'));
    const err = await done;
    expect(err?.message).toBeUndefined();
    expect(Buffer.concat(chunks).toString('latin1')).toMatch(/^HTTP\/1\.1 200 /);
  });
});
