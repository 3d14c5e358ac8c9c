/**
 * Request headers and parameters S3 checks before it acts: x-amz-expected-bucket-owner
 * (and the copy source's), GetObjectAttributes' x-amz-object-attributes, and response-*
 * overrides it does not know. Found by replaying versitygw's integration tests, with S3's
 * answers from its API reference and quoted S3 responses.
 */
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectTaggingCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { signedFetch } from '../helpers/signed-fetch.js';
import { s3ErrorOf } from '../helpers/expect-error.js';

const BUCKET = 'request-checks';
let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
  await t.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await t.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'a.txt', Body: 'abc' }));
});
afterAll(async () => t.close());

describe('x-amz-expected-bucket-owner', () => {
  it('is 403 AccessDenied when it names another account, and the request changes nothing', async () => {
    const other = '111122223333';
    expect(
      await s3ErrorOf(
        t.client.send(
          new DeleteObjectCommand({ Bucket: BUCKET, Key: 'a.txt', ExpectedBucketOwner: other }),
        ),
      ),
    ).toMatchObject({ name: 'AccessDenied', status: 403 });
    expect(
      await s3ErrorOf(
        t.client.send(
          new PutObjectTaggingCommand({
            Bucket: BUCKET,
            Key: 'a.txt',
            Tagging: { TagSet: [{ Key: 'k', Value: 'v' }] },
            ExpectedBucketOwner: other,
          }),
        ),
      ),
    ).toMatchObject({ name: 'AccessDenied', status: 403 });
    const tags = await t.client.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: 'a.txt' }));
    expect(tags.TagSet).toEqual([]);
    // A copy checks the source bucket's expected owner as well.
    const copy = await signedFetch(t, 'PUT', `/${BUCKET}/b.txt`, {
      headers: {
        'x-amz-copy-source': `/${BUCKET}/a.txt`,
        'x-amz-source-expected-bucket-owner': other,
      },
    });
    expect(copy.status).toBe(403);
    expect(await copy.text()).toContain('<Code>AccessDenied</Code>');
  });

  it("succeeds when it names this server's account", async () => {
    await t.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'a.txt', Body: 'abc' }));
    await t.client.send(
      new PutObjectTaggingCommand({
        Bucket: BUCKET,
        Key: 'a.txt',
        Tagging: { TagSet: [{ Key: 'k', Value: 'v' }] },
        ExpectedBucketOwner: '000000000000',
      }),
    );
    await t.client.send(
      new DeleteObjectTaggingCommand({
        Bucket: BUCKET,
        Key: 'a.txt',
        ExpectedBucketOwner: '000000000000',
      }),
    );
    const got = await t.client.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'a.txt', ExpectedBucketOwner: '000000000000' }),
    );
    expect(await got.Body!.transformToString()).toBe('abc');
    // An empty header names no account: as if it were not sent.
    const empty = await signedFetch(t, 'GET', `/${BUCKET}/a.txt`, {
      headers: { 'x-amz-expected-bucket-owner': '' },
    });
    expect(empty.status).toBe(200);
  });
});

describe('GetObjectAttributes', () => {
  it('a missing or empty x-amz-object-attributes is InvalidRequest, an unknown name InvalidArgument', async () => {
    const cases: Array<Record<string, string>> = [{}, { 'x-amz-object-attributes': '' }];
    for (const headers of cases) {
      const res = await signedFetch(t, 'GET', `/${BUCKET}/a.txt?attributes`, { headers });
      expect(res.status).toBe(400);
      const xml = await res.text();
      expect(xml).toContain('<Code>InvalidRequest</Code>');
      expect(xml).toContain(
        '<Message>The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty</Message>',
      );
    }
    const res = await signedFetch(t, 'GET', `/${BUCKET}/a.txt?attributes`, {
      headers: { 'x-amz-object-attributes': 'ETag,Dummy' },
    });
    expect(res.status).toBe(400);
    const xml = await res.text();
    expect(xml).toContain('<Code>InvalidArgument</Code>');
    expect(xml).toContain('<Message>Invalid attribute name specified.</Message>');
    expect(xml).toContain('<ArgumentName>x-amz-object-attributes</ArgumentName>');
    expect(xml).toContain('<ArgumentValue>Dummy</ArgumentValue>');
  });
});

describe('response-* overrides', () => {
  it('one S3 does not know is InvalidArgument naming it, on GET and HEAD', async () => {
    const q = 'response-content-type=text%2Fplain&response-fdsjkljj=dummy';
    const get = await signedFetch(t, 'GET', `/${BUCKET}/a.txt?${q}`);
    expect(get.status).toBe(400);
    const xml = await get.text();
    expect(xml).toContain('<Code>InvalidArgument</Code>');
    expect(xml).toContain(
      '<Message>response-fdsjkljj is not in the set of overridable response headers. Please refer to the S3 API documentation for a complete list of overridable response headers.</Message>',
    );
    expect(xml).toContain('<ArgumentName>response-fdsjkljj</ArgumentName>');
    expect((await signedFetch(t, 'HEAD', `/${BUCKET}/a.txt?${q}`)).status).toBe(400);
    // The six known overrides still work.
    const ok = await signedFetch(t, 'GET', `/${BUCKET}/a.txt?response-content-type=text%2Fplain`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('text/plain');
  });
});

describe('a sub-resource this server does not do (S3 Select)', () => {
  const select = `/${BUCKET}/any.csv?select&select-type=2`;

  it('is authenticated first, as on S3: only a caller who signed right is told 501', async () => {
    const anonymous = await fetch(new URL(select, t.url), { method: 'POST', body: '<x/>' });
    expect(anonymous.status).toBe(403);
    expect(await anonymous.text()).toContain('<Code>AccessDenied</Code>');
    const wrongSecret = await signedFetch(t, 'POST', select, {
      body: '<x/>',
      credentials: { accessKeyId: 'STWTESTKEY0000000001', secretAccessKey: 'not-the-secret' },
    });
    expect(wrongSecret.status).toBe(403);
    expect(await wrongSecret.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
    const unknownKey = await signedFetch(t, 'POST', select, {
      body: '<x/>',
      credentials: { accessKeyId: 'STWNOSUCHKEY00000000', secretAccessKey: 'whatever' },
    });
    expect(await unknownKey.text()).toContain('<Code>InvalidAccessKeyId</Code>');
    const signed = await signedFetch(t, 'POST', select, { body: '<x/>' });
    expect(signed.status).toBe(501);
    expect(await signed.text()).toContain('the select sub-resource is not implemented');
  });
});
