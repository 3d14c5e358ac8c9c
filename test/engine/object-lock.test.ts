/**
 * Object Lock in the engine: buckets that have it, retention and legal holds on versions,
 * and the deletes and changes they forbid (src/engine/objects/object-lock.ts).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { ManualClock, openTestEngine, readAll, streamOf } from '../helpers/engine.js';
import { expectError } from '../helpers/expect-error.js';

const DAY = 24 * 60 * 60 * 1000;
let engine: Engine;
let clock: ManualClock;
let close: () => Promise<void>;

beforeEach(async () => {
  clock = new ManualClock();
  ({ engine, close } = await openTestEngine({ clock }));
  await engine.createBucket('locked', { objectLock: true });
  await engine.createBucket('plain');
});
afterEach(async () => close());

const inDays = (n: number): Date => new Date(clock.now() + n * DAY);
const put = (key: string, body: string, lock?: Parameters<Engine['putObject']>[3]) =>
  engine.putObject('locked', key, streamOf(Buffer.from(body)), lock);

describe('buckets with object lock', () => {
  it('are created with versioning Enabled, which cannot be suspended', async () => {
    expect(engine.headBucket('locked')).toMatchObject({ objectLock: true, versioning: 'Enabled' });
    expect(engine.headBucket('plain')).toMatchObject({
      objectLock: false,
      versioning: 'Unversioned',
    });
    await expectError(
      () => engine.putBucketVersioning('locked', 'Suspended'),
      'E_INVALID_BUCKET_STATE',
      /Object Lock configuration is present/,
    );
    await engine.putBucketVersioning('locked', 'Enabled');
  });

  it('can be turned on for a bucket with versioning Enabled, and only then', async () => {
    await expectError(
      () => engine.putObjectLockConfiguration('plain', '<ObjectLockConfiguration/>'),
      'E_INVALID_BUCKET_STATE',
      /Versioning must be 'Enabled'.*Unversioned/,
    );
    expect(engine.headBucket('plain').objectLock).toBe(false);
    await engine.putBucketVersioning('plain', 'Enabled');
    await engine.putObjectLockConfiguration('plain', '<ObjectLockConfiguration/>');
    expect(engine.headBucket('plain').objectLock).toBe(true);
    expect(engine.getBucketConfig('plain', 'object-lock')).toBe('<ObjectLockConfiguration/>');
  });

  it('survive a reopen', async () => {
    await put('k', 'v', { lock: { legalHold: 'ON' } });
    await engine.close();
    const { Engine } = await import('../../src/engine/engine.js');
    const reopened = await Engine.open({ dataDir: engine.dataDir, clock });
    try {
      expect(reopened.headBucket('locked').objectLock).toBe(true);
      expect(reopened.headObject('locked', 'k').lock).toEqual({ legalHold: 'ON' });
    } finally {
      await reopened.close();
    }
  });
});

describe('lock settings of a new version', () => {
  it('are stored by put, copy and multipart, and reported by head', async () => {
    const retention = { mode: 'COMPLIANCE' as const, retainUntil: inDays(3) };
    await put('a', 'alpha', { lock: { retention, legalHold: 'OFF' } });
    expect(engine.headObject('locked', 'a').lock).toEqual({ retention, legalHold: 'OFF' });

    // A copy never takes the source's settings, only its own.
    await engine.copyObject(
      { bucket: 'locked', key: 'a' },
      { bucket: 'locked', key: 'b' },
      { lock: { legalHold: 'ON' } },
    );
    expect(engine.headObject('locked', 'b').lock).toEqual({ legalHold: 'ON' });
    await engine.copyObject({ bucket: 'locked', key: 'a' }, { bucket: 'locked', key: 'c' });
    expect(engine.headObject('locked', 'c').lock).toBeUndefined();

    const up = await engine.createMultipartUpload('locked', 'm', {
      lock: { retention: { mode: 'GOVERNANCE', retainUntil: inDays(1) } },
    });
    const part = await engine.uploadPart('locked', 'm', up.uploadId, 1, streamOf(Buffer.from('x')));
    await engine.completeMultipartUpload('locked', 'm', up.uploadId, [
      { partNumber: 1, etag: part.etag },
    ]);
    expect(engine.headObject('locked', 'm').lock).toEqual({
      retention: { mode: 'GOVERNANCE', retainUntil: inDays(1) },
    });
  });

  it('are refused in a bucket without object lock, and nothing is stored', async () => {
    for (const write of [
      () =>
        engine.putObject('plain', 'k', streamOf(Buffer.from('v')), {
          lock: { legalHold: 'ON' },
        }),
      () => engine.createMultipartUpload('plain', 'k', { lock: { legalHold: 'OFF' } }),
    ]) {
      await expectError(write, 'E_INVALID_REQUEST', /Bucket is missing Object Lock Configuration/);
    }
    expect(engine.listObjects('plain').objects).toEqual([]);
    expect(engine.listMultipartUploads('plain').uploads).toEqual([]);
  });

  it('refuse a retention that has already ended, an unknown mode or hold', async () => {
    await expectError(
      () => put('k', 'v', { lock: { retention: { mode: 'GOVERNANCE', retainUntil: inDays(0) } } }),
      'E_INVALID_ARGUMENT',
      /must be in the future/,
    );
    await expectError(
      () =>
        put('k', 'v', {
          lock: { retention: { mode: 'FOREVER' as 'GOVERNANCE', retainUntil: inDays(1) } },
        }),
      'E_INVALID_ARGUMENT',
      /GOVERNANCE or COMPLIANCE, got "FOREVER"/,
    );
    await expectError(
      () => put('k', 'v', { lock: { legalHold: 'on' as 'ON' } }),
      'E_INVALID_ARGUMENT',
      /ON or OFF, got "on"/,
    );
    expect(engine.listObjectVersions('locked').versions).toEqual([]);
  });
});

describe('deletes', () => {
  it('of a version under COMPLIANCE retention are refused until it ends', async () => {
    const { versionId } = await put('k', 'v', {
      lock: { retention: { mode: 'COMPLIANCE', retainUntil: inDays(2) } },
    });
    const err = await expectError(
      () => engine.deleteObject('locked', 'k', { versionId, bypassGovernance: true }),
      'E_ACCESS_DENIED',
      /protected by object lock.*COMPLIANCE retention until/,
    );
    expect(err.s3Code).toBe('AccessDenied');
    expect(await readAll(engine.getObject('locked', 'k').body)).toEqual(Buffer.from('v'));
    // A delete without a version id only hides it behind a delete marker.
    const marker = await engine.deleteObject('locked', 'k');
    expect(marker.deleteMarker).toBe(true);
    expect(engine.headObject('locked', 'k', { versionId }).size).toBe(1);
    clock.advance(2 * DAY + 1);
    await engine.deleteObject('locked', 'k', { versionId });
    await expectError(() => engine.headObject('locked', 'k', { versionId }), 'E_NO_SUCH_VERSION');
  });

  it('of a version under GOVERNANCE retention need the bypass', async () => {
    const { versionId } = await put('k', 'v', {
      lock: { retention: { mode: 'GOVERNANCE', retainUntil: inDays(2) } },
    });
    await expectError(
      () => engine.deleteObject('locked', 'k', { versionId }),
      'E_ACCESS_DENIED',
      /GOVERNANCE retention.*bypass-governance-retention/,
    );
    await engine.deleteObject('locked', 'k', { versionId, bypassGovernance: true });
    expect(engine.listObjectVersions('locked').versions).toEqual([]);
  });

  it('of a version with a legal hold ON are refused whatever the bypass, until it is OFF', async () => {
    const { versionId } = await put('k', 'v', { lock: { legalHold: 'ON' } });
    await expectError(
      () => engine.deleteObject('locked', 'k', { versionId, bypassGovernance: true }),
      'E_ACCESS_DENIED',
      /legal hold/,
    );
    await engine.putObjectLegalHold('locked', 'k', 'OFF', versionId);
    await engine.deleteObject('locked', 'k', { versionId });
  });

  it('in a batch are refused per key, the others done', async () => {
    const held = await put('held', 'v', { lock: { legalHold: 'ON' } });
    const free = await put('free', 'v');
    const out = await engine.deleteObjects('locked', [
      { key: 'held', versionId: held.versionId },
      { key: 'free', versionId: free.versionId },
    ]);
    expect(out).toEqual([
      expect.objectContaining({ key: 'held', ok: false, code: 'AccessDenied' }),
      expect.objectContaining({ key: 'free', ok: true }),
    ]);
    expect(engine.listObjectVersions('locked').versions.map((v) => v.key)).toEqual(['held']);
  });

  it('leave the bucket undeletable while a version is protected', async () => {
    const { versionId } = await put('k', 'v', { lock: { legalHold: 'ON' } });
    await expectError(() => engine.deleteBucket('locked'), 'E_BUCKET_NOT_EMPTY');
    await engine.putObjectLegalHold('locked', 'k', 'OFF', versionId);
    await engine.deleteObject('locked', 'k', { versionId });
    await engine.deleteBucket('locked');
  });
});

describe('the engine clock', () => {
  it('moved past the real time (stowage engine clock advance) ends no retention', async () => {
    // Retention is judged by the real clock when the engine's runs ahead of it.
    clock.ms = Date.now() + 4000 * DAY;
    const until = new Date(Date.now() + DAY);
    const { versionId } = await put('c', 'v', {
      lock: { retention: { mode: 'COMPLIANCE', retainUntil: until } },
    });
    await expectError(
      () => engine.deleteObject('locked', 'c', { versionId }),
      'E_ACCESS_DENIED',
      /COMPLIANCE retention/,
    );
    await expectError(
      () => engine.putObjectRetention('locked', 'c', undefined, { versionId }),
      'E_ACCESS_DENIED',
    );
    expect(engine.getObjectRetention('locked', 'c').retainUntil).toEqual(until);
  });
});

describe('concurrent requests', () => {
  it('a legal hold and a delete of the same version never both succeed', async () => {
    const pairs = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const { versionId } = await put(`race/${i}/k`, 'v');
        const [hold, del] = await Promise.allSettled([
          engine.putObjectLegalHold('locked', `race/${i}/k`, 'ON', versionId),
          engine.deleteObject('locked', `race/${i}/k`, { versionId }),
        ]);
        return {
          hold: hold.status,
          del: del.status,
          left: engine.listObjectVersions('locked', { prefix: `race/${i}/k` }).versions.length,
        };
      }),
    );
    for (const p of pairs) {
      // Hold first: the delete is refused and the version stays. Delete first: the hold
      // finds no version.
      expect(p.hold === 'fulfilled' && p.del === 'fulfilled').toBe(false);
      expect(p.left).toBe(p.hold === 'fulfilled' ? 1 : 0);
    }
  });
});

describe('retention changes', () => {
  it('can always extend, and shorten COMPLIANCE never', async () => {
    const { versionId } = await put('k', 'v', {
      lock: { retention: { mode: 'COMPLIANCE', retainUntil: inDays(2) } },
    });
    await engine.putObjectRetention('locked', 'k', {
      mode: 'COMPLIANCE',
      retainUntil: inDays(5),
    });
    for (const [next, bypass] of [
      [{ mode: 'COMPLIANCE' as const, retainUntil: inDays(4) }, true],
      [{ mode: 'GOVERNANCE' as const, retainUntil: inDays(9) }, true],
      [undefined, true],
    ] as const) {
      await expectError(
        () =>
          engine.putObjectRetention('locked', 'k', next, { versionId, bypassGovernance: bypass }),
        'E_ACCESS_DENIED',
        /COMPLIANCE retention .* can only be extended/,
      );
    }
    expect(engine.getObjectRetention('locked', 'k', versionId)).toEqual({
      mode: 'COMPLIANCE',
      retainUntil: inDays(5),
    });
  });

  it('shorten, remove or make COMPLIANCE a GOVERNANCE retention only with the bypass', async () => {
    await put('k', 'v', { lock: { retention: { mode: 'GOVERNANCE', retainUntil: inDays(5) } } });
    await expectError(
      () =>
        engine.putObjectRetention('locked', 'k', { mode: 'GOVERNANCE', retainUntil: inDays(1) }),
      'E_ACCESS_DENIED',
      /shortened, removed or changed to COMPLIANCE only with/,
    );
    await expectError(
      () => engine.putObjectRetention('locked', 'k', undefined),
      'E_ACCESS_DENIED',
      /shortened, removed or changed to COMPLIANCE only with/,
    );
    // A later date does not make the change of mode an extension.
    await expectError(
      () =>
        engine.putObjectRetention('locked', 'k', { mode: 'COMPLIANCE', retainUntil: inDays(9) }),
      'E_ACCESS_DENIED',
      /changed to COMPLIANCE only with/,
    );
    await engine.putObjectRetention(
      'locked',
      'k',
      { mode: 'GOVERNANCE', retainUntil: inDays(1) },
      { bypassGovernance: true },
    );
    expect(engine.getObjectRetention('locked', 'k').retainUntil).toEqual(inDays(1));
    await engine.putObjectRetention('locked', 'k', undefined, { bypassGovernance: true });
    await expectError(
      () => engine.getObjectRetention('locked', 'k'),
      'E_NO_SUCH_BUCKET_CONFIG',
      /does not have a ObjectLock configuration/,
    );
    await engine.putObjectRetention('locked', 'k', { mode: 'GOVERNANCE', retainUntil: inDays(1) });
    await engine.putObjectRetention('locked', 'k', { mode: 'GOVERNANCE', retainUntil: inDays(2) });
    await engine.putObjectRetention(
      'locked',
      'k',
      { mode: 'COMPLIANCE', retainUntil: inDays(2) },
      { bypassGovernance: true },
    );
    expect(engine.getObjectRetention('locked', 'k').mode).toBe('COMPLIANCE');
  });

  it('after the retention ended are free, and keep the legal hold', async () => {
    await put('k', 'v', {
      lock: { retention: { mode: 'COMPLIANCE', retainUntil: inDays(1) }, legalHold: 'ON' },
    });
    clock.advance(DAY + 1);
    await engine.putObjectRetention('locked', 'k', undefined);
    expect(engine.headObject('locked', 'k').lock).toEqual({ legalHold: 'ON' });
    expect(engine.getObjectLegalHold('locked', 'k')).toBe('ON');
  });

  it('are refused in a bucket without object lock, and for a missing object', async () => {
    await engine.putObject('plain', 'k', streamOf(Buffer.from('v')));
    await expectError(
      () => engine.putObjectLegalHold('plain', 'k', 'ON'),
      'E_INVALID_REQUEST',
      /Bucket is missing Object Lock Configuration/,
    );
    await expectError(() => engine.getObjectRetention('plain', 'k'), 'E_INVALID_REQUEST');
    await expectError(() => engine.putObjectLegalHold('locked', 'nope', 'ON'), 'E_NO_SUCH_KEY');
    await expectError(() => engine.getObjectLegalHold('locked', 'nope'), 'E_NO_SUCH_KEY');
  });
});
