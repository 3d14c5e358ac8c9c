import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  ListPartsCommand,
  PutBucketVersioningCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  RestoreObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicReadPolicy } from '../fixtures/seed-policies.js';
import { patternBytes } from '../helpers/engine.js';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';
import { s3ErrorOf } from '../helpers/expect-error.js';
import { signedFetch } from '../helpers/signed-fetch.js';

let t: TestServer;
let s3: S3Client;

beforeAll(async () => {
  t = await startTestServer({ engine: { minPartSizeBytes: 5 * 1024 * 1024 } });
  s3 = t.client;
});
afterAll(async () => t.close());

/** Code and status only: what these tests compare. */
async function s3Error(p: Promise<unknown>): Promise<{ name: string; status?: number }> {
  const { name, status } = await s3ErrorOf(p);
  return { name, status };
}

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

describe('buckets through @aws-sdk/client-s3', () => {
  it('creates, lists, heads, locates and deletes', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'sdk-one' }));
    await s3.send(
      new CreateBucketCommand({
        Bucket: 'sdk-eu',
        CreateBucketConfiguration: { LocationConstraint: 'eu-central-1' },
      }),
    );
    const list = await s3.send(new ListBucketsCommand({}));
    expect(list.Buckets?.map((b) => b.Name)).toEqual(expect.arrayContaining(['sdk-one', 'sdk-eu']));
    await s3.send(new HeadBucketCommand({ Bucket: 'sdk-one' }));
    expect(
      (await s3.send(new GetBucketLocationCommand({ Bucket: 'sdk-eu' }))).LocationConstraint,
    ).toBe('eu-central-1');
    expect(await s3Error(s3.send(new CreateBucketCommand({ Bucket: 'sdk-one' })))).toEqual({
      name: 'BucketAlreadyOwnedByYou',
      status: 409,
    });
    expect(await s3Error(s3.send(new CreateBucketCommand({ Bucket: 'Bad_Name' })))).toEqual({
      name: 'InvalidBucketName',
      status: 400,
    });
    expect(await s3Error(s3.send(new HeadBucketCommand({ Bucket: 'nope-nope' })))).toMatchObject({
      status: 404,
    });
    await s3.send(new DeleteBucketCommand({ Bucket: 'sdk-eu' }));
  });
});

describe('objects through @aws-sdk/client-s3', () => {
  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'sdk-obj' }));
  });

  it('puts a buffer and a stream (aws-chunked with trailing CRC32) and reads them back', async () => {
    const body = patternBytes(200_000, 1);
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: 'sdk-obj',
        Key: 'dir/a b+c.bin',
        Body: body,
        ContentType: 'application/x-test',
        Metadata: { team: 'art' },
      }),
    );
    expect(put.ETag).toBe(`"${md5(body)}"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'sdk-obj', Key: 'dir/a b+c.bin' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
    expect(got.ContentType).toBe('application/x-test');
    expect(got.Metadata).toEqual({ team: 'art' });
    const streamed = patternBytes(3_000_000, 2);
    await s3.send(
      new PutObjectCommand({
        Bucket: 'sdk-obj',
        Key: 'streamed',
        Body: Readable.from([streamed.subarray(0, 1_000_000), streamed.subarray(1_000_000)]),
        ContentLength: streamed.length,
      }),
    );
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: 'sdk-obj', Key: 'streamed', ChecksumMode: 'ENABLED' }),
    );
    expect(head.ContentLength).toBe(streamed.length);
    expect(head.ETag).toBe(`"${md5(streamed)}"`);
  });

  it('serves ranges and conditional requests', async () => {
    const body = patternBytes(1000, 3);
    await s3.send(new PutObjectCommand({ Bucket: 'sdk-obj', Key: 'ranged', Body: body }));
    const part = await s3.send(
      new GetObjectCommand({ Bucket: 'sdk-obj', Key: 'ranged', Range: 'bytes=10-19' }),
    );
    expect(part.ContentRange).toBe('bytes 10-19/1000');
    expect(Buffer.from(await part.Body!.transformToByteArray()).equals(body.subarray(10, 20))).toBe(
      true,
    );
    expect(
      await s3Error(
        s3.send(new GetObjectCommand({ Bucket: 'sdk-obj', Key: 'ranged', Range: 'bytes=5000-' })),
      ),
    ).toEqual({ name: 'InvalidRange', status: 416 });
    expect(
      await s3Error(
        s3.send(new GetObjectCommand({ Bucket: 'sdk-obj', Key: 'ranged', IfMatch: '"nope"' })),
      ),
    ).toEqual({ name: 'PreconditionFailed', status: 412 });
    expect(
      await s3Error(
        s3.send(
          new GetObjectCommand({ Bucket: 'sdk-obj', Key: 'ranged', IfNoneMatch: `"${md5(body)}"` }),
        ),
      ),
    ).toMatchObject({ status: 304 });
  });

  it('reports S3 error codes', async () => {
    expect(
      await s3Error(s3.send(new GetObjectCommand({ Bucket: 'sdk-obj', Key: 'missing' }))),
    ).toEqual({ name: 'NoSuchKey', status: 404 });
    expect(
      await s3Error(s3.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'x' }))),
    ).toEqual({ name: 'NoSuchBucket', status: 404 });
    expect(
      await s3Error(
        s3.send(new PutObjectCommand({ Bucket: 'sdk-obj', Key: 'k'.repeat(1025), Body: 'x' })),
      ),
    ).toEqual({ name: 'KeyTooLongError', status: 400 });
  });

  it('lists with V1, V2, delimiters and pages', async () => {
    for (const k of ['l/a/1', 'l/a/2', 'l/b', 'l/c'])
      await s3.send(new PutObjectCommand({ Bucket: 'sdk-obj', Key: k, Body: k }));
    const v2 = await s3.send(
      new ListObjectsV2Command({ Bucket: 'sdk-obj', Prefix: 'l/', Delimiter: '/' }),
    );
    expect(v2.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['l/a/']);
    expect(v2.Contents?.map((c) => c.Key)).toEqual(['l/b', 'l/c']);
    expect(v2.KeyCount).toBe(3);
    const p1 = await s3.send(
      new ListObjectsV2Command({ Bucket: 'sdk-obj', Prefix: 'l/', MaxKeys: 2 }),
    );
    expect(p1.IsTruncated).toBe(true);
    const p2 = await s3.send(
      new ListObjectsV2Command({
        Bucket: 'sdk-obj',
        Prefix: 'l/',
        MaxKeys: 2,
        ContinuationToken: p1.NextContinuationToken,
      }),
    );
    expect([...p1.Contents!, ...p2.Contents!].map((c) => c.Key)).toEqual([
      'l/a/1',
      'l/a/2',
      'l/b',
      'l/c',
    ]);
    const v1 = await s3.send(
      new ListObjectsCommand({ Bucket: 'sdk-obj', Prefix: 'l/', Delimiter: '/', MaxKeys: 1 }),
    );
    expect(v1.NextMarker).toBe('l/a/');
  });

  it('copies, tags, batch-deletes', async () => {
    await s3.send(
      new PutObjectCommand({ Bucket: 'sdk-obj', Key: 'src', Body: 'copy me', Tagging: 'a=1&b=2' }),
    );
    const copy = await s3.send(
      new CopyObjectCommand({
        Bucket: 'sdk-obj',
        Key: 'dst',
        CopySource: 'sdk-obj/src',
        MetadataDirective: 'REPLACE',
        ContentType: 'text/plain',
      }),
    );
    expect(copy.CopyObjectResult?.ETag).toBe(`"${md5(Buffer.from('copy me'))}"`);
    expect(
      (await s3.send(new HeadObjectCommand({ Bucket: 'sdk-obj', Key: 'dst' }))).ContentType,
    ).toBe('text/plain');
    const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: 'sdk-obj', Key: 'dst' }));
    expect(tags.TagSet).toEqual([
      { Key: 'a', Value: '1' },
      { Key: 'b', Value: '2' },
    ]);
    await s3.send(
      new PutObjectTaggingCommand({
        Bucket: 'sdk-obj',
        Key: 'dst',
        Tagging: { TagSet: [{ Key: 'tier', Value: 'hot' }] },
      }),
    );
    expect(
      (await s3.send(new GetObjectTaggingCommand({ Bucket: 'sdk-obj', Key: 'dst' }))).TagSet,
    ).toEqual([{ Key: 'tier', Value: 'hot' }]);
    const del = await s3.send(
      new DeleteObjectsCommand({
        Bucket: 'sdk-obj',
        Delete: { Objects: [{ Key: 'src' }, { Key: 'dst' }] },
      }),
    );
    expect(del.Deleted?.map((d) => d.Key).sort()).toEqual(['dst', 'src']);
  });

  it('versioning: ids, delete markers, list versions', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'sdk-ver' }));
    await s3.send(
      new PutBucketVersioningCommand({
        Bucket: 'sdk-ver',
        VersioningConfiguration: { Status: 'Enabled' },
      }),
    );
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: 'sdk-ver' }))).Status).toBe(
      'Enabled',
    );
    const a = await s3.send(new PutObjectCommand({ Bucket: 'sdk-ver', Key: 'k', Body: 'one' }));
    await s3.send(new PutObjectCommand({ Bucket: 'sdk-ver', Key: 'k', Body: 'two' }));
    const d = await s3.send(new DeleteObjectCommand({ Bucket: 'sdk-ver', Key: 'k' }));
    expect(d.DeleteMarker).toBe(true);
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: 'sdk-ver' }));
    expect(versions.Versions).toHaveLength(2);
    expect(versions.DeleteMarkers).toHaveLength(1);
    const old = await s3.send(
      new GetObjectCommand({ Bucket: 'sdk-ver', Key: 'k', VersionId: a.VersionId }),
    );
    expect(await old.Body!.transformToString()).toBe('one');
  });

  it('multipart: create, upload, list, complete, abort', async () => {
    const parts = [patternBytes(5 * 1024 * 1024, 4), patternBytes(123, 5)];
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: 'sdk-obj', Key: 'mpu' }),
    );
    const etags: string[] = [];
    for (const [i, p] of parts.entries()) {
      etags.push(
        (
          await s3.send(
            new UploadPartCommand({
              Bucket: 'sdk-obj',
              Key: 'mpu',
              UploadId,
              PartNumber: i + 1,
              Body: p,
            }),
          )
        ).ETag!,
      );
    }
    expect(
      (await s3.send(new ListPartsCommand({ Bucket: 'sdk-obj', Key: 'mpu', UploadId }))).Parts,
    ).toHaveLength(2);
    expect(
      (await s3.send(new ListMultipartUploadsCommand({ Bucket: 'sdk-obj' }))).Uploads?.map(
        (u) => u.UploadId,
      ),
    ).toContain(UploadId);
    // Refused part lists name the upload (and InvalidPart the part), as S3's errors do.
    const refusal = (Parts: Array<{ ETag: string; PartNumber: number }>): Promise<unknown> =>
      s3
        .send(
          new CompleteMultipartUploadCommand({
            Bucket: 'sdk-obj',
            Key: 'mpu',
            UploadId,
            MultipartUpload: { Parts },
          }),
        )
        .then(
          () => 'completed',
          (e: { name: string; UploadId?: string; PartNumber?: string; ETag?: string }) => ({
            name: e.name,
            UploadId: e.UploadId,
            PartNumber: e.PartNumber,
            ETag: e.ETag,
          }),
        );
    expect(
      await refusal([
        { ETag: etags[1]!, PartNumber: 2 },
        { ETag: etags[0]!, PartNumber: 1 },
      ]),
    ).toEqual({ name: 'InvalidPartOrder', UploadId, PartNumber: undefined, ETag: undefined });
    expect(await refusal([{ ETag: '"0123abcd"', PartNumber: 1 }])).toEqual({
      name: 'InvalidPart',
      UploadId,
      PartNumber: '1',
      ETag: '"0123abcd"',
    });
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'sdk-obj',
        Key: 'mpu',
        UploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }),
    );
    expect(done.ETag).toMatch(/-2"$/);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'sdk-obj', Key: 'mpu' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat(parts))).toBe(
      true,
    );
    const second = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: 'sdk-obj', Key: 'mpu2' }),
    );
    await s3.send(
      new AbortMultipartUploadCommand({
        Bucket: 'sdk-obj',
        Key: 'mpu2',
        UploadId: second.UploadId,
      }),
    );
    expect(
      await s3Error(
        s3.send(
          new ListPartsCommand({ Bucket: 'sdk-obj', Key: 'mpu2', UploadId: second.UploadId }),
        ),
      ),
    ).toEqual({ name: 'NoSuchUpload', status: 404 });
  });

  it('GLACIER objects need a restore', async () => {
    await s3.send(
      new PutObjectCommand({
        Bucket: 'sdk-obj',
        Key: 'cold',
        Body: 'ice',
        StorageClass: 'GLACIER',
      }),
    );
    const refused = await s3.send(new GetObjectCommand({ Bucket: 'sdk-obj', Key: 'cold' })).then(
      () => undefined,
      (e: unknown) => e as { name: string; StorageClass?: string },
    );
    // The error names the object's storage class, as S3's does (the SDK's field).
    expect([refused?.name, refused?.StorageClass]).toEqual(['InvalidObjectState', 'GLACIER']);
    const wrongClass = await s3
      .send(
        new PutObjectCommand({
          Bucket: 'sdk-obj',
          Key: 'x',
          Body: 'x',
          StorageClass: 'OUTPOSTS',
        }),
      )
      .then(
        () => undefined,
        (e: unknown) => e as { name: string; StorageClassRequested?: string },
      );
    expect([wrongClass?.name, wrongClass?.StorageClassRequested]).toEqual([
      'InvalidStorageClass',
      'OUTPOSTS',
    ]);
    const r = await s3.send(
      new RestoreObjectCommand({
        Bucket: 'sdk-obj',
        Key: 'cold',
        RestoreRequest: { Days: 1, GlacierJobParameters: { Tier: 'Expedited' } },
      }),
    );
    expect(r.$metadata.httpStatusCode).toBe(202);
    expect((await s3.send(new HeadObjectCommand({ Bucket: 'sdk-obj', Key: 'cold' }))).Restore).toBe(
      'ongoing-request="true"',
    );
    // Listings write RestoreStatus only when x-amz-optional-object-attributes asks for it.
    const plain = await s3.send(new ListObjectsV2Command({ Bucket: 'sdk-obj', Prefix: 'cold' }));
    expect(plain.Contents?.[0]).toMatchObject({ Key: 'cold', StorageClass: 'GLACIER' });
    expect(plain.Contents?.[0]?.RestoreStatus).toBeUndefined();
    const asked = await s3.send(
      new ListObjectsV2Command({
        Bucket: 'sdk-obj',
        Prefix: 'cold',
        OptionalObjectAttributes: ['RestoreStatus'],
      }),
    );
    expect(asked.Contents?.[0]?.RestoreStatus).toEqual({ IsRestoreInProgress: true });
    const versions = await s3.send(
      new ListObjectVersionsCommand({
        Bucket: 'sdk-obj',
        Prefix: 'cold',
        OptionalObjectAttributes: ['RestoreStatus'],
      }),
    );
    expect(versions.Versions?.[0]?.RestoreStatus).toEqual({ IsRestoreInProgress: true });
    for (const path of ['/sdk-obj?list-type=2', '/sdk-obj', '/sdk-obj?versions']) {
      const res = await signedFetch(t, 'GET', path, {
        headers: { 'x-amz-optional-object-attributes': 'Owner' },
      });
      const text = await res.text();
      expect([path, res.status]).toEqual([path, 400]);
      expect(text).toContain('<ArgumentName>x-amz-optional-object-attributes</ArgumentName>');
    }
  });

  it('refuses a restore request it cannot read whole, and Days past the year 9999', async () => {
    await s3.send(
      new PutObjectCommand({ Bucket: 'sdk-obj', Key: 'cold2', Body: 'x', StorageClass: 'GLACIER' }),
    );
    const restore = (inner: string) =>
      signedFetch(t, 'POST', '/sdk-obj/cold2?restore', {
        body: `<RestoreRequest>${inner}</RestoreRequest>`,
        contentMd5: true,
      });
    const cases: Array<[string, number, string, RegExp]> = [
      ['<Days>0x10</Days>', 400, 'InvalidArgument', /whole number/],
      ['<Days>1e1</Days>', 400, 'InvalidArgument', /whole number/],
      ['<Days>+2</Days>', 400, 'InvalidArgument', /whole number/],
      ['<Days>99999999</Days>', 400, 'InvalidArgument', /past the year 9999/],
      ['<Days>99999999999</Days>', 400, 'InvalidArgument', /past the year 9999/],
      ['<Days>1</Days><Type>BOGUS</Type>', 400, 'MalformedXML', /only be SELECT/],
      ['<Days>1</Days><Type>SELECT</Type>', 501, 'NotImplemented', /SELECT/],
      ['<Days>1</Days><OutputLocation><S3/></OutputLocation>', 501, 'NotImplemented', /SELECT/],
    ];
    for (const [inner, status, code, message] of cases) {
      const res = await restore(inner);
      const text = await res.text();
      expect([inner, res.status]).toEqual([inner, status]);
      expect(text).toContain(`<Code>${code}</Code>`);
      expect(text).toMatch(message);
    }
    // Nothing started: a valid request is the first restore.
    expect((await restore('<Days>3</Days>')).status).toBe(202);
  });
});

describe('authentication', () => {
  it('rejects a wrong secret and an unknown key', async () => {
    const wrong = new S3Client({
      endpoint: t.url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { ...TEST_KEY, secretAccessKey: 'wrong-secret-000000000000000000000000000' },
    });
    expect(await s3Error(wrong.send(new ListBucketsCommand({})))).toEqual({
      name: 'SignatureDoesNotMatch',
      status: 403,
    });
    const unknown = new S3Client({
      endpoint: t.url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'STWUNKNOWN', secretAccessKey: 'x'.repeat(40) },
    });
    expect(await s3Error(unknown.send(new ListBucketsCommand({})))).toEqual({
      name: 'InvalidAccessKeyId',
      status: 403,
    });
    wrong.destroy();
    unknown.destroy();
  });

  it('a bad signature stores nothing', async () => {
    const wrong = new S3Client({
      endpoint: t.url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { ...TEST_KEY, secretAccessKey: 'wrong-secret-000000000000000000000000000' },
    });
    await s3Error(
      wrong.send(new PutObjectCommand({ Bucket: 'sdk-obj', Key: 'forged', Body: 'x' })),
    );
    expect(
      await s3Error(s3.send(new HeadObjectCommand({ Bucket: 'sdk-obj', Key: 'forged' }))),
    ).toMatchObject({ status: 404 });
    wrong.destroy();
  });

  it('anonymous requests are denied', async () => {
    const res = await fetch(`${t.url}/sdk-obj/ranged`);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('<Code>AccessDenied</Code>');
  });

  it('health endpoints answer without credentials', async () => {
    expect((await fetch(`${t.url}/health/live`)).status).toBe(200);
    expect((await fetch(`${t.url}/health/ready`)).status).toBe(200);
  });

  it('GET /health to a bucket by host name reads its object "health", not the health check', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'site-assets' }));
    await s3.send(new PutObjectCommand({ Bucket: 'site-assets', Key: 'health', Body: 'a page' }));
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: 'site-assets',
        Policy: publicReadPolicy('site-assets/*'),
      }),
    );
    const port = new URL(t.url).port;
    const get = (host: string, path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
            let body = '';
            res.on('data', (d: Buffer) => (body += d.toString()));
            res.on('end', () => resolve({ status: res.statusCode!, body }));
          })
          .on('error', reject);
      });
    // It answered {"status":"ok"} to both.
    expect(await get(`site-assets.localhost:${port}`, '/health')).toEqual({
      status: 200,
      body: 'a page',
    });
    // No such object, and no s3:ListBucket for anyone: 403, as S3 answers.
    expect((await get(`site-assets.localhost:${port}`, '/health/live')).status).toBe(403);
    expect(await get(`localhost:${port}`, '/health')).toEqual({
      status: 200,
      body: '{"status":"ok"}',
    });
  });
});
