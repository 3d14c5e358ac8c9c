/**
 * SSE-C (server-side encryption with customer-provided keys) through `stowage serve` over
 * https, driven by @aws-sdk/client-s3: the x-amz-server-side-encryption-customer-* headers
 * on PutObject, GetObject, HeadObject, GetObjectAttributes, CopyObject (with the
 * x-amz-copy-source-… key of its source), and every multipart step; S3's errors for a
 * missing, wrong or malformed key; and a bucket whose encryption configuration blocks SSE-C.
 */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketEncryptionCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificate, OPENSSL } from '../helpers/certificate.js';
import { bytesAtRest } from '../helpers/engine.js';
import { s3ErrorOf } from '../helpers/expect-error.js';
import { ensureDebianPackages } from '../helpers/peers.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const BUCKET = 'sse-c';
const KEY_A = randomBytes(32);
const KEY_B = randomBytes(32);
const md5 = (b: Buffer): string => createHash('md5').update(b).digest('base64');
const sseC = (key: Buffer) => ({
  SSECustomerAlgorithm: 'AES256',
  SSECustomerKey: key.toString('base64'),
});
const copySseC = (key: Buffer) => ({
  CopySourceSSECustomerAlgorithm: 'AES256',
  CopySourceSSECustomerKey: key.toString('base64'),
});

let t: TestServer;
let work: string;
let s3: S3Client;
let ca: Buffer;

beforeAll(async () => {
  ensureDebianPackages({ [OPENSSL]: 'openssl' });
  work = mkdtempSync(path.join(tmpdir(), 'stowage-ssec-'));
  const { cert, key } = makeCertificate(work, 'server');
  ca = readFileSync(cert);
  t = await startTestServer({
    server: { tls: { certFile: cert, keyFile: key } },
    httpsAgent: new https.Agent({ ca }),
  });
  s3 = t.client;
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
}, 120_000);

afterAll(async () => {
  await t?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Sets (or, with undefined, removes) raw request headers before the request is signed. */
function rawHeaders<C extends { middlewareStack: PutObjectCommand['middlewareStack'] }>(
  cmd: C,
  headers: Record<string, string | undefined>,
): C {
  cmd.middlewareStack.add(
    (next) => async (args) => {
      const req = args.request as { headers: Record<string, string> };
      for (const [name, value] of Object.entries(headers)) {
        for (const k of Object.keys(req.headers)) {
          if (k.toLowerCase() === name) delete req.headers[k];
        }
        if (value !== undefined) req.headers[name] = value;
      }
      return next(args);
    },
    { step: 'build', priority: 'low' },
  );
  return cmd;
}

async function text(body: unknown): Promise<string> {
  return (body as { transformToString(): Promise<string> }).transformToString();
}

describe('SSE-C objects', () => {
  const body = 'a secret sprite sheet\n'.repeat(5000);

  beforeAll(async () => {
    const put = await s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'obj', Body: body, ...sseC(KEY_A) }),
    );
    expect(put.SSECustomerAlgorithm).toBe('AES256');
    expect(put.SSECustomerKeyMD5).toBe(md5(KEY_A));
    expect(put.ServerSideEncryption).toBeUndefined();
  });

  it('GET and HEAD with the key answer the customer-key headers; ranges work', async () => {
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'obj', ...sseC(KEY_A) }));
    expect(await text(got.Body)).toBe(body);
    expect([got.SSECustomerAlgorithm, got.SSECustomerKeyMD5, got.ServerSideEncryption]).toEqual([
      'AES256',
      md5(KEY_A),
      undefined,
    ]);
    const ranged = await s3.send(
      new GetObjectCommand({
        Bucket: BUCKET,
        Key: 'obj',
        Range: 'bytes=70000-70099',
        ...sseC(KEY_A),
      }),
    );
    expect(await text(ranged.Body)).toBe(body.slice(70000, 70100));
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: 'obj', ...sseC(KEY_A) }),
    );
    expect([head.ContentLength, head.SSECustomerKeyMD5]).toEqual([body.length, md5(KEY_A)]);
    const attrs = await s3.send(
      new GetObjectAttributesCommand({
        Bucket: BUCKET,
        Key: 'obj',
        ObjectAttributes: ['ObjectSize'],
        ...sseC(KEY_A),
      }),
    );
    expect(attrs.ObjectSize).toBe(body.length);
  });

  it('the bytes and the key are nowhere at rest', () => {
    const rest = bytesAtRest(t.dataDir);
    expect(rest.includes(Buffer.from(body.slice(0, 2000)))).toBe(false);
    expect(rest.includes(KEY_A)).toBe(false);
    expect(rest.includes(Buffer.from(KEY_A.toString('base64')))).toBe(false);
  });

  it('without the key: 400 InvalidRequest (GET, HEAD, GetObjectAttributes); another key: 403', async () => {
    const e = await s3ErrorOf(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'obj' })));
    expect(e).toMatchObject({ name: 'InvalidRequest', status: 400 });
    expect(e.message).toMatch(/correct parameters must be provided/);
    const head = await s3ErrorOf(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'obj' })));
    expect(head.status).toBe(400);
    const attrs = await s3ErrorOf(
      s3.send(
        new GetObjectAttributesCommand({ Bucket: BUCKET, Key: 'obj', ObjectAttributes: ['ETag'] }),
      ),
    );
    expect(attrs).toMatchObject({ name: 'InvalidRequest', status: 400 });
    const wrong = await s3ErrorOf(
      s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'obj', ...sseC(KEY_B) })),
    );
    expect(wrong).toMatchObject({ name: 'AccessDenied', status: 403 });
  });

  it('a key sent for an object that is not SSE-C is InvalidRequest', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'plain', Body: 'p' }));
    const e = await s3ErrorOf(
      s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'plain', ...sseC(KEY_A) })),
    );
    expect(e).toMatchObject({ name: 'InvalidRequest', status: 400 });
    expect(e.message).toMatch(/not applicable/);
  });

  it('listings show the object without any key', async () => {
    const list = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'obj' }));
    expect(list.Contents?.map((o) => [o.Key, o.Size])).toEqual([['obj', body.length]]);
  });
});

describe('bad SSE-C headers are InvalidArgument naming the header, and store nothing', () => {
  const cases: Array<[string, Record<string, string | undefined>, RegExp]> = [
    [
      'an algorithm other than AES256',
      { 'x-amz-server-side-encryption-customer-algorithm': 'AES128' },
      /customer-algorithm/,
    ],
    [
      'no algorithm',
      { 'x-amz-server-side-encryption-customer-algorithm': undefined },
      /must provide a valid encryption algorithm.*customer-algorithm/,
    ],
    [
      'a key of 128 bits',
      {
        'x-amz-server-side-encryption-customer-key': randomBytes(16).toString('base64'),
      },
      /secret key was invalid.*customer-key\)/,
    ],
    [
      'a key that is not base64',
      { 'x-amz-server-side-encryption-customer-key': 'not base64 at all!' },
      /secret key was invalid/,
    ],
    [
      'no key',
      { 'x-amz-server-side-encryption-customer-key': undefined },
      /must provide an appropriate secret key/,
    ],
    [
      'an MD5 of another key',
      { 'x-amz-server-side-encryption-customer-key-md5': md5(KEY_B) },
      /calculated MD5 hash of the key did not match.*customer-key-md5/,
    ],
    [
      'no MD5',
      { 'x-amz-server-side-encryption-customer-key-md5': undefined },
      /client calculated MD5 of the secret key/,
    ],
    [
      'an unknown customer header',
      { 'x-amz-server-side-encryption-customer-key-sha': 'x' },
      /Unknown SSE-C header.*customer-key-sha/,
    ],
  ];
  it.each(cases)('%s', async (_, headers, message) => {
    const e = await s3ErrorOf(
      s3.send(
        rawHeaders(
          new PutObjectCommand({ Bucket: BUCKET, Key: 'bad', Body: 'x', ...sseC(KEY_A) }),
          headers,
        ),
      ),
    );
    expect(e).toMatchObject({ name: 'InvalidArgument', status: 400 });
    expect(e.message).toMatch(message);
    expect(e.message).not.toContain(KEY_A.toString('base64'));
    const head = await s3ErrorOf(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'bad' })));
    expect(head.status).toBe(404);
  });

  it('SSE-C with x-amz-server-side-encryption is InvalidArgument', async () => {
    const e = await s3ErrorOf(
      s3.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: 'bad',
          Body: 'x',
          ServerSideEncryption: 'AES256',
          ...sseC(KEY_A),
        }),
      ),
    );
    expect(e).toMatchObject({ name: 'InvalidArgument', status: 400 });
    expect(e.message).toMatch(/incompatible/);
  });
});

describe('CopyObject', () => {
  beforeAll(async () => {
    await s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'src', Body: 'copy me', ...sseC(KEY_A) }),
    );
  });

  it('opens the source with its key and seals the copy with another (or SSE-S3)', async () => {
    const c = await s3.send(
      new CopyObjectCommand({
        Bucket: BUCKET,
        Key: 'dst',
        CopySource: `${BUCKET}/src`,
        ...copySseC(KEY_A),
        ...sseC(KEY_B),
      }),
    );
    expect(c.SSECustomerKeyMD5).toBe(md5(KEY_B));
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'dst', ...sseC(KEY_B) }));
    expect(await text(got.Body)).toBe('copy me');
    const clear = await s3.send(
      new CopyObjectCommand({
        Bucket: BUCKET,
        Key: 'dst-s3',
        CopySource: `${BUCKET}/src`,
        ...copySseC(KEY_A),
      }),
    );
    expect(clear.ServerSideEncryption).toBe('AES256');
    const back = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'dst-s3' }));
    expect(await text(back.Body)).toBe('copy me');
  });

  it('without the source key: 400; with another: 403', async () => {
    const none = await s3ErrorOf(
      s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'x', CopySource: `${BUCKET}/src` })),
    );
    expect(none).toMatchObject({ name: 'InvalidRequest', status: 400 });
    const other = await s3ErrorOf(
      s3.send(
        new CopyObjectCommand({
          Bucket: BUCKET,
          Key: 'x',
          CopySource: `${BUCKET}/src`,
          ...copySseC(KEY_B),
        }),
      ),
    );
    expect(other).toMatchObject({ name: 'AccessDenied', status: 403 });
  });
});

describe('multipart uploads', () => {
  const part1 = Buffer.alloc(5 * 1024 * 1024, 'a');

  it('each part carries the upload key; Complete needs none; GET of a part needs it', async () => {
    const up = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'mp', ...sseC(KEY_A) }),
    );
    expect(up.SSECustomerKeyMD5).toBe(md5(KEY_A));
    const id = up.UploadId!;
    /** Part 1 of the upload, with the SSE-C headers of `key` (none without). */
    const part = (key?: Buffer) =>
      s3.send(
        new UploadPartCommand({
          Bucket: BUCKET,
          Key: 'mp',
          UploadId: id,
          PartNumber: 1,
          Body: part1,
          ...(key ? sseC(key) : {}),
        }),
      );
    const none = await s3ErrorOf(part());
    expect(none).toMatchObject({ name: 'InvalidRequest', status: 400 });
    const other = await s3ErrorOf(part(KEY_B));
    expect(other).toMatchObject({ name: 'InvalidArgument', status: 400 });
    const p1 = await part(KEY_A);
    expect(p1.SSECustomerKeyMD5).toBe(md5(KEY_A));
    const p2 = await s3.send(
      new UploadPartCopyCommand({
        Bucket: BUCKET,
        Key: 'mp',
        UploadId: id,
        PartNumber: 2,
        CopySource: `${BUCKET}/src`,
        ...copySseC(KEY_A),
        ...sseC(KEY_A),
      }),
    );
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: 'mp',
        UploadId: id,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: p1.ETag },
            { PartNumber: 2, ETag: p2.CopyPartResult!.ETag },
          ],
        },
      }),
    );
    expect(done.ServerSideEncryption).toBeUndefined();
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'mp', ...sseC(KEY_A) }));
    const bytes = Buffer.from(await got.Body!.transformToByteArray());
    expect(bytes.equals(Buffer.concat([part1, Buffer.from('copy me')]))).toBe(true);
    const second = await s3.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'mp', PartNumber: 2, ...sseC(KEY_A) }),
    );
    expect(await text(second.Body)).toBe('copy me');
    const bare = await s3ErrorOf(
      s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'mp', PartNumber: 2 })),
    );
    expect(bare.status).toBe(400);
  });
});

describe("a bucket's encryption configuration can block SSE-C", () => {
  const configure = (blocked: string): Promise<unknown> =>
    s3.send(
      new PutBucketEncryptionCommand({
        Bucket: 'blocking',
        ServerSideEncryptionConfiguration: {
          Rules: [
            {
              ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' },
              BlockedEncryptionTypes: { EncryptionType: [blocked as 'SSE-C'] },
            },
          ],
        },
      }),
    );

  it('writes asking for SSE-C are 403; existing SSE-C objects still read; NONE unblocks', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'blocking' }));
    await s3.send(
      new PutObjectCommand({ Bucket: 'blocking', Key: 'old', Body: 'old', ...sseC(KEY_A) }),
    );
    await configure('SSE-C');
    const put = await s3ErrorOf(
      s3.send(new PutObjectCommand({ Bucket: 'blocking', Key: 'new', Body: 'n', ...sseC(KEY_A) })),
    );
    expect(put).toMatchObject({ name: 'AccessDenied', status: 403 });
    expect(put.message).toMatch(/BlockedEncryptionTypes/);
    const mpu = await s3ErrorOf(
      s3.send(new CreateMultipartUploadCommand({ Bucket: 'blocking', Key: 'new', ...sseC(KEY_A) })),
    );
    expect(mpu.status).toBe(403);
    const copy = await s3ErrorOf(
      s3.send(
        new CopyObjectCommand({
          Bucket: 'blocking',
          Key: 'new',
          CopySource: 'blocking/old',
          ...copySseC(KEY_A),
          ...sseC(KEY_A),
        }),
      ),
    );
    expect(copy.status).toBe(403);
    const old = await s3.send(
      new GetObjectCommand({ Bucket: 'blocking', Key: 'old', ...sseC(KEY_A) }),
    );
    expect(await text(old.Body)).toBe('old');
    // Copying the old object out of SSE-C is not an SSE-C write.
    await s3.send(
      new CopyObjectCommand({
        Bucket: 'blocking',
        Key: 'out',
        CopySource: 'blocking/old',
        ...copySseC(KEY_A),
      }),
    );
    await configure('NONE');
    await s3.send(
      new PutObjectCommand({ Bucket: 'blocking', Key: 'new', Body: 'n', ...sseC(KEY_A) }),
    );
  });

  it('an EncryptionType other than SSE-C or NONE is MalformedXML', async () => {
    const e = await s3ErrorOf(configure('SSE-KMS'));
    expect(e).toMatchObject({ name: 'MalformedXML', status: 400 });
    expect(e.message).toMatch(/EncryptionType.*NONE, SSE-C/);
  });
});

describe('presigned URLs', () => {
  it('a presigned GET of an SSE-C object works when the key headers come with it (they are signed), and not without', async () => {
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'shared',
        Body: 'presigned secret',
        ...sseC(KEY_A),
      }),
    );
    const url = await getSignedUrl(
      s3,
      new GetObjectCommand({ Bucket: BUCKET, Key: 'shared', ...sseC(KEY_A) }),
      {
        expiresIn: 300,
      },
    );
    const headers = {
      'x-amz-server-side-encryption-customer-algorithm': 'AES256',
      'x-amz-server-side-encryption-customer-key': KEY_A.toString('base64'),
      'x-amz-server-side-encryption-customer-key-md5': md5(KEY_A),
    };
    const get = (h: Record<string, string>): Promise<{ status: number; body: string }> =>
      new Promise((resolve, reject) => {
        https
          .get(url, { headers: h, ca }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
            );
          })
          .on('error', reject);
      });
    expect(await get(headers)).toEqual({ status: 200, body: 'presigned secret' });
    // The presigner signs the key headers: a request without them fails the signature.
    const bare = await get({});
    expect([bare.status, bare.body]).toEqual([
      403,
      expect.stringContaining('SignatureDoesNotMatch'),
    ]);
  });
});
