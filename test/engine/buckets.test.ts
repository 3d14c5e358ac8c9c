import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BUCKET_CONFIG_KINDS } from '../../src/engine/buckets.js';
import { Engine } from '../../src/engine/engine.js';
import type { BucketConfigKind } from '../../src/engine/types.js';
import { ManualClock, openTestEngine, storedBlobIds, tempDir } from '../helpers/engine.js';
import { expectError } from '../helpers/expect-error.js';

let engine: Engine;
let close: () => Promise<void>;
let clock: ManualClock;
let dir: string;

beforeEach(async () => {
  clock = new ManualClock();
  ({ engine, close, dir } = await openTestEngine({ clock, fsync: false }));
});
afterEach(async () => close());

const names = (): string[] => engine.listBuckets().map((b) => b.name);
const blobFiles = (): string[] => storedBlobIds(dir);

describe('bucket names', () => {
  const valid = [
    'abc',
    'a'.repeat(63),
    'my-bucket',
    'my.bucket.name',
    '123bucket',
    'bucket-2026',
    'a-b.c-d',
    '1.2.3',
    'xn-single-hyphen',
    's3alias-at-start',
    'sthree',
  ];
  it.each(valid)('accepts %j', async (name) => {
    const info = await engine.createBucket(name);
    expect(info.name).toBe(name);
    expect(engine.headBucket(name).name).toBe(name);
  });

  const invalid: Array<[string, string]> = [
    ['', '3 to 63 characters'],
    ['ab', '3 to 63 characters'],
    ['a'.repeat(64), '3 to 63 characters'],
    ['MyBucket', 'lowercase letters'],
    ['my_bucket', 'lowercase letters'],
    ['my bucket', 'lowercase letters'],
    ['bücket', 'lowercase letters'],
    ['-bucket', 'begin and end with a letter or digit'],
    ['bucket-', 'begin and end with a letter or digit'],
    ['.bucket', 'begin and end with a letter or digit'],
    ['bucket.', 'begin and end with a letter or digit'],
    ['my..bucket', 'two adjacent dots'],
    ['my.-bucket', 'dot next to a hyphen'],
    ['my-.bucket', 'dot next to a hyphen'],
    ['192.168.5.4', 'IP address'],
    ['xn--bucket', 'reserved prefix "xn--"'],
    ['sthree-bucket', 'reserved prefix "sthree-"'],
    ['amzn-s3-demo-bucket', 'reserved prefix "amzn-s3-demo-"'],
    ['bucket-s3alias', 'reserved suffix "-s3alias"'],
    ['bucket--ol-s3', 'reserved suffix "--ol-s3"'],
    ['bucket.mrap', 'reserved suffix ".mrap"'],
    ['bucket--x-s3', 'reserved suffix "--x-s3"'],
    ['bucket--table-s3', 'reserved suffix "--table-s3"'],
  ];
  it.each(invalid)('rejects %j (%s) and creates nothing', async (name, rule) => {
    const err = await expectError(() => engine.createBucket(name), 'E_INVALID_BUCKET_NAME', rule);
    expect(err.message).toContain(`"${name}"`);
    expect(err.s3Code).toBe('InvalidBucketName');
    expect(err.details).toEqual({ bucket: name });
    expect(engine.listBuckets()).toEqual([]);
  });
});

describe('create, head, list, delete', () => {
  it('creates a bucket with owner, creation time and the default region us-east-1', async () => {
    const info = await engine.createBucket('assets');
    const expected = {
      name: 'assets',
      region: 'us-east-1',
      owner: 'stowage',
      createdAt: new Date(clock.ms),
      versioning: 'Unversioned',
      objectLock: false,
    };
    expect(info).toEqual(expected);
    expect(engine.headBucket('assets')).toEqual(expected);
  });

  it('stores an explicit region', async () => {
    expect((await engine.createBucket('eu-bucket', { region: 'eu-central-1' })).region).toBe(
      'eu-central-1',
    );
    expect(engine.headBucket('eu-bucket').region).toBe('eu-central-1');
    expect((await engine.createBucket('empty-region', { region: '' })).region).toBe('us-east-1');
  });

  it("takes S3's legacy LocationConstraint EU as eu-west-1", async () => {
    expect((await engine.createBucket('legacy-eu', { region: 'EU' })).region).toBe('eu-west-1');
    await expect(engine.createBucket('bad-region', { region: 'Europe' })).rejects.toMatchObject({
      code: 'E_INVALID_LOCATION_CONSTRAINT',
    });
  });

  it('uses the engine region for buckets created without one', async () => {
    const other = await openTestEngine({ region: 'ap-southeast-2', fsync: false });
    try {
      expect((await other.engine.createBucket('syd')).region).toBe('ap-southeast-2');
      expect((await other.engine.createBucket('fra', { region: 'eu-central-1' })).region).toBe(
        'eu-central-1',
      );
    } finally {
      await other.close();
    }
  });

  it.each(['Not A Region!', 'EU_WEST_1', 'us-east-1/../x'])(
    'rejects the region %j and creates nothing',
    async (region) => {
      const err = await expectError(
        () => engine.createBucket('assets', { region }),
        'E_INVALID_LOCATION_CONSTRAINT',
      );
      expect(err.message).toContain(`"${region}"`);
      expect(err.message).toMatch(/LocationConstraint/);
      expect(engine.listBuckets()).toEqual([]);
    },
  );

  it('lists buckets sorted by name', async () => {
    for (const n of ['zeta', 'alpha', 'mid-bucket', 'alpha.two']) await engine.createBucket(n);
    expect(names()).toEqual(['alpha', 'alpha.two', 'mid-bucket', 'zeta']);
  });

  it('stores the documents given at creation with the bucket, or nothing at all', async () => {
    const acl = '<AccessControlPolicy>public-read</AccessControlPolicy>';
    const tagging =
      '<Tagging><TagSet><Tag><Key>team</Key><Value>art</Value></Tag></TagSet></Tagging>';
    await engine.createBucket('made-with', { documents: { acl, tagging } });
    expect(engine.getBucketConfig('made-with', 'acl')).toBe(acl);
    expect(engine.getBucketConfig('made-with', 'tagging')).toBe(tagging);
    await expectError(() => engine.getBucketConfig('made-with', 'cors'), 'E_NO_SUCH_BUCKET_CONFIG');

    // An unknown kind refuses the whole creation.
    await expectError(
      () =>
        engine.createBucket('not-made', {
          documents: { tagging, nonsense: 'x' } as Partial<Record<BucketConfigKind, string>>,
        }),
      'E_INVALID_ARGUMENT',
      'nonsense',
    );
    expect(names()).toEqual(['made-with']);
    // A bucket that exists keeps its own documents.
    await expectError(
      () => engine.createBucket('made-with', { documents: { tagging: '<Tagging/>' } }),
      'E_BUCKET_ALREADY_OWNED_BY_YOU',
    );
    expect(engine.getBucketConfig('made-with', 'tagging')).toBe(tagging);
  });

  it('refuses to create a bucket twice, keeping the first', async () => {
    await engine.createBucket('assets', { region: 'eu-central-1' });
    clock.advance(60_000);
    const err = await expectError(
      () => engine.createBucket('assets', { region: 'us-west-2' }),
      'E_BUCKET_ALREADY_OWNED_BY_YOU',
      '"assets"',
    );
    expect(err.s3Code).toBe('BucketAlreadyOwnedByYou');
    expect(err.httpStatus).toBe(409);
    const info = engine.headBucket('assets');
    expect(info.region).toBe('eu-central-1');
    expect(info.createdAt.getTime()).toBe(clock.ms - 60_000);
    expect(names()).toEqual(['assets']);
  });

  it('deletes an empty bucket', async () => {
    await engine.createBucket('keep');
    await engine.createBucket('gone');
    await engine.deleteBucket('gone');
    expect(names()).toEqual(['keep']);
    await expectError(() => engine.headBucket('gone'), 'E_NO_SUCH_BUCKET', '"gone"');
    await engine.createBucket('gone');
    expect(names()).toEqual(['gone', 'keep']);
  });

  it('reports a missing bucket on head, delete and versioning', async () => {
    const head = await expectError(() => engine.headBucket('nope'), 'E_NO_SUCH_BUCKET', '"nope"');
    expect(head.s3Code).toBe('NoSuchBucket');
    expect(head.httpStatus).toBe(404);
    await expectError(() => engine.deleteBucket('nope'), 'E_NO_SUCH_BUCKET', '"nope"');
    await expectError(() => engine.getBucketVersioning('nope'), 'E_NO_SUCH_BUCKET', '"nope"');
    await expectError(
      () => engine.putBucketVersioning('nope', 'Enabled'),
      'E_NO_SUCH_BUCKET',
      '"nope"',
    );
  });
});

describe('deleting a non-empty bucket', () => {
  beforeEach(async () => {
    await engine.createBucket('full');
  });

  it('fails while it holds an object, and succeeds once it is gone', async () => {
    await engine.putObject('full', 'a.txt', 'hello');
    const err = await expectError(
      () => engine.deleteBucket('full'),
      'E_BUCKET_NOT_EMPTY',
      '"full"',
    );
    expect(err.s3Code).toBe('BucketNotEmpty');
    expect(engine.headBucket('full').name).toBe('full');
    expect(engine.headObject('full', 'a.txt').size).toBe(5);
    await engine.deleteObject('full', 'a.txt');
    await engine.deleteBucket('full');
    expect(names()).toEqual([]);
  });

  it('fails while a versioned bucket holds a delete marker and an old version', async () => {
    await engine.putBucketVersioning('full', 'Enabled');
    const put = await engine.putObject('full', 'a.txt', 'hello');
    const del = await engine.deleteObject('full', 'a.txt');
    expect(del.deleteMarker).toBe(true);
    expect(engine.listObjects('full').objects).toEqual([]);
    await expectError(() => engine.deleteBucket('full'), 'E_BUCKET_NOT_EMPTY', /delete markers/);
    await engine.deleteObject('full', 'a.txt', { versionId: put.versionId });
    await expectError(() => engine.deleteBucket('full'), 'E_BUCKET_NOT_EMPTY', /delete markers/);
    await engine.deleteObject('full', 'a.txt', { versionId: del.versionId });
    await engine.deleteBucket('full');
    expect(names()).toEqual([]);
  });

  it('fails while a versioned bucket holds only an old version', async () => {
    await engine.putBucketVersioning('full', 'Enabled');
    const put = await engine.putObject('full', 'a.txt', 'hello');
    const del = await engine.deleteObject('full', 'a.txt');
    await engine.deleteObject('full', 'a.txt', { versionId: del.versionId! });
    expect(engine.listObjectVersions('full').versions.map((v) => v.versionId)).toEqual([
      put.versionId,
    ]);
    await expectError(() => engine.deleteBucket('full'), 'E_BUCKET_NOT_EMPTY', '"full"');
  });

  it('aborts unfinished multipart uploads with the bucket, as S3 does, removing their parts', async () => {
    const upload = await engine.createMultipartUpload('full', 'big.bin');
    await engine.uploadPart('full', 'big.bin', upload.uploadId, 1, Buffer.alloc(200_000, 7));
    const before = blobFiles();
    expect(before.length).toBeGreaterThan(0);
    await engine.deleteBucket('full');
    expect(names()).toEqual([]);
    // The part files go once the commit is done (unlinked in the background).
    await vi.waitFor(() => expect(blobFiles()).toEqual([]));
    // A bucket of the same name starts with no uploads.
    await engine.createBucket('full');
    expect(engine.listMultipartUploads('full').uploads).toEqual([]);
    expect((await engine.check()).ok).toBe(true);
  });

  it('still fails while an object exists beside an unfinished upload, aborting nothing', async () => {
    const upload = await engine.createMultipartUpload('full', 'big.bin');
    await engine.putObject('full', 'a.txt', 'hello');
    await expectError(() => engine.deleteBucket('full'), 'E_BUCKET_NOT_EMPTY', /objects/);
    expect(engine.listMultipartUploads('full').uploads.map((u) => u.uploadId)).toEqual([
      upload.uploadId,
    ]);
  });
});

describe('versioning', () => {
  beforeEach(async () => {
    await engine.createBucket('ver');
  });

  it('is Unversioned for a new bucket', () => {
    expect(engine.getBucketVersioning('ver')).toBe('Unversioned');
    expect(engine.headBucket('ver').versioning).toBe('Unversioned');
  });

  it('can be Enabled, then Suspended, then Enabled again', async () => {
    await engine.putBucketVersioning('ver', 'Enabled');
    expect(engine.getBucketVersioning('ver')).toBe('Enabled');
    expect(engine.listBuckets()[0]!.versioning).toBe('Enabled');
    await engine.putBucketVersioning('ver', 'Suspended');
    expect(engine.getBucketVersioning('ver')).toBe('Suspended');
    await engine.putBucketVersioning('ver', 'Enabled');
    expect(engine.headBucket('ver').versioning).toBe('Enabled');
  });

  it.each(['enabled', 'Unversioned', 'Disabled', ''])(
    'rejects the status %j and keeps the state',
    async (state) => {
      await engine.putBucketVersioning('ver', 'Suspended');
      const err = await expectError(
        () => engine.putBucketVersioning('ver', state as 'Enabled'),
        'E_ILLEGAL_VERSIONING_CONFIGURATION',
        `"${state}"`,
      );
      expect(err.s3Code).toBe('IllegalVersioningConfigurationException');
      expect(engine.getBucketVersioning('ver')).toBe('Suspended');
    },
  );
});

/** S3's error code for a missing document of each kind, written out independently of the engine. */
const S3_MISSING_CODE: Record<BucketConfigKind, string> = {
  policy: 'NoSuchBucketPolicy',
  cors: 'NoSuchCORSConfiguration',
  lifecycle: 'NoSuchLifecycleConfiguration',
  'intelligent-tiering': 'NoSuchConfiguration',
  encryption: 'ServerSideEncryptionConfigurationNotFoundError',
  'public-access-block': 'NoSuchPublicAccessBlockConfiguration',
  logging: 'NoSuchConfiguration',
  inventory: 'NoSuchConfiguration',
  replication: 'ReplicationConfigurationNotFoundError',
  tagging: 'NoSuchTagSet',
  notification: 'NoSuchConfiguration',
  metrics: 'NoSuchConfiguration',
  analytics: 'NoSuchConfiguration',
  acl: 'NoSuchConfiguration',
  website: 'NoSuchWebsiteConfiguration',
  'ownership-controls': 'OwnershipControlsNotFoundError',
  'object-lock': 'ObjectLockConfigurationNotFoundError',
  'request-payment': 'NoSuchConfiguration',
  accelerate: 'NoSuchConfiguration',
};

const docFor = (kind: string, n: number): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Config kind="${kind}" n="${n}">\n  <Note>  spaces  &amp; ünïcødé ✓ </Note>\n</Config>\n`;

describe('bucket sub-resource documents', () => {
  beforeEach(async () => {
    await engine.createBucket('cfg');
    await engine.createBucket('other');
  });

  it('covers every kind the S3 front end needs', () => {
    expect([...BUCKET_CONFIG_KINDS].sort()).toEqual(Object.keys(S3_MISSING_CODE).sort());
  });

  describe.each(BUCKET_CONFIG_KINDS.map((k) => [k]))('%s', (kind) => {
    it('is missing at first, with S3 specific error code', async () => {
      const err = await expectError(
        () => engine.getBucketConfig('cfg', kind),
        'E_NO_SUCH_BUCKET_CONFIG',
      );
      expect(err.s3Code).toBe(S3_MISSING_CODE[kind]);
      expect(err.httpStatus).toBe(404);
      expect(err.message).toContain(kind);
      expect(err.message).toContain('"cfg"');
    });

    it('round-trips exactly, overwrites, and deletes idempotently', async () => {
      const first = docFor(kind, 1);
      await engine.putBucketConfig('cfg', kind, first);
      expect(engine.getBucketConfig('cfg', kind)).toBe(first);
      await expectError(() => engine.getBucketConfig('other', kind), 'E_NO_SUCH_BUCKET_CONFIG');

      const second = docFor(kind, 2);
      await engine.putBucketConfig('cfg', kind, second);
      expect(engine.getBucketConfig('cfg', kind)).toBe(second);

      await engine.deleteBucketConfig('cfg', kind);
      const err = await expectError(
        () => engine.getBucketConfig('cfg', kind),
        'E_NO_SUCH_BUCKET_CONFIG',
      );
      expect(err.s3Code).toBe(S3_MISSING_CODE[kind]);
      await engine.deleteBucketConfig('cfg', kind);
      await expectError(() => engine.getBucketConfig('cfg', kind), 'E_NO_SUCH_BUCKET_CONFIG');
    });

    it('writes and deletes side rows with the document, in one commit', async () => {
      await engine.putBucketConfig('cfg', kind, docFor(kind, 1), '', { side: 'one' });
      expect(engine.findBucketConfig('cfg', kind, 'side')).toBe('one');
      expect(engine.getBucketConfig('cfg', kind)).toBe(docFor(kind, 1));
      await engine.putBucketConfig('cfg', kind, docFor(kind, 2), '', { side: 'two' });
      expect(engine.findBucketConfig('cfg', kind, 'side')).toBe('two');
      // A put that fails stores neither row.
      await expectError(
        () => engine.putBucketConfig('missing-bucket', kind, docFor(kind, 3), '', { side: 'x' }),
        'E_NO_SUCH_BUCKET',
      );
      await engine.deleteBucketConfig('cfg', kind, '', ['side']);
      expect(engine.findBucketConfig('cfg', kind, 'side')).toBeUndefined();
      expect(engine.findBucketConfig('cfg', kind)).toBeUndefined();
    });

    it('reports a missing bucket', async () => {
      await expectError(
        () => engine.putBucketConfig('nope', kind, 'x'),
        'E_NO_SUCH_BUCKET',
        '"nope"',
      );
      await expectError(() => engine.getBucketConfig('nope', kind), 'E_NO_SUCH_BUCKET', '"nope"');
      await expectError(
        () => engine.deleteBucketConfig('nope', kind),
        'E_NO_SUCH_BUCKET',
        '"nope"',
      );
      await expectError(() => engine.listBucketConfigs('nope', kind), 'E_NO_SUCH_BUCKET', '"nope"');
    });
  });

  it('keeps kinds apart', async () => {
    await engine.putBucketConfig('cfg', 'policy', '{"Version":"2012-10-17"}');
    await engine.putBucketConfig('cfg', 'cors', '<CORSConfiguration/>');
    expect(engine.getBucketConfig('cfg', 'policy')).toBe('{"Version":"2012-10-17"}');
    expect(engine.getBucketConfig('cfg', 'cors')).toBe('<CORSConfiguration/>');
    await engine.deleteBucketConfig('cfg', 'policy');
    expect(engine.getBucketConfig('cfg', 'cors')).toBe('<CORSConfiguration/>');
    await expectError(() => engine.getBucketConfig('cfg', 'policy'), 'E_NO_SUCH_BUCKET_CONFIG');
  });

  describe.each([['inventory'], ['intelligent-tiering'], ['metrics']] as Array<[BucketConfigKind]>)(
    'listable kind %s',
    (kind) => {
      it('stores several documents by id and lists them sorted by id', async () => {
        expect(engine.listBucketConfigs('cfg', kind)).toEqual([]);
        await engine.putBucketConfig('cfg', kind, '<weekly/>', 'weekly');
        await engine.putBucketConfig('cfg', kind, '<daily/>', 'daily');
        await engine.putBucketConfig('cfg', kind, '<all/>', 'all-objects');
        expect(engine.listBucketConfigs('cfg', kind)).toEqual([
          { id: 'all-objects', document: '<all/>' },
          { id: 'daily', document: '<daily/>' },
          { id: 'weekly', document: '<weekly/>' },
        ]);
        expect(engine.getBucketConfig('cfg', kind, 'daily')).toBe('<daily/>');
        expect(engine.listBucketConfigs('other', kind)).toEqual([]);

        await engine.putBucketConfig('cfg', kind, '<daily v="2"/>', 'daily');
        await engine.deleteBucketConfig('cfg', kind, 'weekly');
        expect(engine.listBucketConfigs('cfg', kind)).toEqual([
          { id: 'all-objects', document: '<all/>' },
          { id: 'daily', document: '<daily v="2"/>' },
        ]);
      });

      it('reports a missing id by name', async () => {
        await engine.putBucketConfig('cfg', kind, '<daily/>', 'daily');
        const err = await expectError(
          () => engine.getBucketConfig('cfg', kind, 'monthly'),
          'E_NO_SUCH_BUCKET_CONFIG',
          '"monthly"',
        );
        expect(err.s3Code).toBe('NoSuchConfiguration');
        // Deleting one by an id no document has is NoSuchConfiguration too, as on S3
        // (tools such as Ansible's s3_metrics_configuration expect it); the others stay.
        const gone = await expectError(
          () => engine.deleteBucketConfig('cfg', kind, 'monthly'),
          'E_NO_SUCH_BUCKET_CONFIG',
          '"monthly"',
        );
        expect(gone.s3Code).toBe('NoSuchConfiguration');
        expect(engine.getBucketConfig('cfg', kind, 'daily')).toBe('<daily/>');
      });
    },
  );

  it('does not list documents of another kind', async () => {
    await engine.putBucketConfig('cfg', 'inventory', '<inv/>', 'a');
    expect(engine.listBucketConfigs('cfg', 'metrics')).toEqual([]);
    expect(engine.listBucketConfigs('cfg', 'inventory')).toEqual([{ id: 'a', document: '<inv/>' }]);
  });

  it('rejects an unknown kind on every operation', async () => {
    const kind = 'bogus-kind' as BucketConfigKind;
    await expectError(
      () => engine.putBucketConfig('cfg', kind, 'x'),
      'E_INVALID_ARGUMENT',
      '"bogus-kind"',
    );
    await expectError(
      () => engine.getBucketConfig('cfg', kind),
      'E_INVALID_ARGUMENT',
      '"bogus-kind"',
    );
    await expectError(
      () => engine.listBucketConfigs('cfg', kind),
      'E_INVALID_ARGUMENT',
      '"bogus-kind"',
    );
    await expectError(
      () => engine.deleteBucketConfig('cfg', kind),
      'E_INVALID_ARGUMENT',
      '"bogus-kind"',
    );
    await expectError(
      () => engine.getBucketConfig('cfg', 'toString' as BucketConfigKind),
      'E_INVALID_ARGUMENT',
      '"toString"',
    );
  });

  it('removes the documents of a deleted bucket', async () => {
    await engine.putBucketConfig('cfg', 'policy', '{"p":1}');
    await engine.putBucketConfig('cfg', 'cors', '<c/>');
    await engine.putBucketConfig('cfg', 'metrics', '<m/>', 'm1');
    await engine.deleteBucket('cfg');
    await engine.createBucket('cfg');
    await expectError(() => engine.getBucketConfig('cfg', 'policy'), 'E_NO_SUCH_BUCKET_CONFIG');
    await expectError(() => engine.getBucketConfig('cfg', 'cors'), 'E_NO_SUCH_BUCKET_CONFIG');
    expect(engine.listBucketConfigs('cfg', 'metrics')).toEqual([]);
  });
});

describe('persistence', () => {
  it('keeps buckets, regions, versioning and documents across close and reopen', async () => {
    const { dir, cleanup } = tempDir();
    const clk = new ManualClock();
    try {
      let e = await Engine.open({ dataDir: dir, clock: clk });
      await e.createBucket('plain');
      await e.createBucket('versioned', { region: 'eu-central-1' });
      await e.createBucket('suspended');
      await e.createBucket('dropped');
      await e.putBucketVersioning('versioned', 'Enabled');
      await e.putBucketVersioning('suspended', 'Suspended');
      await e.putBucketConfig('plain', 'policy', '{"Statement":[]}');
      await e.putBucketConfig('versioned', 'inventory', '<b/>', 'b');
      await e.putBucketConfig('versioned', 'inventory', '<a/>', 'a');
      await e.putBucketConfig('plain', 'cors', '<gone/>');
      await e.deleteBucketConfig('plain', 'cors');
      await e.deleteBucket('dropped');
      const before = e.listBuckets();
      await e.close();

      e = await Engine.open({ dataDir: dir, clock: clk });
      try {
        expect(e.listBuckets()).toEqual(before);
        expect(e.listBuckets().map((b) => [b.name, b.region, b.versioning])).toEqual([
          ['plain', 'us-east-1', 'Unversioned'],
          ['suspended', 'us-east-1', 'Suspended'],
          ['versioned', 'eu-central-1', 'Enabled'],
        ]);
        expect(e.headBucket('plain').createdAt).toEqual(new Date(clk.ms));
        expect(e.getBucketConfig('plain', 'policy')).toBe('{"Statement":[]}');
        expect(e.listBucketConfigs('versioned', 'inventory')).toEqual([
          { id: 'a', document: '<a/>' },
          { id: 'b', document: '<b/>' },
        ]);
        await expectError(() => e.getBucketConfig('plain', 'cors'), 'E_NO_SUCH_BUCKET_CONFIG');
        await expectError(() => e.headBucket('dropped'), 'E_NO_SUCH_BUCKET');
        await expectError(() => e.createBucket('plain'), 'E_BUCKET_ALREADY_OWNED_BY_YOU');
      } finally {
        await e.close();
      }
    } finally {
      cleanup();
    }
  });
});
