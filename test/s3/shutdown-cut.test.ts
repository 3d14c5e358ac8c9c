/**
 * A request still under way when a shutdown's grace period ends is cut by the server, and
 * the access log says so (`cutAtShutdown`), not that the client closed the connection.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/engine.js';
import { startLoggingServer, TEST_KEY } from '../helpers/server.js';

const { dir, cleanup } = tempDir('stowage-shutdown-cut-');
afterAll(cleanup);

describe('a shutdown whose grace period ends', () => {
  it('cuts the upload still under way and logs it as cut at shutdown', async () => {
    const { server, lines } = await startLoggingServer(dir, { shutdownGraceMs: 300 });
    const client = new S3Client({
      endpoint: server.url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: TEST_KEY,
      maxAttempts: 1,
    });
    await server.engine.createBucket('cut');
    // 64 KiB of a declared MiB, then nothing: the upload waits for the rest.
    let sent = false;
    const body = new Readable({
      read() {
        if (!sent) this.push(Buffer.alloc(64 * 1024, 1));
        sent = true;
      },
    });
    const upload = client
      .send(
        new PutObjectCommand({ Bucket: 'cut', Key: 'k', Body: body, ContentLength: 1024 * 1024 }),
      )
      .then(
        () => 'stored',
        (err: Error) => err.name,
      );
    await new Promise((r) => setTimeout(r, 300));
    await server.close();
    expect(await upload).not.toBe('stored');
    const line = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === 'request' && l.method === 'PUT' && l.path === '/cut/k');
    expect(line).toMatchObject({ cutAtShutdown: true, operation: 'PutObject' });
    // It said clientClosed before: the client had closed nothing.
    expect(line).not.toHaveProperty('clientClosed');
    client.destroy();
  });
});
