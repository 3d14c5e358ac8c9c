/**
 * POST Object (browser form uploads) through `stowage serve`: forms prepared by the JS SDK's
 * createPresignedPost and sent by Node's fetch (undici) as multipart/form-data, as a browser
 * sends them. The policy's conditions, expiry and content-length-range, the signature, the
 * fields that become object headers, the answers (204, 200, 201 with XML, 303 redirect), an
 * anonymous form allowed by a bucket policy, and S3's errors for bad forms.
 */
import {
  CreateBucketCommand,
  GetObjectCommand,
  GetBucketPolicyStatusCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createPresignedPost, type PresignedPostOptions } from '@aws-sdk/s3-presigned-post';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveSigningKey, sign } from '../../src/sigv4/signing-key.js';
import { putBucketPolicy } from '../helpers/identities.js';
import { connectRaw } from '../helpers/raw-socket.js';
import http from 'node:http';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';

const BUCKET = 'uploads';

let t: TestServer;
let s3: S3Client;

beforeAll(async () => {
  t = await startTestServer();
  s3 = t.client;
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(async () => t?.close());

interface Answer {
  status: number;
  headers: Headers;
  body: string;
}

/** Posts a form (fields in order, then the file) to `url`, as a browser would. */
async function post(
  url: string,
  fields: Record<string, string>,
  file: { body: string | Buffer; name?: string; type?: string } | null = { body: 'x' },
): Promise<Answer> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  if (file) {
    const blob = new Blob([file.body], { type: file.type ?? 'application/octet-stream' });
    form.append('file', blob, file.name ?? 'upload.bin');
  }
  const res = await fetch(url, { method: 'POST', body: form, redirect: 'manual' });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

function presign(options: Partial<PresignedPostOptions> & { Key: string }) {
  return createPresignedPost(s3, { Bucket: BUCKET, Expires: 300, ...options });
}

/** `fields` with another policy, signed by the test key for the same credential scope. */
function signedWith(fields: Record<string, string>, policy: string): Record<string, string> {
  const [, date, region, service] = fields['X-Amz-Credential']!.split('/') as [
    string,
    string,
    string,
    string,
  ];
  const key = deriveSigningKey(TEST_KEY.secretAccessKey, date, region, service);
  return { ...fields, Policy: policy, 'X-Amz-Signature': sign(key, policy) };
}

/** The `<Code>` of an S3 error body. */
const codeOf = (body: string): string | undefined => /<Code>([^<]*)<\/Code>/.exec(body)?.[1];

describe('POST Object with a presigned form', () => {
  it('stores the file: 204 with ETag and Location, and the object reads back', async () => {
    const { url, fields } = await presign({ Key: 'art/hero.png' });
    const r = await post(url, fields, { body: 'png bytes', name: 'hero.png', type: 'image/png' });
    expect(r.status).toBe(204);
    expect(r.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);
    expect(r.headers.get('location')).toBe(`${t.url}/${BUCKET}/art/hero.png`);
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'art/hero.png' }));
    expect(await got.Body!.transformToString()).toBe('png bytes');
  });

  it('${filename} in the key becomes the file name', async () => {
    const { url, fields } = await presign({
      Key: 'incoming/${filename}',
      Conditions: [['starts-with', '$key', 'incoming/']],
    });
    expect((await post(url, fields, { body: 'sprite', name: 'walk cycle.gif' })).status).toBe(204);
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: 'incoming/walk cycle.gif' }),
    );
    expect(head.ContentLength).toBe(6);
  });

  it('${filename} is put in every field, metadata and Content-Disposition too', async () => {
    // AWS: the variable "is recognized by all form fields"; it was replaced in the key only.
    const { url, fields } = await presign({
      Key: 'named/${filename}',
      Conditions: [
        ['starts-with', '$x-amz-meta-original', 'pic'],
        ['starts-with', '$Content-Disposition', 'attachment'],
      ],
    });
    const form = {
      ...fields,
      'x-amz-meta-original': '${filename}',
      'Content-Disposition': 'attachment; filename="${filename}"',
    };
    // The policy judges the values after the name is put in them.
    expect((await post(url, form, { body: 'p', name: 'other.jpg' })).status).toBe(403);
    expect((await post(url, form, { body: 'p', name: 'pic.jpg' })).status).toBe(204);
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'named/pic.jpg' }));
    expect([head.Metadata, head.ContentDisposition]).toEqual([
      { original: 'pic.jpg' },
      'attachment; filename="pic.jpg"',
    ]);
  });

  it('a starts-with condition on Content-Type holds for every type of a list', async () => {
    // AWS's POST policy: "image/jpg,text/plain" does not pass starts-with "image/".
    const form = (type: string) =>
      presign({
        Key: `typed/${type.replace(/[/,]/g, '-')}`,
        Fields: { 'Content-Type': type },
        Conditions: [['starts-with', '$Content-Type', 'image/']],
      });
    const mixed = await form('image/png,text/html');
    const refused = await post(mixed.url, mixed.fields);
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('Policy Condition failed');
    const images = await form('image/png,image/gif');
    expect((await post(images.url, images.fields)).status).toBe(204);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'typed/' }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(['typed/image-png-image-gif']);
  });

  it('fields allowed by the policy set Content-Type, metadata, ACL, tags and storage class', async () => {
    const { url, fields } = await presign({
      Key: 'meta.txt',
      Fields: {
        'Content-Type': 'text/plain',
        'x-amz-meta-artist': 'ada',
        acl: 'public-read',
        'x-amz-storage-class': 'STANDARD_IA',
        tagging:
          '<Tagging><TagSet><Tag><Key>stage</Key><Value>draft</Value></Tag></TagSet></Tagging>',
      },
    });
    expect((await post(url, fields, { body: 'hello' })).status).toBe(204);
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'meta.txt' }));
    expect([head.ContentType, head.Metadata, head.StorageClass]).toEqual([
      'text/plain',
      { artist: 'ada' },
      'STANDARD_IA',
    ]);
    const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: 'meta.txt' }));
    expect(tags.TagSet).toEqual([{ Key: 'stage', Value: 'draft' }]);
    // public-read: anyone may GET it.
    expect((await fetch(`${t.url}/${BUCKET}/meta.txt`)).status).toBe(200);
  });

  it('success_action_status 201 answers a PostResponse document; 200 an empty body', async () => {
    const a = await presign({ Key: 'doc.txt', Fields: { success_action_status: '201' } });
    const r = await post(a.url, a.fields);
    expect(r.status).toBe(201);
    expect(r.body).toContain('<PostResponse');
    expect(r.body).toContain(`<Location>${t.url}/${BUCKET}/doc.txt</Location>`);
    expect(r.body).toContain(`<Bucket>${BUCKET}</Bucket><Key>doc.txt</Key><ETag>`);
    const b = await presign({ Key: 'doc2.txt', Fields: { success_action_status: '200' } });
    const r2 = await post(b.url, b.fields);
    expect([r2.status, r2.body]).toEqual([200, '']);
  });

  it('success_action_redirect answers 303 to it, with bucket, key and etag', async () => {
    const { url, fields } = await presign({
      Key: 'back.txt',
      Fields: { success_action_redirect: 'https://studio.example/done?from=form' },
    });
    const r = await post(url, fields);
    expect(r.status).toBe(303);
    const to = new URL(r.headers.get('location')!);
    expect(to.origin + to.pathname).toBe('https://studio.example/done');
    expect(Object.fromEntries(to.searchParams)).toMatchObject({
      from: 'form',
      bucket: BUCKET,
      key: 'back.txt',
      etag: r.headers.get('etag')!,
    });
  });
});

describe('the policy is enforced', () => {
  it('content-length-range: a file too large is EntityTooLarge, too small EntityTooSmall; nothing stored', async () => {
    const { url, fields } = await presign({
      Key: 'sized.bin',
      Conditions: [['content-length-range', 10, 100]],
    });
    const big = await post(url, fields, { body: Buffer.alloc(101, 1) });
    expect([big.status, codeOf(big.body)]).toEqual([400, 'EntityTooLarge']);
    // The limits, named as S3 names them (and, for a file that ended short, its size).
    expect(big.body).toContain('<MaxSizeAllowed>100</MaxSizeAllowed>');
    const small = await post(url, fields, { body: 'short' });
    expect([small.status, codeOf(small.body)]).toEqual([400, 'EntityTooSmall']);
    expect(small.body).toContain('<ProposedSize>5</ProposedSize>');
    expect(small.body).toContain('<MinSizeAllowed>10</MinSizeAllowed>');
    await expect(
      s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'sized.bin' })),
    ).rejects.toThrow();
    expect((await post(url, fields, { body: Buffer.alloc(100, 1) })).status).toBe(204);
  });

  it('a field whose value breaks a condition, or a field the policy does not name, is AccessDenied', async () => {
    const { url, fields } = await presign({ Key: 'fixed.txt' });
    const other = await post(url, { ...fields, key: 'elsewhere.txt' });
    expect([other.status, codeOf(other.body)]).toEqual([403, 'AccessDenied']);
    expect(other.body).toContain('Invalid according to Policy: Policy Condition failed');
    const extra = await post(url, { ...fields, acl: 'public-read' });
    expect([extra.status, codeOf(extra.body)]).toEqual([403, 'AccessDenied']);
    expect(extra.body).toContain('Extra input fields: acl');
    // x-ignore-* fields need no condition.
    expect((await post(url, { ...fields, 'x-ignore-note': 'anything' })).status).toBe(204);
  });

  it('an expired policy is AccessDenied', async () => {
    const { url, fields } = await presign({ Key: 'late.txt', Expires: -10 });
    const r = await post(url, fields);
    expect([r.status, codeOf(r.body)]).toEqual([403, 'AccessDenied']);
    expect(r.body).toContain('Policy expired');
  });

  it('a changed policy fails the signature; an unknown key is InvalidAccessKeyId', async () => {
    const { url, fields } = await presign({ Key: 'signed.txt' });
    const doc = JSON.parse(Buffer.from(fields.Policy!, 'base64').toString()) as {
      expiration: string;
    };
    doc.expiration = '2099-01-01T00:00:00.000Z';
    const forged = Buffer.from(JSON.stringify(doc)).toString('base64');
    const r = await post(url, { ...fields, Policy: forged });
    expect([r.status, codeOf(r.body)]).toEqual([403, 'SignatureDoesNotMatch']);
    const cred = fields['X-Amz-Credential']!.replace(TEST_KEY.accessKeyId, 'AKIANOSUCHKEY0000000');
    const unknown = await post(url, { ...fields, 'X-Amz-Credential': cred });
    expect([unknown.status, codeOf(unknown.body)]).toEqual([403, 'InvalidAccessKeyId']);
  });

  it('a policy that is not base64 JSON is InvalidPolicyDocument', async () => {
    const { url, fields } = await presign({ Key: 'x.txt' });
    const r = await post(url, { ...fields, Policy: 'not-a-policy' });
    // The signature covers the policy text: it is checked first.
    expect(r.status).toBe(403);
    const doc = Buffer.from('{"expiration": 5}').toString('base64');
    const bad = await post(url, signedWith(fields, doc));
    expect([bad.status, codeOf(bad.body)]).toEqual([400, 'InvalidPolicyDocument']);
  });
});

describe('bad forms', () => {
  it('no key field, no file, a file not named "file": InvalidArgument', async () => {
    const { url, fields } = await presign({ Key: 'k.txt' });
    const { key: _key, ...noKey } = fields;
    const r = await post(url, noKey);
    expect([r.status, codeOf(r.body)]).toEqual([400, 'InvalidArgument']);
    expect(r.body).toMatch(/must contain a field named (&apos;|')key/);
    const nofile = await post(url, fields, null);
    expect([nofile.status, codeOf(nofile.body)]).toEqual([400, 'InvalidArgument']);
    expect(nofile.body).toContain('exactly one file');
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append('attachment', new Blob(['x']), 'a.bin');
    const res = await fetch(url, { method: 'POST', body: form });
    expect([res.status, codeOf(await res.text())]).toEqual([400, 'InvalidArgument']);
  });

  it('a POST that is not multipart/form-data is InvalidArgument', async () => {
    const res = await fetch(`${t.url}/${BUCKET}`, {
      method: 'POST',
      body: 'key=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const body = await res.text();
    expect([res.status, codeOf(body)]).toEqual([400, 'InvalidArgument']);
    expect(body).toContain('multipart/form-data');
  });

  it('a form to a bucket that does not exist is NoSuchBucket', async () => {
    const { fields } = await presign({ Key: 'k.txt' });
    const r = await post(`${t.url}/no-such-bucket`, fields);
    expect([r.status, codeOf(r.body)]).toEqual([404, 'NoSuchBucket']);
  });
});

describe('anonymous forms', () => {
  it('are refused unless a bucket policy lets anyone PutObject there', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'dropbox' }));
    const r = await post(`${t.url}/dropbox`, { key: 'drop/one.txt' }, { body: 'hi' });
    expect([r.status, codeOf(r.body)]).toEqual([403, 'AccessDenied']);
    await putBucketPolicy(s3, 'dropbox', {
      Effect: 'Allow',
      Principal: '*',
      Action: 's3:PutObject',
      Resource: 'arn:aws:s3:::dropbox/drop/*',
    });
    const ok = await post(`${t.url}/dropbox`, { key: 'drop/one.txt' }, { body: 'hi' });
    expect(ok.status).toBe(204);
    const outside = await post(`${t.url}/dropbox`, { key: 'other/one.txt' }, { body: 'hi' });
    expect(outside.status).toBe(403);
    // An ACL field needs s3:PutObjectAcl, which the policy does not give anyone.
    const acl = await post(
      `${t.url}/dropbox`,
      { key: 'drop/two.txt', acl: 'public-read' },
      { body: 'hi' },
    );
    expect([acl.status, codeOf(acl.body)]).toEqual([403, 'AccessDenied']);
    // Fields that are not object headers stay form fields: no copy, no other host.
    const sneaky = await post(
      `${t.url}/dropbox`,
      { key: 'drop/three.txt', 'x-amz-copy-source': `${BUCKET}/meta.txt`, host: 'evil.example' },
      { body: 'mine' },
    );
    expect(sneaky.status).toBe(204);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'dropbox', Key: 'drop/three.txt' }));
    expect(await got.Body!.transformToString()).toBe('mine');
  });
});

describe('anonymous forms and SSE-KMS', () => {
  it('a form naming SSE-KMS needs a signature, as a PUT does: a policy fixed by a KMS key id stays private', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'kms-drop' }));
    await putBucketPolicy(s3, 'kms-drop', {
      Effect: 'Allow',
      Principal: '*',
      Action: 's3:PutObject',
      Resource: 'arn:aws:s3:::kms-drop/*',
      Condition: {
        StringEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'studio-key' },
      },
    });
    const status = await s3.send(new GetBucketPolicyStatusCommand({ Bucket: 'kms-drop' }));
    expect(status.PolicyStatus?.IsPublic).toBe(false);
    for (const fields of <Array<Record<string, string>>>[
      {
        'x-amz-server-side-encryption': 'aws:kms',
        'x-amz-server-side-encryption-aws-kms-key-id': 'studio-key',
      },
      { 'x-amz-server-side-encryption-aws-kms-key-id': 'studio-key' },
    ]) {
      const r = await post(`${t.url}/kms-drop`, { key: 'in.txt', ...fields }, { body: 'hi' });
      expect([r.status, codeOf(r.body)]).toEqual([400, 'InvalidArgument']);
      expect(r.body).toContain('require AWS Signature Version 4');
    }
    const head = await fetch(`${t.url}/kms-drop/in.txt`, { method: 'HEAD' });
    expect(head.status).toBe(403);
    expect((await s3.send(new ListObjectsV2Command({ Bucket: 'kms-drop' }))).KeyCount).toBe(0);
  });
});

describe('what a form upload must not leave behind', () => {
  it('a checksum field the file does not match is BadDigest; nothing is stored', async () => {
    const { url, fields } = await presign({
      Key: 'summed.txt',
      Fields: { 'x-amz-checksum-crc32': 'AAAAAA==' },
    });
    const r = await post(url, fields, { body: 'not that' });
    expect([r.status, codeOf(r.body)]).toEqual([400, 'BadDigest']);
    await expect(
      s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'summed.txt' })),
    ).rejects.toThrow();
  });

  it('more than 20 KB of fields is InvalidArgument', async () => {
    const { url, fields } = await presign({ Key: 'big-fields.txt' });
    const r = await post(url, { ...fields, 'x-ignore-pad': 'p'.repeat(21 * 1024) });
    expect([r.status, codeOf(r.body)]).toEqual([400, 'InvalidArgument']);
    expect(r.body).toContain('exceed 20480 bytes');
  });

  it('a client cut off in the middle of the file stores nothing, and leaves no request hanging', async () => {
    // A server of its own: its shutdown waits for requests in flight, so a handler left
    // waiting for the rest of the file would keep it from closing.
    const own = await startTestServer();
    let closed = false;
    try {
      await own.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
      const { url, fields } = await createPresignedPost(own.client, {
        Bucket: BUCKET,
        Key: 'cut.bin',
      });
      const boundary = '----stowagecut';
      const head =
        Object.entries(fields)
          .map(
            ([k, v]) =>
              `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`,
          )
          .join('') +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.bin"\r\n\r\n`;
      const conn = await connectRaw(Number(new URL(url).port));
      conn.socket.write(
        `POST /${BUCKET} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
          `Content-Type: multipart/form-data; boundary=${boundary}\r\n` +
          `Content-Length: ${head.length + 1_000_000}\r\n\r\n${head}${'x'.repeat(300_000)}`,
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      conn.socket.destroy();
      await conn.closed;
      await new Promise((resolve) => setTimeout(resolve, 200));
      await expect(
        own.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'cut.bin' })),
      ).rejects.toThrow();
      expect((await post(url, fields, { body: 'whole' })).status).toBe(204);
      const shutdown = own.close().then(() => (closed = true));
      await Promise.race([shutdown, new Promise((resolve) => setTimeout(resolve, 5000))]);
      expect(closed, 'the server could not shut down: a request is still in flight').toBe(true);
    } finally {
      if (!closed) void own.close();
    }
  });
});

/** A policy of `conditions`, plus the credential fields the presigner put in `fields`. */
function policyOf(fields: Record<string, string>, conditions: unknown[]): string {
  const doc = {
    expiration: new Date(Date.now() + 300_000).toISOString(),
    conditions: [
      ...['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date'].map((f) => ({ [f]: fields[f] })),
      ...conditions,
    ],
  };
  return Buffer.from(JSON.stringify(doc)).toString('base64');
}

describe('details S3 and Ceph s3-tests agree on', () => {
  it('the policy judges the key after ${filename} is put in it', async () => {
    const { url, fields } = await presign({ Key: 'unused' });
    const exact = signedWith(
      { ...fields, key: 'fq/${filename}' },
      policyOf(fields, [['eq', '$key', 'fq/a.txt']]),
    );
    expect((await post(url, exact, { body: 'a', name: 'a.txt' })).status).toBe(204);
    expect((await post(url, exact, { body: 'b', name: 'b.txt' })).status).toBe(403);
    const prefix = signedWith(
      { ...fields, key: '${filename}' },
      policyOf(fields, [['starts-with', '$key', 'foo']]),
    );
    expect((await post(url, prefix, { body: 'f', name: 'foo.txt' })).status).toBe(204);
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'foo.txt' }));
    expect(head.ContentLength).toBe(1);
  });

  it('a form posted to bucket.localhost answers a Location without the bucket in its path', async () => {
    const { fields } = await presign({
      Key: 'vhost/one.txt',
      Fields: { success_action_status: '201' },
    });
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append('file', new Blob(['v']), 'one.txt');
    const encoded = new Response(form);
    const body = Buffer.from(await encoded.arrayBuffer());
    const port = new URL(t.url).port;
    const answer = await new Promise<{ status: number; location: string; text: string }>(
      (resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: '/',
            headers: {
              host: `${BUCKET}.localhost:${port}`,
              'content-type': encoded.headers.get('content-type')!,
              'content-length': body.length,
            },
          },
          (res) => {
            let text = '';
            res.on('data', (d: Buffer) => (text += d.toString()));
            res.on('end', () =>
              resolve({ status: res.statusCode!, location: String(res.headers.location), text }),
            );
          },
        );
        req.on('error', reject);
        req.end(body);
      },
    );
    expect(answer.status).toBe(201);
    expect(answer.location).toBe(`http://${BUCKET}.localhost:${port}/vhost/one.txt`);
    expect(answer.text).toContain(
      `<Location>http://${BUCKET}.localhost:${port}/vhost/one.txt</Location>`,
    );
  });

  it('a field without a name is InvalidArgument saying so', async () => {
    const boundary = 'nameless';
    const body =
      `--${boundary}\r\nContent-Disposition: form-data; name=""\r\n\r\nvalue\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n\r\nx\r\n--${boundary}--\r\n`;
    const res = await fetch(`${t.url}/${BUCKET}`, {
      method: 'POST',
      body,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
    const text = await res.text();
    expect([res.status, codeOf(text)]).toEqual([400, 'InvalidArgument']);
    expect(text).toContain('a field of the POST form has no name');
  });
});
