import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import type { CopyObjectOptions } from '../../src/engine/types.js';
import {
  ManualClock,
  openTestEngine,
  patternBytes,
  readAll,
  storedBlobIds,
} from '../helpers/engine.js';
import { expectError } from '../helpers/expect-error.js';

let engine: Engine;
let dir: string;
let close: () => Promise<void>;
let clock: ManualClock;

beforeEach(async () => {
  clock = new ManualClock();
  ({ engine, dir, close } = await openTestEngine({
    clock,
    fsync: false,
    limits: { minPartSizeBytes: 1024 },
  }));
  await engine.createBucket('src');
  await engine.createBucket('dst');
});
afterEach(async () => close());

const md5hex = (b: Buffer | string): string => createHash('md5').update(b).digest('hex');
const read = async (bucket: string, key: string, versionId?: string): Promise<Buffer> =>
  readAll(engine.getObject(bucket, key, versionId ? { versionId } : {}).body);
const copy = (
  from: [string, string],
  to: [string, string],
  options?: CopyObjectOptions,
): ReturnType<Engine['copyObject']> =>
  engine.copyObject({ bucket: from[0], key: from[1] }, { bucket: to[0], key: to[1] }, options);

/** Stored blobs (files and inline rows): a failed copy must not leave its bytes behind. */
const blobFiles = (): string[] => storedBlobIds(dir);

const body = patternBytes(10_000, 7);
const headers = {
  contentType: 'image/png',
  cacheControl: 'max-age=60',
  contentDisposition: 'attachment; filename="hero.png"',
  contentLanguage: 'en',
  contentEncoding: 'identity',
};

async function putSource(options: { storageClass?: string } = {}): Promise<{ etag: string }> {
  return engine.putObject('src', 'hero.png', body, {
    headers,
    metadata: { Artist: 'Ana', 'x-team': 'sprites' },
    tags: { project: 'hero', stage: 'final' },
    ...options,
  });
}

describe('copy to another key', () => {
  it('keeps bytes, headers, metadata and tags by default, in another bucket', async () => {
    const src = await putSource();
    clock.advance(5_000);
    const r = await copy(['src', 'hero.png'], ['dst', 'copies/hero.png']);
    expect(r.etag).toBe(`"${md5hex(body)}"`);
    expect(r.etag).toBe(src.etag);
    expect(r.size).toBe(body.length);
    expect(r.versionId).toBe('null');
    expect(r.sourceVersionId).toBe('null');
    expect(r.lastModified).toEqual(new Date(clock.ms));

    expect((await read('dst', 'copies/hero.png')).equals(body)).toBe(true);
    const info = engine.headObject('dst', 'copies/hero.png');
    expect(info.headers).toEqual(headers);
    expect(info.metadata).toEqual({ artist: 'Ana', 'x-team': 'sprites' });
    expect(info.tags).toEqual({ project: 'hero', stage: 'final' });
    expect(info.storageClass).toBe('STANDARD');
    expect(info.lastModified).toEqual(new Date(clock.ms));

    expect((await read('src', 'hero.png')).equals(body)).toBe(true);
    expect(engine.headObject('src', 'hero.png').lastModified).toEqual(new Date(clock.ms - 5_000));
  });

  it('copies within the same bucket and gives the copy its own bytes', async () => {
    await putSource();
    await copy(['src', 'hero.png'], ['src', 'hero-copy.png'], {
      metadataDirective: 'COPY',
      taggingDirective: 'COPY',
    });
    await engine.deleteObject('src', 'hero.png');
    expect((await read('src', 'hero-copy.png')).equals(body)).toBe(true);
    expect(engine.listObjects('src').objects.map((o) => o.key)).toEqual(['hero-copy.png']);
  });

  it('copies an empty object to a unicode key', async () => {
    await engine.putObject('src', 'empty', Buffer.alloc(0), {
      headers: { contentType: 'text/plain' },
    });
    const r = await copy(['src', 'empty'], ['dst', 'dossier/été ✓.txt']);
    expect(r.size).toBe(0);
    expect(r.etag).toBe(`"${md5hex('')}"`);
    expect((await read('dst', 'dossier/été ✓.txt')).length).toBe(0);
    expect(engine.headObject('dst', 'dossier/été ✓.txt').headers).toEqual({
      contentType: 'text/plain',
    });
  });

  it('ignores headers and metadata given with the COPY directive', async () => {
    await putSource();
    await copy(['src', 'hero.png'], ['dst', 'k'], {
      metadataDirective: 'COPY',
      headers: { contentType: 'text/plain' },
      metadata: { ignored: 'yes' },
    });
    const info = engine.headObject('dst', 'k');
    expect(info.headers.contentType).toBe('image/png');
    expect(info.metadata).toEqual({ artist: 'Ana', 'x-team': 'sprites' });
  });

  it('replaces headers and metadata with REPLACE, keeping tags', async () => {
    await putSource();
    await copy(['src', 'hero.png'], ['dst', 'k'], {
      metadataDirective: 'REPLACE',
      headers: { contentType: 'text/plain', cacheControl: 'no-store' },
      metadata: { Reviewer: 'Bo' },
    });
    const info = engine.headObject('dst', 'k');
    expect(info.headers).toEqual({ contentType: 'text/plain', cacheControl: 'no-store' });
    expect(info.metadata).toEqual({ reviewer: 'Bo' });
    expect(info.tags).toEqual({ project: 'hero', stage: 'final' });
    expect((await read('dst', 'k')).equals(body)).toBe(true);
  });

  it('drops all headers and metadata with REPLACE and none given', async () => {
    await putSource();
    await copy(['src', 'hero.png'], ['dst', 'k'], { metadataDirective: 'REPLACE' });
    const info = engine.headObject('dst', 'k');
    expect(info.headers).toEqual({});
    expect(info.metadata).toEqual({});
  });

  it('replaces tags with the REPLACE tagging directive, keeping metadata', async () => {
    await putSource();
    await copy(['src', 'hero.png'], ['dst', 'a'], {
      taggingDirective: 'REPLACE',
      tags: { reviewed: 'yes' },
    });
    expect(engine.headObject('dst', 'a').tags).toEqual({ reviewed: 'yes' });
    expect(engine.headObject('dst', 'a').metadata).toEqual({ artist: 'Ana', 'x-team': 'sprites' });
    await copy(['src', 'hero.png'], ['dst', 'b'], { taggingDirective: 'REPLACE' });
    expect(engine.getObjectTagging('dst', 'b').tags).toEqual({});
    await copy(['src', 'hero.png'], ['dst', 'c'], {
      taggingDirective: 'COPY',
      tags: { ignored: 'yes' },
    });
    expect(engine.getObjectTagging('dst', 'c').tags).toEqual({ project: 'hero', stage: 'final' });
  });

  it('validates replaced tags and metadata before storing anything', async () => {
    await putSource();
    await expectError(
      () =>
        copy(['src', 'hero.png'], ['dst', 'k'], {
          taggingDirective: 'REPLACE',
          tags: { 'aws:x': '1' },
        }),
      'E_INVALID_TAG',
      '"aws:x"',
    );
    await expectError(
      () =>
        copy(['src', 'hero.png'], ['dst', 'k'], {
          metadataDirective: 'REPLACE',
          metadata: { m: 'x'.repeat(2048) },
        }),
      'E_METADATA_TOO_LARGE',
    );
    expect(engine.listObjects('dst').objects).toEqual([]);
  });
});

describe('storage class of a copy', () => {
  it('is STANDARD by default, as in S3, whatever the source class', async () => {
    await putSource({ storageClass: 'STANDARD_IA' });
    await copy(['src', 'hero.png'], ['dst', 'k']);
    expect(engine.headObject('dst', 'k').storageClass).toBe('STANDARD');
    expect(engine.headObject('src', 'hero.png').storageClass).toBe('STANDARD_IA');
  });

  it('is the requested class, keeping metadata', async () => {
    await putSource();
    await copy(['src', 'hero.png'], ['dst', 'k'], { storageClass: 'ONEZONE_IA' });
    const info = engine.headObject('dst', 'k');
    expect(info.storageClass).toBe('ONEZONE_IA');
    expect(info.metadata).toEqual({ artist: 'Ana', 'x-team': 'sprites' });
    expect(engine.listObjects('dst').objects[0]!.storageClass).toBe('ONEZONE_IA');
  });

  it('rejects an unknown class, naming it, and stores nothing', async () => {
    await putSource();
    const err = await expectError(
      () => copy(['src', 'hero.png'], ['dst', 'k'], { storageClass: 'COLD' }),
      'E_INVALID_STORAGE_CLASS',
      '"COLD"',
    );
    expect(err.s3Code).toBe('InvalidStorageClass');
    expect(engine.listObjects('dst').objects).toEqual([]);
  });
});

describe('tags stored before the tag character rules', () => {
  it('are carried over by a copy as they are (only tags a request sets are checked)', async () => {
    // The engine stores what it is given; S3's character rules are the front end's.
    await engine.putObject('src', 'legacy', 'x', { tags: { team: 'a,b', 'cost#center': 'CC!1' } });
    await copy(['src', 'legacy'], ['dst', 'legacy-copy']);
    expect(engine.headObject('dst', 'legacy-copy').tags).toEqual({
      team: 'a,b',
      'cost#center': 'CC!1',
    });
    await copy(['src', 'legacy'], ['src', 'legacy'], { storageClass: 'STANDARD_IA' });
    expect(engine.headObject('src', 'legacy').tags).toEqual({ team: 'a,b', 'cost#center': 'CC!1' });
  });
});

describe('copy onto itself', () => {
  it('is refused without a change, leaving the object as it was', async () => {
    const src = await putSource();
    const before = engine.headObject('src', 'hero.png');
    clock.advance(1_000);
    const err = await expectError(
      () => copy(['src', 'hero.png'], ['src', 'hero.png']),
      'E_INVALID_REQUEST',
      /copy an object to itself/,
    );
    expect(err.s3Code).toBe('InvalidRequest');
    await expectError(
      () => copy(['src', 'hero.png'], ['src', 'hero.png'], { metadataDirective: 'COPY' }),
      'E_INVALID_REQUEST',
    );
    const after = engine.headObject('src', 'hero.png');
    expect(after).toEqual(before);
    expect(after.etag).toBe(src.etag);
  });

  it("works when a storage class is named, even the object's own (as S3 allows)", async () => {
    await putSource();
    const r = await copy(['src', 'hero.png'], ['src', 'hero.png'], {
      metadataDirective: 'COPY',
      storageClass: 'STANDARD',
    });
    expect(r.etag).toBe(`"${md5hex(body)}"`);
    const ia = await copy(['src', 'hero.png'], ['src', 'hero.png'], {
      storageClass: 'STANDARD_IA',
    });
    expect(ia.etag).toBe(`"${md5hex(body)}"`);
    expect(engine.headObject('src', 'hero.png').storageClass).toBe('STANDARD_IA');
    // Metadata and tags are copied as with any COPY directive.
    const info = engine.headObject('src', 'hero.png');
    expect(info.metadata).toEqual({ artist: 'Ana', 'x-team': 'sprites' });
    expect(info.tags).toEqual({ project: 'hero', stage: 'final' });
  });

  it('is refused for the current version named by id without a change', async () => {
    await engine.putBucketVersioning('src', 'Enabled');
    const v = await engine.putObject('src', 'k', 'one');
    await expectError(
      () => copy(['src', 'k'], ['src', 'k'], { sourceVersionId: v.versionId }),
      'E_INVALID_REQUEST',
      /itself/,
    );
    expect(engine.listObjectVersions('src').versions).toHaveLength(1);
  });

  it('works with REPLACE, changing metadata and keeping bytes', async () => {
    await putSource();
    clock.advance(1_000);
    const r = await copy(['src', 'hero.png'], ['src', 'hero.png'], {
      metadataDirective: 'REPLACE',
      headers: { contentType: 'image/webp' },
      metadata: { artist: 'Cy' },
    });
    expect(r.etag).toBe(`"${md5hex(body)}"`);
    const info = engine.headObject('src', 'hero.png');
    expect(info.headers).toEqual({ contentType: 'image/webp' });
    expect(info.metadata).toEqual({ artist: 'Cy' });
    expect(info.tags).toEqual({ project: 'hero', stage: 'final' });
    expect(info.lastModified).toEqual(new Date(clock.ms));
    expect((await read('src', 'hero.png')).equals(body)).toBe(true);
    expect(engine.listObjects('src').objects).toHaveLength(1);
  });

  it('works with a new storage class, keeping metadata and bytes', async () => {
    await putSource();
    await copy(['src', 'hero.png'], ['src', 'hero.png'], { storageClass: 'STANDARD_IA' });
    const info = engine.headObject('src', 'hero.png');
    expect(info.storageClass).toBe('STANDARD_IA');
    expect(info.metadata).toEqual({ artist: 'Ana', 'x-team': 'sprites' });
    expect(info.headers).toEqual(headers);
    expect((await read('src', 'hero.png')).equals(body)).toBe(true);
  });
});

describe('copy of a specific version', () => {
  it('restores an old version by copying it over the current one', async () => {
    await engine.putBucketVersioning('src', 'Enabled');
    const v1 = await engine.putObject('src', 'level.json', '{"level":1}', {
      metadata: { rev: '1' },
    });
    const v2 = await engine.putObject('src', 'level.json', '{"level":2}', {
      metadata: { rev: '2' },
    });

    const r = await copy(['src', 'level.json'], ['src', 'level.json'], {
      sourceVersionId: v1.versionId,
    });
    expect(r.sourceVersionId).toBe(v1.versionId);
    expect(r.versionId).toMatch(/^[0-9a-f]{32}$/);
    expect(r.versionId).not.toBe(v1.versionId);
    expect(r.versionId).not.toBe(v2.versionId);
    expect(r.etag).toBe(v1.etag);

    expect((await read('src', 'level.json')).toString()).toBe('{"level":1}');
    const head = engine.headObject('src', 'level.json');
    expect(head.versionId).toBe(r.versionId);
    expect(head.metadata).toEqual({ rev: '1' });

    const versions = engine.listObjectVersions('src').versions;
    expect(versions.map((v) => [v.versionId, v.isLatest])).toEqual([
      [r.versionId, true],
      [v2.versionId, false],
      [v1.versionId, false],
    ]);
    expect((await read('src', 'level.json', v1.versionId)).toString()).toBe('{"level":1}');
    expect((await read('src', 'level.json', v2.versionId)).toString()).toBe('{"level":2}');
  });

  it('copies an old version to another bucket', async () => {
    await engine.putBucketVersioning('src', 'Enabled');
    const v1 = await engine.putObject('src', 'k', 'first');
    await engine.putObject('src', 'k', 'second');
    const r = await copy(['src', 'k'], ['dst', 'k'], { sourceVersionId: v1.versionId });
    expect(r.sourceVersionId).toBe(v1.versionId);
    expect((await read('dst', 'k')).toString()).toBe('first');
  });

  it('reports a missing version, and refuses a delete marker named as source', async () => {
    await engine.putBucketVersioning('src', 'Enabled');
    await engine.putObject('src', 'k', 'x');
    const missing = 'f'.repeat(32);
    await expectError(
      () => copy(['src', 'k'], ['dst', 'k'], { sourceVersionId: missing }),
      'E_NO_SUCH_VERSION',
      missing,
    );
    const marker = await engine.deleteObject('src', 'k');
    await expectError(() => copy(['src', 'k'], ['dst', 'k']), 'E_NO_SUCH_KEY', '"k"');
    await expectError(
      () => copy(['src', 'k'], ['dst', 'k'], { sourceVersionId: marker.versionId! }),
      'E_INVALID_REQUEST',
      /may not specifically refer to a delete marker/,
    );
    expect(engine.listObjects('dst').objects).toEqual([]);
  });
});

describe('source conditions', () => {
  let etag: string;
  beforeEach(async () => {
    etag = (await putSource()).etag;
    clock.advance(60_000);
  });

  it('copies when x-amz-copy-source-if-match holds', async () => {
    await copy(['src', 'hero.png'], ['dst', 'k'], { sourceConditions: { ifMatch: etag } });
    expect(engine.headObject('dst', 'k').etag).toBe(etag);
  });

  it('fails with 412 when if-match does not hold, storing nothing', async () => {
    const err = await expectError(
      () =>
        copy(['src', 'hero.png'], ['dst', 'k'], {
          sourceConditions: { ifMatch: '"0123456789abcdef0123456789abcdef"' },
        }),
      'E_PRECONDITION_FAILED',
      /If-Match/,
    );
    expect(err.httpStatus).toBe(412);
    expect(engine.listObjects('dst').objects).toEqual([]);
  });

  it('fails with 412, not 304, when if-none-match matches', async () => {
    await expectError(
      () => copy(['src', 'hero.png'], ['dst', 'k'], { sourceConditions: { ifNoneMatch: etag } }),
      'E_PRECONDITION_FAILED',
      /If-None-Match/,
    );
    await copy(['src', 'hero.png'], ['dst', 'k'], { sourceConditions: { ifNoneMatch: '"other"' } });
    expect(engine.headObject('dst', 'k').size).toBe(body.length);
  });

  it('fails with 412, not 304, when the source is not modified since', async () => {
    await expectError(
      () =>
        copy(['src', 'hero.png'], ['dst', 'k'], {
          sourceConditions: { ifModifiedSince: new Date(clock.ms) },
        }),
      'E_PRECONDITION_FAILED',
    );
    await copy(['src', 'hero.png'], ['dst', 'k'], {
      sourceConditions: { ifModifiedSince: new Date(clock.ms - 120_000) },
    });
    expect(engine.listObjects('dst').objects).toHaveLength(1);
  });

  it('fails with 412 when the source was modified since if-unmodified-since', async () => {
    await expectError(
      () =>
        copy(['src', 'hero.png'], ['dst', 'k'], {
          sourceConditions: { ifUnmodifiedSince: new Date(clock.ms - 120_000) },
        }),
      'E_PRECONDITION_FAILED',
      /If-Unmodified-Since/,
    );
    expect(engine.listObjects('dst').objects).toEqual([]);
  });
});

describe('destination conditions', () => {
  it('fails with 412 for if-none-match * on an existing key, leaving it and no stray bytes', async () => {
    await putSource();
    await engine.putObject('dst', 'k', 'existing');
    const blobs = blobFiles();
    const err = await expectError(
      () => copy(['src', 'hero.png'], ['dst', 'k'], { conditions: { ifNoneMatch: '*' } }),
      'E_PRECONDITION_FAILED',
      /If-None-Match/,
    );
    expect(err.s3Code).toBe('PreconditionFailed');
    expect((await read('dst', 'k')).toString()).toBe('existing');
    // A failed commit unlinks the copy's blob asynchronously.
    await expect.poll(blobFiles).toEqual(blobs);
  });

  it('copies with if-none-match * when the key does not exist', async () => {
    await putSource();
    await copy(['src', 'hero.png'], ['dst', 'new'], { conditions: { ifNoneMatch: '*' } });
    expect((await read('dst', 'new')).equals(body)).toBe(true);
  });

  it('checks if-match against the destination, not the source', async () => {
    const src = await putSource();
    const dst = await engine.putObject('dst', 'k', 'existing');
    await expectError(
      () => copy(['src', 'hero.png'], ['dst', 'k'], { conditions: { ifMatch: src.etag } }),
      'E_PRECONDITION_FAILED',
    );
    await copy(['src', 'hero.png'], ['dst', 'k'], { conditions: { ifMatch: dst.etag } });
    expect((await read('dst', 'k')).equals(body)).toBe(true);
  });
});

describe('missing source and destination', () => {
  it('reports a missing source key', async () => {
    const err = await expectError(
      () => copy(['src', 'nope.png'], ['dst', 'k']),
      'E_NO_SUCH_KEY',
      '"nope.png"',
    );
    expect(err.s3Code).toBe('NoSuchKey');
    expect(engine.listObjects('dst').objects).toEqual([]);
  });

  it('reports a missing source bucket', async () => {
    await expectError(
      () => copy(['no-such-src', 'k'], ['dst', 'k']),
      'E_NO_SUCH_BUCKET',
      '"no-such-src"',
    );
  });

  it('reports a missing destination bucket', async () => {
    await putSource();
    const err = await expectError(
      () => copy(['src', 'hero.png'], ['no-such-dst', 'k']),
      'E_NO_SUCH_BUCKET',
      '"no-such-dst"',
    );
    expect(err.s3Code).toBe('NoSuchBucket');
  });

  it('rejects an invalid destination key', async () => {
    await putSource();
    await expectError(() => copy(['src', 'hero.png'], ['dst', '']), 'E_INVALID_KEY', /empty/);
    await expectError(
      () => copy(['src', 'hero.png'], ['dst', 'k'.repeat(1025)]),
      'E_KEY_TOO_LONG',
      /1025/,
    );
  });
});

describe('copy of a multipart object', () => {
  it('gives a plain MD5 ETag of the whole bytes and no parts', async () => {
    const parts = [patternBytes(1024, 1), patternBytes(1024, 2), patternBytes(300, 3)];
    const whole = Buffer.concat(parts);
    const up = await engine.createMultipartUpload('src', 'mp.bin', { metadata: { kind: 'mp' } });
    const done: Array<{ partNumber: number; etag: string }> = [];
    for (const [i, p] of parts.entries()) {
      const part = await engine.uploadPart('src', 'mp.bin', up.uploadId, i + 1, p);
      done.push({ partNumber: i + 1, etag: part.etag });
    }
    const mp = await engine.completeMultipartUpload('src', 'mp.bin', up.uploadId, done);
    expect(mp.etag).toMatch(/^"[0-9a-f]{32}-3"$/);

    const r = await copy(['src', 'mp.bin'], ['dst', 'flat.bin']);
    expect(r.etag).toBe(`"${md5hex(whole)}"`);
    expect(r.size).toBe(whole.length);
    const info = engine.headObject('dst', 'flat.bin');
    expect(info.etag).toBe(`"${md5hex(whole)}"`);
    expect(info.partsCount).toBe(0);
    expect(info.partSizes).toEqual([]);
    expect(info.metadata).toEqual({ kind: 'mp' });
    expect((await read('dst', 'flat.bin')).equals(whole)).toBe(true);
    expect(engine.headObject('src', 'mp.bin').partsCount).toBe(3);
  });
});

describe('directives', () => {
  it.each([
    [{ metadataDirective: 'MERGE' }, 'metadata directive', '"MERGE"'],
    [{ metadataDirective: 'replace' }, 'metadata directive', '"replace"'],
    [{ taggingDirective: 'KEEP' }, 'tagging directive', '"KEEP"'],
  ])('rejects %j', async (options, what, value) => {
    await putSource();
    const err = await expectError(
      () => copy(['src', 'hero.png'], ['dst', 'k'], options as unknown as CopyObjectOptions),
      'E_INVALID_ARGUMENT',
      what,
    );
    expect(err.message).toContain(value);
    expect(engine.listObjects('dst').objects).toEqual([]);
  });
});

describe('a source deleted while the copy starts', () => {
  // A first use of a KMS key id makes its key file (writes and fsyncs): the copy waits
  // for it, and the delete, issued meanwhile, commits first. The copy must still read the
  // source it resolved, as S3 completes it; never a 'blob missing' error.
  it.each([
    ['in a blob file', 300_000],
    ['inline', 2_000],
  ])('the copy still completes with the source bytes (%s)', async (_, size) => {
    const src = patternBytes(size, 11);
    for (let i = 0; i < 3; i++) {
      await engine.putObject('src', `gone-${i}`, src);
      const copying = copy(['src', `gone-${i}`], ['dst', `copy-${i}`], {
        encryption: { algorithm: 'aws:kms', kmsKeyId: `fresh-key-${size}-${i}` },
      });
      await engine.deleteObject('src', `gone-${i}`);
      await copying;
      expect(md5hex(await read('dst', `copy-${i}`))).toBe(md5hex(src));
    }
    expect((await engine.check({ deep: true })).problems).toEqual([]);
  });
});

describe('what a copy names as it begins (onStart)', () => {
  const SIZE = 8 * 1024 * 1024;

  it('is what its result says', async () => {
    await engine.putBucketVersioning('dst', 'Enabled');
    await engine.putObject('src', 'big', patternBytes(SIZE));
    const starts: unknown[] = [];
    const result = await copy(['src', 'big'], ['dst', 'big'], {
      tags: { kind: 'asset' },
      taggingDirective: 'REPLACE',
      onStart: (s) => starts.push(s),
    });
    expect(starts).toEqual([
      { sourceVersionId: 'null', versionId: result.versionId, size: SIZE, tags: { kind: 'asset' } },
    ]);
    expect(result.versionId).toMatch(/^[0-9a-f]{32}$/);
    expect(engine.headObject('dst', 'big').versionId).toBe(result.versionId);
  });

  it('is not its version once versioning changed meanwhile: the copy is placed as versioning is when it commits', async () => {
    await engine.putObject('src', 'big', patternBytes(SIZE));
    // Suspended, with a null version: enabling versioning mid-copy keeps that version.
    await engine.putBucketVersioning('dst', 'Suspended');
    await engine.putObject('dst', 'big', 'old null version');
    let enabling: Promise<void> | undefined;
    let named: string | undefined;
    const changes: string[] = [];
    const result = await copy(['src', 'big'], ['dst', 'big'], {
      onStart: (s) => {
        named = s.versionId;
        enabling = engine.putBucketVersioning('dst', 'Enabled');
      },
      onVersionChange: (id) => changes.push(id) > 0,
    });
    await enabling;
    expect(named).toBe('null');
    expect(result.versionId).toMatch(/^[0-9a-f]{32}$/);
    expect(changes).toEqual([result.versionId]);
    const versions = engine.listObjectVersions('dst').versions;
    expect(versions.map((v) => v.versionId)).toEqual([result.versionId, 'null']);
    expect((await read('dst', 'big', 'null')).toString()).toBe('old null version');

    // Enabled, then suspended mid-copy: the copy is the null version.
    let suspending: Promise<void> | undefined;
    const second = await copy(['src', 'big'], ['dst', 'big'], {
      onStart: (s) => {
        named = s.versionId;
        suspending = engine.putBucketVersioning('dst', 'Suspended');
      },
    });
    await suspending;
    expect(named).toMatch(/^[0-9a-f]{32}$/);
    expect(second.versionId).toBe('null');
    expect(engine.listObjectVersions('dst').versions.map((v) => v.versionId)).toEqual([
      'null',
      result.versionId,
    ]);
  });

  it('fails with ConditionalRequestConflict, writing nothing, when the id it named was told and versioning changed', async () => {
    await engine.putBucketVersioning('dst', 'Enabled');
    await engine.putObject('src', 'big', patternBytes(SIZE));
    const before = storedBlobIds(dir).length;
    let suspending: Promise<void> | undefined;
    await expectError(
      copy(['src', 'big'], ['dst', 'big'], {
        onStart: () => {
          suspending = engine.putBucketVersioning('dst', 'Suspended');
        },
        onVersionChange: () => false,
      }),
      'E_CONDITIONAL_REQUEST_CONFLICT',
    );
    await suspending;
    expect(engine.listObjectVersions('dst').versions).toEqual([]);
    // A failed commit unlinks the copy's blob asynchronously.
    await expect.poll(() => storedBlobIds(dir).length).toBe(before);
  });

  it('fails fast on a destination condition that already does not hold, before onStart', async () => {
    await engine.putObject('src', 'big', patternBytes(SIZE));
    await engine.putObject('dst', 'taken', 'x');
    let started = false;
    await expectError(
      copy(['src', 'big'], ['dst', 'taken'], {
        conditions: { ifNoneMatch: '*' },
        onStart: () => (started = true),
      }),
      'E_PRECONDITION_FAILED',
    );
    expect(started).toBe(false);
  });
});
