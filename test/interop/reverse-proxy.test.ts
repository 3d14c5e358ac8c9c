/**
 * `stowage serve` behind nginx terminating TLS, as a studio exposes it on its network, with
 * `server.trustedProxies` naming the proxy. Three loopback addresses keep the roles apart:
 * nginx reaches Stowage from 127.0.0.2 (the trusted proxy), the SDK clients connect from
 * 127.0.0.3 or 127.0.0.4, and Stowage listens on 127.0.0.1. Policies on
 * aws:SecureTransport and aws:SourceIp then judge the client, not the proxy, and a client
 * cannot pass for another by sending forwarding headers of its own.
 */
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificate } from '../helpers/certificate.js';
import { denyInsecureTransport } from '../fixtures/seed-policies.js';
import { tempDir } from '../helpers/engine.js';
import { s3ErrorOf } from '../helpers/expect-error.js';
import { startNginx, type NginxProxy } from '../helpers/nginx.js';
import { waitUntil } from '../helpers/rgw-support.js';
import { awsCli } from '../helpers/aws-cli.js';
import { killAllServers, serve, type Started } from '../helpers/serve-process.js';
import { signedFetch } from '../helpers/signed-fetch.js';

const ROOT = {
  accessKeyId: 'STWPROXYROOT00000001',
  secretAccessKey: 'proxy-root-secret-000000000000',
};
const BUCKET = 'behind-proxy';
const OPEN_BUCKET = 'behind-proxy-open';

let dir: string;
let cleanup: () => void;
let stowage: Started;
let nginx: NginxProxy;
let cert: string;

/** The server's access lines so far (JSON on its stderr). */
function accessLines(): Array<Record<string, unknown>> {
  return stowage
    .stderr()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.msg === 'request');
}

/** The access lines that `match`, once there are `count` of them (the log is written asynchronously). */
async function accessLinesWhere(
  match: (line: Record<string, unknown>) => boolean,
  count: number,
): Promise<Array<Record<string, unknown>>> {
  await waitUntil(
    `${count} matching access lines`,
    2000,
    () => accessLines().filter(match).length >= count,
  );
  return accessLines().filter(match);
}

/** An SDK client talking to `url`, its connections coming from `localAddress`. */
function clientFrom(url: string, localAddress: string): S3Client {
  return new S3Client({
    endpoint: url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: ROOT,
    maxAttempts: 1,
    requestHandler: { httpsAgent: new https.Agent({ ca: readFileSync(cert), localAddress }) },
  });
}

beforeAll(async () => {
  ({ dir, cleanup } = tempDir('stowage-proxy-'));
  ({ cert } = makeCertificate(dir, 'proxy'));
  const key = cert.replace(/\.crt$/, '.key');
  stowage = await serve(path.join(dir, 'data'), {
    STOWAGE_ROOT_ACCESS_KEY: ROOT.accessKeyId,
    STOWAGE_ROOT_SECRET_KEY: ROOT.secretAccessKey,
    STOWAGE_TRUSTED_PROXIES: '127.0.0.2',
    LOG_LEVEL: 'info',
  });
  nginx = await startNginx({
    dir: path.join(dir, 'nginx'),
    upstream: new URL(stowage.info.url).host,
    cert,
    key,
    bindAddress: '127.0.0.2',
  });
  const admin = clientFrom(nginx.url, '127.0.0.3');
  for (const bucket of [BUCKET, OPEN_BUCKET]) {
    await admin.send(new CreateBucketCommand({ Bucket: bucket }));
  }
  // Seed 003: nothing over plain HTTP; here also writes only from 127.0.0.3.
  await admin.send(
    new PutBucketPolicyCommand({
      Bucket: BUCKET,
      Policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          denyInsecureTransport(BUCKET),
          {
            Sid: 'WritesFromTheWorkstationOnly',
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:PutObject',
            Resource: `arn:aws:s3:::${BUCKET}/*`,
            Condition: { NotIpAddress: { 'aws:SourceIp': '127.0.0.3/32' } },
          },
        ],
      }),
    }),
  );
  admin.destroy();
}, 120_000);

afterAll(async () => {
  await nginx?.close();
  killAllServers();
  cleanup?.();
});

describe('stowage serve behind nginx (server.trustedProxies)', () => {
  it("aws:SecureTransport is the client's TLS to the proxy; plain HTTP to the server is denied", async () => {
    const viaProxy = clientFrom(nginx.url, '127.0.0.3');
    await viaProxy.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'a.txt', Body: 'through TLS' }),
    );
    const got = await viaProxy.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'a.txt' }));
    expect(await got.Body!.transformToString()).toBe('through TLS');
    viaProxy.destroy();
    // Straight to the server in plain HTTP, even claiming to have come through TLS.
    const direct = await signedFetch(stowage.info, 'GET', `/${BUCKET}/a.txt`, {
      credentials: ROOT,
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '127.0.0.3' },
    });
    expect(direct.status).toBe(403);
    expect(await direct.text()).toContain('<Code>AccessDenied</Code>');
    const [line] = await accessLinesWhere(
      (l) => l.requestId === direct.headers.get('x-amz-request-id'),
      1,
    );
    expect(line).toMatchObject({ status: 403, remoteAddress: '127.0.0.1' });
    expect(line?.proxy).toBeUndefined();
  });

  it('aws:SourceIp is the client behind the proxy, and a forwarded address it sends itself does not count', async () => {
    const other = clientFrom(nginx.url, '127.0.0.4');
    expect(
      await s3ErrorOf(
        other.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'b.txt', Body: 'x' })),
      ),
    ).toMatchObject({ name: 'AccessDenied' });
    // The same client pretending, in its own X-Forwarded-For, to be the workstation:
    // nginx appends the address it saw, and that is the one taken.
    other.middlewareStack.add(
      (next) => async (args) => {
        (args.request as { headers: Record<string, string> }).headers['x-forwarded-for'] =
          '127.0.0.3';
        return next(args);
      },
      // After signing, as any header a client adds unsigned.
      { step: 'deserialize', name: 'spoofForwardedFor' },
    );
    expect(
      await s3ErrorOf(
        other.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'b.txt', Body: 'x' })),
      ),
    ).toMatchObject({ name: 'AccessDenied' });
    other.destroy();
    const workstation = clientFrom(nginx.url, '127.0.0.3');
    await workstation.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'b.txt', Body: 'ok' }));
    workstation.destroy();
    // The access log names the client and the proxy it came through.
    const lines = await accessLinesWhere((l) => l.path === `/${BUCKET}/b.txt`, 3);
    expect(lines.map((l) => [l.status, l.remoteAddress, l.proxy])).toEqual([
      [403, '127.0.0.4', '127.0.0.2'],
      [403, '127.0.0.4', '127.0.0.2'],
      [200, '127.0.0.3', '127.0.0.2'],
    ]);
  });

  it('a multipart upload through the proxy completes, its Location naming the https URL the client used', async () => {
    const c = clientFrom(nginx.url, '127.0.0.3');
    const { UploadId } = await c.send(
      new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'big/one.bin' }),
    );
    const parts = [randomBytes(5 * 1024 * 1024), randomBytes(1024 * 1024)];
    const etags: string[] = [];
    for (const [i, body] of parts.entries()) {
      const r = await c.send(
        new UploadPartCommand({
          Bucket: BUCKET,
          Key: 'big/one.bin',
          UploadId,
          PartNumber: i + 1,
          Body: body,
        }),
      );
      etags.push(r.ETag!);
    }
    const done = await c.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: 'big/one.bin',
        UploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }),
    );
    expect(done.Location).toBe(`${nginx.url}/${BUCKET}/big/one.bin`);
    const got = await c.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'big/one.bin' }));
    const bytes = Buffer.from(await got.Body!.transformToByteArray());
    expect(bytes.equals(Buffer.concat(parts))).toBe(true);
    c.destroy();
  });

  it('SSE-C keys go through the proxy, which the client reached over TLS; sent to the server in plain HTTP they are refused', async () => {
    const c = clientFrom(nginx.url, '127.0.0.3');
    const sse = {
      SSECustomerAlgorithm: 'AES256',
      SSECustomerKey: randomBytes(32).toString('base64'),
    };
    await c.send(
      new PutObjectCommand({ Bucket: OPEN_BUCKET, Key: 'sealed', Body: 'mine', ...sse }),
    );
    const got = await c.send(new GetObjectCommand({ Bucket: OPEN_BUCKET, Key: 'sealed', ...sse }));
    expect(await got.Body!.transformToString()).toBe('mine');
    c.destroy();
    const keyMd5 = createHash('md5')
      .update(Buffer.from(sse.SSECustomerKey, 'base64'))
      .digest('base64');
    const direct = await signedFetch(stowage.info, 'GET', `/${OPEN_BUCKET}/sealed`, {
      credentials: ROOT,
      headers: {
        'x-amz-server-side-encryption-customer-algorithm': 'AES256',
        'x-amz-server-side-encryption-customer-key': sse.SSECustomerKey,
        'x-amz-server-side-encryption-customer-key-md5': keyMd5,
      },
    });
    expect(direct.status).toBe(400);
    expect(await direct.text()).toContain('must be made over a secure connection');
  });

  it('aws-cli copies a multipart file up and down through the proxy, bytes compared', async () => {
    const src = path.join(dir, 'art.bin');
    const body = randomBytes(20 * 1024 * 1024);
    writeFileSync(src, body);
    const aws = awsCli({ endpoint: nginx.url, region: 'us-east-1', credentials: ROOT }, dir);
    const up = await aws('--ca-bundle', cert, 's3', 'cp', src, `s3://${OPEN_BUCKET}/art.bin`);
    expect(up.code, up.stderr).toBe(0);
    const back = path.join(dir, 'art.back');
    const down = await aws('--ca-bundle', cert, 's3', 'cp', `s3://${OPEN_BUCKET}/art.bin`, back);
    expect(down.code, down.stderr).toBe(0);
    expect(readFileSync(back).equals(body)).toBe(true);
  });
});
