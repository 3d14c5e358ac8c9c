/**
 * x-amz-trailer names S3 does not support (found porting OpenStack Swift's
 * test/s3api/test_input_errors.py): S3 takes only x-amz-checksum-* trailers and refuses any
 * other with 400 InvalidRequest; this server used to store the object and ignore the
 * trailer, so a wrong `content-md5` trailer went unchecked.
 */
import { CreateBucketCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checksumBase64 } from '../../src/engine/checksums/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { signedFetch } from '../helpers/signed-fetch.js';

const BUCKET = 'trailer-names';
let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
  await t.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(async () => t.close());

const data = Buffer.from('hello world, 32 bytes of data!!!');

/** An unsigned-trailer aws-chunked PUT of `data` with these trailer lines. */
function putWithTrailers(key: string, declared: string, lines: string[]): Promise<Response> {
  const body = Buffer.concat([
    Buffer.from(`${data.length.toString(16)}\r\n`),
    data,
    Buffer.from(`\r\n0\r\n${lines.map((l) => `${l}\r\n`).join('')}\r\n`),
  ]);
  return signedFetch(t, 'PUT', `/${BUCKET}/${key}`, {
    body,
    headers: {
      'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': String(data.length),
      'x-amz-trailer': declared,
    },
  });
}

async function stored(key: string): Promise<boolean> {
  try {
    await t.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    return true;
  } catch {
    return false;
  }
}

describe('x-amz-trailer', () => {
  it('refuses a trailer that is not a checksum, storing nothing, as S3 does', async () => {
    const wrongMd5 = createHash('md5').update('something else').digest('base64');
    const cases: Array<[string, string[]]> = [
      ['content-md5', [`content-md5: ${wrongMd5}`]],
      ['x-amz-content-sha256', [`x-amz-content-sha256: ${'0'.repeat(64)}`]],
      ['foo', ['foo: bar']],
      [
        'x-amz-checksum-crc32, x-amz-foo',
        [`x-amz-checksum-crc32: ${checksumBase64('CRC32', data)}`, 'x-amz-foo: bar'],
      ],
    ];
    for (const [i, [declared, lines]] of cases.entries()) {
      const res = await putWithTrailers(`bad-${i}`, declared, lines);
      expect(res.status, declared).toBe(400);
      const text = await res.text();
      expect(text, declared).toContain('<Code>InvalidRequest</Code>');
      expect(text, declared).toContain('x-amz-trailer');
      expect(await stored(`bad-${i}`), declared).toBe(false);
    }
  });

  it('still takes a checksum trailer, with the trailing comma S3 allows', async () => {
    for (const declared of ['x-amz-checksum-crc32', 'x-amz-checksum-crc32,']) {
      const res = await putWithTrailers('good', declared, [
        `x-amz-checksum-crc32: ${checksumBase64('CRC32', data)}`,
      ]);
      expect(res.status, declared).toBe(200);
      await res.arrayBuffer();
    }
    expect(await stored('good')).toBe(true);
  });
});
