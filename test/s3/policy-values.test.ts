/**
 * What a policy judges is what the request does: the values of condition keys in presigned
 * URLs and browser form uploads (where headers come from a query or from form fields), the
 * keys that only those two kinds of request have (s3:authType POST, s3:signatureAge, the
 * form request's own User-Agent), s3:max-keys, and condition values no request can meet.
 * Found by a probe of the authorisation against AWS's documents; each case here let a
 * request through that S3 refuses, or refused one S3 lets through.
 */
import {
  CreateBucketCommand,
  GetObjectAclCommand,
  GetObjectCommand,
  PutObjectAclCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isStored } from '../helpers/list-keys.js';
import { clientAs, putBucketPolicy, testIdentity } from '../helpers/identities.js';
import { s3ErrorOf } from '../helpers/expect-error.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { signedFetch } from '../helpers/signed-fetch.js';

const BUCKET = 'policy-values';
const PUBLIC_ACLS = ['public-read', 'public-read-write', 'authenticated-read'];

/** May upload and set ACLs, but never a public one (AWS's example of s3:x-amz-acl). */
const NO_PUBLIC = testIdentity('no-public', 'STWNOPUBLIC000000001', {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: ['s3:PutObject', 's3:PutObjectAcl', 's3:GetObject'],
      Resource: `arn:aws:s3:::${BUCKET}/*`,
    },
    {
      Effect: 'Deny',
      Action: ['s3:PutObject', 's3:PutObjectAcl'],
      Resource: `arn:aws:s3:::${BUCKET}/*`,
      Condition: { StringEquals: { 's3:x-amz-acl': PUBLIC_ACLS } },
    },
  ],
});
/** May list and list versions ten keys at a time. */
const CAPPED = testIdentity('capped', 'STWCAPPED00000000001', {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: ['s3:ListBucket', 's3:ListBucketVersions'],
      Resource: `arn:aws:s3:::${BUCKET}`,
      Condition: { NumericLessThanEquals: { 's3:max-keys': 10 } },
    },
  ],
});
const USERS = new Map([NO_PUBLIC, CAPPED].map((i) => [i.accessKeyId, i]));

let t: TestServer;
let root: S3Client;
let noPublic: S3Client;

beforeAll(async () => {
  t = await startTestServer({ identities: (id) => USERS.get(id) });
  root = t.client;
  noPublic = clientAs(t.url, NO_PUBLIC);
  await root.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await putBucketPolicy(
    root,
    BUCKET,
    {
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:PutObject',
      Resource: `arn:aws:s3:::${BUCKET}/*`,
      Condition: { StringLike: { 'aws:UserAgent': '*badbot*' } },
    },
    {
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:PutObject',
      Resource: `arn:aws:s3:::${BUCKET}/no-forms/*`,
      Condition: { StringEquals: { 's3:authType': 'POST' } },
    },
    {
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::${BUCKET}/fresh-links/*`,
      Condition: { NumericGreaterThan: { 's3:signatureAge': 60_000 } },
    },
  );
});
afterAll(async () => {
  noPublic?.destroy();
  await t?.close();
});

/** Whether `key` holds an object. */
const stored = (key: string): Promise<boolean> => isStored(root, BUCKET, key);

async function anonymousGet(key: string): Promise<number> {
  return (await fetch(`${t.url}/${BUCKET}/${key}`)).status;
}

/** Posts a form (its fields, then the file) as a browser would, with `headers`. */
async function postForm(
  url: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('file', new Blob(['form bytes']), 'upload.bin');
  const res = await fetch(url, { method: 'POST', body: form, headers, redirect: 'manual' });
  return { status: res.status, body: await res.text() };
}

describe('s3:x-amz-acl from a query or a form is the ACL applied', () => {
  it('a presigned PUT whose x-amz-acl has spaces around a public ACL is denied, nothing stored', async () => {
    for (const [key, acl] of [
      ['trailing.txt', 'public-read '],
      ['leading.txt', ' public-read'],
      ['tab.txt', 'authenticated-read\t'],
    ] as const) {
      const url = await getSignedUrl(
        noPublic,
        new PutObjectCommand({ Bucket: BUCKET, Key: key, ACL: acl as 'public-read' }),
        { expiresIn: 300 },
      );
      expect(new URL(url).searchParams.get('x-amz-acl')).toBe(acl);
      const put = await fetch(url, { method: 'PUT', body: 'secret' });
      expect(put.status, JSON.stringify(acl)).toBe(403);
      expect(await stored(key)).toBe(false);
    }
    // What is not public still goes through, spaces and all, and is applied.
    const url = await getSignedUrl(
      noPublic,
      new PutObjectCommand({ Bucket: BUCKET, Key: 'private.txt', ACL: 'private ' as 'private' }),
      { expiresIn: 300 },
    );
    expect((await fetch(url, { method: 'PUT', body: 'mine' })).status).toBe(200);
    expect(await anonymousGet('private.txt')).toBe(403);
  });

  it('a presigned PutObjectAcl with a padded public ACL is denied; the object stays private', async () => {
    await noPublic.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'acl.txt', Body: 'x' }));
    const url = await getSignedUrl(
      noPublic,
      new PutObjectAclCommand({ Bucket: BUCKET, Key: 'acl.txt', ACL: 'public-read ' as 'private' }),
      { expiresIn: 300 },
    );
    expect((await fetch(url, { method: 'PUT' })).status).toBe(403);
    expect(await anonymousGet('acl.txt')).toBe(403);
    const acl = await root.send(new GetObjectAclCommand({ Bucket: BUCKET, Key: 'acl.txt' }));
    expect(acl.Grants?.map((g) => g.Grantee?.URI).filter(Boolean)).toEqual([]);
  });

  it('a form upload whose acl field pads a public ACL is denied, nothing stored', async () => {
    const { url, fields } = await createPresignedPost(noPublic, {
      Bucket: BUCKET,
      Key: 'form-acl.txt',
      Fields: { acl: 'public-read ' },
      Expires: 300,
    });
    const r = await postForm(url, fields);
    expect(r.status).toBe(403);
    expect(r.body).toContain('<Code>AccessDenied</Code>');
    expect(await stored('form-acl.txt')).toBe(false);
  });
});

describe('condition keys of a form upload', () => {
  it("aws:UserAgent is the request's own: a Deny on it refuses the form as it refuses a PUT", async () => {
    const { url, fields } = await createPresignedPost(root, {
      Bucket: BUCKET,
      Key: 'agent.txt',
      Expires: 300,
    });
    expect((await postForm(url, fields, { 'user-agent': 'badbot/1.0' })).status).toBe(403);
    expect(await stored('agent.txt')).toBe(false);
    expect((await postForm(url, fields, { 'user-agent': 'Mozilla/5.0' })).status).toBe(204);
    expect(await stored('agent.txt')).toBe(true);
  });

  it('s3:authType is POST: a Deny of form uploads leaves signed PUTs alone', async () => {
    const { url, fields } = await createPresignedPost(root, {
      Bucket: BUCKET,
      Key: 'no-forms/a.txt',
      Expires: 300,
    });
    expect((await postForm(url, fields)).status).toBe(403);
    expect(await stored('no-forms/a.txt')).toBe(false);
    await root.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'no-forms/a.txt', Body: 'ok' }));
    expect(await stored('no-forms/a.txt')).toBe(true);
  });
});

describe('s3:signatureAge', () => {
  it('judges how old a presigned URL is; requests signed in headers have none', async () => {
    await root.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'fresh-links/a.txt', Body: 'a' }));
    const presignedGet = async (ageMs: number): Promise<number> => {
      const url = await getSignedUrl(
        root,
        new GetObjectCommand({ Bucket: BUCKET, Key: 'fresh-links/a.txt' }),
        { expiresIn: 3600, signingDate: new Date(Date.now() - ageMs) },
      );
      return (await fetch(url)).status;
    };
    expect(await presignedGet(0)).toBe(200);
    expect(await presignedGet(5 * 60_000)).toBe(403);
    // Signed in headers (the SDK): no signature age, the Deny does not apply.
    expect((await signedFetch(t, 'GET', `/${BUCKET}/fresh-links/a.txt`)).status).toBe(200);
  });
});

describe('s3:max-keys', () => {
  it("is the listing's max-keys only: an empty one beside a max-uploads sets no limit", async () => {
    const as = { credentials: CAPPED };
    const list = (query: string): Promise<Response> =>
      signedFetch(t, 'GET', `/${BUCKET}?${query}`, as);
    expect((await list('list-type=2&max-keys=10')).status).toBe(200);
    expect((await list('list-type=2&max-keys=50')).status).toBe(403);
    // An empty max-keys lists 1,000: no s3:max-keys, so the Allow does not hold.
    expect((await list('list-type=2&max-keys=&max-uploads=5')).status).toBe(403);
    expect((await list('versions&max-keys=&max-uploads=5')).status).toBe(403);
    expect((await list('versions&max-keys=5')).status).toBe(200);
  });
});

describe('condition values no request can meet', () => {
  it('are MalformedPolicy when a bucket policy is put, naming the value', async () => {
    for (const [condition, message] of [
      [{ IpAddress: { 'aws:SourceIp': 'localhost' } }, /"localhost" .*not an IP address/],
      [{ DateGreaterThan: { 'aws:CurrentTime': 'yesterday' } }, /"yesterday" .*not a date/],
      [{ Bool: { 'aws:SecureTransport': 'no' } }, /"no" .*not true or false/],
    ] as const) {
      const err = await s3ErrorOf(
        putBucketPolicy(root, BUCKET, {
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: `arn:aws:s3:::${BUCKET}/*`,
          Condition: condition,
        }),
      );
      expect(err).toMatchObject({ name: 'MalformedPolicy' });
      expect(err?.message).toMatch(message);
    }
    // The policy put in beforeAll is still the bucket's.
    expect(await stored('agent.txt')).toBe(true);
  });
});
