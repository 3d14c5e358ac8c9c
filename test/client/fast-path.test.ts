/**
 * src/client/fast-path/ against the embedded server and Ceph RGW: after one PutObject (or
 * GetObject) to a bucket through the SDK, later ones skip the SDK's middleware stack, and
 * what arrives is the same (bytes, metadata, headers, odd keys, the output fields the SDK
 * gives); failures keep the SDK's error shape; what the path cannot map still goes through
 * the SDK. The signer matches the SDK's.
 */
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { describe, expect, it } from 'vitest';
import { createS3Client, translateS3Error, type ResolvedStore } from '../../src/client/index.js';
import { getObject } from '../../src/client/fast-path/get-object.js';
import { putObject } from '../../src/client/fast-path/put-object.js';
import { enableFastPath } from '../../src/client/fast-path/routes.js';
import { signRequest } from '../../src/client/fast-path/sign.js';
import { encodeKeyPath } from '../../src/sigv4/key-path.js';
import { describeS3Targets, type S3Target } from '../helpers/s3-targets.js';

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest();

/** A transfer client (bodiesCarryMd5) for a target, and a count of requests the SDK sent. */
function clientFor(t: S3Target): { client: S3Client; sdkRequests: () => number } {
  const store: ResolvedStore = {
    name: t.kind,
    endpoint: t.endpoint,
    region: t.region,
    credentials: { kind: 'static', ...t.credentials },
    forcePathStyle: true,
    checksumPolicy: t.quirks.checksumPolicy,
    maxSockets: 8,
    partSizeBytes: 8 * 1024 * 1024,
    defaults: {},
    source: 'test',
  };
  const client = createS3Client(store, { maxAttempts: 1, bodiesCarryMd5: true });
  let count = 0;
  client.middlewareStack.add(
    (next) => (args) => {
      count += 1;
      return next(args);
    },
    { step: 'initialize', name: 'countSdkRequests' },
  );
  return { client, sdkRequests: () => count };
}

/** Keys that need every kind of encoding in a path. */
const keys = [
  'plain.bin',
  "dir/a b+c!(x)*~'.txt",
  'ünïcödé/кот 🐈.bin',
  'semi;colon,comma=eq&amp?q#h%25',
  'trailing/',
];

function input(bucket: string, key: string, body: Buffer, extra: Record<string, unknown> = {}) {
  return {
    Bucket: bucket,
    Key: key,
    Body: body,
    ContentLength: body.length,
    ContentMD5: md5(body).toString('base64'),
    ...extra,
  };
}

describeS3Targets('fast PutObject', (getTarget) => {
  const setup = async () => {
    const t = getTarget();
    const { client, sdkRequests } = clientFor(t);
    const bucket = t.uniqueBucket('fastput');
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    return { t, client, sdkRequests, bucket };
  };

  it('sends later PutObjects to a bucket without the SDK, and they arrive intact', async () => {
    const { t, client, sdkRequests, bucket } = await setup();
    const first = randomBytes(100);
    await putObject(client, input(bucket, 'first', first));
    const afterLearning = sdkRequests();
    for (const [i, key] of keys.entries()) {
      const body = randomBytes(1000 + i);
      const res = await putObject(
        client,
        input(bucket, key, body, {
          ContentType: 'image/webp',
          CacheControl: 'max-age=60,  public',
          Metadata: { Project: 'game', 'stowage-sha256': 'abc' },
          Tagging: 'team=art&stage=final',
          ...(t.kind === 'stowage' ? { StorageClass: 'STANDARD_IA' } : {}),
        }),
      );
      expect(res.ETag?.replace(/"/g, '')).toBe(md5(body).toString('hex'));
      expect(res.$metadata.httpStatusCode).toBe(200);
      const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
      expect(got.ContentType).toBe('image/webp');
      expect(got.CacheControl).toBe('max-age=60,  public');
      expect(got.Metadata).toEqual({ project: 'game', 'stowage-sha256': 'abc' });
      if (t.kind === 'stowage') expect(got.StorageClass).toBe('STANDARD_IA');
      const tags = await client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
      expect(tags.TagSet).toEqual(
        expect.arrayContaining([
          { Key: 'team', Value: 'art' },
          { Key: 'stage', Value: 'final' },
        ]),
      );
    }
    // Only the GETs and tag reads went through the SDK: 2 per key, no PutObject.
    expect(sdkRequests() - afterLearning).toBe(2 * keys.length);
  });

  it('keeps the SDK error shape: bad MD5, a deleted bucket, a wrong secret', async () => {
    const { client, bucket } = await setup();
    await putObject(client, input(bucket, 'learn', Buffer.from('x')));
    const body = Buffer.from('body');
    const badMd5 = {
      ...input(bucket, 'bad', body),
      ContentMD5: md5(Buffer.from('other')).toString('base64'),
    };
    await expect(putObject(client, badMd5)).rejects.toMatchObject({
      name: 'BadDigest',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(
      client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'bad' })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });

    // The client's credential provider is asked on every request: a wrong secret is refused.
    const config = client.config as unknown as { credentials: unknown };
    const good = config.credentials;
    config.credentials = async () => ({
      accessKeyId: getTarget().credentials.accessKeyId,
      secretAccessKey: 'wrong-secret',
    });
    const denied = await putObject(client, input(bucket, 'denied', body)).catch((e: unknown) => e);
    config.credentials = good;
    expect(denied).toMatchObject({
      name: 'SignatureDoesNotMatch',
      $metadata: { httpStatusCode: 403 },
    });
    expect(translateS3Error(denied, { bucket, key: 'denied' }).code).toBe(
      'E_SIGNATURE_DOES_NOT_MATCH',
    );

    const { client: c2 } = clientFor(getTarget());
    const b2 = getTarget().uniqueBucket('fastgone');
    await c2.send(new CreateBucketCommand({ Bucket: b2 }));
    await putObject(c2, input(b2, 'learn', body));
    await c2.send(new DeleteObjectCommand({ Bucket: b2, Key: 'learn' }));
    await c2.send(new DeleteBucketCommand({ Bucket: b2 }));
    const gone = await putObject(c2, input(b2, 'k', body)).catch((e: unknown) => e);
    expect(gone).toMatchObject({ name: 'NoSuchBucket', $metadata: { httpStatusCode: 404 } });
    expect(translateS3Error(gone, { bucket: b2, key: 'k' }).code).toBe('E_NO_SUCH_BUCKET');
    c2.destroy();
  });

  it('sends through the SDK what it cannot map, and honours an abort', async () => {
    const { client, sdkRequests, bucket } = await setup();
    await putObject(client, input(bucket, 'learn', Buffer.from('x')));
    const before = sdkRequests();
    // Fields it does not map (Content-Language, ACL), no Content-MD5.
    await putObject(client, input(bucket, 'meta', Buffer.from('a'), { ContentLanguage: 'en' }));
    await putObject(client, input(bucket, 'acl', Buffer.from('b'), { ACL: 'private' }));
    await putObject(client, { ...input(bucket, 'nomd5', Buffer.from('c')), ContentMD5: undefined });
    expect(sdkRequests() - before).toBe(3);
    for (const key of ['meta', 'acl', 'nomd5']) {
      await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    }
    const aborted = new AbortController();
    aborted.abort();
    await expect(
      putObject(client, input(bucket, 'aborted', Buffer.from('d')), aborted.signal),
    ).rejects.toMatchObject({ name: 'AbortError' });
    // A key with no UTF-8 form goes to the SDK, which refuses it: nothing is stored under
    // another name (the path once read `<prefix>undefined`).
    await expect(putObject(client, input(bucket, 'x\ud800', Buffer.from('e')))).rejects.toThrow();
    await expect(getObject(client, { Bucket: bucket, Key: 'x\ud800' })).rejects.toThrow();
    await expect(
      client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'undefined' })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
  });
});

describeS3Targets('fast GetObject', (getTarget) => {
  const setup = async () => {
    const t = getTarget();
    const writer = clientFor(t).client;
    const bucket = t.uniqueBucket('fastget');
    await writer.send(new CreateBucketCommand({ Bucket: bucket }));
    // A client of its own, so its GETs learn the route (not a PutObject of the same client).
    const { client, sdkRequests } = clientFor(t);
    return { t, writer, client, sdkRequests, bucket };
  };
  const read = async (body: AsyncIterable<Uint8Array>) => {
    const pieces: Buffer[] = [];
    for await (const p of body) pieces.push(Buffer.from(p));
    return Buffer.concat(pieces);
  };

  it('sends later GetObjects without the SDK, with the output fields the SDK gives', async () => {
    const { writer, client, sdkRequests, bucket } = await setup();
    const bodies = new Map<string, Buffer>();
    for (const [i, key] of keys.entries()) {
      const body = randomBytes(2000 + i);
      bodies.set(key, body);
      await putObject(
        writer,
        input(bucket, key, body, {
          ContentType: 'image/webp',
          Metadata: { Project: 'game', 'stowage-sha256': 'abc', 'stowage-mtime': '1700000000000' },
        }),
      );
    }
    const first = await getObject(client, { Bucket: bucket, Key: keys[0]! });
    expect((await read(first.Body)).equals(bodies.get(keys[0]!)!)).toBe(true);
    const afterLearning = sdkRequests();
    const fields = [
      'ETag',
      'ContentLength',
      'ContentType',
      'Metadata',
      'ServerSideEncryption',
      'VersionId',
    ] as const;
    for (const key of keys) {
      const fast = await getObject(client, { Bucket: bucket, Key: key });
      expect((await read(fast.Body)).equals(bodies.get(key)!)).toBe(true);
      expect(fast.$metadata.httpStatusCode).toBe(200);
      expect(fast.Metadata).toEqual({
        project: 'game',
        'stowage-sha256': 'abc',
        'stowage-mtime': '1700000000000',
      });
      const sdk = await writer.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      await sdk.Body!.transformToByteArray();
      for (const f of fields) expect(fast[f], f).toEqual(sdk[f]);
      expect(fast.LastModified?.getTime()).toBe(sdk.LastModified?.getTime());
      // A range, with If-Match on the ETag.
      const part = await getObject(client, {
        Bucket: bucket,
        Key: key,
        Range: 'bytes=10-19',
        IfMatch: sdk.ETag!,
      });
      expect(part.$metadata.httpStatusCode).toBe(206);
      expect(part.ContentRange).toBe(`bytes 10-19/${bodies.get(key)!.length}`);
      expect((await read(part.Body)).equals(bodies.get(key)!.subarray(10, 20))).toBe(true);
    }
    expect(sdkRequests()).toBe(afterLearning);
  });

  it('keeps the SDK error shape: a stale If-Match, a missing key, a wrong secret', async () => {
    const { writer, client, bucket } = await setup();
    await putObject(writer, input(bucket, 'k', Buffer.from('one')));
    await read((await getObject(client, { Bucket: bucket, Key: 'k' })).Body);
    const stale = await getObject(client, {
      Bucket: bucket,
      Key: 'k',
      IfMatch: '"0123456789abcdef0123456789abcdef"',
    }).catch((e: unknown) => e);
    expect(stale).toMatchObject({ $metadata: { httpStatusCode: 412 } });
    expect(translateS3Error(stale, { bucket, key: 'k' }).code).toBe('E_PRECONDITION_FAILED');
    const missing = await getObject(client, { Bucket: bucket, Key: 'nope' }).catch((e) => e);
    expect(missing).toMatchObject({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    expect(translateS3Error(missing, { bucket, key: 'nope' }).code).toBe('E_NO_SUCH_KEY');
    const config = client.config as unknown as { credentials: unknown };
    const good = config.credentials;
    config.credentials = async () => ({
      accessKeyId: getTarget().credentials.accessKeyId,
      secretAccessKey: 'wrong-secret',
    });
    const denied = await getObject(client, { Bucket: bucket, Key: 'k' }).catch((e) => e);
    config.credentials = good;
    expect(denied).toMatchObject({
      name: 'SignatureDoesNotMatch',
      $metadata: { httpStatusCode: 403 },
    });
  });

  it('sends through the SDK what it cannot map, and honours an abort mid-body', async () => {
    const { writer, client, sdkRequests, bucket } = await setup();
    const big = randomBytes(4 * 1024 * 1024);
    await putObject(writer, input(bucket, 'big', big));
    await read((await getObject(client, { Bucket: bucket, Key: 'big' })).Body);
    const before = sdkRequests();
    const typed = await getObject(client, {
      Bucket: bucket,
      Key: 'big',
      ResponseContentType: 'text/plain',
    });
    expect(typed.ContentType).toBe('text/plain');
    expect((await read(typed.Body)).equals(big)).toBe(true);
    expect(sdkRequests() - before).toBe(1);
    const abort = new AbortController();
    const res = await getObject(client, { Bucket: bucket, Key: 'big' }, abort.signal);
    const reading = read(res.Body);
    abort.abort();
    await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
    // The client still works afterwards.
    expect(
      (await read((await getObject(client, { Bucket: bucket, Key: 'big' })).Body)).length,
    ).toBe(big.length);
  });
});

describeS3Targets(
  'fast PutObject, virtual-hosted addressing',
  (getTarget) => {
    it('learns a `bucket.host` route and sends to it', async () => {
      const t = getTarget();
      // `<bucket>.localhost` does not resolve here: the agents send every name to 127.0.0.1.
      const lookup = (_host: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) =>
        opts.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4);
      const agentOptions = { keepAlive: true, lookup } as http.AgentOptions;
      const httpAgent = new http.Agent(agentOptions);
      const port = new URL(t.endpoint).port;
      const client = new S3Client({
        endpoint: `http://localhost:${port}`,
        region: t.region,
        credentials: t.credentials,
        forcePathStyle: false,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        requestHandler: { httpAgent },
      });
      enableFastPath(client, {
        httpAgent,
        httpsAgent: new https.Agent(),
        socketTimeoutMs: 10_000,
        userAgent: 'stowage-test',
      });
      const hosts: string[] = [];
      client.middlewareStack.add(
        (next) => (args) => {
          hosts.push((args.request as { hostname: string }).hostname);
          return next(args);
        },
        { step: 'deserialize', name: 'hosts' },
      );
      const bucket = t.uniqueBucket('vhost');
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      await putObject(client, input(bucket, 'first', Buffer.from('one')));
      const body = randomBytes(300);
      await putObject(client, input(bucket, 'dir/second file.bin', body));
      expect(hosts).toEqual([`${bucket}.localhost`, `${bucket}.localhost`]);
      const got = await client.send(
        new GetObjectCommand({ Bucket: bucket, Key: 'dir/second file.bin' }),
      );
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
      client.destroy();
    });
  },
  // RGW's test setup has no DNS-style bucket domain.
  { kinds: ['stowage'] },
);

describe('fast PutObject signer', () => {
  it('signs exactly as the SDK signer does (path, headers, session token)', async () => {
    const credentials = {
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      sessionToken: 'token/with+chars=',
    };
    const now = new Date('2026-12-02T13:19:15.123Z');
    const path = `/bucket/${encodeKeyPath("dir/a b+c!(x)*~'ü.txt")}`;
    const headers: Record<string, string> = {
      host: '127.0.0.1:9000',
      'content-length': '4',
      'content-md5': 'CY9rzUYh03PK3k6DJie09g==',
      'content-type': 'text/plain',
      'cache-control': '  max-age=60,   public ',
      'x-amz-meta-project': 'game',
    };
    const ours = { method: 'PUT', path, headers: { ...headers } };
    signRequest(ours, credentials, 'eu-west-1', 's3', now);

    const sdk = new SignatureV4({
      credentials,
      region: 'eu-west-1',
      service: 's3',
      sha256: Hash.bind(null, 'sha256'),
      uriEscapePath: false,
      applyChecksum: false,
    });
    const signed = await sdk.sign(
      {
        method: 'PUT',
        protocol: 'http:',
        hostname: '127.0.0.1',
        port: 9000,
        path,
        query: {},
        headers: { ...headers, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
      },
      { signingDate: now },
    );
    expect(ours.headers['authorization']).toBe(signed.headers['authorization']);
    expect(ours.headers['x-amz-security-token']).toBe(credentials.sessionToken);
    expect(encodeKeyPath('a/b c/~!')).toBe('a/b%20c/~%21');
    expect(encodeKeyPath('bad\ud800')).toBeUndefined();
  });
});
