import Database from 'better-sqlite3';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { storeAcl, GROUPS } from '../../src/s3api/acl/grants.js';
import { publicAccessOf } from '../../src/s3api/acl/index.js';
import { openTestEngine } from '../helpers/engine.js';
import { expectError } from '../helpers/expect-error.js';

let engine: Engine;
let close: () => Promise<void>;

beforeEach(async () => {
  ({ engine, close } = await openTestEngine({ fsync: false }));
  await engine.createBucket('acls');
});
afterEach(async () => close());

describe('object ACLs in the engine', () => {
  it('are private (undefined) unless a write sets one', async () => {
    await engine.putObject('acls', 'plain', 'x');
    expect(engine.getObjectAcl('acls', 'plain')).toEqual({ versionId: 'null' });
    await engine.putObject('acls', 'public', 'x', { acl: 'public-read' });
    expect(engine.getObjectAcl('acls', 'public')).toEqual({
      versionId: 'null',
      acl: 'public-read',
    });
  });

  it('belong to a version: an overwrite without an ACL is private again', async () => {
    await engine.putBucketVersioning('acls', 'Enabled');
    const v1 = await engine.putObject('acls', 'k', 'one', { acl: 'public-read' });
    const v2 = await engine.putObject('acls', 'k', 'two');
    expect(engine.getObjectAcl('acls', 'k').acl).toBeUndefined();
    expect(engine.getObjectAcl('acls', 'k', v1.versionId).acl).toBe('public-read');
    await engine.putObjectAcl('acls', 'k', '[]', v2.versionId);
    expect(engine.getObjectAcl('acls', 'k').acl).toBe('[]');
    await engine.putObjectAcl('acls', 'k', undefined);
    expect(engine.getObjectAcl('acls', 'k').acl).toBeUndefined();
    expect(engine.getObjectAcl('acls', 'k', v1.versionId).acl).toBe('public-read');
  });

  it('are set by copy (not inherited from the source) and by multipart complete', async () => {
    await engine.putObject('acls', 'src', 'x', { acl: 'public-read' });
    await engine.copyObject({ bucket: 'acls', key: 'src' }, { bucket: 'acls', key: 'dst' });
    expect(engine.getObjectAcl('acls', 'dst').acl).toBeUndefined();
    await engine.copyObject(
      { bucket: 'acls', key: 'src' },
      { bucket: 'acls', key: 'dst2' },
      { acl: 'authenticated-read' },
    );
    expect(engine.getObjectAcl('acls', 'dst2').acl).toBe('authenticated-read');
    const up = await engine.createMultipartUpload('acls', 'mp', { acl: 'public-read' });
    const part = await engine.uploadPart('acls', 'mp', up.uploadId, 1, 'bytes');
    await engine.completeMultipartUpload('acls', 'mp', up.uploadId, [
      { partNumber: 1, etag: part.etag },
    ]);
    expect(engine.getObjectAcl('acls', 'mp').acl).toBe('public-read');
  });

  it('refuse missing objects, delete markers and bad values', async () => {
    await expectError(() => engine.getObjectAcl('acls', 'nope'), 'E_NO_SUCH_KEY');
    await expectError(() => engine.putObjectAcl('acls', 'nope', 'public-read'), 'E_NO_SUCH_KEY');
    await expectError(() => engine.getObjectAcl('missing', 'k'), 'E_NO_SUCH_BUCKET');
    await engine.putBucketVersioning('acls', 'Enabled');
    await engine.putObject('acls', 'gone', 'x');
    const del = await engine.deleteObject('acls', 'gone');
    await expectError(() => engine.getObjectAcl('acls', 'gone'), 'E_NO_SUCH_KEY');
    await expectError(
      () => engine.getObjectAcl('acls', 'gone', del.versionId),
      'E_METHOD_NOT_ALLOWED',
    );
    await expectError(
      () => engine.putObject('acls', 'k', 'x', { acl: '' }),
      'E_INVALID_ARGUMENT',
      /ACL must be a non-empty string/,
    );
  });

  it('live in the nullable versions.acl column (NULL = private)', async () => {
    await engine.putObject('acls', 'a', 'x');
    await engine.putObject('acls', 'b', 'x', { acl: 'public-read' });
    const db = new Database(path.join(engine.dataDir, 'meta.db'), { readonly: true });
    const rows = db.prepare('SELECT key, acl FROM versions ORDER BY key').all();
    db.close();
    expect(rows).toEqual([
      { key: 'a', acl: null },
      { key: 'b', acl: 'public-read' },
    ]);
  });
});

describe('publicAccessOf (what ACLs give AllUsers, for authorisation)', () => {
  it('reads the object version ACL with a key, the bucket ACL without', async () => {
    await engine.putBucketVersioning('acls', 'Enabled');
    const v1 = await engine.putObject('acls', 'pub', 'x', { acl: storeAcl('public-read') });
    await engine.putObject('acls', 'pub', 'y');
    await engine.putObject('acls', 'auth', 'x', { acl: storeAcl('authenticated-read') });
    expect(publicAccessOf(engine, 'acls', 'pub', v1.versionId)).toEqual({
      read: true,
      write: false,
    });
    expect(publicAccessOf(engine, 'acls', 'pub')).toEqual({ read: false, write: false });
    expect(publicAccessOf(engine, 'acls', 'auth')).toEqual({ read: false, write: false });
    expect(publicAccessOf(engine, 'acls')).toEqual({ read: false, write: false });
    await engine.putBucketConfig('acls', 'acl', storeAcl('public-read-write')!);
    expect(publicAccessOf(engine, 'acls')).toEqual({ read: true, write: true });
    await engine.putBucketConfig('acls', 'acl', storeAcl('public-read')!);
    expect(publicAccessOf(engine, 'acls')).toEqual({ read: true, write: false });
  });

  it('is nothing for missing buckets, keys, versions and delete markers', async () => {
    expect(publicAccessOf(engine, 'nope')).toEqual({ read: false, write: false });
    expect(publicAccessOf(engine, 'nope', 'k')).toEqual({ read: false, write: false });
    expect(publicAccessOf(engine, 'acls', 'k')).toEqual({ read: false, write: false });
    expect(publicAccessOf(engine, 'acls', 'k', 'not-a-version')).toEqual({
      read: false,
      write: false,
    });
  });

  it('reads a bucket ACL stored as raw XML by an older server', async () => {
    await engine.putBucketConfig(
      'acls',
      'acl',
      `<AccessControlPolicy><AccessControlList><Grant><Grantee><URI>${GROUPS.AllUsers}</URI></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>`,
    );
    expect(publicAccessOf(engine, 'acls')).toEqual({ read: true, write: false });
  });
});
