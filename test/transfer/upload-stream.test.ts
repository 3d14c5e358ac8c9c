/**
 * uploadStream (`cp - s3://…`) where it can go wrong: a source that fails or is cancelled
 * part-way leaves no object and no open upload, on our server and on Ceph RGW; a stream
 * longer than 10,000 parts is refused with a message that names --expected-size, and
 * --expected-size makes the parts large enough; a bad expected size is refused first.
 */
import {
  CreateBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pacer, uploadStream, type ProgressEvent } from '../../src/transfer/index.js';
import { expectError } from '../helpers/expect-error.js';
import { describeS3Targets } from '../helpers/s3-targets.js';
import type { TestServer } from '../helpers/server.js';
import { clientFor, startSmallPartServer } from './helpers.js';

const MIB = 1024 * 1024;

/** `total` bytes of a pattern in chunks of `size`; throws `failAfter` bytes in, if given. */
async function* pattern(
  total: number,
  size: number,
  failAfter?: number,
): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < total; at += size) {
    if (failAfter !== undefined && at >= failAfter) throw new Error('the producer died');
    const chunk = Buffer.alloc(Math.min(size, total - at));
    for (let i = 0; i < chunk.length; i++) chunk[i] = (at + i) % 251;
    yield chunk;
  }
}

async function openUploads(client: S3Client, bucket: string): Promise<number> {
  const r = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return (r.Uploads ?? []).length;
}

async function exists(client: S3Client, bucket: string, key: string): Promise<boolean> {
  try {
    await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch {
    return false;
  }
}

describeS3Targets('uploadStream failures', (getTarget) => {
  let client: S3Client;
  let bucket: string;
  beforeAll(async () => {
    const target = getTarget();
    client = target.newClient({ maxAttempts: 1 });
    bucket = target.uniqueBucket('stream');
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  it('a source that fails after two parts leaves no object and aborts the upload', async () => {
    const err = await uploadStream({
      client,
      pacer: new Pacer(),
      bucket,
      key: 'dies.bin',
      source: pattern(20 * MIB, 1 * MIB, 12 * MIB),
      sourceName: 'the test stream',
      partSizeBytes: 5 * MIB,
      concurrency: 2,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'E_LOCAL_UNREADABLE',
      message: 'cannot read the test stream: the producer died',
    });
    expect(await exists(client, bucket, 'dies.bin')).toBe(false);
    expect(await openUploads(client, bucket)).toBe(0);
  });

  it('a cancelled upload leaves no object and aborts the upload', async () => {
    const stop = new AbortController();
    const events: ProgressEvent[] = [];
    const err = await uploadStream({
      client,
      pacer: new Pacer(),
      bucket,
      key: 'cancelled.bin',
      source: pattern(40 * MIB, 1 * MIB),
      sourceName: 'the test stream',
      partSizeBytes: 5 * MIB,
      concurrency: 2,
      signal: stop.signal,
      onProgress: (e) => {
        events.push(e);
        if (e.bytesDone >= 5 * MIB) stop.abort(new Error('cancelled by the test'));
      },
    }).catch((e: unknown) => e);
    expect(String((err as Error).message)).toMatch(/cancelled by the test|aborted/i);
    expect(events.length).toBeGreaterThan(0);
    expect(await exists(client, bucket, 'cancelled.bin')).toBe(false);
    expect(await openUploads(client, bucket)).toBe(0);
  });
});

describe('uploadStream limits (our server, small parts allowed)', () => {
  let srv: TestServer;
  let client: S3Client;
  beforeAll(async () => {
    srv = await startSmallPartServer();
    client = clientFor(srv.url);
    await client.send(new CreateBucketCommand({ Bucket: 'limits' }));
  });
  afterAll(async () => {
    client.destroy();
    await srv.close();
  });

  it('a stream longer than 10,000 parts is refused, naming --expected-size, and leaves nothing', async () => {
    await expectError(
      uploadStream({
        client,
        pacer: new Pacer(),
        bucket: 'limits',
        key: 'too-long',
        source: pattern(10_001, 1000),
        sourceName: 'standard input',
        partSizeBytes: 1,
        concurrency: 64,
      }),
      'E_ENTITY_TOO_LARGE',
      /standard input is longer than 10000 parts of 1 bytes.*--expected-size/,
    );
    expect(await exists(client, 'limits', 'too-long')).toBe(false);
    expect(await openUploads(client, 'limits')).toBe(0);
  }, 120_000);

  it('expectedSizeBytes grows the parts so the stream fits, and the bytes and progress check out', async () => {
    const total = 2 * MIB + 7;
    const events: ProgressEvent[] = [];
    const r = await uploadStream({
      client,
      pacer: new Pacer(),
      bucket: 'limits',
      key: 'sized',
      source: pattern(total, 4096),
      sourceName: 'standard input',
      partSizeBytes: 1,
      // 10,000 parts of 1 byte hold 10,000 bytes; for this size the parts become 1 MiB.
      expectedSizeBytes: total,
      onProgress: (e) => events.push(e),
    });
    const chunks: Uint8Array[] = [];
    for await (const c of pattern(total, 4096)) chunks.push(c);
    const bytes = Buffer.concat(chunks);
    expect(r.sizeBytes).toBe(total);
    expect(r.uploadedParts).toBe(3);
    expect(r.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(events.at(-1)).toMatchObject({ phase: 'done', bytesDone: total, bytesTotal: total });
  });

  it('a bad expected size is refused before anything is read', async () => {
    let read = false;
    async function* watched(): AsyncGenerator<Uint8Array> {
      read = true;
      yield Buffer.from('x');
    }
    for (const expectedSizeBytes of [-1, 1.5, Number.NaN]) {
      await expectError(
        uploadStream({
          client,
          pacer: new Pacer(),
          bucket: 'limits',
          key: 'bad',
          source: watched(),
          sourceName: 'standard input',
          expectedSizeBytes,
        }),
        'E_INVALID_ARGUMENT',
        /expectedSizeBytes must be a whole number of bytes/,
      );
    }
    expect(read).toBe(false);
  });
});
