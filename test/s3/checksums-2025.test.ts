/**
 * The checksum algorithms S3 added in 2025 (SHA512, MD5, XXHASH64, XXHASH3, XXHASH128),
 * driven by the AWS SDK for JavaScript: values in headers, trailing checksums of aws-chunked
 * bodies (the SDK computes them with implementations handed to the client, as its
 * documentation says to for these algorithms), responses the SDK validates, and COMPOSITE
 * multipart uploads.
 */
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type ChecksumAlgorithm,
} from '@aws-sdk/client-s3';
import { Xxh3_128, Xxh3_64, Xxh64 } from '@aws-sdk/checksums/xxh';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3ErrorOf } from '../helpers/expect-error.js';
import { prng, randomBytes } from '../helpers/random.js';
import { TEST_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { signedFetch } from '../helpers/signed-fetch.js';
import { unsignedTrailerRequest } from '../helpers/sign-chunked.js';

const BUCKET = 'checksums-2025';
const NEW_ALGORITHMS = ['SHA512', 'MD5', 'XXHASH64', 'XXHASH3', 'XXHASH128'] as const;
type NewAlgorithm = (typeof NEW_ALGORITHMS)[number];

/** The SDK's checksum interface, for the algorithms its client does not compute itself. */
class NodeHash {
  private readonly hash;
  constructor(name: string) {
    this.hash = createHash(name);
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(this.hash.digest());
  }
  reset(): void {
    throw new Error('not used');
  }
}

const SDK_IMPLEMENTATIONS = {
  SHA512: class extends NodeHash {
    constructor() {
      super('sha512');
    }
  },
  MD5: class extends NodeHash {
    constructor() {
      super('md5');
    }
  },
  XXHASH64: Xxh64,
  XXHASH3: Xxh3_64,
  XXHASH128: Xxh3_128,
};

/** The base64 checksum of `data` as the SDK computes it (the reference, not the server's code). */
async function sdkChecksum(alg: NewAlgorithm, data: Uint8Array): Promise<string> {
  const h = new SDK_IMPLEMENTATIONS[alg]();
  h.update(data);
  return Buffer.from(await h.digest()).toString('base64');
}

/** The Checksum<ALG> member of an SDK output (ChecksumSHA512, ChecksumXXHASH3…). */
function member(output: object, alg: NewAlgorithm): string | undefined {
  return (output as Record<string, string | undefined>)[`Checksum${alg}`];
}

let t: TestServer;
/** An SDK client that can compute and validate every new algorithm. */
let sdk: S3Client;

beforeAll(async () => {
  t = await startTestServer();
  sdk = new S3Client({
    endpoint: t.url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: TEST_KEY,
    checksumAlgorithms: SDK_IMPLEMENTATIONS,
  });
  await t.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(async () => {
  sdk.destroy();
  await t.close();
});

async function exists(key: string): Promise<boolean> {
  const res = await signedFetch(t, 'HEAD', `/${BUCKET}/${key}`);
  return res.status === 200;
}

/** An unsigned-trailer aws-chunked PUT of `data` whose trailer is `name: value`. */
function putWithTrailer(key: string, data: Buffer, name: string, value: string): Promise<Response> {
  return signedFetch(
    t,
    'PUT',
    `/${BUCKET}/${key}`,
    unsignedTrailerRequest(data, name, [`${name}:${value}`]),
  );
}

describe.each(NEW_ALGORITHMS)('%s', (alg) => {
  const header = `x-amz-checksum-${alg.toLowerCase()}`;
  const body = Buffer.from(randomBytes(prng(alg.length), 70_000));

  it('is checked and kept when sent as a header, and given back on request', async () => {
    const value = await sdkChecksum(alg, body);
    const put = await signedFetch(t, 'PUT', `/${BUCKET}/header-${alg}`, {
      body,
      headers: { [header]: value },
    });
    expect(put.status).toBe(200);
    expect(put.headers.get(header)).toBe(value);

    const head = await signedFetch(t, 'HEAD', `/${BUCKET}/header-${alg}`, {
      headers: { 'x-amz-checksum-mode': 'ENABLED' },
    });
    expect(head.headers.get(header)).toBe(value);
    const attrs = await t.client.send(
      new GetObjectAttributesCommand({
        Bucket: BUCKET,
        Key: `header-${alg}`,
        ObjectAttributes: ['Checksum'],
      }),
    );
    expect(attrs.Checksum && member(attrs.Checksum, alg)).toBe(value);
    expect(attrs.Checksum?.ChecksumType).toBe('FULL_OBJECT');
    const listed = await t.client.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `header-${alg}` }),
    );
    expect(listed.Contents?.map((o) => [o.ChecksumAlgorithm, o.ChecksumType])).toEqual([
      [[alg], 'FULL_OBJECT'],
    ]);
  });

  it('refuses a wrong value with BadDigest and stores nothing', async () => {
    const wrong = await sdkChecksum(alg, Buffer.from('other bytes'));
    const put = await signedFetch(t, 'PUT', `/${BUCKET}/wrong-${alg}`, {
      body,
      headers: { [header]: wrong },
    });
    expect(put.status).toBe(400);
    expect(await put.text()).toContain('<Code>BadDigest</Code>');
    expect(await exists(`wrong-${alg}`)).toBe(false);
  });

  it('refuses a value that is not a digest of its length with InvalidRequest', async () => {
    const put = await signedFetch(t, 'PUT', `/${BUCKET}/short-${alg}`, {
      body,
      headers: { [header]: 'AAAAAA==' },
    });
    expect(put.status).toBe(400);
    const text = await put.text();
    expect(text).toContain('<Code>InvalidRequest</Code>');
    expect(text).toContain(header);
    expect(await exists(`short-${alg}`)).toBe(false);
  });

  it('is checked and kept when sent as a trailer of an aws-chunked body', async () => {
    const value = await sdkChecksum(alg, body);
    const put = await putWithTrailer(`trailer-${alg}`, body, header, value);
    expect(put.status).toBe(200);
    expect(put.headers.get(header)).toBe(value);
    const head = await signedFetch(t, 'HEAD', `/${BUCKET}/trailer-${alg}`, {
      headers: { 'x-amz-checksum-mode': 'ENABLED' },
    });
    expect(head.headers.get(header)).toBe(value);

    const wrong = await sdkChecksum(alg, Buffer.from('other bytes'));
    const bad = await putWithTrailer(`bad-trailer-${alg}`, body, header, wrong);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('<Code>BadDigest</Code>');
    expect(await exists(`bad-trailer-${alg}`)).toBe(false);
  });

  it('makes a COMPOSITE multipart checksum the SDK and GetObjectAttributes agree on', async () => {
    const key = `mpu-${alg}`;
    const parts = [randomBytes(prng(1), 5 * 1024 * 1024), randomBytes(prng(2), 1234)];
    const { UploadId, ChecksumType } = await sdk.send(
      new CreateMultipartUploadCommand({
        Bucket: BUCKET,
        Key: key,
        ChecksumAlgorithm: alg as ChecksumAlgorithm,
      }),
    );
    expect(ChecksumType).toBe('COMPOSITE');
    const done = [];
    for (const [i, part] of parts.entries()) {
      const up = await sdk.send(
        new UploadPartCommand({
          Bucket: BUCKET,
          Key: key,
          UploadId,
          PartNumber: i + 1,
          Body: part,
          ChecksumAlgorithm: alg as ChecksumAlgorithm,
        }),
      );
      expect(member(up, alg)).toBe(await sdkChecksum(alg, part));
      done.push({ PartNumber: i + 1, ETag: up.ETag, [`Checksum${alg}`]: member(up, alg) });
    }
    const listed = await sdk.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId }));
    expect(listed.ChecksumAlgorithm).toBe(alg);
    expect(listed.Parts?.map((p) => member(p, alg))).toEqual(done.map((p) => p[`Checksum${alg}`]));

    const completed = await sdk.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: key,
        UploadId,
        MultipartUpload: { Parts: done },
      }),
    );
    // S3's composite: the algorithm over the parts' raw digests, then -<parts>.
    const raw = Buffer.concat(
      await Promise.all(parts.map(async (p) => Buffer.from(await sdkChecksum(alg, p), 'base64'))),
    );
    const composite = `${await sdkChecksum(alg, raw)}-2`;
    expect(member(completed, alg)).toBe(composite);
    expect(completed.ChecksumType).toBe('COMPOSITE');

    const attrs = await sdk.send(
      new GetObjectAttributesCommand({
        Bucket: BUCKET,
        Key: key,
        ObjectAttributes: ['Checksum', 'ObjectParts'],
      }),
    );
    expect(attrs.Checksum && member(attrs.Checksum, alg)).toBe(composite.replace(/-2$/, ''));
    expect(attrs.ObjectParts?.Parts?.map((p) => member(p, alg))).toEqual(
      done.map((p) => p[`Checksum${alg}`]),
    );
  });

  it('cannot be a FULL_OBJECT multipart checksum (CRCs only)', async () => {
    const err = await s3ErrorOf(
      t.client.send(
        new CreateMultipartUploadCommand({
          Bucket: BUCKET,
          Key: `full-${alg}`,
          ChecksumAlgorithm: alg as ChecksumAlgorithm,
          ChecksumType: 'FULL_OBJECT',
        }),
      ),
    );
    expect(err).toMatchObject({ name: 'InvalidRequest', status: 400 });
  });
});

// The SDK sends an MD5 of a stream as a `content-md5` trailer, which S3 refuses
// (test/s3/request-errors.test.ts); the other four it streams as x-amz-checksum-*.
describe.each(['SHA512', 'XXHASH64', 'XXHASH3', 'XXHASH128'] as const)('%s from the SDK', (alg) => {
  const body = Buffer.from(randomBytes(prng(7), 70_000));

  it('is the trailing checksum of a streamed body, and the SDK validates the GET', async () => {
    const put = await sdk.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: `sdk-${alg}`,
        Body: Readable.from([body.subarray(0, 30_000), body.subarray(30_000)]),
        ContentLength: body.length,
        ChecksumAlgorithm: alg,
      }),
    );
    const expected = await sdkChecksum(alg, body);
    expect(member(put, alg)).toBe(expected);

    const got = await sdk.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: `sdk-${alg}`, ChecksumMode: 'ENABLED' }),
    );
    expect(member(got, alg)).toBe(expected);
    // The SDK checks the body against the header while it is read.
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
    const head = await sdk.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: `sdk-${alg}`, ChecksumMode: 'ENABLED' }),
    );
    expect([member(head, alg), head.ChecksumType]).toEqual([expected, 'FULL_OBJECT']);
  });

  it('is refused when the trailer declared is of another algorithm, storing nothing', async () => {
    const cmd = new PutObjectCommand({
      Bucket: BUCKET,
      Key: `sdk-other-${alg}`,
      Body: Readable.from([body]),
      ContentLength: body.length,
      ChecksumAlgorithm: alg,
    });
    type Next = (args: { request: unknown }) => Promise<unknown>;
    (
      cmd.middlewareStack as unknown as {
        addRelativeTo(mw: (next: Next) => Next, options: object): void;
      }
    ).addRelativeTo(
      (next) => async (args) => {
        const req = args.request as { headers: Record<string, string> };
        expect(req.headers['x-amz-trailer']).toBe(`x-amz-checksum-${alg.toLowerCase()}`);
        req.headers['x-amz-trailer'] =
          alg === 'SHA512' ? 'x-amz-checksum-md5' : 'x-amz-checksum-sha512';
        return next(args);
      },
      { relation: 'before', toMiddleware: 'httpSigningMiddleware' },
    );
    const err = await s3ErrorOf(sdk.send(cmd));
    expect(err.status).toBe(400);
    expect(await exists(`sdk-other-${alg}`)).toBe(false);
  });
});

describe('a client that cannot compute the algorithm', () => {
  it('still reads the object; the checksum is sent only in checksum mode', async () => {
    const body = Buffer.from('stored with XXHASH64');
    await sdk.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'plain-read',
        Body: body,
        ChecksumAlgorithm: 'XXHASH64',
      }),
    );
    // The default JavaScript SDK asks for checksums (x-amz-checksum-mode) on every GET and
    // then throws for an XXHASH it has no implementation of, as it does against S3;
    // a client that does not ask reads the object as any other.
    const plain = new S3Client({
      endpoint: t.url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: TEST_KEY,
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    try {
      const got = await plain.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'plain-read' }));
      expect(got.ChecksumXXHASH64).toBeUndefined();
      expect(await got.Body!.transformToString()).toBe('stored with XXHASH64');
    } finally {
      plain.destroy();
    }
    const asked = await signedFetch(t, 'GET', `/${BUCKET}/plain-read`, {
      headers: { 'x-amz-checksum-mode': 'ENABLED' },
    });
    expect(asked.headers.get('x-amz-checksum-xxhash64')).toBe(await sdkChecksum('XXHASH64', body));
    expect(await asked.text()).toBe('stored with XXHASH64');
  });
});

describe('aws-chunked in Content-Encoding', () => {
  const body = Buffer.from('chunked bytes');
  const sha = createHash('sha256').update(body).digest('base64');

  it('is how the body was sent, not the object: removed in any case (RFC 9110 §8.4.1)', async () => {
    for (const [sent, kept] of [
      ['aws-chunked', null],
      ['AWS-CHUNKED', null],
      ['Aws-Chunked', null],
      ['gzip,AWS-CHUNKED', 'gzip'],
      ['gzip, aws-chunked', 'gzip'],
    ] as const) {
      const request = unsignedTrailerRequest(body, 'x-amz-checksum-sha256', [
        `x-amz-checksum-sha256:${sha}`,
      ]);
      request.headers['content-encoding'] = sent;
      const put = await signedFetch(t, 'PUT', `/${BUCKET}/encoding`, request);
      expect([sent, put.status]).toEqual([sent, 200]);
      // HEAD: fetch() would try to gunzip a GET's body that says gzip.
      const head = await signedFetch(t, 'HEAD', `/${BUCKET}/encoding`);
      expect([sent, head.headers.get('content-encoding')]).toEqual([sent, kept]);
      expect(head.headers.get('content-length')).toBe(String(body.length));
    }
  });

  it('any other Content-Encoding is kept as sent', async () => {
    const put = await signedFetch(t, 'PUT', `/${BUCKET}/encoding-plain`, {
      body,
      headers: { 'content-encoding': 'gzip,br' },
    });
    expect(put.status).toBe(200);
    const head = await signedFetch(t, 'HEAD', `/${BUCKET}/encoding-plain`);
    expect(head.headers.get('content-encoding')).toBe('gzip,br');
  });
});
