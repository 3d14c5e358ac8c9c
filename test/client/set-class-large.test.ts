/**
 * set-class of an object too large for CopyObject: a multipart copy onto itself that keeps
 * the bytes, metadata, content type and tags. The 5 GiB limit is lowered so that a 12 MiB
 * object takes that path; on Ceph RGW (no STANDARD_IA placement) the refusal is clear.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  CreateBucketCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { beforeAll, expect, it } from 'vitest';
import { largeCopier } from '../../src/cli/commands/set-class.js';
import { setObjectClass, type StoreSession } from '../../src/client/ops/index.js';
import { expectError } from '../helpers/expect-error.js';
import { describeS3Targets } from '../helpers/s3-targets.js';

const MiB = 1024 * 1024;
const body = randomBytes(12 * MiB);
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describeS3Targets('set-class of a large object (multipart copy onto itself)', (getTarget) => {
  let session: StoreSession;
  let bucket: string;

  beforeAll(async () => {
    const t = getTarget();
    session = { s3: t.newClient() };
    bucket = t.uniqueBucket('setclass');
    await session.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await session.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'renders/big.exr',
        Body: body,
        ContentType: 'image/x-exr',
        Metadata: { origin: 'farm' },
        Tagging: 'project=ziggie',
      }),
    );
  });

  const change = () =>
    setObjectClass(session, {
      bucket,
      key: 'renders/big.exr',
      storageClass: 'STANDARD_IA',
      largeObjectBytes: 5 * MiB,
      copyLarge: largeCopier(session, 5 * MiB),
    });

  it('changes the class and keeps bytes, metadata, content type and tags', async () => {
    if (getTarget().kind === 'rgw') {
      // RGW has only the STANDARD placement class unless an operator adds more.
      await expectError(
        change(),
        'E_INVALID_STORAGE_CLASS',
        /does not accept storage class STANDARD_IA/,
      );
      return;
    }
    expect(await change()).toMatchObject({ ok: true, from: 'STANDARD', to: 'STANDARD_IA' });
    const head = await session.s3.send(
      new HeadObjectCommand({ Bucket: bucket, Key: 'renders/big.exr' }),
    );
    expect(head).toMatchObject({
      StorageClass: 'STANDARD_IA',
      ContentType: 'image/x-exr',
      Metadata: { origin: 'farm' },
      ContentLength: body.length,
    });
    // A multipart copy: the ETag is the parts' (`-N`), not the single PUT's MD5.
    expect(head.ETag).toMatch(/-\d+"$/);
    const tags = await session.s3.send(
      new GetObjectTaggingCommand({ Bucket: bucket, Key: 'renders/big.exr' }),
    );
    expect(tags.TagSet).toEqual([{ Key: 'project', Value: 'ziggie' }]);
    const got = await session.s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: 'renders/big.exr' }),
    );
    expect(sha256(await got.Body!.transformToByteArray())).toBe(sha256(body));
  });

  it('without copyLarge an object over the limit is E_ENTITY_TOO_LARGE, not a failed CopyObject', async () => {
    await expectError(
      setObjectClass(session, {
        bucket,
        key: 'renders/big.exr',
        storageClass: 'GLACIER',
        largeObjectBytes: 5 * MiB,
      }),
      'E_ENTITY_TOO_LARGE',
      /need a multipart copy/,
    );
  });
});
