/**
 * A body the server refuses halfway (here an aws-chunked frame that is not one, found
 * after 256 KiB) gets its error answer, and the rest of the body is read and dropped: the
 * same keep-alive connection then serves the next request. Before the fix the server
 * never read that connection again (src/s3api/discard-body.ts tells why); it stayed open
 * until its keep-alive timeout and held up a graceful shutdown.
 */
import { HeadObjectCommand, CreateBucketCommand } from '@aws-sdk/client-s3';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRaw } from '../helpers/raw-socket.js';
import { signAwsChunkedPut } from '../helpers/sign-chunked.js';
import { s3Signer } from '../helpers/signed-fetch.js';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
  await t.client.send(new CreateBucketCommand({ Bucket: 'refused' }));
});
afterAll(() => t.close());

interface Answer {
  status: number;
  body: string;
  reusedSocket: boolean;
}

function answerOf(req: http.ClientRequest): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error('no answer within 5 s'));
    }, 5000);
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode!, body, reusedSocket: req.reusedSocket });
      });
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

describe('a body refused halfway', () => {
  it('gets its error, and the same connection serves the next request', async () => {
    const { hostname, port } = new URL(t.url);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const headers = await signAwsChunkedPut(t.url, '/refused/broken', TEST_KEY);
    const put = http.request({
      agent,
      hostname,
      port,
      method: 'PUT',
      path: '/refused/broken',
      headers,
    });
    const refused = answerOf(put);
    const frame = Buffer.concat([
      Buffer.from('10000\r\n'),
      Buffer.alloc(65_536, 'a'),
      Buffer.from('\r\n'),
    ]);
    // 4 good frames, then a size that is not hex, then 2 MiB more that nobody will use.
    for (let i = 0; i < 36; i++) {
      const ok = put.write(i === 4 ? Buffer.concat([frame, Buffer.from('zz\r\n')]) : frame);
      if (!ok) await new Promise((r) => put.once('drain', r));
    }
    put.end('0\r\n\r\n');
    const first = await refused;
    expect(first.status).toBe(400);
    expect(first.body).toMatch(/<Code>InvalidChunkSizeError<\/Code>/);

    // The next request goes over the same connection, and is answered.
    const next = await answerOf(
      http.request({ agent, hostname, port, method: 'GET', path: '/health/ready' }).end(),
    );
    expect(next).toEqual({ status: 200, body: '{"status":"ok"}', reusedSocket: true });
    agent.destroy();

    // And nothing was stored.
    await expect(
      t.client.send(new HeadObjectCommand({ Bucket: 'refused', Key: 'broken' })),
    ).rejects.toMatchObject({ name: 'NotFound' });
  });
});

describe('a body without a declared length', () => {
  it('is 411 MissingContentLength (aws-chunked) or 501 NotImplemented (plain, chunked transfer), and nothing is stored', async () => {
    const { hostname, port } = new URL(t.url);
    const send = async (path: string, headers: Record<string, string>, body: string) => {
      const req = http.request({ hostname, port, method: 'PUT', path, headers });
      const answer = answerOf(req);
      req.end(body);
      return answer;
    };
    const aws = await signAwsChunkedPut(t.url, '/refused/no-length', TEST_KEY, null);
    const chunked = await send('/refused/no-length', aws, '5\r\nhello\r\n0\r\n\r\n');
    expect(chunked.status).toBe(411);
    expect(chunked.body).toContain('<Code>MissingContentLength</Code>');
    expect(chunked.body).toContain('x-amz-decoded-content-length');
    const signed = await s3Signer(TEST_KEY).sign({
      method: 'PUT',
      protocol: 'http:',
      hostname,
      port: Number(port),
      path: '/refused/no-length',
      query: {},
      headers: {
        host: `${hostname}:${port}`,
        'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
        'transfer-encoding': 'chunked',
      },
    });
    // A plain body in HTTP chunked transfer: S3's 501 naming the header.
    const plain = await send('/refused/no-length', signed.headers, 'hello');
    expect(plain.status).toBe(501);
    expect(plain.body).toContain('<Code>NotImplemented</Code>');
    expect(plain.body).toContain('<Header>Transfer-Encoding</Header>');
    await expect(
      t.client.send(new HeadObjectCommand({ Bucket: 'refused', Key: 'no-length' })),
    ).rejects.toMatchObject({ name: 'NotFound' });
  });
});

describe('a body refused on a connection the answer closes (HTTP/1.0, Connection: close)', () => {
  it('is read to its end before the socket goes: the client writes all of it and reads the whole answer', async () => {
    const { hostname, port } = new URL(t.url);
    const length = 8 * 1024 * 1024;
    for (const [version, extra] of [
      ['HTTP/1.0', {}],
      ['HTTP/1.1', { connection: 'close' }],
    ] as const) {
      const signed = await s3Signer({ ...TEST_KEY, secretAccessKey: 'not-the-secret' }).sign({
        method: 'PUT',
        protocol: 'http:',
        hostname,
        port: Number(port),
        path: '/refused/lingering',
        query: {},
        headers: {
          host: `${hostname}:${port}`,
          'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
          'content-length': String(length),
          ...extra,
        },
      });
      // A client that goes on sending its body after the answer (and the server's FIN).
      const conn = await connectRaw(Number(port), hostname, { allowHalfOpen: true });
      const errors: string[] = [];
      conn.socket.on('error', (err: NodeJS.ErrnoException) => errors.push(err.code ?? err.message));
      const head = Object.entries(signed.headers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      conn.socket.write(`PUT /refused/lingering ${version}\r\n${head}\r\n`);
      // Refused on its signature, before any of the body: the answer comes first.
      await conn.waitFor(/<\/Error>/, 'the 403');
      const chunk = Buffer.alloc(256 * 1024, 'b');
      for (let sent = 0; sent < length && errors.length === 0; sent += chunk.length) {
        if (!conn.socket.write(chunk)) {
          await Promise.race([new Promise((r) => conn.socket.once('drain', r)), conn.closed]);
        }
      }
      expect(errors, version).toEqual([]);
      conn.socket.end();
      await conn.closedWithin(5000);
      expect(errors, version).toEqual([]);
      expect(conn.text()).toMatch(new RegExp(`^HTTP/1\\.1 403 Forbidden\r\n`));
      expect(conn.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
    }
    await expect(
      t.client.send(new HeadObjectCommand({ Bucket: 'refused', Key: 'lingering' })),
    ).rejects.toMatchObject({ name: 'NotFound' });
  });
});
