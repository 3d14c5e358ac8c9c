import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { databaseFile } from '../../src/data-dir.js';
import { Engine, MAX_CLOCK_OFFSET_MS } from '../../src/engine/engine.js';
import { STORAGE_CLASSES } from '../../src/engine/storage-class.js';
import type { RestoreTier, StorageClass } from '../../src/engine/types.js';
import { type StowageError } from '../../src/errors.js';
import { ManualClock, openTestEngine, patternBytes, readAll, tempDir } from '../helpers/engine.js';
import { expectError } from '../helpers/expect-error.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

let engine: Engine;
let close: () => Promise<void>;
let clock: ManualClock;

beforeEach(async () => {
  clock = new ManualClock();
  ({ engine, close } = await openTestEngine({ clock, fsync: false }));
  await engine.createBucket('vault');
});
afterEach(async () => close());

const body = patternBytes(4096, 3);
const read = async (key: string, e: Engine = engine): Promise<Buffer> =>
  readAll(e.getObject('vault', key).body);
const put = (key: string, storageClass?: string): ReturnType<Engine['putObject']> =>
  engine.putObject('vault', key, body, storageClass === undefined ? {} : { storageClass });
const unreadable = (key: string, e: Engine = engine): Promise<StowageError> =>
  expectError(
    () => e.getObject('vault', key),
    'E_INVALID_OBJECT_STATE',
    /restore it before reading/,
  );

describe('storage classes', () => {
  it('are the seven S3 classes', () => {
    expect([...STORAGE_CLASSES].sort()).toEqual(
      [
        'DEEP_ARCHIVE',
        'GLACIER',
        'GLACIER_IR',
        'INTELLIGENT_TIERING',
        'ONEZONE_IA',
        'STANDARD',
        'STANDARD_IA',
      ].sort(),
    );
  });

  it.each(STORAGE_CLASSES.map((c) => [c]))(
    'stores %s and returns it from head and list',
    async (storageClass) => {
      await put('obj', storageClass);
      await put('other', 'STANDARD');
      expect(engine.headObject('vault', 'obj').storageClass).toBe(storageClass);
      const listed = engine.listObjects('vault').objects;
      expect(listed.map((o) => [o.key, o.storageClass])).toEqual([
        ['obj', storageClass],
        ['other', 'STANDARD'],
      ]);
      expect(engine.listObjectVersions('vault').versions[0]!.storageClass).toBe(storageClass);
    },
  );

  it('defaults to STANDARD', async () => {
    await put('obj');
    expect(engine.headObject('vault', 'obj').storageClass).toBe('STANDARD');
  });

  it('stores REDUCED_REDUNDANCY as STANDARD', async () => {
    await put('rr', 'REDUCED_REDUNDANCY');
    expect(engine.headObject('vault', 'rr').storageClass).toBe('STANDARD');
    expect(engine.listObjects('vault').objects[0]!.storageClass).toBe('STANDARD');
  });

  it.each(['FROZEN', 'standard', 'GLACIER_DEEP', ' STANDARD'])(
    'rejects %j, naming it, and stores nothing',
    async (value) => {
      await put('existing');
      const err = await expectError(
        () => put('obj', value),
        'E_INVALID_STORAGE_CLASS',
        `"${value}"`,
      );
      expect(err.s3Code).toBe('InvalidStorageClass');
      expect(err.httpStatus).toBe(400);
      await expectError(() => put('existing', value), 'E_INVALID_STORAGE_CLASS');
      await expectError(() => engine.headObject('vault', 'obj'), 'E_NO_SUCH_KEY');
      expect(engine.headObject('vault', 'existing').storageClass).toBe('STANDARD');
      expect(engine.listObjects('vault').objects.map((o) => o.key)).toEqual(['existing']);
    },
  );

  it('rejects an unknown class on a multipart upload', async () => {
    await expectError(
      () => engine.createMultipartUpload('vault', 'mp', { storageClass: 'FROZEN' }),
      'E_INVALID_STORAGE_CLASS',
      '"FROZEN"',
    );
    expect(engine.listMultipartUploads('vault').uploads).toEqual([]);
  });

  it.each(['STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER_IR'])(
    'reads %s without a restore',
    async (c) => {
      await put('obj', c);
      expect((await read('obj')).equals(body)).toBe(true);
    },
  );
});

describe.each([['GLACIER'], ['DEEP_ARCHIVE']] as Array<[StorageClass]>)(
  'archived class %s',
  (storageClass) => {
    beforeEach(async () => {
      await put('frozen.bin', storageClass);
    });

    it('can be headed and listed', () => {
      const info = engine.headObject('vault', 'frozen.bin');
      expect(info.size).toBe(body.length);
      expect(info.storageClass).toBe(storageClass);
      expect(info.restore).toBeUndefined();
      expect(engine.listObjects('vault').objects.map((o) => o.key)).toEqual(['frozen.bin']);
    });

    it('cannot be read before a restore', async () => {
      const err = await unreadable('frozen.bin');
      expect(err.message).toContain(storageClass);
      expect(err.message).toContain('"frozen.bin"');
      expect(err.s3Code).toBe('InvalidObjectState');
      expect(err.httpStatus).toBe(403);
      await expectError(
        () => engine.getObject('vault', 'frozen.bin', { range: { start: 0, end: 9 } }),
        'E_INVALID_OBJECT_STATE',
      );
    });

    it('cannot be copied before a restore', async () => {
      await expectError(
        () =>
          engine.copyObject(
            { bucket: 'vault', key: 'frozen.bin' },
            { bucket: 'vault', key: 'thawed.bin' },
            {
              storageClass: 'STANDARD',
            },
          ),
        'E_INVALID_OBJECT_STATE',
        storageClass,
      );
      await expectError(() => engine.headObject('vault', 'thawed.bin'), 'E_NO_SUCH_KEY');
    });
  },
);

describe('archived multipart objects', () => {
  it('keep the class of the upload and need a restore before reading or part-copying', async () => {
    const up = await engine.createMultipartUpload('vault', 'mp', { storageClass: 'DEEP_ARCHIVE' });
    expect(up.storageClass).toBe('DEEP_ARCHIVE');
    const part = await engine.uploadPart('vault', 'mp', up.uploadId, 1, body);
    await engine.completeMultipartUpload('vault', 'mp', up.uploadId, [
      { partNumber: 1, etag: part.etag },
    ]);
    expect(engine.headObject('vault', 'mp').storageClass).toBe('DEEP_ARCHIVE');
    await unreadable('mp');

    const target = await engine.createMultipartUpload('vault', 'target');
    await expectError(
      () =>
        engine.uploadPartCopy('vault', 'target', target.uploadId, 1, {
          bucket: 'vault',
          key: 'mp',
        }),
      'E_INVALID_OBJECT_STATE',
      'DEEP_ARCHIVE',
    );
    expect(engine.listParts('vault', 'target', target.uploadId).parts).toEqual([]);
  });
});

describe('restore timing', () => {
  const cases: Array<[StorageClass, RestoreTier, number]> = [
    ['GLACIER', 'Expedited', 5 * MINUTE],
    ['GLACIER', 'Standard', 5 * HOUR],
    ['GLACIER', 'Bulk', 12 * HOUR],
    ['DEEP_ARCHIVE', 'Standard', 12 * HOUR],
    ['DEEP_ARCHIVE', 'Bulk', 48 * HOUR],
  ];
  it.each(cases)('%s %s completes after %d ms', async (storageClass, tier, delayMs) => {
    await put('obj', storageClass);
    const start = clock.ms;
    const r = await engine.restoreObject('vault', 'obj', { days: 1, tier });
    expect(r.status).toBe('started');
    expect(r.restore).toEqual({
      ongoing: true,
      tier,
      days: 1,
      requestedAt: new Date(start),
      completesAt: new Date(start + delayMs),
      expiresAt: undefined,
    });

    clock.advance(delayMs - 1);
    await unreadable('obj');
    const during = engine.headObject('vault', 'obj').restore;
    expect(during?.ongoing).toBe(true);
    expect(during?.expiresAt).toBeUndefined();
    await expectError(
      () => engine.restoreObject('vault', 'obj', { days: 1, tier }),
      'E_RESTORE_IN_PROGRESS',
      '"obj"',
    );

    clock.advance(1);
    expect((await read('obj')).equals(body)).toBe(true);
    const after = engine.headObject('vault', 'obj').restore;
    expect(after?.ongoing).toBe(false);
    expect(after?.expiresAt).toBeInstanceOf(Date);
    expect(engine.headObject('vault', 'obj').storageClass).toBe(storageClass);
  });

  it('speeds up a running restore with a faster tier and the same Days, as S3 allows', async () => {
    await put('obj', 'GLACIER');
    const start = clock.ms;
    await engine.restoreObject('vault', 'obj', { days: 2, tier: 'Bulk' });
    clock.advance(MINUTE);
    // A different Days, or a tier no faster, is still RestoreAlreadyInProgress.
    await expectError(
      () => engine.restoreObject('vault', 'obj', { days: 3, tier: 'Expedited' }),
      'E_RESTORE_IN_PROGRESS',
    );
    await expectError(
      () => engine.restoreObject('vault', 'obj', { days: 2, tier: 'Bulk' }),
      'E_RESTORE_IN_PROGRESS',
    );
    const up = await engine.restoreObject('vault', 'obj', { days: 2, tier: 'Expedited' });
    expect(up.status).toBe('started');
    expect(up.restore).toMatchObject({ ongoing: true, tier: 'Expedited', days: 2 });
    expect(up.restore.requestedAt).toEqual(new Date(start));
    expect(up.restore.completesAt).toEqual(new Date(start + MINUTE + 5 * MINUTE));
    clock.advance(5 * MINUTE);
    expect((await read('obj')).byteLength).toBeGreaterThan(0);
    // Expedited is not offered for DEEP_ARCHIVE: no upgrade there.
    await put('deep', 'DEEP_ARCHIVE');
    await engine.restoreObject('vault', 'deep', { days: 1, tier: 'Bulk' });
    await expectError(
      () => engine.restoreObject('vault', 'deep', { days: 1, tier: 'Expedited' }),
      'E_RESTORE_IN_PROGRESS',
    );
    const std = await engine.restoreObject('vault', 'deep', { days: 1, tier: 'Standard' });
    expect(std.restore.tier).toBe('Standard');
  });

  it('uses the Standard tier by default', async () => {
    await put('obj', 'GLACIER');
    const r = await engine.restoreObject('vault', 'obj', { days: 1 });
    expect(r.restore.tier).toBe('Standard');
    expect(r.restore.completesAt.getTime() - clock.ms).toBe(5 * HOUR);
  });

  it('refuses Expedited for DEEP_ARCHIVE, recording nothing', async () => {
    await put('obj', 'DEEP_ARCHIVE');
    const err = await expectError(
      () => engine.restoreObject('vault', 'obj', { days: 1, tier: 'Expedited' }),
      'E_INVALID_ARGUMENT',
      /Expedited.*DEEP_ARCHIVE/,
    );
    expect(err.s3Code).toBe('InvalidArgument');
    expect(engine.headObject('vault', 'obj').restore).toBeUndefined();
    expect((await engine.restoreObject('vault', 'obj', { days: 1, tier: 'Bulk' })).status).toBe(
      'started',
    );
  });
});

describe('a completed restore', () => {
  beforeEach(async () => {
    await put('obj', 'GLACIER');
  });

  it('expires at midnight UTC after completion plus Days, then is unreadable again', async () => {
    // Requested 2026-01-15T12:00Z; Standard completes 17:00Z; +2 days = 01-17T17:00Z -> 01-18T00:00Z.
    expect(clock.ms).toBe(Date.UTC(2026, 0, 15, 12));
    await engine.restoreObject('vault', 'obj', { days: 2, tier: 'Standard' });
    clock.advance(5 * HOUR);
    const expiresAt = Date.UTC(2026, 0, 18);
    expect(engine.headObject('vault', 'obj').restore?.expiresAt).toEqual(new Date(expiresAt));

    clock.ms = expiresAt - 1;
    expect((await read('obj')).equals(body)).toBe(true);
    clock.ms = expiresAt;
    await unreadable('obj');
    expect(engine.headObject('vault', 'obj').restore).toBeUndefined();
    await expectError(
      () => engine.copyObject({ bucket: 'vault', key: 'obj' }, { bucket: 'vault', key: 'copy' }),
      'E_INVALID_OBJECT_STATE',
    );

    const again = await engine.restoreObject('vault', 'obj', { days: 1, tier: 'Expedited' });
    expect(again.status).toBe('started');
    expect(again.restore.ongoing).toBe(true);
  });

  it('is extended by a second restore, to a later expiry', async () => {
    await engine.restoreObject('vault', 'obj', { days: 1, tier: 'Expedited' });
    clock.advance(5 * MINUTE);
    const first = engine.headObject('vault', 'obj').restore!.expiresAt!;
    expect(first).toEqual(new Date(Date.UTC(2026, 0, 17)));

    clock.ms = Date.UTC(2026, 0, 16, 10);
    const r = await engine.restoreObject('vault', 'obj', { days: 5, tier: 'Bulk' });
    expect(r.status).toBe('extended');
    expect(r.restore.ongoing).toBe(false);
    expect(r.restore.days).toBe(5);
    // 01-16T10:00Z + 5 days = 01-21T10:00Z, rounded up to 01-22T00:00Z.
    expect(r.restore.expiresAt).toEqual(new Date(Date.UTC(2026, 0, 22)));
    expect(r.restore.expiresAt!.getTime()).toBeGreaterThan(first.getTime());
    expect(engine.headObject('vault', 'obj').restore?.expiresAt).toEqual(
      new Date(Date.UTC(2026, 0, 22)),
    );

    clock.ms = Date.UTC(2026, 0, 20);
    expect((await read('obj')).equals(body)).toBe(true);
  });

  it('lets the object be copied, as STANDARD by default', async () => {
    await engine.restoreObject('vault', 'obj', { days: 1, tier: 'Expedited' });
    clock.advance(5 * MINUTE);
    await engine.copyObject({ bucket: 'vault', key: 'obj' }, { bucket: 'vault', key: 'thawed' });
    const info = engine.headObject('vault', 'thawed');
    expect(info.storageClass).toBe('STANDARD');
    expect(info.restore).toBeUndefined();
    expect((await read('thawed')).equals(body)).toBe(true);
  });
});

describe('restore requests', () => {
  it.each(['STANDARD', 'STANDARD_IA', 'GLACIER_IR', 'INTELLIGENT_TIERING'])(
    'are refused for a %s object',
    async (storageClass) => {
      await put('obj', storageClass);
      const err = await expectError(
        () => engine.restoreObject('vault', 'obj', { days: 1 }),
        'E_INVALID_OBJECT_STATE',
        storageClass,
      );
      expect(err.s3Code).toBe('InvalidObjectState');
      expect(engine.headObject('vault', 'obj').restore).toBeUndefined();
    },
  );

  it.each([0, -1, 1.5, Number.NaN])('reject Days %d', async (days) => {
    await put('obj', 'GLACIER');
    await expectError(
      () => engine.restoreObject('vault', 'obj', { days }),
      'E_INVALID_ARGUMENT',
      new RegExp(`Days.*${days}`),
    );
    expect(engine.headObject('vault', 'obj').restore).toBeUndefined();
  });

  it('reject an unknown tier, naming it', async () => {
    await put('obj', 'GLACIER');
    await expectError(
      () => engine.restoreObject('vault', 'obj', { days: 1, tier: 'Instant' as RestoreTier }),
      'E_INVALID_ARGUMENT',
      '"Instant"',
    );
    expect(engine.headObject('vault', 'obj').restore).toBeUndefined();
  });

  it('report a missing key and bucket', async () => {
    await expectError(
      () => engine.restoreObject('vault', 'nope', { days: 1 }),
      'E_NO_SUCH_KEY',
      '"nope"',
    );
    await expectError(
      () => engine.restoreObject('no-bucket', 'k', { days: 1 }),
      'E_NO_SUCH_BUCKET',
      '"no-bucket"',
    );
  });

  it('restore one version of a versioned object', async () => {
    await engine.putBucketVersioning('vault', 'Enabled');
    const old = await put('obj', 'GLACIER');
    await engine.putObject('vault', 'obj', 'newer', { storageClass: 'STANDARD' });
    await engine.restoreObject('vault', 'obj', {
      days: 1,
      tier: 'Expedited',
      versionId: old.versionId,
    });
    expect(engine.headObject('vault', 'obj', { versionId: old.versionId }).restore?.ongoing).toBe(
      true,
    );
    expect(engine.headObject('vault', 'obj').restore).toBeUndefined();
    clock.advance(5 * MINUTE);
    const bytes = await readAll(
      engine.getObject('vault', 'obj', { versionId: old.versionId }).body,
    );
    expect(bytes.equals(body)).toBe(true);
  });
});

describe('persistence of restores and engine time', () => {
  let dir: string;
  let cleanup: () => void;
  let clk: ManualClock;
  let e: Engine;

  beforeEach(async () => {
    ({ dir, cleanup } = tempDir());
    clk = new ManualClock();
    e = await Engine.open({ dataDir: dir, clock: clk, fsync: false });
    await e.createBucket('vault');
    await e.putObject('vault', 'obj', body, { storageClass: 'GLACIER' });
  });
  afterEach(async () => {
    await e.close();
    cleanup();
  });

  const reopen = async (): Promise<void> => {
    await e.close();
    e = await Engine.open({ dataDir: dir, clock: clk, fsync: false });
  };

  it('keeps an ongoing restore across reopen and completes it after', async () => {
    await e.restoreObject('vault', 'obj', { days: 3, tier: 'Bulk' });
    await reopen();
    const restore = e.headObject('vault', 'obj').restore;
    expect(restore).toMatchObject({
      ongoing: true,
      tier: 'Bulk',
      days: 3,
      completesAt: new Date(clk.ms + 12 * HOUR),
    });
    await expectError(() => e.restoreObject('vault', 'obj', { days: 1 }), 'E_RESTORE_IN_PROGRESS');
    await unreadable('obj', e);

    clk.advance(12 * HOUR);
    await reopen();
    expect(e.headObject('vault', 'obj').restore?.ongoing).toBe(false);
    expect((await read('obj', e)).equals(body)).toBe(true);
  });

  it('advanceClock moves engine time forward and lets a restore complete', async () => {
    expect(e.now()).toBe(clk.ms);
    expect(e.clockOffset).toBe(0);
    await e.restoreObject('vault', 'obj', { days: 1, tier: 'Expedited' });
    expect(await e.advanceClock(4 * MINUTE)).toBe(4 * MINUTE);
    await unreadable('obj', e);
    expect(await e.advanceClock(MINUTE)).toBe(5 * MINUTE);
    expect(e.now()).toBe(clk.ms + 5 * MINUTE);
    expect((await read('obj', e)).equals(body)).toBe(true);
    await e.putObject('vault', 'later', 'x');
    expect(e.headObject('vault', 'later').lastModified).toEqual(new Date(clk.ms + 5 * MINUTE));
  });

  it('advanceClock persists across reopen', async () => {
    await e.restoreObject('vault', 'obj', { days: 1, tier: 'Standard' });
    await e.advanceClock(2 * DAY);
    await reopen();
    expect(e.clockOffset).toBe(2 * DAY);
    expect(e.now()).toBe(clk.ms + 2 * DAY);
    // Standard completes after 5 h; 1 day later, rounded to midnight, it has expired again.
    expect(e.headObject('vault', 'obj').restore).toBeUndefined();
    await unreadable('obj', e);
    await e.advanceClock(0);
    expect(e.clockOffset).toBe(2 * DAY);
  });

  it('advanceClock refuses to go past 100 years ahead, and a data directory holding more opens', async () => {
    await e.advanceClock(MINUTE);
    for (const ms of [MAX_CLOCK_OFFSET_MS, 99_999_999 * DAY]) {
      await expectError(() => e.advanceClock(ms), 'E_INVALID_ARGUMENT', /at most 100 years/);
    }
    expect(e.clockOffset).toBe(MINUTE);
    expect(await e.advanceClock(MAX_CLOCK_OFFSET_MS - MINUTE)).toBe(MAX_CLOCK_OFFSET_MS);
    expect(new Date(e.now()).toISOString()).toMatch(/^2\d{3}-/);
    // As a version without the check could leave it: the offset is read as the limit.
    await e.close();
    const db = new Database(databaseFile(dir));
    db.prepare("UPDATE settings SET value = ? WHERE name = 'clock_offset_ms'").run(
      String(99_999_999 * DAY),
    );
    db.close();
    e = await Engine.open({ dataDir: dir, clock: clk, fsync: false });
    expect(e.clockOffset).toBe(MAX_CLOCK_OFFSET_MS);
    expect(e.headObject('vault', 'obj').storageClass).toBe('GLACIER');
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])(
    'advanceClock(%d) is refused and changes nothing',
    async (ms) => {
      await e.advanceClock(MINUTE);
      await expectError(
        () => e.advanceClock(ms),
        'E_INVALID_ARGUMENT',
        new RegExp(`forward.*${ms}`),
      );
      expect(e.clockOffset).toBe(MINUTE);
      await reopen();
      expect(e.clockOffset).toBe(MINUTE);
    },
  );
});
