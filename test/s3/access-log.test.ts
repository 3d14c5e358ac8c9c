/**
 * The structured access log of `stowage serve`: one JSON line per request with the
 * request id the client saw, the operation, status, S3 error code, duration and caller;
 * never a header or a secret, even though these lines skip pino's redaction pass.
 */
import {
  CreateBucketCommand,
  DeleteBucketCorsCommand,
  GetBucketCorsCommand,
  GetBucketInventoryConfigurationCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketInventoryConfigurationsCommand,
  PutBucketCorsCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import http from 'node:http';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { RunningServer } from '../../src/server/start.js';
import { tempDir } from '../helpers/engine.js';
import { connectRaw } from '../helpers/raw-socket.js';
import { startLoggingServer, TEST_KEY } from '../helpers/server.js';
import { signedFetch, signedHeaderLines } from '../helpers/signed-fetch.js';

const { dir, cleanup } = tempDir('stowage-access-');
let lines: string[] = [];
let server: RunningServer;
let client: S3Client;

beforeAll(async () => {
  ({ server, lines } = await startLoggingServer(dir, {
    longAnswer: { afterMs: 20, everyMs: 10 },
  }));
  client = new S3Client({
    endpoint: server.url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: TEST_KEY,
  });
});
afterAll(async () => {
  client.destroy();
  await server.close();
  cleanup();
});

/** The access lines written so far, parsed. */
const accessLines = () =>
  lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request');

it('writes one line per request: id, operation, status, code, duration, caller, address; no secrets', async () => {
  await client.send(new CreateBucketCommand({ Bucket: 'logged' }));
  const put = await client.send(
    new PutObjectCommand({ Bucket: 'logged', Key: 'dir/a.txt', Body: 'hello' }),
  );
  const missing = await client
    .send(new GetObjectCommand({ Bucket: 'logged', Key: 'nope' }))
    .catch((err: { $metadata: { requestId?: string } }) => err);
  const stranger = new S3Client({
    endpoint: server.url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'STWNOSUCHKEY00000000', secretAccessKey: 'wrong-secret-value' },
    maxAttempts: 1,
  });
  await stranger.send(new GetObjectCommand({ Bucket: 'logged', Key: 'dir/a.txt' })).catch(() => {});
  stranger.destroy();

  const got = accessLines();
  expect(got).toHaveLength(4);
  const [create, putLine, getLine, denied] = got;
  expect(create).toMatchObject({
    level: 30,
    method: 'PUT',
    path: '/logged/',
    bucket: 'logged',
    operation: 'CreateBucket',
    status: 200,
  });
  expect(putLine).toMatchObject({
    method: 'PUT',
    path: '/logged/dir/a.txt',
    operation: 'PutObject',
    status: 200,
    principal: TEST_KEY.accessKeyId,
    requestId: put.$metadata.requestId,
    remoteAddress: '127.0.0.1',
  });
  // No trusted proxy here: the line names none.
  expect(putLine!.proxy).toBeUndefined();
  expect(putLine!.durationMs).toEqual(expect.any(Number));
  expect(getLine).toMatchObject({
    operation: 'GetObject',
    status: 404,
    code: 'NoSuchKey',
    requestId: (missing as { $metadata: { requestId?: string } }).$metadata.requestId,
  });
  expect(denied).toMatchObject({
    status: 403,
    code: 'InvalidAccessKeyId',
    refusedAccessKeyId: 'STWNOSUCHKEY00000000',
  });
  expect(denied!.principal).toBeUndefined();
  const all = lines.join('\n');
  expect(all).not.toContain(TEST_KEY.secretAccessKey);
  expect(all).not.toContain('wrong-secret-value');
  expect(all).not.toMatch(/AWS4-HMAC-SHA256|Signature=|x-amz-content-sha256/i);
});

it('names the key a wrong signature used, so that the client at fault can be found', async () => {
  const wrong = new S3Client({
    endpoint: server.url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: TEST_KEY.accessKeyId, secretAccessKey: 'not-the-secret' },
    maxAttempts: 1,
  });
  const before = accessLines().length;
  await wrong.send(new HeadObjectCommand({ Bucket: 'logged', Key: 'dir/a.txt' })).catch(() => {});
  wrong.destroy();
  const [line] = accessLines().slice(before);
  expect(line).toMatchObject({
    status: 403,
    code: 'SignatureDoesNotMatch',
    refusedAccessKeyId: TEST_KEY.accessKeyId,
  });
  expect(line!.principal).toBeUndefined();
});

it('names bucket-document operations as S3 does', async () => {
  const before = accessLines().length;
  const cors = { CORSRules: [{ AllowedMethods: ['GET'], AllowedOrigins: ['*'] }] };
  await client.send(new PutBucketCorsCommand({ Bucket: 'logged', CORSConfiguration: cors }));
  await client.send(new GetBucketCorsCommand({ Bucket: 'logged' }));
  await client.send(new DeleteBucketCorsCommand({ Bucket: 'logged' }));
  await client.send(new GetBucketPolicyCommand({ Bucket: 'logged' })).catch(() => {});
  await client.send(new ListBucketInventoryConfigurationsCommand({ Bucket: 'logged' }));
  await client
    .send(new GetBucketInventoryConfigurationCommand({ Bucket: 'logged', Id: 'none' }))
    .catch(() => {});
  await client.send(
    new PutPublicAccessBlockCommand({
      Bucket: 'logged',
      PublicAccessBlockConfiguration: { BlockPublicAcls: true },
    }),
  );
  expect(
    accessLines()
      .slice(before)
      .map((l) => [l.operation, l.status]),
  ).toEqual([
    ['PutBucketCors', 200],
    ['GetBucketCors', 200],
    ['DeleteBucketCors', 204],
    ['GetBucketPolicy', 404],
    ['ListBucketInventoryConfigurations', 200],
    ['GetBucketInventoryConfiguration', 404],
    ['PutPublicAccessBlock', 200],
  ]);
});

it('names the bucket of a virtual-hosted request, whose path does not', async () => {
  const before = accessLines().length;
  const status = await new Promise<number>((resolve, reject) => {
    const req = http.get(
      `${server.url}/dir/a.txt`,
      { headers: { host: 'logged.localhost' } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
  });
  expect(status).toBe(403);
  await vi.waitFor(() => expect(accessLines().length).toBeGreaterThan(before));
  expect(accessLines().slice(before)).toEqual([
    expect.objectContaining({
      path: '/dir/a.txt',
      bucket: 'logged',
      operation: 'GetObject',
      status: 403,
      code: 'AccessDenied',
    }),
  ]);
});

it('a request node:http cannot parse gets an S3 error with a request id, and a log line', async () => {
  const port = Number(new URL(server.url).port);
  const cases = [
    {
      raw: 'PUT /logged/dup.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\ncontent-length: 4\r\n\r\nabcd',
      code: 'InvalidRequest',
      message: 'The request is not valid HTTP/1.1: Duplicate Content-Length',
    },
    {
      raw: `GET /logged/a HTTP/1.1\r\nHost: x\r\nx-amz-meta-big: ${'x'.repeat(17_000)}\r\n\r\n`,
      code: 'RequestHeaderSectionTooLarge',
      message: 'Your request header section exceeds the maximum allowed size of 8192 bytes',
    },
  ];
  for (const c of cases) {
    const before = accessLines().length;
    const conn = await connectRaw(port);
    conn.socket.write(c.raw);
    await conn.closedWithin(5000);
    const text = conn.text();
    expect(text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(text).toContain('Connection: close\r\n');
    expect(text).toContain(`<Code>${c.code}</Code><Message>${c.message}</Message>`);
    const id = /x-amz-request-id: ([0-9A-F]{16})/.exec(text)?.[1];
    expect(id).toBeDefined();
    expect(text).toContain(`<RequestId>${id}</RequestId>`);
    expect(accessLines().slice(before)).toEqual([
      expect.objectContaining({
        requestId: id,
        status: 400,
        code: c.code,
        method: '-',
        remoteAddress: '127.0.0.1',
      }),
    ]);
  }
});

it('an HTTP/1.1 request without a Host header gets an S3 error with a request id', async () => {
  // node:http answered it with a bare 400 no S3 client can report.
  const conn = await connectRaw(Number(new URL(server.url).port));
  conn.socket.write('GET /logged/a HTTP/1.1\r\n\r\n');
  await conn.waitFor(/<\/Error>/, 'the error document');
  const text = conn.text();
  expect(text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
  expect(text).toContain('<Code>InvalidRequest</Code>');
  expect(text).toContain('Host header');
  expect(text).toMatch(/x-amz-request-id: [0-9A-F]{16}/);
  conn.socket.destroy();
  // HTTP/1.0 needs no Host: routed path-style as usual (anonymous, so refused by policy).
  const old = await connectRaw(Number(new URL(server.url).port));
  old.socket.write('GET /logged/a HTTP/1.0\r\n\r\n');
  await old.closedWithin(5000);
  expect(old.text()).toMatch(/^HTTP\/1\.1 403 /);
});

it('a client that closes in the middle of a body gets one log line, not a second for the parser', async () => {
  const port = Number(new URL(server.url).port);
  const before = accessLines().length;
  const conn = await connectRaw(port);
  conn.socket.write(
    'PUT /logged/cut.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789',
  );
  await conn.waitFor(/HTTP\/1\.1 403/, 'the refusal');
  conn.socket.end();
  await conn.closedWithin(5000);
  await new Promise((r) => setTimeout(r, 100));
  expect(accessLines().slice(before)).toEqual([
    expect.objectContaining({ method: 'PUT', path: '/logged/cut.bin', status: 403 }),
  ]);
});

it('an upload the client cuts off is logged as IncompleteBody closed by the client, and stores nothing', async () => {
  // s3backer cancels a block write it no longer needs by closing the connection.
  const url = new URL(
    await getSignedUrl(client, new PutObjectCommand({ Bucket: 'logged', Key: 'cut-off.bin' }), {
      expiresIn: 300,
    }),
  );
  const before = accessLines().length;
  const conn = await connectRaw(Number(url.port));
  conn.socket.write(
    `PUT ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Length: 4096\r\n\r\n${'x'.repeat(2000)}`,
  );
  await new Promise((r) => setTimeout(r, 200));
  conn.socket.destroy();
  await vi.waitFor(() => expect(accessLines().length).toBeGreaterThan(before));
  expect(accessLines().slice(before)).toEqual([
    expect.objectContaining({
      method: 'PUT',
      path: '/logged/cut-off.bin',
      status: 400,
      code: 'IncompleteBody',
      clientClosed: true,
    }),
  ]);
  await expect(
    client.send(new GetObjectCommand({ Bucket: 'logged', Key: 'cut-off.bin' })),
  ).rejects.toMatchObject({ name: 'NoSuchKey' });
});

it('a document upload (PutBucketTagging) the client cuts off is IncompleteBody too, not a 500', async () => {
  // It was logged as 500 InternalError with an error line ('aborted'): a fuzz probe.
  const url = new URL(server.url);
  const head = await signedHeaderLines(server, {
    method: 'PUT',
    path: '/logged',
    query: { tagging: '' },
    headers: {
      'content-length': '400',
      'content-md5': '1B2M2Y8AsgTpgAmY7PhCfg==',
      'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
    },
  });
  const before = lines.length;
  const conn = await connectRaw(Number(url.port));
  conn.socket.write(`PUT /logged?tagging HTTP/1.1\r\n${head}\r\n<Tagging><TagSet>`);
  await new Promise((r) => setTimeout(r, 200));
  conn.socket.destroy();
  await vi.waitFor(() => expect(lines.length).toBeGreaterThan(before));
  await new Promise((r) => setTimeout(r, 100));
  const written = lines.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(written).toEqual([
    expect.objectContaining({
      operation: 'PutBucketTagging',
      status: 400,
      code: 'IncompleteBody',
      clientClosed: true,
    }),
  ]);
});

it('accepts an absolute-form request target (as sent through a forward proxy)', async () => {
  const { host } = new URL(server.url);
  const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: Number(new URL(server.url).port),
        path: `http://${host}/logged/nope?x=1`,
      },
      (r) => {
        let body = '';
        r.on('data', (d: Buffer) => (body += d.toString()));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
  // Routed on its path like any request: an anonymous GET of a private bucket is refused.
  expect(res.status).toBe(403);
  expect(res.body).toContain('<Resource>/logged/nope</Resource>');
  expect(accessLines().at(-1)).toMatchObject({ path: '/logged/nope', operation: 'GetObject' });
});

it('a GET the client abandons mid-body is logged as closed by the client, not as an error, with the bytes sent before it went', async () => {
  const big = Buffer.alloc(48 * 1024 * 1024, 1);
  await client.send(new PutObjectCommand({ Bucket: 'logged', Key: 'big.bin', Body: big }));
  const got = await client.send(new GetObjectCommand({ Bucket: 'logged', Key: 'big.bin' }));
  const stream = got.Body as NodeJS.ReadableStream & { destroy(): void };
  await new Promise<void>((resolve) => stream.once('data', () => resolve()));
  stream.destroy();
  const id = got.$metadata.requestId;
  await vi.waitFor(() => expect(accessLines().some((l) => l.requestId === id)).toBe(true));
  const line = accessLines().find((l) => l.requestId === id)!;
  expect(line).toMatchObject({ operation: 'GetObject', status: 200, clientClosed: true });
  expect(line.code).toBeUndefined();
  // What went before the client did, not the object: loopback's buffers hold a few MB.
  expect(line.bytesSent).toBeGreaterThan(0);
  expect(line.bytesSent).toBeLessThan(big.length / 2);
  // The server is fine: the next request on a new connection works.
  const again = await client.send(new GetObjectCommand({ Bucket: 'logged', Key: 'dir/a.txt' }));
  expect(await again.Body!.transformToString()).toBe('hello');
});

it('counts the bytes of each answer (bytesSent), per request on a kept-alive connection', async () => {
  const body = Buffer.alloc(100 * 1024, 7);
  await client.send(new PutObjectCommand({ Bucket: 'logged', Key: 'counted.bin', Body: body }));
  const ids: string[] = [];
  // Two GETs and a HEAD on one connection: each line counts its own answer, not the
  // connection's total so far.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const { hostname, port } = new URL(server.url);
  for (const [i, method] of ['GET', 'GET', 'HEAD'].entries()) {
    const lines = await signedHeaderLines(server, {
      method,
      path: '/logged/counted.bin',
      headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    });
    const headers = Object.fromEntries(
      lines
        .split('\r\n')
        .filter(Boolean)
        .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]),
    );
    const id = await new Promise<string>((resolve, reject) => {
      const req = http.request(
        { hostname, port, method, path: '/logged/counted.bin', headers, agent },
        (res) => {
          res.resume();
          res.on('end', () => resolve(String(res.headers['x-amz-request-id'])));
        },
      );
      req.on('error', reject);
      req.end();
      expect(req.reusedSocket).toBe(i > 0);
    });
    ids.push(id);
  }
  agent.destroy();
  await vi.waitFor(() =>
    expect(accessLines().filter((l) => ids.includes(l.requestId as string)).length).toBe(3),
  );
  const [first, second, head] = ids.map(
    (id) => accessLines().find((l) => l.requestId === id)!.bytesSent as number,
  );
  expect(first).toBeGreaterThan(body.length);
  expect(first).toBeLessThan(body.length + 2048);
  expect(second).toBe(first);
  expect(head).toBeGreaterThan(100);
  expect(head).toBeLessThan(2048);
  expect(head).toBe(first! - body.length);
});

it('a GET the client abandons before the headers went out is not logged as a 500', async () => {
  // A client gone before the first byte of the answer (an aborted fetch, a dropped socket)
  // was recorded as InternalError, which alerts count as server faults.
  const url = new URL(
    await getSignedUrl(client, new GetObjectCommand({ Bucket: 'logged', Key: 'big.bin' })),
  );
  const before = accessLines().length;
  for (let i = 0; i < 20; i++) {
    const conn = await connectRaw(Number(url.port));
    conn.socket.write(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);
    conn.socket.destroy();
  }
  const gets = () =>
    accessLines()
      .slice(before)
      .filter((l) => l.operation === 'GetObject');
  await vi.waitFor(() => expect(gets().length).toBeGreaterThan(0), { timeout: 10_000 });
  await new Promise((r) => setTimeout(r, 500));
  for (const line of gets()) {
    expect(line).toMatchObject({ status: 200, clientClosed: true });
    expect(line.code).toBeUndefined();
  }
});

it('a request answered 500 also logs the error with its message and stack, at error level', async () => {
  // A fault no real client can cause: the engine throws something that is not a StowageError.
  const spy = vi.spyOn(server.engine, 'headBucket').mockImplementationOnce(() => {
    throw new TypeError('boom in the engine');
  });
  try {
    const r = await fetch(`${server.url}/logged?location`);
    expect(r.status).toBe(500);
    const requestId = r.headers.get('x-amz-request-id');
    await new Promise((done) => setTimeout(done, 50));
    const errors = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.level === 50 && l.requestId === requestId);
    expect(errors).toHaveLength(1);
    const err = errors[0]!.err as { message?: string; stack?: string };
    expect(JSON.stringify(err)).toContain('boom in the engine');
    expect(err.stack).toMatch(/\n\s+at /);
  } finally {
    spy.mockRestore();
  }
});

it('a 501 NotImplemented (a client asking for what the server does not do) logs no error', async () => {
  // A conditional PUT on an ETag: S3 itself answers 501 for it.
  const err = (await client
    .send(new PutObjectCommand({ Bucket: 'logged', Key: 'x501', Body: 'x', IfNoneMatch: '"abc"' }))
    .catch((e: unknown) => e)) as { name?: string; $metadata?: { requestId?: string } };
  expect(err.name).toBe('NotImplemented');
  const requestId = err.$metadata?.requestId;
  await new Promise((done) => setTimeout(done, 50));
  const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(parsed.some((l) => l.requestId === requestId && l.status === 501)).toBe(true);
  expect(parsed.filter((l) => l.level === 50 && l.requestId === requestId)).toEqual([]);
});

it('a browser form upload (POST Object) is logged as PostObject by the key that signed its form', async () => {
  const before = accessLines().length;
  const { url, fields } = await createPresignedPost(client, {
    Bucket: 'logged',
    Key: 'form.txt',
    Expires: 60,
  });
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('file', new Blob(['posted']), 'form.txt');
  expect((await fetch(url, { method: 'POST', body: form })).status).toBe(204);
  await vi.waitFor(() => expect(accessLines().length).toBeGreaterThan(before));
  expect(accessLines().at(-1)).toMatchObject({
    method: 'POST',
    operation: 'PostObject',
    status: 204,
    principal: TEST_KEY.accessKeyId,
  });
  expect(lines.join('\n')).not.toContain(fields['X-Amz-Signature']!);
});

it('flags a client gone during a long copy (which completes) as clientClosed', async () => {
  await client.send(new CreateBucketCommand({ Bucket: 'logged-copy' }));
  await client.send(
    new PutObjectCommand({
      Bucket: 'logged-copy',
      Key: 'big',
      Body: Buffer.alloc(96 * 1024 * 1024, 1),
    }),
  );
  const abort = new AbortController();
  const res = await signedFetch({ url: server.url }, 'PUT', '/logged-copy/copied', {
    headers: { 'x-amz-copy-source': '/logged-copy/big' },
    signal: abort.signal,
  });
  // The answer has started (its 200 and headers are here); the client goes.
  expect(res.status).toBe(200);
  abort.abort();
  await expect
    .poll(() => accessLines().find((l) => l.path === '/logged-copy/copied'), {
      timeout: 30_000,
    })
    .toMatchObject({ operation: 'CopyObject', status: 200, clientClosed: true });
  const head = await client.send(new HeadObjectCommand({ Bucket: 'logged-copy', Key: 'copied' }));
  expect(head.ContentLength).toBe(96 * 1024 * 1024);
});
