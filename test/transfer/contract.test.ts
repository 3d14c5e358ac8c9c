/**
 * The transfer core against every S3 server we can start: the embedded server and Ceph
 * RGW (an independent implementation, with S3's real 5 MiB minimum part size). Same
 * tests, same code: round trips, stored checksums, resume, copies.
 */
import {
  CreateBucketCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { copyObject, downloadFile, Pacer, uploadFile } from '../../src/transfer/index.js';
import { listRemote } from '../../src/transfer/sync/list-remote.js';
import { parseListingPage, readListingFast } from '../../src/transfer/sync/listing-page.js';
import { tempDir } from '../helpers/engine.js';
import { describeS3Targets } from '../helpers/s3-targets.js';
import { makeFile } from './helpers.js';

const MIB = 1024 * 1024;
const PART = 5 * MIB;
const { dir, cleanup } = tempDir('stowage-contract-');
afterAll(cleanup);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describeS3Targets('transfer core', (getTarget) => {
  const setup = async () => {
    const t = getTarget();
    // The SDK's own retries off: src/transfer retries.
    const client = t.newClient({ maxAttempts: 1 });
    const bucket = t.uniqueBucket('xfer');
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    return { t, client, bucket, pacer: new Pacer() };
  };

  it('round-trips 0 bytes, a small file and 3.5 parts, with stowage-sha256 stored', async () => {
    const { t, client, bucket, pacer } = await setup();
    for (const size of [0, 1234, Math.floor(3.5 * PART)]) {
      const name = `${t.kind}-${size}.bin`;
      const { file, bytes } = makeFile(dir, name, size, size + 3);
      const up = await uploadFile({
        client,
        pacer,
        bucket,
        key: name,
        path: file,
        partSizeBytes: PART,
      });
      expect(up.sha256).toBe(sha256(bytes));
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: name }));
      expect(head.Metadata?.['stowage-sha256']).toBe(sha256(bytes));
      const out = path.join(dir, 'out', name);
      const down = await downloadFile({
        client,
        pacer,
        bucket,
        key: name,
        path: out,
        partSizeBytes: 2 * MIB,
      });
      expect(down.verifiedBy).toBe('stowage-sha256');
      expect(readFileSync(out).equals(bytes)).toBe(true);
    }
  });

  it('stores the tags asked for exactly, on a single PUT and on a multipart upload', async () => {
    const { t, client, bucket, pacer } = await setup();
    const tags = { campaign: 'spring 2025', 'a+b': 'x=y:z/@ -_.', unicode: 'é/ü' };
    for (const size of [1234, Math.floor(2.5 * PART)]) {
      const name = `${t.kind}-tags-${size}.bin`;
      const { file } = makeFile(dir, name, size, size + 5);
      await uploadFile({ client, pacer, bucket, key: name, path: file, partSizeBytes: PART, tags });
      const got = await client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: name }));
      const stored = Object.fromEntries((got.TagSet ?? []).map((x) => [x.Key, x.Value]));
      expect([size, stored]).toEqual([size, tags]);
    }
  });

  it('resumes an aborted multipart upload, sending only the missing parts', async () => {
    const { t, client, bucket } = await setup();
    const name = `${t.kind}-resume.bin`;
    const { file, bytes } = makeFile(dir, name, 4 * PART + 10, 99);
    const stateDir = path.join(dir, `.state-${t.kind}`);
    const controller = new AbortController();
    await expect(
      uploadFile({
        client,
        pacer: new Pacer({ bandwidthLimit: 4 * MIB }),
        bucket,
        key: name,
        path: file,
        stateDir,
        partSizeBytes: PART,
        concurrency: 1,
        signal: controller.signal,
        onProgress: (e) => e.bytesDone >= 2 * PART && controller.abort(),
      }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    const r = await uploadFile({
      client,
      pacer: new Pacer(),
      bucket,
      key: name,
      path: file,
      stateDir,
      partSizeBytes: PART,
    });
    expect(r.resumedParts).toBeGreaterThanOrEqual(2);
    expect(r.resumedParts + r.uploadedParts).toBe(5);
    const out = path.join(dir, 'out', name);
    await downloadFile({ client, pacer: new Pacer(), bucket, key: name, path: out });
    expect(readFileSync(out).equals(bytes)).toBe(true);
  });

  it('copies with CopyObject and with UploadPartCopy, keeping metadata', async () => {
    const { t, client, bucket, pacer } = await setup();
    const name = `${t.kind}-copy.bin`;
    const { file, bytes } = makeFile(dir, name, 2 * PART + 5, 5);
    const up = await uploadFile({
      client,
      pacer,
      bucket,
      key: name,
      path: file,
      partSizeBytes: PART,
      metadata: { a: '1' },
      tags: { team: 'art dept' },
    });
    for (const [key, threshold] of [
      ['copy-1', undefined],
      ['copy-2', PART],
    ] as const) {
      const r = await copyObject({
        client,
        pacer,
        source: { bucket, key: name },
        bucket,
        key,
        partSizeBytes: PART,
        ...(threshold ? { multipartThresholdBytes: threshold } : {}),
      });
      expect(r.method).toBe(threshold ? 'multipart-copy' : 'copy-object');
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      expect(head.Metadata).toMatchObject({ a: '1', 'stowage-sha256': up.sha256 });
      // A multipart copy reads the source's tags and sends them (RGW: after the complete).
      const tags = await client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
      expect([key, tags.TagSet]).toEqual([key, [{ Key: 'team', Value: 'art dept' }]]);
      const out = path.join(dir, 'out', `${t.kind}-${key}`);
      await downloadFile({ client, pacer, bucket, key, path: out });
      expect(readFileSync(out).equals(bytes)).toBe(true);
    }
  });

  it("listRemote's own page reader reads the server's pages, and finds what the SDK finds", async () => {
    const { client, bucket } = await setup();
    const keys = [
      'plain.txt',
      'a b+c&d<e>"f\'g.bin',
      'ünï/cödé/☃.png',
      'percent%2F/not-a-slash',
      'emoji/😀',
      'z',
    ];
    for (const Key of keys) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Key }));
    }
    // Every raw page body this store sends must be one the fast reader understands.
    const raw: string[] = [];
    client.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        const res = result.response as { statusCode?: number; body?: NodeJS.ReadableStream };
        if (res.statusCode === 200 && res.body) {
          const chunks: Buffer[] = [];
          for await (const c of res.body) chunks.push(Buffer.from(c as Buffer));
          const body = Buffer.concat(chunks);
          if (body.includes('<ListBucketResult')) raw.push(body.toString('utf8'));
          const { Readable } = await import('node:stream');
          res.body = Readable.from([body]);
        }
        return result;
      },
      { step: 'deserialize', priority: 'low', name: 'rawPages' },
    );
    const listed = [];
    for await (const o of listRemote(client, { bucket, pageSize: 2 })) listed.push(o);
    expect(raw.length).toBe(3);
    for (const page of raw) expect(parseListingPage(page)?.entries).toHaveLength(2);
    // And the reader is what listRemote used: the SDK was left an empty document.
    const command = new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 2, EncodingType: 'url' });
    const fastPage = readListingFast(command);
    const output = await client.send(command);
    expect(fastPage()?.entries).toHaveLength(2);
    expect(fastPage()?.encodingType).toBe('url');
    expect(output.Contents ?? []).toHaveLength(0);

    const bySdk = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 2, ContinuationToken: token }),
      );
      bySdk.push(...(page.Contents ?? []));
      token = page.NextContinuationToken;
    } while (token);
    expect(listed.map((o) => o.key)).toEqual(bySdk.map((o) => o.Key));
    expect(listed.map((o) => o.key).sort()).toEqual([...keys].sort());
    expect(listed.map((o) => o.sizeBytes)).toEqual(bySdk.map((o) => o.Size));
    expect(listed.map((o) => o.etag)).toEqual(bySdk.map((o) => o.ETag!.replace(/"/g, '')));
    expect(listed.map((o) => o.lastModified.getTime())).toEqual(
      bySdk.map((o) => o.LastModified!.getTime()),
    );
    expect(listed.map((o) => o.storageClass)).toEqual(bySdk.map((o) => o.StorageClass));
  });
});
