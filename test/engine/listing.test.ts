import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import type { ListObjectsResult } from '../../src/engine/types.js';
import { isStowageError } from '../../src/errors.js';
import { openTestEngine } from '../helpers/engine.js';

let engine: Engine;
let close: () => Promise<void>;

beforeEach(async () => {
  ({ engine, close } = await openTestEngine({ fsync: false }));
  await engine.createBucket('bkt');
});
afterEach(async () => close());

async function putAll(keys: string[]): Promise<void> {
  await Promise.all(keys.map((k) => engine.putObject('bkt', k, k)));
}

/** Follows continuation tokens to the end, collecting keys and prefixes. */
function listAll(opts: { prefix?: string; delimiter?: string; maxKeys?: number }): {
  keys: string[];
  prefixes: string[];
  pages: number;
} {
  const keys: string[] = [];
  const prefixes: string[] = [];
  let token: string | undefined;
  let pages = 0;
  for (;;) {
    const r: ListObjectsResult = engine.listObjects('bkt', { ...opts, continuationToken: token });
    pages++;
    keys.push(...r.objects.map((o) => o.key));
    prefixes.push(...r.commonPrefixes);
    if (!r.isTruncated) return { keys, prefixes, pages };
    expect(r.nextContinuationToken).toBeTruthy();
    token = r.nextContinuationToken;
  }
}

const utf8Order = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

describe('listObjects', () => {
  it('lists in UTF-8 byte order, not JavaScript string order', async () => {
    // U+FF5E sorts after U+1F600 in UTF-16 code units but before it in UTF-8 bytes.
    const keys = ['😀', '～', 'Z', 'a', 'é', 'A', '/', '0', 'a/b', 'a b', 'a-b'];
    await putAll(keys);
    const listed = engine.listObjects('bkt').objects.map((o) => o.key);
    expect(listed).toEqual([...keys].sort(utf8Order));
    expect(listed.indexOf('～')).toBeLessThan(listed.indexOf('😀'));
  });

  it('a marker past the prefix range in UTF-8 order lists nothing, in every listing', async () => {
    // '😀' (F0 9F 98 80) is after every key under '！' (EF BC 81) in UTF-8, before in UTF-16.
    await putAll(['！a', '！b']);
    await engine.createMultipartUpload('bkt', '！u');
    const opts = { prefix: '！' };
    expect(engine.listObjects('bkt', { ...opts, startAfter: '😀' }).objects).toEqual([]);
    expect(engine.listObjectVersions('bkt', { ...opts, keyMarker: '😀' }).versions).toEqual([]);
    expect(engine.listMultipartUploads('bkt', { ...opts, keyMarker: '😀' }).uploads).toEqual([]);
    // A marker before the prefix range starts at the prefix.
    expect(
      engine.listObjects('bkt', { ...opts, startAfter: '!' }).objects.map((o) => o.key),
    ).toEqual(['！a', '！b']);
  });

  it('a key marker outside the prefix with a version or upload marker lists nothing of its key', async () => {
    await engine.putBucketVersioning('bkt', 'Enabled');
    await engine.putObject('bkt', 'A', 'one');
    const second = await engine.putObject('bkt', 'A', 'two');
    await engine.putObject('bkt', '0x', 'in the prefix');
    const first = await engine.createMultipartUpload('bkt', 'A');
    await engine.createMultipartUpload('bkt', 'A');
    const opts = { prefix: '0', keyMarker: 'A' };
    expect(
      engine.listObjectVersions('bkt', { ...opts, versionIdMarker: second.versionId! }).versions,
    ).toEqual([]);
    expect(
      engine.listMultipartUploads('bkt', { ...opts, uploadIdMarker: first.uploadId }).uploads,
    ).toEqual([]);
    // Within the prefix, the marker key's older versions still come first.
    const within = engine.listObjectVersions('bkt', {
      prefix: 'A',
      keyMarker: 'A',
      versionIdMarker: second.versionId!,
    });
    expect(within.versions.map((v) => [v.key, v.isLatest])).toEqual([['A', false]]);
  });

  it('pages through 2,500 keys with continuation tokens, each key once', async () => {
    const keys = Array.from({ length: 2500 }, (_, i) => `k/${String(i).padStart(5, '0')}`);
    await putAll(keys);
    const all = listAll({});
    expect(all.keys).toEqual(keys);
    expect(all.pages).toBe(3);
    const small = listAll({ maxKeys: 7, prefix: 'k/000' });
    expect(small.keys).toEqual(keys.slice(0, 100));
  });

  it('filters by prefix and start-after', async () => {
    await putAll(['a1', 'a2', 'a3', 'b1', 'ab']);
    expect(engine.listObjects('bkt', { prefix: 'a' }).objects.map((o) => o.key)).toEqual([
      'a1',
      'a2',
      'a3',
      'ab',
    ]);
    expect(engine.listObjects('bkt', { startAfter: 'a2' }).objects.map((o) => o.key)).toEqual([
      'a3',
      'ab',
      'b1',
    ]);
    expect(
      engine.listObjects('bkt', { prefix: 'a', startAfter: 'a3' }).objects.map((o) => o.key),
    ).toEqual(['ab']);
    expect(engine.listObjects('bkt', { prefix: 'zz' }).objects).toEqual([]);
  });

  it('does not list a common prefix that sorts before the marker, in all four listings', async () => {
    await putAll(['a/1', 'a/2', 'b']);
    for (const key of ['a/1', 'a/2', 'b']) await engine.createMultipartUpload('bkt', key);
    const opts = { delimiter: '/' };
    const v2 = engine.listObjects('bkt', { ...opts, startAfter: 'a/1' });
    expect(v2.objects.map((o) => o.key)).toEqual(['b']);
    expect(v2.commonPrefixes).toEqual([]);
    const versions = engine.listObjectVersions('bkt', { ...opts, keyMarker: 'a/1' });
    expect(versions.versions.map((v) => v.key)).toEqual(['b']);
    expect(versions.commonPrefixes).toEqual([]);
    const uploads = engine.listMultipartUploads('bkt', { ...opts, keyMarker: 'a/1' });
    expect(uploads.uploads.map((u) => u.key)).toEqual(['b']);
    expect(uploads.commonPrefixes).toEqual([]);
    // A marker before the prefix still lists it; one equal to it (a V1 NextMarker) does not.
    expect(engine.listObjects('bkt', { ...opts, startAfter: 'a' }).commonPrefixes).toEqual(['a/']);
    expect(engine.listObjects('bkt', { ...opts, startAfter: 'a/' }).commonPrefixes).toEqual([]);
  });

  it('rolls keys up into common prefixes at the delimiter', async () => {
    await putAll([
      'photos/2024/a.jpg',
      'photos/2024/b.jpg',
      'photos/2025/c.jpg',
      'photos/top.jpg',
      'readme',
      'docs/x',
    ]);
    const root = engine.listObjects('bkt', { delimiter: '/' });
    expect(root.commonPrefixes).toEqual(['docs/', 'photos/']);
    expect(root.objects.map((o) => o.key)).toEqual(['readme']);
    const photos = engine.listObjects('bkt', { delimiter: '/', prefix: 'photos/' });
    expect(photos.commonPrefixes).toEqual(['photos/2024/', 'photos/2025/']);
    expect(photos.objects.map((o) => o.key)).toEqual(['photos/top.jpg']);
    const multi = engine.listObjects('bkt', { delimiter: '20', prefix: 'photos/' });
    expect(multi.commonPrefixes).toEqual(['photos/20']);
  });

  it('counts common prefixes toward max-keys and pages through them', async () => {
    const keys: string[] = [];
    for (let d = 0; d < 30; d++)
      for (let f = 0; f < 40; f++) keys.push(`d${String(d).padStart(2, '0')}/f${f}`);
    keys.push('z-top');
    await putAll(keys);
    const r = listAll({ delimiter: '/', maxKeys: 4 });
    expect(r.prefixes).toHaveLength(30);
    expect(new Set(r.prefixes).size).toBe(30);
    expect(r.keys).toEqual(['z-top']);
    expect(r.pages).toBe(8);
  });

  it('V1 markers: NextMarker is the last key or prefix, and resuming from it skips that prefix', async () => {
    await putAll(['a/1', 'a/2', 'b/1', 'c']);
    const p1 = engine.listObjects('bkt', { delimiter: '/', maxKeys: 1 });
    expect(p1.commonPrefixes).toEqual(['a/']);
    expect(p1.nextMarker).toBe('a/');
    const p2 = engine.listObjects('bkt', { delimiter: '/', maxKeys: 1, startAfter: p1.nextMarker });
    expect(p2.commonPrefixes).toEqual(['b/']);
    const p3 = engine.listObjects('bkt', { delimiter: '/', maxKeys: 5, startAfter: 'b/' });
    expect(p3.objects.map((o) => o.key)).toEqual(['c']);
    expect(p3.isTruncated).toBe(false);
  });

  it('hides keys whose latest version is a delete marker', async () => {
    await engine.putBucketVersioning('bkt', 'Enabled');
    await putAll(['keep', 'gone']);
    await engine.deleteObject('bkt', 'gone');
    expect(engine.listObjects('bkt').objects.map((o) => o.key)).toEqual(['keep']);
  });

  it('listObjectSummaries: the listing fields of listObjects, page for page, tokens shared', async () => {
    await putAll(['a', 'b/1', 'b/2', 'c', 'd']);
    await engine.putObject('bkt', 'crc', 'x', {
      checksumAlgorithm: 'CRC32',
      storageClass: 'GLACIER',
      metadata: { kept: 'out' },
      tags: { t: '1' },
    });
    await engine.restoreObject('bkt', 'crc', { days: 1, tier: 'Expedited' });
    await engine.deleteObject('bkt', 'd');
    const fields = [
      'bucket',
      'key',
      'versionId',
      'isLatest',
      'isDeleteMarker',
      'size',
      'etag',
      'lastModified',
      'storageClass',
      'restore',
      'checksums',
      'checksumType',
    ] as const;
    const pick = (o: object) => {
      const r = o as Record<string, unknown>;
      return Object.fromEntries(fields.filter((f) => r[f] !== undefined).map((f) => [f, r[f]]));
    };
    let token: string | undefined;
    let pages = 0;
    do {
      const opts = { delimiter: '/', maxKeys: 1, continuationToken: token };
      const full = engine.listObjects('bkt', opts);
      const summary = engine.listObjectSummaries('bkt', opts);
      expect(summary.objects).toEqual(full.objects.map(pick));
      expect({ ...summary, objects: [] }).toEqual({ ...full, objects: [] });
      token = full.nextContinuationToken;
      pages++;
    } while (token);
    expect(pages).toBe(4); // a, b/, c, crc (d is deleted)
    const [crc] = engine.listObjectSummaries('bkt', { prefix: 'crc' }).objects;
    expect(crc).toMatchObject({ storageClass: 'GLACIER', checksumType: 'FULL_OBJECT' });
    expect(Object.keys(crc!.checksums)).toEqual(['CRC32']);
    expect(crc!.restore).toMatchObject({ ongoing: true });
    expect(crc).not.toHaveProperty('metadata');
    expect(crc).not.toHaveProperty('tags');
  });

  it('rejects bad tokens and max-keys', async () => {
    for (const bad of [
      () => engine.listObjects('bkt', { continuationToken: 'garbage!!' }),
      () => engine.listObjects('bkt', { maxKeys: -1 }),
    ]) {
      try {
        bad();
        throw new Error('accepted');
      } catch (err) {
        expect(isStowageError(err, 'E_INVALID_ARGUMENT')).toBe(true);
      }
    }
    expect(() => engine.listObjects('missing')).toThrow(/does not exist/);
  });

  it('streams: listing a bucket does not load it (1000-key pages from 5,000 keys)', async () => {
    const keys = Array.from({ length: 5000 }, (_, i) => `x${String(i).padStart(5, '0')}`);
    await putAll(keys);
    const first = engine.listObjects('bkt');
    expect(first.objects).toHaveLength(1000);
    expect(first.isTruncated).toBe(true);
  });
});
