/**
 * Multipart answers S3 gives and OpenStack Swift's AWS-mode functional tests (test/s3api)
 * assert: a Complete repeated after its object was deleted, a composite checksum written
 * `<base64>-<parts>`, and the arguments named by a partNumber out of range.
 */
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { checksumBase64 } from '../../src/engine/checksums/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { s3ErrorOf } from '../helpers/expect-error.js';

const MIB = 1024 * 1024;
const BUCKET = 'multipart-edges';
let t: TestServer;

beforeAll(async () => {
  t = await startTestServer({ engine: { minPartSizeBytes: MIB } });
  await t.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(async () => t.close());

async function twoParts(key: string, algorithm?: 'CRC32') {
  const at = { Bucket: BUCKET, Key: key };
  const { UploadId } = await t.client.send(
    new CreateMultipartUploadCommand({
      ...at,
      ...(algorithm ? { ChecksumAlgorithm: algorithm, ChecksumType: 'COMPOSITE' } : {}),
    }),
  );
  const body = Buffer.alloc(MIB);
  const parts = [];
  for (const n of [1, 2]) {
    const p = await t.client.send(
      new UploadPartCommand({
        ...at,
        UploadId,
        PartNumber: n,
        Body: body,
        ...(algorithm ? { ChecksumAlgorithm: algorithm } : {}),
      }),
    );
    parts.push({ PartNumber: n, ETag: p.ETag, ChecksumCRC32: p.ChecksumCRC32 });
  }
  return { at, UploadId: UploadId!, parts };
}

describe('CompleteMultipartUpload (swift test_mpu / test_object_checksums)', () => {
  it('takes a composite checksum written <base64>-<part count>', async () => {
    const { at, UploadId, parts } = await twoParts('composite', 'CRC32');
    const raw = Buffer.concat(parts.map((p) => Buffer.from(p.ChecksumCRC32!, 'base64')));
    const composite = `${checksumBase64('CRC32', raw)}-2`;
    const done = await t.client.send(
      new CompleteMultipartUploadCommand({
        ...at,
        UploadId,
        MultipartUpload: { Parts: parts },
        ChecksumCRC32: composite,
      }),
    );
    expect(done.ChecksumCRC32).toBe(composite);
  });

  it('is NoSuchUpload when repeated after the object it made was deleted', async () => {
    const { at, UploadId, parts } = await twoParts('complete-delete-complete');
    const list = parts.map(({ PartNumber, ETag }) => ({ PartNumber, ETag }));
    const complete = () =>
      t.client.send(
        new CompleteMultipartUploadCommand({ ...at, UploadId, MultipartUpload: { Parts: list } }),
      );
    const first = await complete();
    expect((await complete()).ETag).toBe(first.ETag); // a retry while it is stored: 200
    await t.client.send(new DeleteObjectCommand(at));
    expect(await s3ErrorOf(complete())).toMatchObject({ name: 'NoSuchUpload', status: 404 });
  });
});

describe('GetObject partNumber (swift test_mpu)', () => {
  it('names the argument of a partNumber out of 1..10000', async () => {
    await t.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'small', Body: 'x' }));
    const err = await s3ErrorOf(
      t.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'small', PartNumber: 10001 })),
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'InvalidArgument', status: 400 });
    try {
      await t.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'small', PartNumber: 0 }));
      expect.fail('expected InvalidArgument');
    } catch (e) {
      expect(e).toBeInstanceOf(S3ServiceException);
      const x = e as S3ServiceException & { ArgumentName?: string; ArgumentValue?: string };
      expect([x.ArgumentName, x.ArgumentValue]).toEqual(['partNumber', '0']);
    }
  });
});
