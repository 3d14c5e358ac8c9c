/**
 * What S3's error answers name, and in what order they come, for bad request bodies and
 * headers: XAmzContentSHA256Mismatch and BadDigest name both digests, and a PUT whose body
 * came without Content-Length gets its 411 before the error for those bytes. From
 * OpenStack Swift's AWS-mode functional tests (test/s3api/test_input_errors.py).
 */
import { CreateBucketCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';
import { s3Signer, signedFetch } from '../helpers/signed-fetch.js';
import { connectRaw } from '../helpers/raw-socket.js';
import { s3ErrorOf } from '../helpers/expect-error.js';

const BUCKET = 'swift-input-errors';
const BODY = Buffer.from('0123456789abcdef0123456789abcdef');
const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');
let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
  await t.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(async () => t.close());

async function stored(key: string): Promise<boolean> {
  const e = await s3ErrorOf(
    t.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })),
  ).catch(() => undefined);
  return e === undefined;
}

describe('errors for bad request bodies', () => {
  it('XAmzContentSHA256Mismatch names both hashes, the client one as sent', async () => {
    const res = await signedFetch(t, 'PUT', `/${BUCKET}/sha`, {
      body: BODY,
      headers: { 'x-amz-content-sha256': EMPTY_SHA256.toUpperCase() },
    });
    expect(res.status).toBe(400);
    const xml = await res.text();
    expect(xml).toContain('<Code>XAmzContentSHA256Mismatch</Code>');
    expect(xml).toContain(
      `<ClientComputedContentSHA256>${EMPTY_SHA256.toUpperCase()}</ClientComputedContentSHA256>`,
    );
    const actual = createHash('sha256').update(BODY).digest('hex');
    expect(xml).toContain(`<S3ComputedContentSHA256>${actual}</S3ComputedContentSHA256>`);
    expect(await stored('sha')).toBe(false);
  });

  it('BadDigest names the expected digest (hex) and the calculated one (base64)', async () => {
    const res = await signedFetch(t, 'PUT', `/${BUCKET}/md5`, {
      body: BODY,
      headers: { 'content-md5': '1B2M2Y8AsgTpgAmY7PhCfg==' }, // MD5 of ""
    });
    expect(res.status).toBe(400);
    const xml = await res.text();
    expect(xml).toContain('<Code>BadDigest</Code>');
    expect(xml).toContain('<ExpectedDigest>d41d8cd98f00b204e9800998ecf8427e</ExpectedDigest>');
    const md5 = createHash('md5').update(BODY).digest('base64');
    expect(xml).toContain(`<CalculatedDigest>${md5}</CalculatedDigest>`);
    expect(await stored('md5')).toBe(false);
  });

  it('a PUT whose body comes without Content-Length gets its 411 before the error for the bytes', async () => {
    const url = new URL(t.url);
    const signed = await s3Signer(TEST_KEY).sign({
      method: 'PUT',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: `/${BUCKET}/no-length`,
      query: {},
      headers: {
        host: url.host,
        'x-amz-content-sha256': createHash('sha256').update(BODY).digest('hex'),
      },
    });
    const c = await connectRaw(Number(url.port));
    const head = Object.entries(signed.headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    // Headers and body in one write: node:http takes the body for the next request.
    c.socket.write(`PUT /${BUCKET}/no-length HTTP/1.1\r\n${head}\r\n${BODY.toString('latin1')}`);
    await c.closedWithin(5000);
    expect(c.text()).toMatch(/^HTTP\/1\.1 411 /);
    expect(c.text()).toContain('<Code>MissingContentLength</Code>');
    expect(await stored('no-length')).toBe(false);
  });
});
