/**
 * A CompleteMultipartUpload whose answer never reaches the client (a cut connection, a
 * server killed right after its commit): a TCP proxy between the AWS SDK and the server
 * drops the first Complete's response, the SDK retries as it does on a reset connection,
 * and the retry must say the object is stored, as S3 says it, not NoSuchUpload.
 */
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';

let t: TestServer;
let proxy: net.Server;
let dropped = 0;

/** Forwards to the server; cuts the connection instead of relaying the first Complete's answer. */
function lossyProxy(port: number): net.Server {
  return net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    let dropAnswer = false;
    client.on('data', (d: Buffer) => {
      const head = d.subarray(0, 600).toString('latin1');
      if (dropped === 0 && /^POST [^ ]*uploadId=/.test(head)) dropAnswer = true;
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      if (dropAnswer) {
        dropped++;
        dropAnswer = false;
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(d);
    });
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
}

beforeAll(async () => {
  t = await startTestServer();
  proxy = lossyProxy(Number(new URL(t.url).port));
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
});
afterAll(async () => {
  proxy.close();
  await t.close();
});

it('the SDK retrying a Complete whose answer was lost is told the object is stored', async () => {
  const port = (proxy.address() as net.AddressInfo).port;
  const s3 = new S3Client({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: TEST_KEY,
  });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: 'lost-answer' }));
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: 'lost-answer', Key: 'k' }),
    );
    const part = await s3.send(
      new UploadPartCommand({
        Bucket: 'lost-answer',
        Key: 'k',
        UploadId,
        PartNumber: 1,
        Body: 'stored once',
      }),
    );
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'lost-answer',
        Key: 'k',
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
      }),
    );
    expect(dropped).toBe(1);
    expect(done.$metadata.attempts).toBe(2);
    expect(done.ETag).toMatch(/^"[0-9a-f]{32}-1"$/);
    const got = await t.client.send(new GetObjectCommand({ Bucket: 'lost-answer', Key: 'k' }));
    expect(got.ETag).toBe(done.ETag);
    expect(await got.Body!.transformToString()).toBe('stored once');
  } finally {
    s3.destroy();
  }
});
