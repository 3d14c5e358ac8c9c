/**
 * What S3's error answers name, and in what order they come, for bad request bodies and
 * headers: XAmzContentSHA256Mismatch and BadDigest name both digests, a PUT whose body came
 * without Content-Length gets its 411 before the error for those bytes, an invalid
 * x-amz-content-sha256 names its value, and x-amz-trailer may name only checksums. From
 * OpenStack Swift's AWS-mode functional tests (test/s3api/test_input_errors.py).
 */
import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCorsCommand,
  GetBucketCorsCommand,
  ListPartsCommand,
  PutBucketCorsCommand,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isStored } from '../helpers/list-keys.js';
import { checksumBase64 } from '../../src/engine/checksums/index.js';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';
import { s3Signer, signedFetch, signedHeaderLines } from '../helpers/signed-fetch.js';
import { unsignedTrailerRequest } from '../helpers/sign-chunked.js';
import { connectRaw } from '../helpers/raw-socket.js';

const BUCKET = 'request-errors';
const BODY = Buffer.from('0123456789abcdef0123456789abcdef');
const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');
let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
  await t.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(async () => t.close());

/** Whether `key` holds an object. */
const stored = (key: string): Promise<boolean> => isStored(t.client, BUCKET, key);

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

  it('a wrong signed SHA-256 comes before a wrong Content-MD5, and stores nothing, for a small or large PutObject, an UploadPart and a bucket document', async () => {
    // A body of 5 MiB is hashed on the engine's worker threads, 32 bytes on the main
    // thread; either way the engine, not the front end, compares the signed hash.
    for (const body of [BODY, Buffer.alloc(5 * 1024 * 1024, 7)]) {
      const key = `sha-md5-${body.length}`;
      const res = await signedFetch(t, 'PUT', `/${BUCKET}/${key}`, {
        body,
        headers: {
          'x-amz-content-sha256': EMPTY_SHA256,
          'content-md5': '1B2M2Y8AsgTpgAmY7PhCfg==',
        },
      });
      expect([key, res.status]).toEqual([key, 400]);
      expect(await res.text()).toContain('<Code>XAmzContentSHA256Mismatch</Code>');
      expect(await stored(key)).toBe(false);
      const right = createHash('sha256').update(body).digest('hex');
      const ok = await signedFetch(t, 'PUT', `/${BUCKET}/${key}`, {
        body,
        headers: { 'x-amz-content-sha256': right.toUpperCase() },
      });
      expect([key, ok.status]).toEqual([key, 200]);
    }
    const created = await t.client.send(
      new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'sha-part' }),
    );
    const part = `/${BUCKET}/sha-part?partNumber=1&uploadId=${created.UploadId}`;
    const bad = await signedFetch(t, 'PUT', part, {
      body: BODY,
      headers: { 'x-amz-content-sha256': EMPTY_SHA256 },
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('<Code>XAmzContentSHA256Mismatch</Code>');
    const parts = await t.client.send(
      new ListPartsCommand({ Bucket: BUCKET, Key: 'sha-part', UploadId: created.UploadId }),
    );
    expect(parts.Parts ?? []).toEqual([]);
    // A body the front end reads itself (here a CORS document) is checked as it streams.
    const cors =
      '<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod><AllowedOrigin>*</AllowedOrigin></CORSRule></CORSConfiguration>';
    const doc = await signedFetch(t, 'PUT', `/${BUCKET}?cors`, {
      body: Buffer.from(cors),
      headers: {
        'x-amz-content-sha256': EMPTY_SHA256,
        'content-md5': createHash('md5').update(cors).digest('base64'),
      },
    });
    expect(doc.status).toBe(400);
    expect(await doc.text()).toContain('<Code>XAmzContentSHA256Mismatch</Code>');
    await expect(t.client.send(new GetBucketCorsCommand({ Bucket: BUCKET }))).rejects.toMatchObject(
      {
        name: 'NoSuchCORSConfiguration',
      },
    );
  });

  it('a CopyObject or UploadPartCopy that signs the SHA-256 of a body it does not send is refused and copies nothing', async () => {
    await signedFetch(t, 'PUT', `/${BUCKET}/copy-src`, { body: BODY });
    const { UploadId } = await t.client.send(
      new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'copy-part' }),
    );
    for (const path of [
      `/${BUCKET}/copy-dst`,
      `/${BUCKET}/copy-part?partNumber=1&uploadId=${UploadId}`,
    ]) {
      const res = await signedFetch(t, 'PUT', path, {
        body: '',
        headers: {
          'x-amz-copy-source': `/${BUCKET}/copy-src`,
          'x-amz-content-sha256': createHash('sha256').update('abc').digest('hex'),
        },
      });
      expect([path, res.status]).toEqual([path, 400]);
      expect(await res.text()).toContain('<Code>XAmzContentSHA256Mismatch</Code>');
    }
    expect(await stored('copy-dst')).toBe(false);
    const parts = await t.client.send(
      new ListPartsCommand({ Bucket: BUCKET, Key: 'copy-part', UploadId }),
    );
    expect(parts.Parts ?? []).toEqual([]);
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
    const head = await signedHeaderLines(t, {
      method: 'PUT',
      path: `/${BUCKET}/no-length`,
      headers: { 'x-amz-content-sha256': createHash('sha256').update(BODY).digest('hex') },
    });
    const c = await connectRaw(Number(url.port));
    // Headers and body in one write: node:http takes the body for the next request.
    c.socket.write(`PUT /${BUCKET}/no-length HTTP/1.1\r\n${head}\r\n${BODY.toString('latin1')}`);
    await c.closedWithin(5000);
    expect(c.text()).toMatch(/^HTTP\/1\.1 411 /);
    expect(c.text()).toContain('<Code>MissingContentLength</Code>');
    expect(await stored('no-length')).toBe(false);
  });
});

describe('x-amz-content-sha256', () => {
  it('an invalid value is InvalidArgument with ArgumentName and ArgumentValue', async () => {
    for (const [method, value] of [
      ['PUT', 'invalid'],
      ['PUT', 'unsigned-payload'],
      ['GET', 'INVALID'],
    ] as const) {
      const res = await signedFetch(t, method, `/${BUCKET}/k`, {
        body: method === 'PUT' ? 'data' : '',
        headers: { 'x-amz-content-sha256': value },
      });
      expect(res.status, value).toBe(400);
      const text = await res.text();
      expect(text).toContain('<Code>InvalidArgument</Code>');
      expect(text).toContain('<ArgumentName>x-amz-content-sha256</ArgumentName>');
      expect(text).toContain(`<ArgumentValue>${value}</ArgumentValue>`);
    }
  });
});

describe('x-amz-content-sha256 in a presigned URL', () => {
  /** A presigned URL of `method path` that signs `x-amz-content-sha256: value`, hoisted or not. */
  async function presigned(method: string, path: string, value: string, hoist: boolean) {
    const url = new URL(path, t.url);
    const request = await s3Signer(TEST_KEY).presign(
      {
        method,
        protocol: url.protocol,
        hostname: url.hostname,
        port: Number(url.port),
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: { host: url.host, 'x-amz-content-sha256': value },
      },
      {
        expiresIn: 300,
        ...(hoist ? {} : { unhoistableHeaders: new Set(['x-amz-content-sha256']) }),
      },
    );
    const query = new URLSearchParams(request.query as Record<string, string>).toString();
    return { url: `${t.url}${url.pathname}?${query}`, headers: request.headers };
  }

  it('a value that is no hash lets a GET through and fails a PUT as a mismatch, as S3', async () => {
    await signedFetch(t, 'PUT', `/${BUCKET}/presigned-sha`, { body: 'kept' });
    for (const hoist of [false, true]) {
      const get = await presigned('GET', `/${BUCKET}/presigned-sha`, 'invalid', hoist);
      const got = await fetch(get.url, { headers: get.headers });
      expect([hoist, got.status, await got.text()]).toEqual([hoist, 200, 'kept']);

      const put = await presigned('PUT', `/${BUCKET}/presigned-bad-${hoist}`, 'invalid', hoist);
      const res = await fetch(put.url, { method: 'PUT', headers: put.headers, body: 'data' });
      expect([hoist, res.status]).toEqual([hoist, 400]);
      const text = await res.text();
      expect(text).toContain('<Code>XAmzContentSHA256Mismatch</Code>');
      expect(text).toContain('<ClientComputedContentSHA256>invalid</ClientComputedContentSHA256>');
      expect(await stored(`presigned-bad-${hoist}`)).toBe(false);
    }
  });

  it('the body must match the hash the URL signed, whatever unsigned x-amz-content-sha256 header comes with it', async () => {
    const hex = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
    // Inline, in a blob file, and as a part: the engine compares the signed hash.
    const { UploadId } = await t.client.send(
      new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'presigned-part' }),
    );
    for (const [path, size] of [
      [`/${BUCKET}/presigned-other-small`, 155],
      [`/${BUCKET}/presigned-other-large`, 300 * 1024],
      [`/${BUCKET}/presigned-part?partNumber=1&uploadId=${UploadId}`, 5 * 1024 * 1024],
    ] as const) {
      const signedFor = Buffer.alloc(size, 1);
      const sent = Buffer.alloc(size, 2);
      const put = await presigned('PUT', path, hex(signedFor), true);
      const res = await fetch(put.url, {
        method: 'PUT',
        headers: { ...put.headers, 'x-amz-content-sha256': hex(sent) },
        body: sent,
      });
      expect([path, res.status]).toEqual([path, 400]);
      expect(await res.text()).toContain('<Code>XAmzContentSHA256Mismatch</Code>');
    }
    expect(await stored('presigned-other-small')).toBe(false);
    expect(await stored('presigned-other-large')).toBe(false);
    const parts = await t.client.send(
      new ListPartsCommand({ Bucket: BUCKET, Key: 'presigned-part', UploadId }),
    );
    expect(parts.Parts ?? []).toEqual([]);
  });
});

const data = Buffer.from('hello world, 32 bytes of data!!!');

/** An unsigned-trailer aws-chunked PUT of `data` with these trailer lines. */
function putWithTrailers(key: string, declared: string, lines: string[]): Promise<Response> {
  return signedFetch(t, 'PUT', `/${BUCKET}/${key}`, unsignedTrailerRequest(data, declared, lines));
}

describe('x-amz-decoded-content-length', () => {
  it('one that is not a number of bytes is 411 MissingContentLength, as S3', async () => {
    for (const value of ['not an int', '-1', '1.5', '99999999999999999']) {
      const request = unsignedTrailerRequest(data, 'x-amz-checksum-crc32', [
        `x-amz-checksum-crc32:${checksumBase64('CRC32', data)}`,
      ]);
      request.headers['x-amz-decoded-content-length'] = value;
      const res = await signedFetch(t, 'PUT', `/${BUCKET}/decoded-length`, request);
      expect([value, res.status]).toEqual([value, 411]);
      expect(await res.text()).toContain('<Code>MissingContentLength</Code>');
    }
    expect(await stored('decoded-length')).toBe(false);
  });
});

describe('x-amz-trailer', () => {
  it('refuses a trailer that is not a checksum, storing nothing, as S3 does', async () => {
    const wrongMd5 = createHash('md5').update('something else').digest('base64');
    const cases: Array<[string, string[]]> = [
      ['content-md5', [`content-md5: ${wrongMd5}`]],
      ['x-amz-content-sha256', [`x-amz-content-sha256: ${'0'.repeat(64)}`]],
      ['foo', ['foo: bar']],
      [
        'x-amz-checksum-crc32, x-amz-foo',
        [`x-amz-checksum-crc32: ${checksumBase64('CRC32', data)}`, 'x-amz-foo: bar'],
      ],
    ];
    for (const [i, [declared, lines]] of cases.entries()) {
      const res = await putWithTrailers(`bad-${i}`, declared, lines);
      expect(res.status, declared).toBe(400);
      const text = await res.text();
      expect(text, declared).toContain('<Code>InvalidRequest</Code>');
      expect(text, declared).toContain('x-amz-trailer');
      expect(await stored(`bad-${i}`), declared).toBe(false);
    }
  });

  it('is MalformedTrailerError on a body that is not aws-chunked, storing nothing, as S3', async () => {
    for (const mode of ['UNSIGNED-PAYLOAD', createHash('sha256').update(data).digest('hex')]) {
      const res = await signedFetch(t, 'PUT', `/${BUCKET}/not-streaming`, {
        body: data,
        headers: { 'x-amz-content-sha256': mode, 'x-amz-trailer': 'x-amz-checksum-crc32' },
      });
      expect([mode, res.status]).toEqual([mode, 400]);
      expect(await res.text()).toContain('<Code>MalformedTrailerError</Code>');
    }
    expect(await stored('not-streaming')).toBe(false);
    // A request without a body carries nothing to check.
    const get = await signedFetch(t, 'GET', `/${BUCKET}?list-type=2`, {
      headers: { 'x-amz-trailer': 'x-amz-checksum-crc32' },
    });
    expect(get.status).toBe(200);
  });

  it('still takes a checksum trailer, with the trailing comma S3 allows', async () => {
    for (const declared of ['x-amz-checksum-crc32', 'x-amz-checksum-crc32,']) {
      const res = await putWithTrailers('good', declared, [
        `x-amz-checksum-crc32: ${checksumBase64('CRC32', data)}`,
      ]);
      expect(res.status, declared).toBe(200);
      await res.arrayBuffer();
    }
    expect(await stored('good')).toBe(true);
  });
});

describe('sizes S3 names in its answer', () => {
  /** Sends a signed request by hand (its headers as given), and waits for the answer. */
  async function rawSigned(
    method: string,
    path: string,
    headers: Record<string, string>,
    body = '',
  ): Promise<string> {
    const url = new URL(t.url);
    const head = await signedHeaderLines(t, {
      method,
      path,
      headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', ...headers },
    });
    const c = await connectRaw(Number(url.port));
    c.socket.write(`${method} ${path} HTTP/1.1\r\n${head}connection: close\r\n\r\n${body}`);
    await c.closedWithin(5000);
    return c.text();
  }

  it('a PUT declaring more than 5 GiB is EntityTooLarge with ProposedSize and MaxSizeAllowed, storing nothing', async () => {
    const answer = await rawSigned('PUT', `/${BUCKET}/six-gib`, {
      'content-length': String(6 * 1024 ** 3),
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('<Code>EntityTooLarge</Code>');
    expect(answer).toContain(`<ProposedSize>${6 * 1024 ** 3}</ProposedSize>`);
    expect(answer).toContain(`<MaxSizeAllowed>${5 * 1024 ** 3}</MaxSizeAllowed>`);
    expect(await stored('six-gib')).toBe(false);
  });

  it('a small part before the last is EntityTooSmall naming the part, its ETag, its size and the minimum', async () => {
    const created = await signedFetch(t, 'POST', `/${BUCKET}/small-parts?uploads`);
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(await created.text())![1]!;
    const etags: string[] = [];
    for (const n of [1, 2]) {
      const part = await signedFetch(
        t,
        'PUT',
        `/${BUCKET}/small-parts?partNumber=${n}&uploadId=${uploadId}`,
        { body: `part ${n}` },
      );
      etags.push(part.headers.get('etag')!);
    }
    const list = etags
      .map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`)
      .join('');
    const res = await signedFetch(t, 'POST', `/${BUCKET}/small-parts?uploadId=${uploadId}`, {
      body: `<CompleteMultipartUpload>${list}</CompleteMultipartUpload>`,
    });
    const xml = await res.text();
    expect(res.status).toBe(400);
    expect(xml).toContain('<Code>EntityTooSmall</Code>');
    expect(xml).toContain('<PartNumber>1</PartNumber>');
    expect(xml).toContain(`<ETag>${etags[0]!.replace(/"/g, '')}</ETag>`);
    expect(xml).toContain('<ProposedSize>6</ProposedSize>');
    expect(xml).toContain(`<MinSizeAllowed>${5 * 1024 * 1024}</MinSizeAllowed>`);
    expect(await stored('small-parts')).toBe(false);
  });

  it('a header section over 8 KiB is RequestHeaderSectionTooLarge with MaxSizeAllowed, as on S3, storing nothing', async () => {
    const over = await rawSigned(
      'PUT',
      `/${BUCKET}/big-headers`,
      { 'content-length': '4', 'x-amz-meta-a': 'a'.repeat(1000), 'x-padding': 'p'.repeat(8000) },
      'abcd',
    );
    expect(over).toMatch(/^HTTP\/1\.1 400 /);
    expect(over).toContain('<Code>RequestHeaderSectionTooLarge</Code>');
    expect(over).toContain('<MaxSizeAllowed>8192</MaxSizeAllowed>');
    expect(await stored('big-headers')).toBe(false);
    // It comes before the refusals of the request's path and query.
    for (const path of [`/${BUCKET}/x?foo`, `/${BUCKET}/%ff`, `/${BUCKET}/%2E%2E/b`]) {
      const first = await rawSigned('PUT', path, {
        'content-length': '0',
        'x-padding': 'p'.repeat(9000),
      });
      expect([path, first]).toEqual([
        path,
        expect.stringContaining('RequestHeaderSectionTooLarge'),
      ]);
    }
    // A page on an origin the bucket's CORS allows can read the refusal.
    await t.client.send(
      new PutBucketCorsCommand({
        Bucket: BUCKET,
        CORSConfiguration: {
          CORSRules: [{ AllowedOrigins: ['http://game.test'], AllowedMethods: ['PUT'] }],
        },
      }),
    );
    const fromPage = await rawSigned('PUT', `/${BUCKET}/big-headers`, {
      'content-length': '0',
      origin: 'http://game.test',
      'x-padding': 'p'.repeat(9000),
    });
    expect(fromPage).toContain('<Code>RequestHeaderSectionTooLarge</Code>');
    expect(fromPage).toMatch(/^access-control-allow-origin: http:\/\/game\.test\r$/im);
    await t.client.send(new DeleteBucketCorsCommand({ Bucket: BUCKET }));
    // Just under the limit, and cookies (which a browser sends a server on localhost, and
    // S3's hosts never get) besides.
    const under = await rawSigned(
      'PUT',
      `/${BUCKET}/big-headers`,
      { 'content-length': '4', 'x-padding': 'p'.repeat(7000), cookie: `c=${'c'.repeat(6000)}` },
      'abcd',
    );
    expect(under).toMatch(/^HTTP\/1\.1 200 /);
    expect(await stored('big-headers')).toBe(true);
  });

  it("past node:http's own 16 KiB limit the answer is the same", async () => {
    const c = await connectRaw(Number(new URL(t.url).port));
    c.socket.write(`GET /${BUCKET}/x HTTP/1.1\r\nHost: x\r\nx-big: ${'x'.repeat(17_000)}\r\n\r\n`);
    await c.closedWithin(5000);
    expect(c.text()).toMatch(/^HTTP\/1\.1 400 /);
    expect(c.text()).toContain('<Code>RequestHeaderSectionTooLarge</Code>');
    expect(c.text()).toContain('<MaxSizeAllowed>8192</MaxSizeAllowed>');
  });
});
