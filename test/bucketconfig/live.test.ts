/**
 * The bucket sub-resources of src/client/bucket-config against the embedded server and Ceph RGW:
 * seed 000's documents written and read back equal, a bare bucket reads as unset, drift made
 * with the plain SDK shows, remove works; on RGW what it refuses is a clear E_NOT_IMPLEMENTED.
 */
import {
  DeleteObjectCommand,
  CreateBucketCommand,
  PutBucketCorsCommand,
  PutBucketTaggingCommand,
  PutObjectCommand,
  type NotificationConfiguration,
  type S3Client,
} from '@aws-sdk/client-s3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SUB_RESOURCE_NAMES,
  SUB_RESOURCES,
  equal,
  readBucketState,
  type SubResource,
  type SubResourceName,
} from '../../src/client/bucket-config/index.js';
import type { StoreSession } from '../../src/client/ops/session.js';
import { isStowageError, type StowageError } from '../../src/errors.js';
import { readsAsUnset, sameDocument } from '../../src/bucketconfig/compare.js';
import { expectError } from '../helpers/expect-error.js';
import { AWS, awsS3api } from '../helpers/aws-cli.js';
import { ensureDebianPackages } from '../helpers/peers.js';
import { describeS3Targets, type S3Target } from '../helpers/s3-targets.js';
import { seedDocuments, type SeedBuckets } from './live-seeds.js';

/** What issue 5 requires RGW to support. */
const RGW_SUPPORTED: SubResourceName[] = [
  'versioning',
  'policy',
  'cors',
  'lifecycle',
  'tags',
  'prefixes',
];
const WITH_SEED = SUB_RESOURCE_NAMES.filter((n) => n !== 'notifications');

function sub(name: SubResourceName): SubResource<unknown> {
  return SUB_RESOURCES[name] as SubResource<unknown>;
}

async function settle(
  p: Promise<unknown>,
): Promise<{ ok: true; value: unknown } | { ok: false; error: StowageError }> {
  try {
    return { ok: true, value: await p };
  } catch (err) {
    expect(isStowageError(err), `not a StowageError: ${String(err)}`).toBe(true);
    return { ok: false, error: err as StowageError };
  }
}

describeS3Targets('bucket sub-resources', (getTarget) => {
  let target: S3Target;
  let s3: S3Client;
  let session: StoreSession;
  let names: SeedBuckets;

  async function newBucket(prefix: string, objectLock = false): Promise<string> {
    const b = target.uniqueBucket(prefix);
    await s3.send(
      new CreateBucketCommand({
        Bucket: b,
        ...(objectLock ? { ObjectLockEnabledForBucket: true } : {}),
      }),
    );
    return b;
  }

  beforeAll(async () => {
    target = getTarget();
    s3 = target.newClient();
    session = {
      s3,
      store: {
        name: target.kind,
        credentials: { kind: 'static', ...target.credentials },
        source: 'test',
      } as StoreSession['store'],
    };
    names = {
      bucket: await newBucket('live'),
      logs: await newBucket('logs'),
      replica: await newBucket('replica'),
    };
  });

  it('reads every sub-resource of a bare bucket as unset (or, on RGW, a clear error)', async () => {
    const bare = await newBucket('bare');
    const state = await readBucketState(session, bare);
    for (const name of SUB_RESOURCE_NAMES) {
      const entry = state[name];
      expect(entry, name).toBeDefined();
      if (entry?.ok) {
        // RGW encrypts nothing by default: unset, but not the SSE-S3 default of AWS and ours.
        if (name === 'encryption' && target.kind === 'rgw') {
          expect(entry.value, name).toEqual({ Rules: [] });
          expect(readsAsUnset(name, entry.value)).toBe(true);
        } else expect(entry.value, name).toBeUndefined();
      } else {
        expect(target.kind, `${name}: ${entry?.error.message}`).toBe('rgw');
        expect(RGW_SUPPORTED, name).not.toContain(name);
        expect(entry?.error.code, name).toBe('E_NOT_IMPLEMENTED');
        expect(entry?.error.message).toContain(name);
      }
    }
  });

  it('a declared SSE-S3 default is in sync where the store encrypts by default, to be written where not (RGW)', async () => {
    const bare = await newBucket('sse');
    const live = await SUB_RESOURCES.encryption.read(session, bare);
    const declared = {
      Rules: [
        { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false },
      ],
    };
    // Undeclared, it is never a remove; declared, it is a create only where it is missing.
    expect(live === undefined || readsAsUnset('encryption', live)).toBe(true);
    expect(sameDocument('encryption', declared, live)).toBe(target.kind === 'stowage');
  });

  it('a missing bucket is E_NO_SUCH_BUCKET, from read and from readBucketState', async () => {
    const missing = target.uniqueBucket('missing');
    await expectError(SUB_RESOURCES.cors.read(session, missing), 'E_NO_SUCH_BUCKET');
    await expectError(SUB_RESOURCES.policy.read(session, missing), 'E_NO_SUCH_BUCKET');
    await expectError(readBucketState(session, missing, ['lifecycle', 'tags']), 'E_NO_SUCH_BUCKET');
  });

  describe('seed 000 documents round-trip', () => {
    for (const name of WITH_SEED) {
      it(name, async () => {
        // A bucket each: a policy or public access block must not affect the others.
        const bucket = await newBucket(name.toLowerCase(), name === 'objectLock');
        const written = seedDocuments({ ...names, bucket })[name] as unknown;
        if (name === 'replication') {
          for (const b of [bucket, names.replica]) {
            await SUB_RESOURCES.versioning.write(session, b, { Status: 'Enabled' });
          }
        }
        const wrote = await settle(sub(name).write(session, bucket, written));
        if (!wrote.ok) {
          // RGW (Ceph 16) refuses some sub-resources: a clear error naming it, not a crash.
          expect(target.kind, `${name}: ${wrote.error.message}`).toBe('rgw');
          expect(RGW_SUPPORTED).not.toContain(name);
          expect(wrote.error.message).toContain(`${name} configuration`);
          expect(wrote.error.message).toContain('store rgw');
          expect(['E_NOT_IMPLEMENTED', 'E_INVALID_ARGUMENT']).toContain(wrote.error.code);
          return;
        }
        const read = await sub(name).read(session, bucket);
        expect(read, name).toBeDefined();
        if (!equal(sub(name), written, read)) {
          expect(sub(name).normalize(read), name).toEqual(sub(name).normalize(written));
        }
        expect(equal(sub(name), written, read)).toBe(true);
        // Idempotent: writing the same again changes nothing.
        await sub(name).write(session, bucket, written);
        expect(equal(sub(name), written, await sub(name).read(session, bucket))).toBe(true);
      });
    }
  });

  it('a change made with the plain SDK shows as not equal', async () => {
    const b = await newBucket('drift');
    const docs = seedDocuments(names);
    await SUB_RESOURCES.cors.write(session, b, docs.cors);
    await SUB_RESOURCES.tags.write(session, b, docs.tags);
    await SUB_RESOURCES.prefixes.write(session, b, docs.prefixes);
    await s3.send(
      new PutBucketCorsCommand({
        Bucket: b,
        CORSConfiguration: { CORSRules: [{ AllowedMethods: ['GET'], AllowedOrigins: ['*'] }] },
      }),
    );
    await s3.send(
      new PutBucketTaggingCommand({
        Bucket: b,
        Tagging: {
          TagSet: [
            { Key: 'env', Value: 'dev' },
            { Key: 'project', Value: 'ziggie' },
          ],
        },
      }),
    );
    await s3.send(new PutObjectCommand({ Bucket: b, Key: 'shared/', Body: '' }));
    expect(equal(SUB_RESOURCES.cors, docs.cors, await SUB_RESOURCES.cors.read(session, b))).toBe(
      false,
    );
    expect(equal(SUB_RESOURCES.tags, docs.tags, await SUB_RESOURCES.tags.read(session, b))).toBe(
      false,
    );
    // A folder placeholder made by someone else is the bucket's object: still in sync, and a
    // write leaves it. One the file declares that was deleted is drift, and write remakes it.
    const live = await SUB_RESOURCES.prefixes.read(session, b);
    expect(live).toContain('shared/');
    expect(equal(SUB_RESOURCES.prefixes, docs.prefixes, live)).toBe(true);
    await s3.send(new DeleteObjectCommand({ Bucket: b, Key: docs.prefixes[0]! }));
    expect(
      equal(SUB_RESOURCES.prefixes, docs.prefixes, await SUB_RESOURCES.prefixes.read(session, b)),
    ).toBe(false);
    await SUB_RESOURCES.prefixes.write(session, b, docs.prefixes);
    const after = await SUB_RESOURCES.prefixes.read(session, b);
    expect(equal(SUB_RESOURCES.prefixes, docs.prefixes, after)).toBe(true);
    expect(after).toContain('shared/');
  });

  it('remove makes each sub-resource read as unset (versioning: Suspended)', async () => {
    const b = await newBucket('remove');
    const docs = seedDocuments({ ...names, bucket: b });
    for (const name of WITH_SEED) {
      if (name === 'replication') continue; // removal covered below, needs versioning first
      if (name === 'objectLock') continue; // cannot be removed: covered below
      const s = sub(name);
      const wrote = await settle(s.write(session, b, docs[name]));
      if (!wrote.ok) {
        expect(target.kind).toBe('rgw');
        continue;
      }
      await s.remove(session, b);
      const after = await s.read(session, b);
      if (name === 'versioning') expect(after).toEqual({ Status: 'Suspended' });
      else if (name === 'encryption' && target.kind === 'rgw') expect(after).toEqual({ Rules: [] });
      else expect(after, name).toBeUndefined();
    }
  });

  it('notifications round-trip (RGW: a clear error, it wants SNS topics it knows)', async () => {
    const b = await newBucket('notify');
    const doc: NotificationConfiguration = {
      TopicConfigurations: [
        {
          Id: 'uploads',
          TopicArn: 'arn:aws:sns:us-east-1:123456789012:asset-uploads',
          Events: ['s3:ObjectRemoved:*', 's3:ObjectCreated:*'],
          Filter: { Key: { FilterRules: [{ Name: 'prefix' as const, Value: 'game-assets/' }] } },
        },
      ],
    };
    const wrote = await settle(SUB_RESOURCES.notifications.write(session, b, doc));
    if (!wrote.ok) {
      expect(target.kind, wrote.error.message).toBe('rgw');
      expect(wrote.error.message).toContain('notifications configuration');
      return;
    }
    expect(
      equal(SUB_RESOURCES.notifications, doc, await SUB_RESOURCES.notifications.read(session, b)),
    ).toBe(true);
    await SUB_RESOURCES.notifications.remove(session, b);
    expect(await SUB_RESOURCES.notifications.read(session, b)).toBeUndefined();
  });

  it('object lock reads back its default retention and cannot be removed', async () => {
    const b = await newBucket('lock-rm');
    expect(await SUB_RESOURCES.objectLock.read(session, b)).toBeUndefined();
    await expectError(
      SUB_RESOURCES.objectLock.remove(session, b),
      'E_INVALID_REQUEST',
      /cannot be turned off/,
    );
  });

  it('a bucket ACL reads back as its canned name; private reads as unset', async () => {
    const b = await newBucket('acl');
    await SUB_RESOURCES.acl.write(session, b, 'public-read');
    expect(await SUB_RESOURCES.acl.read(session, b)).toBe('public-read');
    await SUB_RESOURCES.acl.write(session, b, 'authenticated-read');
    expect(await SUB_RESOURCES.acl.read(session, b)).toBe('authenticated-read');
    await SUB_RESOURCES.acl.remove(session, b);
    expect(await SUB_RESOURCES.acl.read(session, b)).toBeUndefined();
  });

  it('replication is removed (after versioning on both sides)', async () => {
    const b = await newBucket('repl-rm');
    const doc = seedDocuments({ ...names, bucket: b }).replication;
    await SUB_RESOURCES.versioning.write(session, b, { Status: 'Enabled' });
    await SUB_RESOURCES.versioning.write(session, names.replica, { Status: 'Enabled' });
    const wrote = await settle(SUB_RESOURCES.replication.write(session, b, doc));
    if (!wrote.ok) {
      expect(target.kind).toBe('rgw');
      return;
    }
    await SUB_RESOURCES.replication.remove(session, b);
    expect(await SUB_RESOURCES.replication.read(session, b)).toBeUndefined();
  });

  it('rejects a placeholder that does not end in /', async () => {
    const b = await newBucket('badprefix');
    await expectError(
      SUB_RESOURCES.prefixes.write(session, b, ['sprites']),
      'E_INVALID_ARGUMENT',
      /must end in '\/'/,
    );
  });
});

describeS3Targets(
  'bucket sub-resources, read back with aws-cli',
  (getTarget) => {
    let work: string;
    let session: StoreSession;
    let awsJson: (...args: string[]) => Promise<Record<string, unknown>>;

    beforeAll(() => {
      ensureDebianPackages({ [AWS]: 'awscli' });
      const target = getTarget();
      work = mkdtempSync(path.join(tmpdir(), 'stowage-live-awscli-'));
      session = { s3: target.newClient() };
      awsJson = awsS3api(target, work);
    }, 600_000);
    afterAll(() => {
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it('lifecycle, CORS, policy, tags, public access block and inventory agree with what was written', async () => {
      const target = getTarget();
      const bucket = target.uniqueBucket('cli');
      const logs = target.uniqueBucket('cli-logs');
      for (const b of [bucket, logs]) await session.s3.send(new CreateBucketCommand({ Bucket: b }));
      const docs = seedDocuments({ bucket, logs, replica: logs });
      const { lifecycle, cors, policy, tags, publicAccessBlock, inventory } = SUB_RESOURCES;
      await lifecycle.write(session, bucket, docs.lifecycle);
      await cors.write(session, bucket, docs.cors);
      await policy.write(session, bucket, docs.policy);
      await tags.write(session, bucket, docs.tags);
      await publicAccessBlock.write(session, bucket, docs.publicAccessBlock);
      await inventory.write(session, bucket, docs.inventory);

      const lc = await awsJson('get-bucket-lifecycle-configuration', '--bucket', bucket);
      expect(equal(lifecycle, docs.lifecycle, lc as never)).toBe(true);
      const cr = await awsJson('get-bucket-cors', '--bucket', bucket);
      expect(equal(cors, docs.cors, cr as never)).toBe(true);
      const po = await awsJson('get-bucket-policy', '--bucket', bucket);
      expect(equal(policy, docs.policy, JSON.parse(po.Policy as string))).toBe(true);
      const tg = await awsJson('get-bucket-tagging', '--bucket', bucket);
      expect(equal(tags, docs.tags, tg.TagSet as never)).toBe(true);
      const pab = await awsJson('get-public-access-block', '--bucket', bucket);
      expect(
        equal(
          publicAccessBlock,
          docs.publicAccessBlock,
          pab.PublicAccessBlockConfiguration as never,
        ),
      ).toBe(true);
      const inv = await awsJson(
        'get-bucket-inventory-configuration',
        '--bucket',
        bucket,
        '--id',
        'DailyInventory',
      );
      expect(equal(inventory, docs.inventory, [inv.InventoryConfiguration] as never)).toBe(true);
      // and the other way: a change made with aws-cli is drift
      await awsJson(
        'put-bucket-tagging',
        '--bucket',
        bucket,
        '--tagging',
        'TagSet=[{Key=env,Value=staging}]',
      );
      expect(equal(tags, docs.tags, await tags.read(session, bucket))).toBe(false);
    });
  },
  { kinds: ['stowage'] },
);
