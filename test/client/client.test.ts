/**
 * src/client/ against the real embedded server: a store resolved from env, from a store in
 * stowage.yaml, from an AWS profile and by discovering a real `stowage serve` subprocess works
 * for list/put/get; SDK failures arrive as StowageError with the right code.
 */
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createS3Client,
  parseLocation,
  resolveStore,
  translateS3Error,
  type ResolvedStore,
  type StoreFlags,
} from '../../src/client/index.js';
import { configSchema, type StowageConfigInput } from '../../src/config/schema.js';
import { principalArn } from '../../src/s3api/identity.js';
import { tempDir } from '../helpers/engine.js';
import { expectError } from '../helpers/expect-error.js';
import { killAllServers, serve } from '../helpers/serve-process.js';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';

const NO_POWER = {
  accessKeyId: 'STWNOPOWER0000000001',
  secretAccessKey: 'no-power-secret-000000000000000000000000',
};

let t: TestServer;
const cleanups: Array<() => void | Promise<void>> = [];

beforeAll(async () => {
  t = await startTestServer({
    identities: (id) =>
      id === NO_POWER.accessKeyId
        ? {
            ...NO_POWER,
            name: 'nopower',
            root: false,
            arn: principalArn('nopower', false),
            policies: [],
          }
        : undefined,
  });
});
afterAll(async () => {
  killAllServers();
  for (const c of cleanups.reverse()) await c();
  await t.close();
});

/** A temp home (optionally with ~/.aws files) and an empty data dir. */
function sandbox(aws: { config?: string; credentials?: string } = {}) {
  const { dir, cleanup } = tempDir('stowage-client-');
  cleanups.push(cleanup);
  const home = path.join(dir, 'home');
  mkdirSync(path.join(home, '.aws'), { recursive: true });
  if (aws.config) writeFileSync(path.join(home, '.aws', 'config'), aws.config);
  if (aws.credentials) writeFileSync(path.join(home, '.aws', 'credentials'), aws.credentials);
  return { home, dataDir: path.join(dir, 'data') };
}

async function resolveIn(
  box: { home: string; dataDir: string },
  env: Record<string, string>,
  config: StowageConfigInput = {},
  flags: StoreFlags = {},
): Promise<ResolvedStore> {
  return resolveStore({
    config: configSchema.parse({ dataDir: box.dataDir, ...config }),
    env,
    homeDir: box.home,
    flags,
  });
}

/** Creates a bucket, puts and gets an object, and lists buckets with a client for `store`. */
async function roundTrip(store: ResolvedStore, bucket: string): Promise<S3Client> {
  const s3 = createS3Client(store);
  cleanups.push(() => s3.destroy());
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const body = `hello from ${store.name}`;
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'dir/ünï.txt', Body: body }));
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'dir/ünï.txt' }));
  expect(await got.Body!.transformToString()).toBe(body);
  const names = (await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name);
  expect(names).toContain(bucket);
  return s3;
}

/** The AWS_* variables that point at the test server with the root key. */
const envOfTestServer = () => ({
  AWS_ACCESS_KEY_ID: TEST_KEY.accessKeyId,
  AWS_SECRET_ACCESS_KEY: TEST_KEY.secretAccessKey,
  AWS_ENDPOINT_URL: t.url,
  AWS_REGION: 'us-east-1',
});

describe('a store resolved from each source works against stowage serve', () => {
  it('(a) env: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL, AWS_REGION', async () => {
    const store = await resolveIn(sandbox(), envOfTestServer());
    expect(store).toMatchObject({ name: 'env', endpoint: t.url, forcePathStyle: true });
    await roundTrip(store, 'from-env');
  });

  it('(b) a named store in stowage.yaml, with the WHEN_REQUIRED checksum policy', async () => {
    const config: StowageConfigInput = {
      stores: {
        here: {
          endpoint: t.url,
          accessKeyId: TEST_KEY.accessKeyId,
          secretAccessKey: TEST_KEY.secretAccessKey,
          checksumPolicy: 'WHEN_REQUIRED',
          maxSockets: 4,
        },
      },
    };
    const store = await resolveIn(sandbox(), {}, config, { store: 'here' });
    expect(store).toMatchObject({ name: 'here', checksumPolicy: 'WHEN_REQUIRED', maxSockets: 4 });
    const s3 = await roundTrip(store, 'from-config');
    // WHEN_REQUIRED: the SDK sends no CRC32 with a plain PUT.
    let sentChecksum: string | undefined;
    s3.middlewareStack.add(
      (next) => async (args) => {
        const headers = (args.request as { headers: Record<string, string> }).headers;
        sentChecksum = headers['x-amz-checksum-crc32'] ?? headers['x-amz-trailer'] ?? 'none';
        return next(args);
      },
      { step: 'finalizeRequest' },
    );
    await s3.send(new PutObjectCommand({ Bucket: 'from-config', Key: 'k', Body: 'x' }));
    expect(sentChecksum).toBe('none');
  });

  it('bodiesCarryMd5: a WHEN_SUPPORTED store gets no CRC32 on uploads; without it, it does', async () => {
    const store = await resolveIn(sandbox(), envOfTestServer());
    expect(store.checksumPolicy).toBe('WHEN_SUPPORTED');
    const plain = await roundTrip(store, 'md5-bodies');
    const md5Only = createS3Client(store, { bodiesCarryMd5: true });
    cleanups.push(() => md5Only.destroy());
    // What the store kept tells which checksum each upload carried.
    const storedCrc = async (s3: S3Client, key: string) => {
      await s3.send(new PutObjectCommand({ Bucket: 'md5-bodies', Key: key, Body: 'body' }));
      const head = await s3.send(
        new HeadObjectCommand({ Bucket: 'md5-bodies', Key: key, ChecksumMode: 'ENABLED' }),
      );
      return head.ChecksumCRC32;
    };
    expect(await storedCrc(plain, 'plain')).toMatch(/^[A-Za-z0-9+/]{6}==$/);
    expect(await storedCrc(md5Only, 'md5-only')).toBeUndefined();
    // A body with Content-MD5 is signed as UNSIGNED-PAYLOAD; the signed MD5 still guards it.
    const sent: string[] = [];
    md5Only.middlewareStack.add(
      (next) => async (args) => {
        const h = (args.request as { headers: Record<string, string> }).headers;
        sent.push(h['x-amz-content-sha256'] ?? 'none');
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low' },
    );
    const md5Of = (text: string) => createHash('md5').update(text).digest('base64');
    await md5Only.send(
      new PutObjectCommand({
        Bucket: 'md5-bodies',
        Key: 'm',
        Body: 'body',
        ContentMD5: md5Of('body'),
      }),
    );
    await md5Only.send(new PutObjectCommand({ Bucket: 'md5-bodies', Key: 'n', Body: 'body' }));
    expect(sent).toEqual(['UNSIGNED-PAYLOAD', createHash('sha256').update('body').digest('hex')]);
    await expect(
      md5Only.send(
        new PutObjectCommand({
          Bucket: 'md5-bodies',
          Key: 'bad',
          Body: 'body',
          ContentMD5: md5Of('other'),
        }),
      ),
    ).rejects.toMatchObject({ name: 'BadDigest' });
    await expect(
      md5Only.send(new HeadObjectCommand({ Bucket: 'md5-bodies', Key: 'bad' })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    // Downloads are still checked as the store's policy says.
    const got = await md5Only.send(new GetObjectCommand({ Bucket: 'md5-bodies', Key: 'plain' }));
    expect(await got.Body!.transformToString()).toBe('body');
  });

  it('(c) an AWS profile: keys in ~/.aws/credentials, endpoint and addressing style in ~/.aws/config', async () => {
    const box = sandbox({
      config: `[profile stowage]\nregion = us-east-1\nendpoint_url = ${t.url}\ns3 =\n  addressing_style = path\n`,
      credentials: `[stowage]\naws_access_key_id = ${TEST_KEY.accessKeyId}\naws_secret_access_key = ${TEST_KEY.secretAccessKey}\n`,
    });
    const store = await resolveIn(box, {}, {}, { profile: 'stowage' });
    expect(store.source).toContain('profile stowage');
    await roundTrip(store, 'from-profile');
    // The same profile chosen by AWS_PROFILE.
    const viaEnv = await resolveIn(box, { AWS_PROFILE: 'stowage' });
    const s3 = createS3Client(viaEnv);
    cleanups.push(() => s3.destroy());
    expect(
      (await s3.send(new HeadBucketCommand({ Bucket: 'from-profile' }))).$metadata.httpStatusCode,
    ).toBe(200);
  });

  it('(d) local discovery: the credentials a real `stowage serve` wrote into its data dir', async () => {
    const box = sandbox();
    const port = await freePort();
    const { child, info } = await serve(box.dataDir, {}, port);
    cleanups.push(() => {
      child.kill('SIGTERM');
    });
    expect(info.url).toBe(`http://127.0.0.1:${port}`);

    // No env, no ~/.aws, no stores: only the data dir and the port in the config.
    const store = await resolveIn(box, {}, { server: { port } });
    expect(store).toMatchObject({ name: 'local', endpoint: info.url, forcePathStyle: true });
    expect(store.credentials).toMatchObject({ kind: 'static', accessKeyId: info.accessKeyId });
    await roundTrip(store, 'discovered');
  });
});

describe('SDK errors become StowageError', () => {
  const call = async (
    s3: S3Client,
    // Any command of the S3 client; `send` is overloaded, so the union is cast at the call.
    command: { input: object },
    ctx: { bucket?: string; key?: string; store?: ResolvedStore },
  ) => {
    try {
      return await s3.send(command as Parameters<S3Client['send']>[0]);
    } catch (err) {
      throw translateS3Error(err, ctx);
    }
  };
  let store: ResolvedStore;
  let s3: S3Client;
  beforeAll(async () => {
    store = await resolveIn(sandbox(), {
      AWS_ACCESS_KEY_ID: TEST_KEY.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_KEY.secretAccessKey,
      AWS_ENDPOINT_URL: t.url,
    });
    s3 = createS3Client(store);
    cleanups.push(() => s3.destroy());
    await s3.send(new CreateBucketCommand({ Bucket: 'errors' }));
  });

  it('missing bucket and key: GET, HEAD and a parsed s3:// URL', async () => {
    const where = parseLocation('s3://no-such-bucket/k');
    if (where.kind !== 's3') throw new Error('expected an s3 location');
    const e1 = await expectError(
      call(s3, new GetObjectCommand({ Bucket: where.bucket, Key: where.key }), where),
      'E_NO_SUCH_BUCKET',
      's3://no-such-bucket/k',
    );
    expect(e1.details).toMatchObject({
      bucket: 'no-such-bucket',
      httpStatus: 404,
      s3Code: 'NoSuchBucket',
    });
    expect(e1.cause).toBeDefined();
    await expectError(
      call(s3, new GetObjectCommand({ Bucket: 'errors', Key: 'nope' }), {
        bucket: 'errors',
        key: 'nope',
      }),
      'E_NO_SUCH_KEY',
    );
    const head = await expectError(
      call(s3, new HeadObjectCommand({ Bucket: 'errors', Key: 'nope' }), {
        bucket: 'errors',
        key: 'nope',
      }),
      'E_NO_SUCH_KEY',
      's3://errors/nope does not exist',
    );
    expect(head.exitCode).toBe(3);
    await expectError(
      call(s3, new HeadBucketCommand({ Bucket: 'no-such-bucket' }), { bucket: 'no-such-bucket' }),
      'E_NO_SUCH_BUCKET',
    );
  });

  it('an unknown key id and a wrong secret: clear credential errors that never show the secret', async () => {
    const box = sandbox();
    const unknown = await resolveIn(box, {
      AWS_ACCESS_KEY_ID: 'STWUNKNOWN0000009999',
      AWS_SECRET_ACCESS_KEY: 'whatever-secret-00000000000000000000000',
      AWS_ENDPOINT_URL: t.url,
    });
    const c1 = createS3Client(unknown, { maxAttempts: 1 });
    cleanups.push(() => c1.destroy());
    const e1 = await expectError(
      call(c1, new ListBucketsCommand({}), { store: unknown }),
      'E_INVALID_ACCESS_KEY_ID',
      /does not know the access key \(store env, key \*\*\*\*9999;/,
    );
    expect(e1.message).not.toContain('whatever-secret');
    expect(e1.exitCode).toBe(6);

    const wrongSecret = await resolveIn(box, {
      AWS_ACCESS_KEY_ID: TEST_KEY.accessKeyId,
      AWS_SECRET_ACCESS_KEY: 'wrong-secret-0000000000000000000000000000',
      AWS_ENDPOINT_URL: t.url,
    });
    const c2 = createS3Client(wrongSecret, { maxAttempts: 1 });
    cleanups.push(() => c2.destroy());
    const e2 = await expectError(
      call(c2, new ListBucketsCommand({}), { store: wrongSecret }),
      'E_SIGNATURE_DOES_NOT_MATCH',
      'the secret key is wrong',
    );
    expect(e2.message).not.toContain('wrong-secret');
    expect(JSON.stringify(e2.toJSON())).not.toContain('wrong-secret');
  });

  it('access denied by policy', async () => {
    const denied = await resolveIn(sandbox(), { ...envKeys(NO_POWER), AWS_ENDPOINT_URL: t.url });
    const c = createS3Client(denied);
    cleanups.push(() => c.destroy());
    const err = await expectError(
      call(c, new PutObjectCommand({ Bucket: 'errors', Key: 'x', Body: 'x' }), {
        bucket: 'errors',
        key: 'x',
        store: denied,
      }),
      'E_ACCESS_DENIED',
    );
    expect(err.retryable).toBe(false);
  });

  it('a store that is not running: a retryable network error naming the cause', async () => {
    const port = await freePort();
    const down = await resolveIn(sandbox(), {
      ...envKeys(TEST_KEY),
      AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
    });
    const c = createS3Client(down, { maxAttempts: 1 });
    cleanups.push(() => c.destroy());
    const err = await expectError(
      call(c, new ListBucketsCommand({}), { store: down }),
      'E_NETWORK',
      /ECONNREFUSED.*is `stowage serve` or the store running/,
    );
    expect(err.retryable).toBe(true);
  });

  it('an https:// endpoint at a store that speaks plain HTTP: says so, not an OpenSSL trace', async () => {
    const wrong = await resolveIn(sandbox(), {
      ...envKeys(TEST_KEY),
      AWS_ENDPOINT_URL: t.url.replace(/^http:/, 'https:'),
    });
    const c = createS3Client(wrong, { maxAttempts: 1 });
    cleanups.push(() => c.destroy());
    const err = await expectError(
      call(c, new ListBucketsCommand({}), { store: wrong }),
      'E_NETWORK',
      /it does not answer TLS; if it serves plain HTTP, use an http:\/\/ endpoint/,
    );
    expect(err.message).not.toMatch(/openssl|ssl3_get_record/i);
    expect(err.retryable).toBe(false);
  });

  it('answers a real server cannot be made to give, from a stub: throttling, 500, unknown codes', async () => {
    let answer = { status: 503, code: 'SlowDown' };
    const stub = http.createServer((req, res) => {
      req.resume();
      res.writeHead(answer.status, { 'content-type': 'application/xml' });
      res.end(
        `<?xml version="1.0"?><Error><Code>${answer.code}</Code><Message>stub says ${answer.code}</Message></Error>`,
      );
    });
    await new Promise<void>((r) => stub.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => stub.close(() => r())));
    const url = `http://127.0.0.1:${(stub.address() as net.AddressInfo).port}`;
    const slow = await resolveIn(sandbox(), { ...envKeys(TEST_KEY), AWS_ENDPOINT_URL: url });
    const c = createS3Client(slow, { maxAttempts: 1 });
    cleanups.push(() => c.destroy());
    const put = () =>
      call(c, new PutObjectCommand({ Bucket: 'b12', Key: 'k', Body: 'x' }), {
        bucket: 'b12',
        key: 'k',
      });

    const e1 = await expectError(
      put(),
      'E_SLOW_DOWN',
      's3://b12/k: the store is throttling (SlowDown)',
    );
    expect(e1.retryable).toBe(true);
    expect(e1.details).toMatchObject({ httpStatus: 503, s3Code: 'SlowDown' });
    answer = { status: 429, code: 'TooManyRequests' };
    expect((await expectError(put(), 'E_SLOW_DOWN')).retryable).toBe(true);
    answer = { status: 500, code: 'InternalError' };
    const e3 = await expectError(put(), 'E_STORE_ERROR', 'InternalError: stub says InternalError');
    expect(e3.retryable).toBe(true);
    answer = { status: 400, code: 'WeirdThing' };
    const e4 = await expectError(put(), 'E_STORE_ERROR', 'WeirdThing');
    expect(e4.s3Code).toBe('WeirdThing');
    expect(e4.retryable).toBe(false);
    answer = { status: 400, code: 'ExpiredToken' };
    const e5 = await expectError(put(), 'E_ACCESS_DENIED', 'refresh the session credentials');
    expect(e5.s3Code).toBe('ExpiredToken');
    answer = { status: 400, code: 'RequestTimeout' };
    expect((await expectError(put(), 'E_REQUEST_TIMEOUT')).retryable).toBe(true);
  });

  it('other S3 codes map through the error table (BucketNotEmpty from the real server)', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'errors', Key: 'keep', Body: 'x' }));
    const err = await expectError(
      call(s3, new DeleteBucketCommand({ Bucket: 'errors' }), { bucket: 'errors' }),
      'E_BUCKET_NOT_EMPTY',
    );
    expect(err.exitCode).toBe(4);
  });
});

function envKeys(key: { accessKeyId: string; secretAccessKey: string }): Record<string, string> {
  return { AWS_ACCESS_KEY_ID: key.accessKeyId, AWS_SECRET_ACCESS_KEY: key.secretAccessKey };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
