/**
 * x-amz-expiration on PutObject / HeadObject / GetObject when a lifecycle Expiration rule
 * covers the object (ceph/s3-tests test_lifecycle_expiration_header_put/_head/_tags_head).
 */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutBucketLifecycleConfigurationCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

const BUCKET = 'expiration-header';
let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
  await t.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(async () => t.close());

/** The midnight UTC after `days` days from now, as S3 rounds a Days rule. */
function midnightAfter(days: number, from: Date): string {
  const DAY = 86_400_000;
  const t = from.getTime() + days * DAY;
  return new Date(Math.floor(t / DAY) * DAY + DAY).toUTCString();
}

describe('x-amz-expiration', () => {
  it('names the expiry date and rule on PUT, HEAD and GET of a covered object only', async () => {
    await t.client.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: BUCKET,
        LifecycleConfiguration: {
          Rules: [
            {
              ID: 'rule 1',
              Status: 'Enabled',
              Filter: { Prefix: 'days1/' },
              Expiration: { Days: 1 },
            },
            { ID: 'off', Status: 'Disabled', Filter: { Prefix: 'off/' }, Expiration: { Days: 1 } },
            {
              ID: 'tagged',
              Status: 'Enabled',
              Filter: { Tag: { Key: 'k', Value: 'v' } },
              Expiration: { Date: new Date('2030-01-01T00:00:00Z') },
            },
          ],
        },
      }),
    );
    const now = new Date();
    const put = await t.client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'days1/a', Body: 'x' }),
    );
    const want = `expiry-date="${midnightAfter(1, now)}", rule-id="rule%201"`;
    expect(put.Expiration).toBe(want);
    const head = await t.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'days1/a' }));
    expect(head.Expiration).toBe(want);
    const got = await t.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'days1/a' }));
    await got.Body?.transformToString();
    expect(got.Expiration).toBe(want);

    await t.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'off/a', Body: 'x' }));
    const off = await t.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'off/a' }));
    expect(off.Expiration).toBeUndefined();

    await t.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'other', Body: 'x' }));
    expect(
      (await t.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'other' }))).Expiration,
    ).toBeUndefined();
    await t.client.send(
      new PutObjectTaggingCommand({
        Bucket: BUCKET,
        Key: 'other',
        Tagging: { TagSet: [{ Key: 'k', Value: 'v' }] },
      }),
    );
    const tagged = await t.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'other' }));
    expect(tagged.Expiration).toBe('expiry-date="Tue, 01 Jan 2030 00:00:00 GMT", rule-id="tagged"');
  });

  it('names no date an HTTP date cannot hold (a rule of 2^31 - 1 days)', async () => {
    const Bucket = `${BUCKET}-far`;
    await t.client.send(new CreateBucketCommand({ Bucket }));
    await t.client.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket,
        LifecycleConfiguration: {
          Rules: [{ ID: 'far', Status: 'Enabled', Filter: {}, Expiration: { Days: 2 ** 31 - 1 } }],
        },
      }),
    );
    const put = await t.client.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'x' }));
    expect(put.Expiration).toBeUndefined();
  });

  it('names them on CopyObject and CompleteMultipartUpload, with the tags the copy took', async () => {
    const now = new Date();
    const want = `expiry-date="${midnightAfter(1, now)}", rule-id="rule%201"`;
    const copied = await t.client.send(
      new CopyObjectCommand({ Bucket: BUCKET, Key: 'days1/copy', CopySource: `${BUCKET}/off/a` }),
    );
    expect(copied.Expiration).toBe(want);
    // The copy takes the source's tags (TaggingDirective COPY): the tag rule covers it.
    const tagged = await t.client.send(
      new CopyObjectCommand({
        Bucket: BUCKET,
        Key: 'copy-of-other',
        CopySource: `${BUCKET}/other`,
      }),
    );
    expect(tagged.Expiration).toBe('expiry-date="Tue, 01 Jan 2030 00:00:00 GMT", rule-id="tagged"');
    const at = { Bucket: BUCKET, Key: 'days1/multipart' };
    const { UploadId } = await t.client.send(new CreateMultipartUploadCommand(at));
    const { ETag } = await t.client.send(
      new UploadPartCommand({ ...at, UploadId, PartNumber: 1, Body: 'x' }),
    );
    const done = await t.client.send(
      new CompleteMultipartUploadCommand({
        ...at,
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag }] },
      }),
    );
    expect(done.Expiration).toBe(want);
  });
});
