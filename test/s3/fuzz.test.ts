/**
 * Throws random and mutated requests at a real server: it must answer every one with a
 * client error (never a 500), stay up, and store nothing it should not.
 */
import { PutObjectCommand, CreateBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prng } from '../helpers/random.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { signedFetch } from '../helpers/signed-fetch.js';

let t: TestServer;
let host: string;
let port: number;

beforeAll(async () => {
  t = await startTestServer();
  const u = new URL(t.url);
  host = u.hostname;
  port = Number(u.port);
  await t.client.send(new CreateBucketCommand({ Bucket: 'fuzz-target' }));
  await t.client.send(
    new PutObjectCommand({ Bucket: 'fuzz-target', Key: 'keep.txt', Body: 'keep' }),
  );
  await t.client.send(
    new CreateBucketCommand({ Bucket: 'fuzz-locked', ObjectLockEnabledForBucket: true }),
  );
  await t.client.send(
    new PutObjectCommand({
      Bucket: 'fuzz-locked',
      Key: 'held.txt',
      Body: 'held',
      ObjectLockLegalHoldStatus: 'ON',
    }),
  );
});
afterAll(async () => t.close());

/** Sends raw bytes on a fresh connection and returns the status line's code (0: no answer). */
function raw(bytes: Buffer | string, timeoutMs = 3000): Promise<number> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    let data = '';
    const done = (code: number): void => {
      socket.destroy();
      resolve(code);
    };
    const timer = setTimeout(() => done(0), timeoutMs);
    socket.on('data', (d) => {
      data += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
      if (m) {
        clearTimeout(timer);
        done(Number(m[1]));
      }
    });
    socket.on('error', () => {
      clearTimeout(timer);
      done(0);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      done(0);
    });
    socket.write(bytes);
  });
}

const METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'BREW'];
const SUBRESOURCES = [
  '',
  '?uploads',
  '?uploadId=x&partNumber=1',
  '?versioning',
  '?policy',
  '?cors',
  '?lifecycle',
  '?tagging',
  '?acl',
  '?delete',
  '?restore',
  '?select',
  '?list-type=2&max-keys=-5',
  '?versions&key-marker=%FF',
  '?location',
  '?torrent',
  '?partNumber=99999',
  '?continuation-token=%%%',
  '?inventory&id=',
  '?object-lock',
  '?retention',
  '?legal-hold',
  '?requestPayment',
  '?accelerate',
  '?metrics&continuation-token=%FF',
];
const PATHS = [
  '/',
  '/fuzz-target',
  '/fuzz-target/',
  '/fuzz-target/keep.txt',
  '/fuzz-target/../../etc/passwd',
  '/fuzz-target/%2e%2e/%2e%2e',
  '/Bad_Bucket/x',
  '/fuzz-target/%',
  '/fuzz-target/%C0%AF',
  '/fuzz-target/' + 'k'.repeat(2000),
  '//double',
  '/fuzz-target/a%00b',
  '/no-such-bucket/key',
];
const HEADERS = [
  'Authorization: AWS4-HMAC-SHA256 Credential=garbage',
  'Authorization: AWS AKIA:sig',
  'Authorization: AWS4-HMAC-SHA256 Credential=STWTESTKEY0000000001/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00',
  'x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
  'x-amz-content-sha256: nothex',
  'x-amz-date: 99999999T999999Z',
  'Content-MD5: !!!',
  'x-amz-copy-source: /../../x',
  'Range: bytes=999999999-',
  'x-amz-decoded-content-length: -1',
  'Content-Encoding: aws-chunked',
  'x-amz-meta-big: ' + 'v'.repeat(8000),
  'If-Match: *',
  'x-amz-storage-class: TAPE',
  'x-amz-tagging: a=1&a=2',
  'x-amz-object-lock-mode: FOREVER',
  'x-amz-object-lock-retain-until-date: yesterday',
  'x-amz-object-lock-legal-hold: ON',
  'x-amz-bypass-governance-retention: true',
  'x-amz-bucket-object-lock-enabled: maybe',
];

describe('fuzz: random requests', () => {
  it('answers 1,200 random requests with client errors and stays up', async () => {
    const rand = prng(20261122);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const statuses = new Map<number, number>();
    for (let i = 0; i < 1200; i++) {
      const method = pick(METHODS);
      const target = pick(PATHS) + pick(SUBRESOURCES);
      const headers = Array.from({ length: Math.floor(rand() * 4) }, () => pick(HEADERS));
      const bodyLen = Math.floor(rand() * 3) === 0 ? Math.floor(rand() * 300) : 0;
      const body = Buffer.from(Array.from({ length: bodyLen }, () => Math.floor(rand() * 256)));
      const declared = rand() < 0.1 ? bodyLen + 10 : bodyLen;
      const request =
        `${method} ${target} HTTP/1.1\r\nHost: ${host}:${port}\r\nConnection: close\r\n` +
        headers.map((h) => `${h}\r\n`).join('') +
        `Content-Length: ${declared}\r\n\r\n`;
      const status = await raw(
        Buffer.concat([Buffer.from(request, 'latin1'), body]),
        declared > bodyLen ? 300 : 3000,
      );
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      expect(
        status === 0 || status < 500 || status === 501 || status === 503,
        `${method} ${target} -> ${status}`,
      ).toBe(true);
    }
    expect(statuses.get(500)).toBeUndefined();
    // Nearly every request got an answer (no answer only where the body never came).
    const answered = [...statuses].filter(([s]) => s !== 0).reduce((n, [, c]) => n + c, 0);
    expect(answered, JSON.stringify([...statuses])).toBeGreaterThan(1000);
    const health = await fetch(`${t.url}/health/live`);
    expect(health.status).toBe(200);
  }, 120_000);

  it('answers 600 random requests signed by the root key without a 500, and keeps what is locked', async () => {
    // Past authentication: every handler sees the random sub-resources, headers and bodies.
    const rand = prng(20261206);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const bodies = [
      '',
      '<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>2020-01-01T00:00:00Z</RetainUntilDate></Retention>',
      '<LegalHold><Status>OFF</Status></LegalHold>',
      '<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule/></ObjectLockConfiguration>',
      '<RequestPaymentConfiguration><Payer>Requester</Payer></RequestPaymentConfiguration>',
      '<Delete><Object><Key>held.txt</Key></Object></Delete>',
      '<<<not xml',
    ];
    const paths = [
      '/fuzz-locked',
      '/fuzz-locked/held.txt',
      '/fuzz-locked/new.txt',
      '/fuzz-locked/sub/k',
    ];
    const statuses = new Map<number, number>();
    for (let i = 0; i < 600; i++) {
      const method = pick(['GET', 'PUT', 'POST', 'DELETE', 'HEAD']);
      const target = pick(paths) + pick(SUBRESOURCES);
      const headers: Record<string, string> = {};
      for (let h = Math.floor(rand() * 3); h > 0; h--) {
        const [name, ...value] = pick(HEADERS).split(': ');
        if (!/^(authorization|x-amz-date|x-amz-content-sha256|content-length)$/i.test(name!))
          headers[name!.toLowerCase()] = value.join(': ');
      }
      let res: Response;
      try {
        res = await signedFetch(t, method, target, { headers, body: pick(bodies) });
      } catch {
        continue; // a URL fetch() itself refuses (a path it cannot send)
      }
      await res.arrayBuffer();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      expect(res.status < 500 || res.status === 501, `${method} ${target} -> ${res.status}`).toBe(
        true,
      );
    }
    expect(statuses.get(500)).toBeUndefined();
    // Many went through: not every request was refused before its handler.
    const ok = [...statuses].filter(([s]) => s < 300).reduce((n, [, c]) => n + c, 0);
    expect(ok, JSON.stringify([...statuses])).toBeGreaterThan(100);
    // The held version is still there, whatever was thrown at it.
    const versions = await signedFetch(t, 'GET', '/fuzz-locked?versions&prefix=held.txt');
    expect(await versions.text()).toMatch(/<Version><Key>held.txt<\/Key>/);
    expect((await fetch(`${t.url}/health/live`)).status).toBe(200);
  }, 120_000);

  it('answers malformed HTTP without crashing', async () => {
    for (const junk of [
      '\x00\x01\x02garbage\r\n\r\n',
      'GET / HTTP/9.9\r\n\r\n',
      'GET /' + 'a'.repeat(20_000) + ' HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET / HTTP/1.1\r\n' + 'X-Big: y\r\n'.repeat(500) + '\r\n',
    ]) {
      const status = await raw(junk, 2000);
      expect(status === 0 || (status >= 400 && status < 500) || status === 431).toBe(true);
    }
    expect((await fetch(`${t.url}/health/live`)).status).toBe(200);
  });

  it('a mutated presigned URL is rejected and a tampered body stores nothing', async () => {
    const url = await getSignedUrl(
      t.client,
      new GetObjectCommand({ Bucket: 'fuzz-target', Key: 'keep.txt' }),
      { expiresIn: 600 },
    );
    expect((await fetch(url)).status).toBe(200);
    const rand = prng(7);
    for (let i = 0; i < 60; i++) {
      const pos = url.indexOf('?') + 1 + Math.floor(rand() * (url.length - url.indexOf('?') - 1));
      const ch = url[pos]!;
      const replacement = /[0-9a-f]/.test(ch) ? (ch === '0' ? '1' : '0') : ch === 'A' ? 'B' : 'A';
      const mutated = url.slice(0, pos) + replacement + url.slice(pos + 1);
      if (mutated === url) continue;
      const res = await fetch(mutated);
      expect([400, 403], `mutated at ${pos}: ${res.status}`).toContain(res.status);
    }
    const listed = await t.client.send(new ListObjectsV2Command({ Bucket: 'fuzz-target' }));
    expect(listed.Contents?.map((c) => c.Key)).toEqual(['keep.txt']);
  });
});
