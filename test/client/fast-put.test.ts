/**
 * src/client/fast-put/ against the embedded server and Ceph RGW: after one PutObject to a
 * bucket through the SDK, later ones skip the SDK's middleware stack, and the objects that
 * arrive are the same (bytes, metadata, headers, odd keys); failures keep the SDK's error
 * shape; what the path cannot map still goes through the SDK. The signer matches the SDK's.
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
import { enableFastPut, putObject } from '../../src/client/fast-put/put-object.js';
import { encodeKeyPath, signRequest } from '../../src/client/fast-put/sign.js';
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
    const keys = [
      'plain.bin',
      "dir/a b+c!(x)*~'.txt",
      'ünïcödé/кот 🐈.bin',
      'semi;colon,comma=eq&amp?q#h%25',
      'trailing/',
    ];
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
      enableFastPut(client, {
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
