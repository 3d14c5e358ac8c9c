import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { isStowageError } from '../../src/errors.js';
import { openTestEngine, readAll } from '../helpers/engine.js';
import { expectError as expectCode } from '../helpers/expect-error.js';

let engine: Engine;
let close: () => Promise<void>;

beforeEach(async () => {
  ({ engine, close } = await openTestEngine({ fsync: false }));
  await engine.createBucket('ver');
});
afterEach(async () => close());

const text = async (key: string, versionId?: string): Promise<string> =>
  (await readAll(engine.getObject('ver', key, versionId ? { versionId } : {}).body)).toString();
const versions = (prefix?: string): Array<[string, string, boolean, boolean]> =>
  engine
    .listObjectVersions('ver', prefix ? { prefix } : {})
    .versions.map((x) => [x.key, x.versionId, x.isLatest, x.isDeleteMarker]);

describe('versioning enabled', () => {
  beforeEach(async () => engine.putBucketVersioning('ver', 'Enabled'));

  it('keeps every version with its own id, newest first', async () => {
    const a = await engine.putObject('ver', 'k', 'one');
    const b = await engine.putObject('ver', 'k', 'two');
    expect(a.versionId).toMatch(/^[0-9a-f]{32}$/);
    expect(b.versionId).not.toBe(a.versionId);
    expect(await text('k')).toBe('two');
    expect(await text('k', a.versionId)).toBe('one');
    expect(versions()).toEqual([
      ['k', b.versionId, true, false],
      ['k', a.versionId, false, false],
    ]);
  });

  it('delete adds a marker; the object is gone but its versions stay', async () => {
    const a = await engine.putObject('ver', 'k', 'one');
    const d = await engine.deleteObject('ver', 'k');
    expect(d.deleteMarker).toBe(true);
    expect(d.versionId).toMatch(/^[0-9a-f]{32}$/);
    try {
      engine.headObject('ver', 'k');
      throw new Error('found');
    } catch (err) {
      expect(isStowageError(err, 'E_NO_SUCH_KEY')).toBe(true);
      expect((err as { details: Record<string, unknown> }).details.deleteMarker).toBe(true);
    }
    await expectCode(
      () => engine.getObject('ver', 'k', { versionId: d.versionId }),
      'E_METHOD_NOT_ALLOWED',
    );
    expect(await text('k', a.versionId)).toBe('one');
    // Removing the marker brings the object back.
    const r = await engine.deleteObject('ver', 'k', { versionId: d.versionId });
    expect(r).toEqual({ versionId: d.versionId, deleteMarker: true });
    expect(await text('k')).toBe('one');
  });

  it('refuses an If-Match with a version id, deleting nothing (the If-Match names the current object)', async () => {
    const old = await engine.putObject('ver', 'cond', 'old');
    await engine.putObject('ver', 'cond', 'new');
    for (const ifMatch of [old.etag, '*']) {
      await expectCode(
        engine.deleteObject('ver', 'cond', { versionId: old.versionId!, ifMatch }),
        'E_NOT_IMPLEMENTED',
      );
    }
    expect((await engine.listObjectVersions('ver', { prefix: 'cond' })).versions).toHaveLength(2);
  });

  it('deleting the latest version promotes the next newest', async () => {
    const a = await engine.putObject('ver', 'k', 'one');
    const b = await engine.putObject('ver', 'k', 'two');
    await engine.deleteObject('ver', 'k', { versionId: b.versionId });
    expect(await text('k')).toBe('one');
    expect(versions()).toEqual([['k', a.versionId, true, false]]);
  });

  it('restores an old version by copying it over the current one', async () => {
    const a = await engine.putObject('ver', 'k', 'one');
    await engine.putObject('ver', 'k', 'two');
    const c = await engine.copyObject(
      { bucket: 'ver', key: 'k' },
      { bucket: 'ver', key: 'k' },
      { sourceVersionId: a.versionId },
    );
    expect(c.sourceVersionId).toBe(a.versionId);
    expect(await text('k')).toBe('one');
    expect(versions()).toHaveLength(3);
  });

  it('unknown and malformed version ids', async () => {
    await engine.putObject('ver', 'k', 'one');
    await expectCode(
      () => engine.getObject('ver', 'k', { versionId: 'f'.repeat(32) }),
      'E_NO_SUCH_VERSION',
    );
    await expectCode(
      () => engine.headObject('ver', 'k', { versionId: '../../x' }),
      'E_INVALID_ARGUMENT',
    );
    await expectCode(
      () => engine.deleteObject('ver', 'k', { versionId: 'bogus' }),
      'E_INVALID_ARGUMENT',
    );
    // Deleting a well-formed version id that does not exist succeeds, as in S3.
    expect(
      (await engine.deleteObject('ver', 'k', { versionId: 'e'.repeat(32) })).deleteMarker,
    ).toBe(false);
  });

  it('pages through versions with key and version-id markers', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await engine.putObject('ver', 'a', `a${i}`)).versionId);
    const b = await engine.putObject('ver', 'b', 'b');
    const seen: string[] = [];
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    for (let guard = 0; guard < 10; guard++) {
      const page = engine.listObjectVersions('ver', { maxKeys: 2, keyMarker, versionIdMarker });
      seen.push(...page.versions.map((x) => `${x.key}:${x.versionId}`));
      if (!page.isTruncated) break;
      keyMarker = page.nextKeyMarker;
      versionIdMarker = page.nextVersionIdMarker;
    }
    expect(seen).toEqual([...ids.reverse().map((id) => `a:${id}`), `b:${b.versionId}`]);
    // A marker version that no longer exists: the key's versions from its newest (none
    // skipped); a marker that is no version id at all is refused.
    expect(
      engine
        .listObjectVersions('ver', { keyMarker: 'a', versionIdMarker: 'f'.repeat(32) })
        .versions.map((x) => `${x.key}:${x.versionId}`),
    ).toEqual(seen);
    await expectCode(
      () => engine.listObjectVersions('ver', { keyMarker: 'a', versionIdMarker: 'not-an-id' }),
      'E_INVALID_ARGUMENT',
    );
  });
});

describe('a version listing resumed from a marker deleted since', () => {
  it('goes on right after where the marker stood, as S3 does', async () => {
    await engine.createBucket('gap');
    await engine.putBucketVersioning('gap', 'Enabled');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await engine.putObject('gap', 'a', `a${i}`)).versionId!);
    const newestFirst = [...ids].reverse();
    const page = engine.listObjectVersions('gap', { maxKeys: 2 });
    expect(page.versions.map((v) => v.versionId)).toEqual(newestFirst.slice(0, 2));
    // Only the marker is deleted (by someone else, say): nothing repeats, nothing is skipped.
    await engine.deleteObject('gap', 'a', { versionId: page.nextVersionIdMarker! });
    const next = engine.listObjectVersions('gap', {
      keyMarker: page.nextKeyMarker,
      versionIdMarker: page.nextVersionIdMarker,
    });
    expect(next.versions.map((v) => v.versionId)).toEqual(newestFirst.slice(2));
  });

  it('forgets where the markers of a deleted bucket stood: a bucket made again under its name skips nothing', async () => {
    await engine.createBucket('gone');
    await engine.putBucketVersioning('gone', 'Enabled');
    const old = (await engine.putObject('gone', 'a', 'old')).versionId!;
    await engine.deleteObject('gone', 'a', { versionId: old });
    await engine.deleteBucket('gone');
    await engine.createBucket('gone');
    await engine.putBucketVersioning('gone', 'Enabled');
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) ids.push((await engine.putObject('gone', 'a', `a${i}`)).versionId!);
    // A marker no version of this bucket ever had: the key's versions from its newest.
    const page = engine.listObjectVersions('gone', { keyMarker: 'a', versionIdMarker: old });
    expect(page.versions.map((v) => v.versionId)).toEqual([...ids].reverse());
  });
});

describe('unversioned and suspended', () => {
  it('a new bucket is unversioned: one null version, no delete markers', async () => {
    expect(engine.getBucketVersioning('ver')).toBe('Unversioned');
    await engine.putObject('ver', 'k', 'one');
    await engine.putObject('ver', 'k', 'two');
    expect(versions()).toEqual([['k', 'null', true, false]]);
    await engine.deleteObject('ver', 'k');
    expect(versions()).toEqual([]);
  });

  it('suspended: writes replace the null version and keep older real versions', async () => {
    await engine.putBucketVersioning('ver', 'Enabled');
    const a = await engine.putObject('ver', 'k', 'enabled-era');
    await engine.putBucketVersioning('ver', 'Suspended');
    const n1 = await engine.putObject('ver', 'k', 'null-1');
    const n2 = await engine.putObject('ver', 'k', 'null-2');
    expect(n1.versionId).toBe('null');
    expect(n2.versionId).toBe('null');
    expect(versions()).toEqual([
      ['k', 'null', true, false],
      ['k', a.versionId, false, false],
    ]);
    expect(await text('k', 'null')).toBe('null-2');
    const d = await engine.deleteObject('ver', 'k');
    expect(d).toEqual({ versionId: 'null', deleteMarker: true });
    expect(versions()).toEqual([
      ['k', 'null', true, true],
      ['k', a.versionId, false, false],
    ]);
    expect(await text('k', a.versionId)).toBe('enabled-era');
  });

  it('objects written before versioning keep the null version id', async () => {
    await engine.putObject('ver', 'k', 'before');
    await engine.putBucketVersioning('ver', 'Enabled');
    const b = await engine.putObject('ver', 'k', 'after');
    expect(versions()).toEqual([
      ['k', b.versionId, true, false],
      ['k', 'null', false, false],
    ]);
    expect(await text('k', 'null')).toBe('before');
  });

  it('list versions rolls up common prefixes', async () => {
    await engine.putBucketVersioning('ver', 'Enabled');
    for (const k of ['a/1', 'a/2', 'b']) await engine.putObject('ver', k, k);
    const r = engine.listObjectVersions('ver', { delimiter: '/' });
    expect(r.commonPrefixes).toEqual(['a/']);
    expect(r.versions.map((x) => x.key)).toEqual(['b']);
  });
});
