/**
 * What @aws-sdk/client-s3 really sends, authenticated and decoded by src/s3api/auth on a
 * tiny node:http server on 127.0.0.1 (no Stowage server: this checks the auth layer alone,
 * on real wire traffic).
 */
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isStowageError } from '../../src/errors.js';
import { openRequestBody } from '../../src/s3api/auth/request-body.js';
import { authenticateRequest } from '../../src/s3api/auth/sigv4.js';
import type { AuthResult } from '../../src/s3api/auth/types.js';
import { signAwsChunkedPut } from '../helpers/sign-chunked.js';

const KEY = {
  accessKeyId: 'STWINTEROP0000000001',
  secretAccessKey: 'interop/secret+key=0000000000000000000',
};

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  wire: Buffer;
  auth?: AuthResult;
  body?: Buffer;
  trailers?: Record<string, string>;
  error?: { code: string; message: string };
}

let server: Server;
let endpoint: string;
let seen: Seen[] = [];

async function* tee(req: IncomingMessage, into: Buffer[]): AsyncGenerator<Buffer> {
  for await (const piece of req as AsyncIterable<Buffer>) {
    into.push(piece);
    yield piece;
  }
}

/** Authenticates and decodes each request as the S3 front end will, then answers minimally. */
async function handle(req: IncomingMessage): Promise<{ status: number; body: string }> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const record: Seen = {
    method: req.method ?? '',
    url,
    headers: req.headers,
    wire: Buffer.alloc(0),
  };
  seen.push(record);
  const raw: Buffer[] = [];
  try {
    const auth = authenticateRequest(
      {
        method: req.method ?? '',
        rawPath: q < 0 ? url : url.slice(0, q),
        rawQuery: q < 0 ? '' : url.slice(q + 1),
        headers: req.headers,
      },
      (id) => (id === KEY.accessKeyId ? KEY : undefined),
      Date.now(),
      { region: 'us-east-1' },
    );
    record.auth = auth;
    const { body, trailers } = openRequestBody(tee(req, raw), auth, req.headers);
    const parts: Buffer[] = [];
    for await (const piece of body) parts.push(piece);
    record.body = Buffer.concat(parts);
    record.trailers = await trailers;
    record.wire = Buffer.concat(raw);
    if (url.includes('list-type=2')) {
      return {
        status: 200,
        body: '<?xml version="1.0"?><ListBucketResult><Name>b</Name></ListBucketResult>',
      };
    }
    return { status: 200, body: '' };
  } catch (error) {
    if (!isStowageError(error)) throw error;
    record.error = { code: error.code, message: error.message };
    req.resume();
    return {
      status: error.httpStatus,
      body: `<?xml version="1.0"?><Error><Code>${error.s3Code}</Code><Message>${error.message}</Message></Error>`,
    };
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    handle(req).then(
      ({ status, body }) => {
        res.writeHead(status, { etag: '"0"', 'content-type': 'application/xml' });
        res.end(body);
      },
      (error: unknown) => {
        res.writeHead(500);
        res.end(String(error));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  seen = [];
});

function client(credentials = KEY): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
    maxAttempts: 1,
  });
}

const crc32Base64 = (data: Buffer) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(data) >>> 0);
  return out.toString('base64');
};

const KEYS = [
  'plain.txt',
  'with space/and+plus/ünïcödé 中文 😀.bin',
  "tilde~bang!star*quote'paren()",
  'semi;colon,comma=eq&amp?q#h[b]{c}<a>"q"^`|\\$@:',
  '  leading/trailing  ',
];

describe('@aws-sdk/client-s3 against the auth layer on real HTTP', () => {
  it('PutObject with a stream body: STREAMING-UNSIGNED-PAYLOAD-TRAILER decodes to the bytes and the CRC32 trailer', async () => {
    const data = randomBytes(300_000);
    await client().send(
      new PutObjectCommand({
        Bucket: 'bucket',
        Key: 'streamed.bin',
        Body: Readable.from([data.subarray(0, 100_000), data.subarray(100_000)]),
        ContentLength: data.length,
      }),
    );
    const [put] = seen;
    expect(put?.error).toBeUndefined();
    expect(put?.headers['x-amz-content-sha256']).toBe('STREAMING-UNSIGNED-PAYLOAD-TRAILER');
    expect(put?.headers['content-encoding']).toContain('aws-chunked');
    expect(put?.headers['x-amz-trailer']).toBe('x-amz-checksum-crc32');
    expect(put?.auth).toMatchObject({
      kind: 'signed',
      via: 'header',
      payload: { type: 'streaming-unsigned-trailer' },
    });
    expect(put?.wire.length).toBeGreaterThan(data.length);
    expect(put?.body?.equals(data)).toBe(true);
    expect(put?.trailers).toEqual({ 'x-amz-checksum-crc32': crc32Base64(data) });
  });

  it('PutObject with a buffer body authenticates and its payload verifies', async () => {
    const data = randomBytes(10_000);
    await client().send(new PutObjectCommand({ Bucket: 'bucket', Key: 'buffer.bin', Body: data }));
    const [put] = seen;
    expect(put?.error).toBeUndefined();
    expect(put?.auth).toMatchObject({ kind: 'signed', payload: { type: 'sha256' } });
    expect(put?.body?.equals(data)).toBe(true);
  });

  it('PutObject, HeadObject, GetObject and ListObjectsV2 with hostile keys and prefixes', async () => {
    const s3 = client();
    for (const key of KEYS) {
      await s3.send(
        new PutObjectCommand({
          Bucket: 'bucket',
          Key: key,
          Body: 'x',
          Metadata: { note: ' a  b ' },
        }),
      );
      await s3.send(new HeadObjectCommand({ Bucket: 'bucket', Key: key }));
      await (
        await s3.send(new GetObjectCommand({ Bucket: 'bucket', Key: key, Range: 'bytes=0-0' }))
      ).Body?.transformToString();
      await s3.send(
        new ListObjectsV2Command({
          Bucket: 'bucket',
          Prefix: key,
          Delimiter: '/',
          StartAfter: key,
        }),
      );
    }
    expect(seen.filter((s) => s.error)).toEqual([]);
    expect(seen.every((s) => s.auth?.kind === 'signed')).toBe(true);
  });

  it('a client with the wrong secret gets SignatureDoesNotMatch from the server', async () => {
    const wrong = client({ ...KEY, secretAccessKey: 'wrong' });
    await expect(
      wrong.send(new HeadObjectCommand({ Bucket: 'bucket', Key: 'k' })),
    ).rejects.toMatchObject({
      $metadata: { httpStatusCode: 403 },
    });
    expect(seen[0]?.error?.code).toBe('E_SIGNATURE_DOES_NOT_MATCH');
    const unknown = client({ ...KEY, accessKeyId: 'NOPE' });
    await expect(
      unknown.send(new GetObjectCommand({ Bucket: 'bucket', Key: 'k' })),
    ).rejects.toMatchObject({
      name: 'InvalidAccessKeyId',
    });
  });

  it('presigned GET and PUT URLs work through fetch()', async () => {
    const s3 = client();
    for (const key of KEYS) {
      const get = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'bucket', Key: key }), {
        expiresIn: 60,
      });
      expect((await fetch(get)).status, key).toBe(200);
      const put = await getSignedUrl(s3, new PutObjectCommand({ Bucket: 'bucket', Key: key }), {
        expiresIn: 60,
      });
      expect((await fetch(put, { method: 'PUT', body: 'hello' })).status, key).toBe(200);
    }
    expect(seen.filter((s) => s.error)).toEqual([]);
    expect(seen.map((s) => s.auth)).toEqual(
      seen.map(() =>
        expect.objectContaining({ kind: 'signed', via: 'query', payload: { type: 'unsigned' } }),
      ),
    );
    expect(seen.at(-1)?.body?.toString()).toBe('hello');
  });

  it('a body that goes wrong mid-stream still gets the error response, not a reset', async () => {
    const { hostname, port } = new URL(endpoint);
    const headers = await signAwsChunkedPut(endpoint, '/bucket/broken', KEY);
    const answer = await new Promise<string>((resolve) => {
      const req = request(
        { hostname, port, method: 'PUT', path: '/bucket/broken', headers },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve(`${res.statusCode} ${text}`));
        },
      );
      req.on('error', (error) => resolve(`error ${error.message}`));
      const frame = Buffer.concat([
        Buffer.from('10000\r\n'),
        Buffer.alloc(65_536, 'a'),
        Buffer.from('\r\n'),
      ]);
      let sent = 0;
      const write = (): void => {
        while (sent < 100) {
          sent++;
          // 20 good chunks, then a size that is not hex, then megabytes more.
          const ok = req.write(sent === 20 ? Buffer.concat([frame, Buffer.from('zz\r\n')]) : frame);
          if (!ok) {
            req.once('drain', write);
            return;
          }
        }
        req.end('0\r\n\r\n');
      };
      write();
    });
    expect(answer).toMatch(/^400 .*<Code>InvalidChunkSizeError<\/Code>/);
    expect(seen[0]?.error?.code).toBe('E_INVALID_CHUNK_SIZE');
  });
});
