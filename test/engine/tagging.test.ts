import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { ManualClock, openTestEngine, readAll } from '../helpers/engine.js';
import { expectError } from '../helpers/expect-error.js';

let engine: Engine;
let close: () => Promise<void>;
let clock: ManualClock;

beforeEach(async () => {
  clock = new ManualClock();
  ({ engine, close } = await openTestEngine({ clock, fsync: false }));
  await engine.createBucket('tags');
});
afterEach(async () => close());

const tagSet = (n: number): Record<string, string> =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, `v${i}`]));

describe('object tags', () => {
  it('are stored at put time and returned by getObjectTagging and head', async () => {
    const tags = { project: 'hero', 'stage name': 'final + approved', empty: '' };
    await engine.putObject('tags', 'a.png', 'x', { tags });
    expect(engine.getObjectTagging('tags', 'a.png')).toEqual({ versionId: 'null', tags });
    expect(engine.headObject('tags', 'a.png').tags).toEqual(tags);
    expect(engine.listObjects('tags').objects[0]!.tags).toEqual(tags);
  });

  it('are empty when none were given', async () => {
    await engine.putObject('tags', 'a.png', 'x');
    expect(engine.getObjectTagging('tags', 'a.png').tags).toEqual({});
  });

  it('are replaced as a whole by putObjectTagging, keeping bytes, ETag and time', async () => {
    const put = await engine.putObject('tags', 'a.png', 'bytes', {
      tags: { a: '1', b: '2' },
      metadata: { m: 'v' },
    });
    clock.advance(60_000);
    const r = await engine.putObjectTagging('tags', 'a.png', { c: '3' });
    expect(r).toEqual({ versionId: 'null' });
    expect(engine.getObjectTagging('tags', 'a.png').tags).toEqual({ c: '3' });
    const info = engine.headObject('tags', 'a.png');
    expect(info.etag).toBe(put.etag);
    expect(info.metadata).toEqual({ m: 'v' });
    expect(info.lastModified).toEqual(new Date(clock.ms - 60_000));
    expect((await readAll(engine.getObject('tags', 'a.png').body)).toString()).toBe('bytes');
  });

  it('are deleted by an empty set', async () => {
    await engine.putObject('tags', 'a.png', 'x', { tags: { a: '1' } });
    await engine.putObjectTagging('tags', 'a.png', {});
    expect(engine.getObjectTagging('tags', 'a.png').tags).toEqual({});
  });

  it('are dropped when the object is overwritten without tags', async () => {
    await engine.putObject('tags', 'a.png', 'x', { tags: { a: '1' } });
    await engine.putObject('tags', 'a.png', 'y');
    expect(engine.getObjectTagging('tags', 'a.png').tags).toEqual({});
  });

  it('are kept per version in a versioned bucket', async () => {
    await engine.putBucketVersioning('tags', 'Enabled');
    const v1 = await engine.putObject('tags', 'a.png', 'one', { tags: { rev: '1' } });
    const v2 = await engine.putObject('tags', 'a.png', 'two', { tags: { rev: '2' } });

    expect(engine.getObjectTagging('tags', 'a.png')).toEqual({
      versionId: v2.versionId,
      tags: { rev: '2' },
    });
    expect(engine.getObjectTagging('tags', 'a.png', v1.versionId)).toEqual({
      versionId: v1.versionId,
      tags: { rev: '1' },
    });

    expect(
      await engine.putObjectTagging('tags', 'a.png', { rev: '1', old: 'yes' }, v1.versionId),
    ).toEqual({
      versionId: v1.versionId,
    });
    expect(engine.getObjectTagging('tags', 'a.png', v1.versionId).tags).toEqual({
      rev: '1',
      old: 'yes',
    });
    expect(engine.getObjectTagging('tags', 'a.png', v2.versionId).tags).toEqual({ rev: '2' });

    expect(await engine.putObjectTagging('tags', 'a.png', { current: 'yes' })).toEqual({
      versionId: v2.versionId,
    });
    expect(engine.getObjectTagging('tags', 'a.png').tags).toEqual({ current: 'yes' });
    expect(engine.getObjectTagging('tags', 'a.png', v1.versionId).tags).toEqual({
      rev: '1',
      old: 'yes',
    });
    expect(engine.listObjectVersions('tags').versions).toHaveLength(2);
  });

  it('report a missing key, version or bucket, and a delete marker', async () => {
    await expectError(() => engine.getObjectTagging('tags', 'nope'), 'E_NO_SUCH_KEY', '"nope"');
    await expectError(
      () => engine.putObjectTagging('tags', 'nope', { a: '1' }),
      'E_NO_SUCH_KEY',
      '"nope"',
    );
    await expectError(
      () => engine.getObjectTagging('no-bucket', 'k'),
      'E_NO_SUCH_BUCKET',
      '"no-bucket"',
    );

    await engine.putBucketVersioning('tags', 'Enabled');
    await engine.putObject('tags', 'k', 'x');
    const missing = 'a'.repeat(32);
    await expectError(
      () => engine.getObjectTagging('tags', 'k', missing),
      'E_NO_SUCH_VERSION',
      missing,
    );
    await expectError(
      () => engine.putObjectTagging('tags', 'k', { a: '1' }, missing),
      'E_NO_SUCH_VERSION',
      missing,
    );
    const marker = await engine.deleteObject('tags', 'k');
    // A latest version that is a delete marker: 405 for tags, read or changed, as S3 answers
    // (LocalStack's AWS-validated test_object_tagging_versioned), where GetObject is 404.
    await expectError(() => engine.getObjectTagging('tags', 'k'), 'E_METHOD_NOT_ALLOWED');
    await expectError(
      () => engine.putObjectTagging('tags', 'k', { a: '1' }),
      'E_METHOD_NOT_ALLOWED',
      /delete marker/,
    );
    await expectError(() => engine.putObjectTagging('tags', 'k', {}), 'E_METHOD_NOT_ALLOWED');
    await expectError(
      () => engine.putObjectTagging('tags', 'k', { a: '1' }, marker.versionId),
      'E_METHOD_NOT_ALLOWED',
      /delete marker/,
    );
  });
});

describe('tag limits', () => {
  it('accept exactly 10 tags, a 128-character key and a 256-character value', async () => {
    await engine.putObject('tags', 'ten', 'x', { tags: tagSet(10) });
    expect(Object.keys(engine.getObjectTagging('tags', 'ten').tags)).toHaveLength(10);
    const long = { ['k'.repeat(128)]: 'v'.repeat(256) };
    await engine.putObject('tags', 'long', 'x', { tags: long });
    expect(engine.getObjectTagging('tags', 'long').tags).toEqual(long);
    // Limits are in characters, not UTF-8 bytes.
    const accented = { ['é'.repeat(128)]: 'ü'.repeat(256) };
    await engine.putObjectTagging('tags', 'long', accented);
    expect(engine.getObjectTagging('tags', 'long').tags).toEqual(accented);
    // …and in code points, not UTF-16 units: U+20000 is one character, two units.
    const astral = { ['\u{20000}'.repeat(128)]: '\u{20000}'.repeat(256) };
    await engine.putObjectTagging('tags', 'long', astral);
    expect(engine.getObjectTagging('tags', 'long').tags).toEqual(astral);
    await expectError(
      () => engine.putObjectTagging('tags', 'long', { ['\u{20000}'.repeat(129)]: 'v' }),
      'E_INVALID_TAG',
    );
  });

  const bad: Array<[string, Record<string, string>, RegExp]> = [
    [
      'a 129-character key',
      { ['k'.repeat(129)]: 'v' },
      /tag key "k{129}" must be 1 to 128 characters/,
    ],
    ['an empty key', { '': 'v' }, /tag key "" must be 1 to 128/],
    ['a 257-character value', { big: 'v'.repeat(257) }, /value of tag "big".*at most 256/],
    [
      'the aws: prefix',
      { 'aws:cloudformation:stack-name': 'x' },
      /"aws:cloudformation:stack-name".*reserved prefix "aws:"/,
    ],
  ];

  it("rejects 11 tags at put time with S3's BadRequest (not InvalidTag), storing nothing", async () => {
    const err = await expectError(
      () => engine.putObject('tags', 'obj', 'x', { tags: tagSet(11) }),
      'E_BAD_REQUEST',
      /^Object tags cannot be greater than 10; got 11$/,
    );
    expect([err.s3Code, err.httpStatus]).toEqual(['BadRequest', 400]);
    await expectError(() => engine.headObject('tags', 'obj'), 'E_NO_SUCH_KEY');
  });

  it.each(bad)('reject %s at put time, storing nothing', async (_what, tags, message) => {
    const err = await expectError(
      () => engine.putObject('tags', 'obj', 'x', { tags }),
      'E_INVALID_TAG',
      message,
    );
    expect(err.s3Code).toBe('InvalidTag');
    expect(err.httpStatus).toBe(400);
    await expectError(() => engine.headObject('tags', 'obj'), 'E_NO_SUCH_KEY');
    expect(engine.listObjects('tags').objects).toEqual([]);
  });

  it.each(bad)(
    'reject %s in putObjectTagging, keeping the old tags',
    async (_what, tags, message) => {
      await engine.putObject('tags', 'obj', 'x', { tags: { keep: 'me' } });
      await expectError(
        () => engine.putObjectTagging('tags', 'obj', tags),
        'E_INVALID_TAG',
        message,
      );
      expect(engine.getObjectTagging('tags', 'obj').tags).toEqual({ keep: 'me' });
    },
  );

  it.each(bad)('reject %s on a multipart upload', async (_what, tags, message) => {
    await expectError(
      () => engine.createMultipartUpload('tags', 'obj', { tags }),
      'E_INVALID_TAG',
      message,
    );
    expect(engine.listMultipartUploads('tags').uploads).toEqual([]);
  });
});

describe('user metadata', () => {
  it('has its keys lowercased and its values kept exactly', async () => {
    await engine.putObject('tags', 'a', 'x', {
      metadata: { 'Content-Owner': 'Art Team', ALLCAPS: 'MiXeD ✓', lower: '' },
    });
    expect(engine.headObject('tags', 'a').metadata).toEqual({
      'content-owner': 'Art Team',
      allcaps: 'MiXeD ✓',
      lower: '',
    });
    expect(engine.listObjects('tags').objects[0]!.metadata).toEqual({
      'content-owner': 'Art Team',
      allcaps: 'MiXeD ✓',
      lower: '',
    });
  });

  it('is lowercased on a multipart upload too', async () => {
    const up = await engine.createMultipartUpload('tags', 'mp', {
      metadata: { 'X-Shot': 'S01' },
      tags: { t: '1' },
    });
    const part = await engine.uploadPart('tags', 'mp', up.uploadId, 1, 'bytes');
    await engine.completeMultipartUpload('tags', 'mp', up.uploadId, [
      { partNumber: 1, etag: part.etag },
    ]);
    const info = engine.headObject('tags', 'mp');
    expect(info.metadata).toEqual({ 'x-shot': 'S01' });
    expect(info.tags).toEqual({ t: '1' });
  });

  it('may be exactly 2 KB (keys plus values)', async () => {
    const metadata = { k: 'v'.repeat(2047) };
    await engine.putObject('tags', 'a', 'x', { metadata });
    expect(engine.headObject('tags', 'a').metadata).toEqual(metadata);
  });

  it('counts the bytes each value takes in a header', async () => {
    // Header text is one character per byte (the S3 API stores the UTF-8 bytes it received
    // so): "é" goes on the wire as one byte, "€" as its three UTF-8 bytes.
    await engine.putObject('tags', 'a', 'x', { metadata: { k: 'é'.repeat(2047) } });
    await engine.putObject('tags', 'a', 'x', { metadata: { k: '€'.repeat(682) } });
    const utf8 = Buffer.from('é'.repeat(1023), 'utf8').toString('latin1');
    await engine.putObject('tags', 'a', 'x', { metadata: { k: utf8 } });
    expect(engine.headObject('tags', 'a').metadata).toEqual({ k: utf8 });
  });

  it.each([
    ['one byte over', { k: 'v'.repeat(2048) }, 2049],
    ['counted in UTF-8 bytes', { k: '€'.repeat(683) }, 2050],
    ['header text', { k: Buffer.from('é'.repeat(1024), 'utf8').toString('latin1') }, 2049],
    ['summed over keys', { first: 'a'.repeat(1020), second: 'b'.repeat(1020) }, 2051],
  ])('over 2 KB (%s) is refused, storing nothing', async (_what, metadata, bytes) => {
    await engine.putObject('tags', 'existing', 'old', { metadata: { m: '1' } });
    const err = await expectError(
      () => engine.putObject('tags', 'new', 'x', { metadata }),
      'E_METADATA_TOO_LARGE',
      `${bytes} bytes; the maximum is 2048`,
    );
    expect(err.s3Code).toBe('MetadataTooLarge');
    expect(err.details).toEqual({ sizeBytes: bytes, maxSizeBytes: 2048 });
    await expectError(() => engine.headObject('tags', 'new'), 'E_NO_SUCH_KEY');

    await expectError(
      () => engine.putObject('tags', 'existing', 'new', { metadata }),
      'E_METADATA_TOO_LARGE',
    );
    expect(engine.headObject('tags', 'existing').metadata).toEqual({ m: '1' });
    expect((await readAll(engine.getObject('tags', 'existing').body)).toString()).toBe('old');
    expect(engine.listObjects('tags').objects.map((o) => o.key)).toEqual(['existing']);
  });

  it.each(['my key', 'key:colon', 'ключ', '', 'a(b)'])(
    'rejects the invalid key %j, naming it',
    async (key) => {
      await expectError(
        () => engine.putObject('tags', 'a', 'x', { metadata: { [key]: 'v' } }),
        'E_INVALID_ARGUMENT',
        `metadata key "${key}" is not a valid HTTP header name`,
      );
      await expectError(() => engine.headObject('tags', 'a'), 'E_NO_SUCH_KEY');
    },
  );

  it('rejects a value that is not a string', async () => {
    await expectError(
      () => engine.putObject('tags', 'a', 'x', { metadata: { count: 3 as unknown as string } }),
      'E_INVALID_ARGUMENT',
      '"count"',
    );
    await expectError(() => engine.headObject('tags', 'a'), 'E_NO_SUCH_KEY');
  });
});
