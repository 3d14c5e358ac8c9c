/**
 * copyObject within one store (CopyObject, and UploadPartCopy above the threshold) and
 * copyAcrossStores between two real servers: bytes, metadata and tags carried over, or
 * replaced with REPLACE while the stowage-* checksums stay.
 */
import {
  CreateBucketCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  copyAcrossStores,
  copyObject,
  downloadFile,
  Pacer,
  uploadFile,
} from '../../src/transfer/index.js';
import { tempDir } from '../helpers/engine.js';
import type { TestServer } from '../helpers/server.js';
import { clientFor, countCommands, makeFile, PART, startSmallPartServer } from './helpers.js';

let a: TestServer;
let b: TestServer;
let ca: S3Client;
let cb: S3Client;
let counts: Map<string, number>;
const { dir, cleanup } = tempDir('stowage-copy-');
const pacer = new Pacer();

beforeAll(async () => {
  [a, b] = await Promise.all([startSmallPartServer(), startSmallPartServer()]);
  ca = clientFor(a.url);
  cb = clientFor(b.url);
  counts = countCommands(ca);
  for (const bucket of ['src', 'dst']) await ca.send(new CreateBucketCommand({ Bucket: bucket }));
  await cb.send(new CreateBucketCommand({ Bucket: 'remote' }));
});
afterAll(async () => {
  ca.destroy();
  cb.destroy();
  await Promise.all([a.close(), b.close()]);
  cleanup();
});

async function seed(key: string, size: number) {
  const f = makeFile(dir, key.replace(/\//g, '_'), size, size);
  const up = await uploadFile({
    client: ca,
    pacer,
    bucket: 'src',
    key,
    path: f.file,
    partSizeBytes: PART,
    metadata: { origin: 'studio' },
    tags: { team: 'art' },
    cacheControl: 'max-age=60',
  });
  return { ...f, up };
}

async function bytesOf(client: S3Client, bucket: string, key: string): Promise<Buffer> {
  const out = path.join(dir, 'check', `${bucket}-${key.replace(/\//g, '_')}`);
  await downloadFile({ client, pacer, bucket, key, path: out });
  return readFileSync(out);
}

describe('copyObject (one store)', () => {
  it('copies with CopyObject, keeping metadata, headers and tags', async () => {
    const { bytes, up } = await seed('a/small.png', 5000);
    const r = await copyObject({
      client: ca,
      pacer,
      source: { bucket: 'src', key: 'a/small.png' },
      bucket: 'dst',
      key: 'b/small.png',
    });
    expect(r).toMatchObject({ method: 'copy-object', sizeBytes: 5000, etag: up.etag });
    const head = await ca.send(new HeadObjectCommand({ Bucket: 'dst', Key: 'b/small.png' }));
    expect(head.Metadata).toMatchObject({ origin: 'studio', 'stowage-sha256': up.sha256 });
    expect(head.ContentType).toBe('image/png');
    expect(head.CacheControl).toBe('max-age=60');
    const tags = await ca.send(new GetObjectTaggingCommand({ Bucket: 'dst', Key: 'b/small.png' }));
    expect(tags.TagSet).toEqual([{ Key: 'team', Value: 'art' }]);
    expect((await bytesOf(ca, 'dst', 'b/small.png')).equals(bytes)).toBe(true);
  });

  it('REPLACE takes the new metadata but keeps stowage-mtime and stowage-sha256', async () => {
    const { up } = await seed('a/replace.png', 100);
    await copyObject({
      client: ca,
      pacer,
      source: { bucket: 'src', key: 'a/replace.png' },
      bucket: 'dst',
      key: 'replaced.png',
      metadata: { origin: 'marketplace' },
      contentType: 'image/x-custom',
      storageClass: 'STANDARD_IA',
    });
    const head = await ca.send(new HeadObjectCommand({ Bucket: 'dst', Key: 'replaced.png' }));
    expect(head.Metadata).toEqual({
      origin: 'marketplace',
      'stowage-sha256': up.sha256,
      'stowage-mtime': expect.stringMatching(/^\d+$/) as string,
    });
    expect(head.ContentType).toBe('image/x-custom');
    expect(head.CacheControl).toBeUndefined();
    expect(head.StorageClass).toBe('STANDARD_IA');
  });

  it('copies in parts with UploadPartCopy above the threshold, with metadata and tags', async () => {
    const { bytes, up } = await seed('a/big.bin', Math.floor(3.5 * PART));
    const before = counts.get('UploadPartCopyCommand') ?? 0;
    const r = await copyObject({
      client: ca,
      pacer,
      source: { bucket: 'src', key: 'a/big.bin' },
      bucket: 'dst',
      key: 'big.bin',
      partSizeBytes: PART,
      multipartThresholdBytes: PART,
    });
    expect(r.method).toBe('multipart-copy');
    expect((counts.get('UploadPartCopyCommand') ?? 0) - before).toBe(4);
    const head = await ca.send(new HeadObjectCommand({ Bucket: 'dst', Key: 'big.bin' }));
    expect(head.Metadata).toMatchObject({ origin: 'studio', 'stowage-sha256': up.sha256 });
    expect(head.CacheControl).toBe('max-age=60');
    const tags = await ca.send(new GetObjectTaggingCommand({ Bucket: 'dst', Key: 'big.bin' }));
    expect(tags.TagSet).toEqual([{ Key: 'team', Value: 'art' }]);
    expect((await bytesOf(ca, 'dst', 'big.bin')).equals(bytes)).toBe(true);
  });
});

describe('copyAcrossStores (two servers)', () => {
  it('copies a small object with one GET and one PUT, keeping metadata and tags', async () => {
    const { bytes, up } = await seed('x/small.webp', 3000);
    const r = await copyAcrossStores({
      pacer,
      source: { client: ca, bucket: 'src', key: 'x/small.webp' },
      client: cb,
      bucket: 'remote',
      key: 'small.webp',
    });
    expect(r).toMatchObject({ method: 'get-put', etag: up.etag });
    const head = await cb.send(new HeadObjectCommand({ Bucket: 'remote', Key: 'small.webp' }));
    expect(head.Metadata).toMatchObject({ origin: 'studio', 'stowage-sha256': up.sha256 });
    expect(head.ContentType).toBe('image/webp');
    const tags = await cb.send(
      new GetObjectTaggingCommand({ Bucket: 'remote', Key: 'small.webp' }),
    );
    expect(tags.TagSet).toEqual([{ Key: 'team', Value: 'art' }]);
    expect((await bytesOf(cb, 'remote', 'small.webp')).equals(bytes)).toBe(true);
  });

  it('streams a large object part by part (ranged GET -> UploadPart)', async () => {
    const { bytes, up } = await seed('x/big.bin', 5 * PART + 3);
    const r = await copyAcrossStores({
      pacer,
      source: { client: ca, bucket: 'src', key: 'x/big.bin' },
      client: cb,
      bucket: 'remote',
      key: 'big.bin',
      partSizeBytes: PART,
      concurrency: 3,
    });
    expect(r.method).toBe('get-multipart');
    expect(r.etag).toBe(up.etag);
    const head = await cb.send(new HeadObjectCommand({ Bucket: 'remote', Key: 'big.bin' }));
    expect(head.Metadata?.['stowage-sha256']).toBe(up.sha256);
    expect((await bytesOf(cb, 'remote', 'big.bin')).equals(bytes)).toBe(true);
  });
});
