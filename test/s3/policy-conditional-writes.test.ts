/**
 * AWS "Enforce conditional writes on Amazon S3 buckets": bucket policies test the
 * s3:if-none-match and s3:if-match condition keys (found by replaying versitygw's
 * Access_Control tests).
 */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3ErrorOf } from '../helpers/expect-error.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

/** Makes bucket `B` with a policy that denies `action` to everyone under `condition`. */
async function bucketDenying(
  B: string,
  denials: Array<{ action: string; condition: Record<string, Record<string, string>> }>,
): Promise<void> {
  await t.client.send(new CreateBucketCommand({ Bucket: B }));
  const Statement = denials.map(({ action, condition }) => ({
    Effect: 'Deny',
    Principal: '*',
    Action: action,
    Resource: `arn:aws:s3:::${B}/*`,
    Condition: condition,
  }));
  await t.client.send(
    new PutBucketPolicyCommand({
      Bucket: B,
      Policy: JSON.stringify({ Version: '2012-10-17', Statement }),
    }),
  );
}

describe('s3:if-none-match and s3:if-match in bucket policies', () => {
  it('a Deny on a missing s3:if-none-match refuses unconditional uploads only', async () => {
    const B = 'cond-writes';
    await bucketDenying(B, [
      { action: 's3:PutObject', condition: { Null: { 's3:if-none-match': 'true' } } },
      { action: 's3:DeleteObject', condition: { Null: { 's3:if-match': 'true' } } },
    ]);
    const put = (extra: object) =>
      t.client.send(new PutObjectCommand({ Bucket: B, Key: 'a.txt', Body: 'x', ...extra }));
    expect((await s3ErrorOf(put({}))).name).toBe('AccessDenied');
    const { ETag } = await put({ IfNoneMatch: '*' });
    expect((await s3ErrorOf(put({ IfNoneMatch: '*' }))).name).toBe('PreconditionFailed');
    const del = (extra: object) =>
      t.client.send(new DeleteObjectCommand({ Bucket: B, Key: 'a.txt', ...extra }));
    expect((await s3ErrorOf(del({}))).name).toBe('AccessDenied');
    await del({ IfMatch: ETag });
    // DeleteObjects: an entry's <ETag> is its If-Match, and lets it through the same policy.
    const b = await put({ IfNoneMatch: '*' });
    await t.client.send(
      new PutObjectCommand({ Bucket: B, Key: 'c.txt', Body: 'y', IfNoneMatch: '*' }),
    );
    const batch = await t.client.send(
      new DeleteObjectsCommand({
        Bucket: B,
        Delete: { Objects: [{ Key: 'a.txt', ETag: b.ETag }, { Key: 'c.txt' }] },
      }),
    );
    expect(batch.Deleted?.map((d) => d.Key)).toEqual(['a.txt']);
    expect(batch.Errors?.map((e) => [e.Key, e.Code])).toEqual([['c.txt', 'AccessDenied']]);
  });

  it('s3:ObjectCreationOperation exempts the steps of a multipart upload, not its Complete', async () => {
    // AWS's pattern: the steps before Complete take no conditional headers; they are false.
    const B = 'cond-multipart';
    await bucketDenying(B, [
      {
        action: 's3:PutObject',
        condition: {
          Null: { 's3:if-none-match': 'true' },
          Bool: { 's3:ObjectCreationOperation': 'true' },
        },
      },
    ]);
    const at = { Bucket: B, Key: 'big.bin' };
    const { UploadId } = await t.client.send(new CreateMultipartUploadCommand(at));
    const { ETag } = await t.client.send(
      new UploadPartCommand({ ...at, UploadId, PartNumber: 1, Body: 'part' }),
    );
    const complete = (extra: object) =>
      t.client.send(
        new CompleteMultipartUploadCommand({
          ...at,
          UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag }] },
          ...extra,
        }),
      );
    expect((await s3ErrorOf(complete({}))).name).toBe('AccessDenied');
    await complete({ IfNoneMatch: '*' });
    expect(
      (
        await s3ErrorOf(
          t.client.send(new CopyObjectCommand({ ...at, Key: 'copy', CopySource: `${B}/big.bin` })),
        )
      ).name,
    ).toBe('AccessDenied');
  });
});

describe('ACL grant and object ownership condition keys', () => {
  it('a Deny on s3:x-amz-grant-read refuses uploads that grant everyone reading', async () => {
    const B = 'grant-keys';
    await bucketDenying(B, [
      {
        action: 's3:PutObject',
        condition: {
          StringLike: { 's3:x-amz-grant-read': '*acs.amazonaws.com/groups/global/AllUsers*' },
        },
      },
    ]);
    const put = (extra: object) =>
      t.client.send(new PutObjectCommand({ Bucket: B, Key: 'g.txt', Body: 'x', ...extra }));
    const refused = await s3ErrorOf(
      put({ GrantRead: 'uri="http://acs.amazonaws.com/groups/global/AllUsers"' }),
    );
    expect(refused.name).toBe('AccessDenied');
    await put({
      GrantRead: 'id="0fca2861e8b04fea44c2a54966be37f0632f7beed03e38a3866ee0233ae7f6e0"',
    });
    await put({});
  });
});
