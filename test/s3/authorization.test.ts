/**
 * Authorisation end to end: bucket policies, identity policies, the root key, anonymous
 * callers and the public access block, through @aws-sdk/client-s3 and plain fetch().
 */
import {
  CopyObjectCommand,
  UploadPartCopyCommand,
  CreateMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketPolicyCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketPolicyStatusCommand,
  GetBucketTaggingCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutBucketPolicyCommand,
  PutBucketAclCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { principalArn, type Identity } from '../../src/s3api/identity.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { clientAs, testIdentity } from '../helpers/identities.js';
import {
  denyInsecureTransport,
  SEED_000_BUCKET_POLICY,
  SEED_000_VPS_POLICY,
} from '../fixtures/seed-policies.js';
import { s3ErrorOf } from '../helpers/expect-error.js';
import { signedFetch } from '../helpers/signed-fetch.js';
import { connectRaw } from '../helpers/raw-socket.js';

/** Seed 000 §1.3: public read of game-assets/*, and CloudFront (never a direct request). */
const SEED_BUCKET_POLICY = SEED_000_BUCKET_POLICY;

/** Seed 000 §10.1: the least-privilege VPS sync user. */
const SEED_IDENTITY_POLICY = SEED_000_VPS_POLICY;

/** A user who may list only under home/. */
const PREFIX_POLICY = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: 'arn:aws:s3:::ziggie-cloud-assets',
      Condition: { StringLike: { 's3:prefix': 'home/*' } },
    },
  ],
};

const identity = testIdentity;

/** A user who may set tags, with conditions on the tags it sets (AWS's tagging examples). */
const TAGGER_POLICY = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: 's3:PutObjectTagging',
      Resource: 'arn:aws:s3:::tags-in-body/free/*',
      Condition: { 'ForAllValues:StringEquals': { 's3:RequestObjectTagKeys': ['Owner', 'env'] } },
    },
    {
      Effect: 'Allow',
      Action: 's3:PutObjectTagging',
      Resource: 'arn:aws:s3:::tags-in-body/dev/*',
      Condition: { StringEquals: { 's3:RequestObjectTag/env': 'dev' } },
    },
    {
      Effect: 'Deny',
      Action: 's3:PutObjectTagging',
      Resource: '*',
      Condition: { StringEquals: { 's3:RequestObjectTag/env': 'prod' } },
    },
  ],
};

const VPS = identity('ziggie-vps-sync', 'STWVPSSYNC0000000001', SEED_IDENTITY_POLICY);
const LISTER = identity('home-lister', 'STWHOMELIST000000001', PREFIX_POLICY);
const TAGGER = identity('tagger', 'STWTAGGER00000000001', TAGGER_POLICY);
const CREATOR = identity('creator', 'STWCREATOR0000000001', {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:CreateBucket', Resource: '*' }],
});
/** May read objects and their attributes, not list. */
const READER = identity('reader', 'STWREADER00000000001', {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:GetObjectAttributes'],
      Resource: 'arn:aws:s3:::ziggie-cloud-assets/*',
    },
  ],
});
/** May create buckets and tag them as it creates them. */
const TAGGING_CREATOR = identity('tagging-creator', 'STWTAGCREATOR0000001', {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['s3:CreateBucket', 's3:TagResource'], Resource: '*' }],
});
/** May create buckets only with Object Ownership BucketOwnerEnforced (ACLs disabled). */
const ENFORCER = identity('enforcer', 'STWENFORCER000000001', {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: ['s3:CreateBucket', 's3:PutBucketOwnershipControls'],
      Resource: '*',
    },
    {
      Effect: 'Deny',
      Action: 's3:CreateBucket',
      Resource: '*',
      Condition: { StringNotEquals: { 's3:x-amz-object-ownership': 'BucketOwnerEnforced' } },
    },
  ],
});
const USERS = new Map(
  [VPS, LISTER, TAGGER, CREATOR, READER, TAGGING_CREATOR, ENFORCER].map((i) => [i.accessKeyId, i]),
);

let t: TestServer;
let root: S3Client;
let vps: S3Client;
let lister: S3Client;

const clientFor = (user: Identity): S3Client => clientAs(t.url, user);

beforeAll(async () => {
  t = await startTestServer({ identities: (id) => USERS.get(id) });
  root = t.client;
  vps = clientFor(VPS);
  lister = clientFor(LISTER);
});
afterAll(async () => {
  vps.destroy();
  lister.destroy();
  await t.close();
});

async function anonymous(
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; body: string }> {
  const res = await fetch(`${t.url}${path}`, init);
  return { status: res.status, body: await res.text() };
}

async function freshBucket(name: string, keys: string[] = []): Promise<void> {
  await root.send(new CreateBucketCommand({ Bucket: name }));
  for (const key of keys) {
    await root.send(new PutObjectCommand({ Bucket: name, Key: key, Body: `body of ${key}` }));
  }
}

async function putPolicy(bucket: string, policy: object, client = root): Promise<void> {
  await client.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(policy) }));
}

describe('seed 000 §1.3: public read through the bucket policy', () => {
  beforeAll(async () => {
    await freshBucket('ziggie-cloud-assets', ['game-assets/x.png', 'other/x.png', 'home/a.txt']);
    await freshBucket('ziggie-cloud-backups', ['db.sql']);
    await putPolicy('ziggie-cloud-assets', SEED_BUCKET_POLICY);
  });

  it('an SSE-KMS object is not served to anonymous callers, even where the policy is public (as S3)', async () => {
    for (const [key, sse] of [
      ['game-assets/kms.png', 'aws:kms'],
      ['game-assets/sse-s3.png', 'AES256'],
    ] as const) {
      await root.send(
        new PutObjectCommand({
          Bucket: 'ziggie-cloud-assets',
          Key: key,
          Body: 'bytes',
          ServerSideEncryption: sse,
        }),
      );
    }
    const kms = await anonymous('/ziggie-cloud-assets/game-assets/kms.png');
    expect(kms.status).toBe(400);
    expect(kms.body).toContain('require AWS Signature Version 4');
    expect(
      (await anonymous('/ziggie-cloud-assets/game-assets/kms.png', { method: 'HEAD' })).status,
    ).toBe(400);
    expect(await anonymous('/ziggie-cloud-assets/game-assets/sse-s3.png')).toEqual({
      status: 200,
      body: 'bytes',
    });
  });

  it('anonymous GET of game-assets/* works, of anything else is AccessDenied', async () => {
    expect(await anonymous('/ziggie-cloud-assets/game-assets/x.png')).toEqual({
      status: 200,
      body: 'body of game-assets/x.png',
    });
    const other = await anonymous('/ziggie-cloud-assets/other/x.png');
    expect(other.status).toBe(403);
    expect(other.body).toContain('<Code>AccessDenied</Code>');
    // The denial names the action, never the policy's text.
    expect(other.body).toContain('s3:GetObject');
    expect(other.body).not.toContain('PublicReadGetObject');
    expect((await anonymous('/ziggie-cloud-assets')).status).toBe(403);
    const put = await anonymous('/ziggie-cloud-assets/game-assets/evil', {
      method: 'PUT',
      body: 'x',
    });
    expect(put.status).toBe(403);
    // The refused PUT stored nothing.
    expect(
      await s3ErrorOf(
        root.send(
          new HeadObjectCommand({ Bucket: 'ziggie-cloud-assets', Key: 'game-assets/evil' }),
        ),
      ),
    ).toMatchObject({ status: 404 });
  });

  it('a missing key is disclosed only to callers who may list the bucket, as in S3', async () => {
    // Anonymous callers may read game-assets/* but not list: 403, so keys cannot be probed.
    for (const init of [{}, { method: 'HEAD' }]) {
      const missing = await anonymous('/ziggie-cloud-assets/game-assets/none.png', init);
      expect(missing.status).toBe(403);
    }
    const body = (await anonymous('/ziggie-cloud-assets/game-assets/none.png')).body;
    expect(body).toContain('<Code>AccessDenied</Code>');
    expect(body).toContain('s3:ListBucket');
    // The seed key may list the bucket (s3:ListBucket): it learns the key is missing.
    expect(
      await s3ErrorOf(
        vps.send(
          new GetObjectCommand({ Bucket: 'ziggie-cloud-assets', Key: 'game-assets/none.png' }),
        ),
      ),
    ).toMatchObject({ name: 'NoSuchKey', status: 404 });
    expect(
      await s3ErrorOf(
        root.send(
          new GetObjectCommand({ Bucket: 'ziggie-cloud-assets', Key: 'game-assets/none.png' }),
        ),
      ),
    ).toMatchObject({ name: 'NoSuchKey', status: 404 });
  });

  it('GetObjectAttributes of a missing key is 403 without s3:ListBucket, 404 with it', async () => {
    const reader = clientFor(READER);
    const attributes = (client: S3Client, Key: string) =>
      client.send(
        new GetObjectAttributesCommand({
          Bucket: 'ziggie-cloud-assets',
          Key,
          ObjectAttributes: ['ObjectSize'],
        }),
      );
    try {
      expect(await s3ErrorOf(attributes(reader, 'game-assets/none.png'))).toMatchObject({
        name: 'AccessDenied',
        status: 403,
      });
      await root.send(
        new PutObjectCommand({
          Bucket: 'ziggie-cloud-assets',
          Key: 'game-assets/here.png',
          Body: 'h',
        }),
      );
      expect((await attributes(reader, 'game-assets/here.png')).ObjectSize).toBe(1);
      expect(await s3ErrorOf(attributes(root, 'game-assets/none.png'))).toMatchObject({
        name: 'NoSuchKey',
        status: 404,
      });
    } finally {
      reader.destroy();
    }
  });

  it('GetBucketPolicyStatus says the policy is public', async () => {
    const status = await root.send(
      new GetBucketPolicyStatusCommand({ Bucket: 'ziggie-cloud-assets' }),
    );
    expect(status.PolicyStatus?.IsPublic).toBe(true);
  });
});

describe('seed 000 §10.1: a key with an identity policy', () => {
  it('reads, writes, lists and deletes objects in its buckets', async () => {
    await vps.send(
      new PutObjectCommand({ Bucket: 'ziggie-cloud-backups', Key: 'vps/1', Body: 'one' }),
    );
    const got = await vps.send(
      new GetObjectCommand({ Bucket: 'ziggie-cloud-backups', Key: 'vps/1' }),
    );
    expect(await got.Body?.transformToString()).toBe('one');
    const list = await vps.send(new ListObjectsV2Command({ Bucket: 'ziggie-cloud-backups' }));
    expect(list.Contents?.map((c) => c.Key)).toContain('vps/1');
    await vps.send(new DeleteObjectCommand({ Bucket: 'ziggie-cloud-backups', Key: 'vps/1' }));
  });

  it("its multipart uploads name it as their Initiator (its user ARN and name), the root key's the account", async () => {
    const at = { Bucket: 'ziggie-cloud-backups', Key: 'vps/initiated' };
    const byKey = await vps.send(new CreateMultipartUploadCommand(at));
    const byRoot = await root.send(new CreateMultipartUploadCommand(at));
    const user = { ID: VPS.arn, DisplayName: 'ziggie-vps-sync' };
    const { Uploads } = await root.send(
      new ListMultipartUploadsCommand({ Bucket: at.Bucket, Prefix: at.Key }),
    );
    const account = Uploads?.find((u) => u.UploadId === byRoot.UploadId)?.Owner;
    expect(account?.DisplayName).toBe('stowage');
    expect(Uploads?.map((u) => [u.UploadId, u.Initiator])).toEqual([
      [byKey.UploadId, user],
      [byRoot.UploadId, account],
    ]);
    const parts = await root.send(new ListPartsCommand({ ...at, UploadId: byKey.UploadId }));
    expect([parts.Initiator, parts.Owner]).toEqual([user, account]);
    const own = await root.send(new ListPartsCommand({ ...at, UploadId: byRoot.UploadId }));
    expect(own.Initiator).toEqual(account);
  });

  it('an upload that also sets an ACL or tags needs PutObjectAcl / PutObjectTagging', async () => {
    // The seed policy grants PutObject but neither: a write-only key must not be able to
    // make its own uploads public, nor tag them.
    for (const extra of [
      { ACL: 'public-read' as const },
      { GrantRead: 'uri="http://acs.amazonaws.com/groups/global/AllUsers"' },
      { Tagging: 'a=b' },
    ]) {
      const key = `vps/${Object.keys(extra)[0]}`;
      expect(
        await s3ErrorOf(
          vps.send(
            new PutObjectCommand({ Bucket: 'ziggie-cloud-backups', Key: key, Body: 'x', ...extra }),
          ),
        ),
      ).toMatchObject({ name: 'AccessDenied', status: 403 });
      expect(
        await s3ErrorOf(
          vps.send(
            new CreateMultipartUploadCommand({
              Bucket: 'ziggie-cloud-backups',
              Key: key,
              ...extra,
            }),
          ),
        ),
      ).toMatchObject({ name: 'AccessDenied', status: 403 });
      expect(
        await s3ErrorOf(
          root.send(new HeadObjectCommand({ Bucket: 'ziggie-cloud-backups', Key: key })),
        ),
      ).toMatchObject({ status: 404 });
    }
    const copied = await s3ErrorOf(
      vps.send(
        new CopyObjectCommand({
          Bucket: 'ziggie-cloud-backups',
          Key: 'vps/copy-public',
          CopySource: 'ziggie-cloud-backups/db.sql',
          ACL: 'public-read',
        }),
      ),
    );
    expect(copied).toMatchObject({ name: 'AccessDenied', status: 403 });
    expect(copied.message).toContain('s3:PutObjectAcl');
  });

  it('may not list all buckets, create buckets, or change the bucket policy', async () => {
    expect(await s3ErrorOf(vps.send(new ListBucketsCommand({})))).toMatchObject({
      name: 'AccessDenied',
      status: 403,
    });
    expect(await s3ErrorOf(vps.send(new CreateBucketCommand({ Bucket: 'vps-own' })))).toMatchObject(
      {
        name: 'AccessDenied',
      },
    );
    expect(
      await s3ErrorOf(putPolicy('ziggie-cloud-backups', SEED_BUCKET_POLICY, vps)),
    ).toMatchObject({ name: 'AccessDenied' });
  });

  it('a copy needs a read of the source: from a bucket it may not read, AccessDenied', async () => {
    await freshBucket('private-stuff', ['secret.txt']);
    const err = await s3ErrorOf(
      vps.send(
        new CopyObjectCommand({
          Bucket: 'ziggie-cloud-backups',
          Key: 'stolen',
          CopySource: 'private-stuff/secret.txt',
        }),
      ),
    );
    expect(err).toMatchObject({ name: 'AccessDenied', status: 403 });
    expect(err.message).toContain('arn:aws:s3:::private-stuff/secret.txt');
    await vps.send(
      new CopyObjectCommand({
        Bucket: 'ziggie-cloud-backups',
        Key: 'copy',
        CopySource: 'ziggie-cloud-backups/db.sql',
      }),
    );
  });

  it('a copy source with an encoded slash is authorised as the object it names', async () => {
    // The copy handler decodes, then splits: `private-stuff%2Fsecret.txt` is that object,
    // and the check must see the same one (it once skipped such a source as malformed).
    for (const CopySource of ['private-stuff%2Fsecret.txt', '/private-stuff%2Fsecret.txt']) {
      const err = await s3ErrorOf(
        vps.send(
          new CopyObjectCommand({ Bucket: 'ziggie-cloud-backups', Key: 'stolen2', CopySource }),
        ),
      );
      expect(err).toMatchObject({ name: 'AccessDenied', status: 403 });
      expect(err.message).toContain('arn:aws:s3:::private-stuff/secret.txt');
    }
    const { UploadId } = await vps.send(
      new CreateMultipartUploadCommand({ Bucket: 'ziggie-cloud-backups', Key: 'stolen3' }),
    );
    expect(
      await s3ErrorOf(
        vps.send(
          new UploadPartCopyCommand({
            Bucket: 'ziggie-cloud-backups',
            Key: 'stolen3',
            UploadId,
            PartNumber: 1,
            CopySource: 'private-stuff%2Fsecret.txt',
          }),
        ),
      ),
    ).toMatchObject({ name: 'AccessDenied', status: 403 });
    // Anonymous callers too, into a bucket anyone may write.
    await root.send(new CreateBucketCommand({ Bucket: 'drop-box', ACL: 'public-read-write' }));
    const anon = await fetch(`${t.url}/drop-box/p2`, {
      method: 'PUT',
      headers: { 'x-amz-copy-source': 'private-stuff%2Fsecret.txt' },
    });
    expect(anon.status).toBe(403);
    expect(await anon.text()).toContain('<Code>AccessDenied</Code>');
    expect(
      await s3ErrorOf(root.send(new HeadObjectCommand({ Bucket: 'drop-box', Key: 'p2' }))),
    ).toMatchObject({ status: 404 });
  });

  it('DeleteObjects is judged for every key: denied keys are reported, the rest deleted', async () => {
    await root.send(
      new PutObjectCommand({ Bucket: 'ziggie-cloud-backups', Key: 'archive/keep', Body: 'k' }),
    );
    await putPolicy('ziggie-cloud-backups', {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'KeepArchives',
          Effect: 'Deny',
          Principal: { AWS: principalArn('ziggie-vps-sync', false) },
          Action: 's3:DeleteObject',
          Resource: 'arn:aws:s3:::ziggie-cloud-backups/archive/*',
        },
      ],
    });
    const out = await vps.send(
      new DeleteObjectsCommand({
        Bucket: 'ziggie-cloud-backups',
        Delete: { Objects: [{ Key: 'archive/keep' }, { Key: 'copy' }] },
      }),
    );
    expect(out.Deleted?.map((d) => d.Key)).toEqual(['copy']);
    expect(out.Errors).toHaveLength(1);
    expect(out.Errors?.[0]).toMatchObject({ Key: 'archive/keep', Code: 'AccessDenied' });
    expect(out.Errors?.[0]?.Message).toContain('arn:aws:s3:::ziggie-cloud-backups/archive/keep');
    const left = await root.send(
      new ListObjectsV2Command({ Bucket: 'ziggie-cloud-backups', Prefix: 'archive/' }),
    );
    expect(left.Contents?.map((o) => o.Key)).toEqual(['archive/keep']);
    expect(
      await s3ErrorOf(
        root.send(new HeadObjectCommand({ Bucket: 'ziggie-cloud-backups', Key: 'copy' })),
      ),
    ).toMatchObject({ name: 'NotFound' });
    await root.send(new DeleteBucketPolicyCommand({ Bucket: 'ziggie-cloud-backups' }));
    await root.send(
      new DeleteObjectCommand({ Bucket: 'ziggie-cloud-backups', Key: 'archive/keep' }),
    );
  });

  it('DeleteObjects by a key without any delete permission deletes nothing', async () => {
    await root.send(new PutObjectCommand({ Bucket: 'ziggie-cloud-backups', Key: 'x1', Body: '1' }));
    const out = await lister.send(
      new DeleteObjectsCommand({
        Bucket: 'ziggie-cloud-backups',
        Delete: { Objects: [{ Key: 'x1' }, { Key: 'x1', VersionId: 'null' }] },
      }),
    );
    expect(out.Deleted ?? []).toEqual([]);
    expect(out.Errors?.map((e) => e.Code)).toEqual(['AccessDenied', 'AccessDenied']);
    expect(out.Errors?.[1]?.Message).toContain('s3:DeleteObjectVersion');
    await root.send(new HeadObjectCommand({ Bucket: 'ziggie-cloud-backups', Key: 'x1' }));
  });
});

describe('an anonymous DeleteObjects', () => {
  /** POST ?delete with headers only: the server must answer without the body. */
  async function headersOnly(bucket: string): Promise<string> {
    const port = Number(new URL(t.url).port);
    const c = await connectRaw(port);
    c.socket.write(
      `POST /${bucket}?delete HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
        'Content-Type: application/xml\r\nContent-Length: 2000000\r\n\r\n<Delete>',
    );
    await c.waitFor(/^HTTP\/1\.1 \d+/, 'a status line');
    c.socket.destroy();
    return c.text();
  }

  it('that no bucket policy statement could allow is refused before its body is read', async () => {
    await freshBucket('anon-delete-closed', ['a']);
    expect(await headersOnly('anon-delete-closed')).toMatch(/^HTTP\/1\.1 403 /);
    expect(await headersOnly('anon-delete-nowhere')).toMatch(/^HTTP\/1\.1 404 /);
    // A policy granting anonymous reads only changes nothing.
    await freshBucket('anon-delete-readable', ['a']);
    await putPolicy('anon-delete-readable', {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::anon-delete-readable/*',
        },
      ],
    });
    expect(await headersOnly('anon-delete-readable')).toMatch(/^HTTP\/1\.1 403 /);
    await root.send(new HeadObjectCommand({ Bucket: 'anon-delete-closed', Key: 'a' }));
  });

  it('that a statement may allow is judged key by key, as before', async () => {
    await freshBucket('anon-delete-open', ['public/a', 'private/b']);
    await putPolicy('anon-delete-open', {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: 's3:Delete*',
          Resource: 'arn:aws:s3:::anon-delete-open/public/*',
        },
      ],
    });
    const body =
      '<Delete><Object><Key>public/a</Key></Object><Object><Key>private/b</Key></Object></Delete>';
    const res = await anonymous('/anon-delete-open?delete', {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/xml' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toContain('<Deleted><Key>public/a</Key>');
    expect(res.body).toMatch(/<Error><Key>private\/b<\/Key>.*<Code>AccessDenied<\/Code>/);
  });
});

describe('CreateBucket', () => {
  it('with an ACL or Object Ownership needs PutBucketAcl / PutBucketOwnershipControls', async () => {
    const creator = clientFor(CREATOR);
    try {
      for (const extra of [
        { ACL: 'public-read-write' as const },
        { GrantFullControl: 'uri="http://acs.amazonaws.com/groups/global/AllUsers"' },
        { ObjectOwnership: 'ObjectWriter' as const },
      ]) {
        const Bucket = 'made-public';
        expect(
          await s3ErrorOf(creator.send(new CreateBucketCommand({ Bucket, ...extra }))),
          JSON.stringify(extra),
        ).toMatchObject({ name: 'AccessDenied', status: 403 });
        // Nothing was created: an anonymous write finds no bucket.
        expect((await anonymous(`/${Bucket}/x`, { method: 'PUT', body: 'x' })).status).toBe(404);
      }
      await creator.send(new CreateBucketCommand({ Bucket: 'made-plain' }));
      // A private ACL (rclone's mkdir sends one) needs nothing more, as on S3.
      await creator.send(new CreateBucketCommand({ Bucket: 'made-private', ACL: 'private' }));
      expect((await anonymous('/made-plain/x', { method: 'PUT', body: 'x' })).status).toBe(403);
    } finally {
      creator.destroy();
    }
  });

  it('an identity policy can require s3:x-amz-object-ownership', async () => {
    const enforcer = clientFor(ENFORCER);
    try {
      for (const extra of [{}, { ObjectOwnership: 'BucketOwnerPreferred' as const }]) {
        expect(
          await s3ErrorOf(enforcer.send(new CreateBucketCommand({ Bucket: 'owned', ...extra }))),
          JSON.stringify(extra),
        ).toMatchObject({ name: 'AccessDenied', status: 403 });
      }
      await enforcer.send(
        new CreateBucketCommand({ Bucket: 'owned', ObjectOwnership: 'BucketOwnerEnforced' }),
      );
    } finally {
      enforcer.destroy();
    }
  });

  it('with tags needs s3:TagResource, as on S3; without it nothing is created', async () => {
    const creator = clientFor(CREATOR);
    const tagger = clientFor(TAGGING_CREATOR);
    const withTags = (Bucket: string): CreateBucketCommand =>
      new CreateBucketCommand({
        Bucket,
        CreateBucketConfiguration: { Tags: [{ Key: 'team', Value: 'art' }] },
      });
    try {
      expect(await s3ErrorOf(creator.send(withTags('tagged-denied')))).toMatchObject({
        name: 'AccessDenied',
        status: 403,
      });
      expect(
        await s3ErrorOf(root.send(new HeadBucketCommand({ Bucket: 'tagged-denied' }))),
      ).toMatchObject({
        status: 404,
      });
      await tagger.send(withTags('tagged-allowed'));
      const { TagSet } = await root.send(new GetBucketTaggingCommand({ Bucket: 'tagged-allowed' }));
      expect(TagSet).toEqual([{ Key: 'team', Value: 'art' }]);
    } finally {
      creator.destroy();
      tagger.destroy();
    }
  });
});

describe('explicit Deny beats Allow', () => {
  it('denies anonymous callers, keys and the root key alike', async () => {
    await freshBucket('deny-wins', ['open/a', 'secret/b']);
    await putPolicy('deny-wins', {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'Read',
          Effect: 'Allow',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::deny-wins/*',
        },
        {
          Sid: 'NoSecrets',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::deny-wins/secret/*',
        },
      ],
    });
    expect((await anonymous('/deny-wins/open/a')).status).toBe(200);
    expect((await anonymous('/deny-wins/secret/b')).status).toBe(403);
    expect(
      await s3ErrorOf(root.send(new GetObjectCommand({ Bucket: 'deny-wins', Key: 'secret/b' }))),
    ).toMatchObject({
      name: 'AccessDenied',
    });
    // The root key can always remove the policy that locks it out.
    await root.send(new DeleteBucketPolicyCommand({ Bucket: 'deny-wins' }));
    const got = await root.send(new GetObjectCommand({ Bucket: 'deny-wins', Key: 'secret/b' }));
    expect(await got.Body?.transformToString()).toBe('body of secret/b');
  });
});

describe('DenyInsecureTransport', () => {
  it('denies even the root key over plain HTTP', async () => {
    await freshBucket('tls-only', ['a']);
    await putPolicy('tls-only', {
      Version: '2012-10-17',
      Statement: [denyInsecureTransport('tls-only')],
    });
    expect(
      await s3ErrorOf(root.send(new GetObjectCommand({ Bucket: 'tls-only', Key: 'a' }))),
    ).toMatchObject({
      name: 'AccessDenied',
      status: 403,
    });
    expect(
      await s3ErrorOf(root.send(new PutObjectCommand({ Bucket: 'tls-only', Key: 'b', Body: 'x' }))),
    ).toMatchObject({ name: 'AccessDenied' });
    // Nothing was stored by the refused PUT.
    await root.send(new DeleteBucketPolicyCommand({ Bucket: 'tls-only' }));
    expect(
      await s3ErrorOf(root.send(new GetObjectCommand({ Bucket: 'tls-only', Key: 'b' }))),
    ).toMatchObject({
      name: 'NoSuchKey',
    });
  });
});

describe('a missing key, read anonymously', () => {
  // ceph/s3-tests test_object_raw_get_object_gone: a public-read bucket ACL lets anyone
  // list, so S3 tells them NoSuchKey; a missing key has no object ACL to grant the read.
  it('is NoSuchKey in a public-read bucket, AccessDenied in a private one', async () => {
    await root.send(new CreateBucketCommand({ Bucket: 'anon-public', ACL: 'public-read' }));
    await root.send(new CreateBucketCommand({ Bucket: 'anon-private' }));
    for (const method of ['GET', 'HEAD']) {
      const pub = await anonymous('/anon-public/missing', { method });
      expect([method, pub.status]).toEqual([method, 404]);
      if (method === 'GET') expect(pub.body).toContain('<Code>NoSuchKey</Code>');
      const priv = await anonymous('/anon-private/missing', { method });
      expect([method, priv.status]).toEqual([method, 403]);
    }
  });

  it('stays AccessDenied where a bucket policy explicitly denies the read', async () => {
    await root.send(new CreateBucketCommand({ Bucket: 'anon-deny', ACL: 'public-read' }));
    await putPolicy('anon-deny', {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::anon-deny/secret/*',
        },
      ],
    });
    expect((await anonymous('/anon-deny/secret/missing')).status).toBe(403);
    expect((await anonymous('/anon-deny/other-missing')).status).toBe(404);
  });
});

describe('public access block', () => {
  it('BlockPublicPolicy refuses a public policy but accepts a private one', async () => {
    await freshBucket('blocked-policy');
    await root.send(
      new PutPublicAccessBlockCommand({
        Bucket: 'blocked-policy',
        PublicAccessBlockConfiguration: { BlockPublicPolicy: true },
      }),
    );
    const err = await s3ErrorOf(
      putPolicy('blocked-policy', {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: '*',
            Action: 's3:GetObject',
            Resource: 'arn:aws:s3:::blocked-policy/*',
          },
        ],
      }),
    );
    expect(err).toMatchObject({ name: 'AccessDenied', status: 403 });
    expect(err.message).toMatch(/BlockPublicPolicy/);
    await putPolicy('blocked-policy', {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::000000000000:root' },
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::blocked-policy/*',
        },
      ],
    });
    const status = await root.send(new GetBucketPolicyStatusCommand({ Bucket: 'blocked-policy' }));
    expect(status.PolicyStatus?.IsPublic).toBe(false);
  });

  it('RestrictPublicBuckets makes anonymous reads through a public policy fail', async () => {
    await freshBucket('restricted', ['game-assets/x']);
    await putPolicy('restricted', {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::restricted/*',
        },
      ],
    });
    expect((await anonymous('/restricted/game-assets/x')).status).toBe(200);
    await root.send(
      new PutPublicAccessBlockCommand({
        Bucket: 'restricted',
        PublicAccessBlockConfiguration: { RestrictPublicBuckets: true },
      }),
    );
    expect((await anonymous('/restricted/game-assets/x')).status).toBe(403);
    const got = await root.send(
      new GetObjectCommand({ Bucket: 'restricted', Key: 'game-assets/x' }),
    );
    expect(await got.Body?.transformToString()).toBe('body of game-assets/x');
  });

  it('a policy fixed by a KMS key id is not public, and anonymous callers cannot meet it by sending one', async () => {
    await freshBucket('kms-fixed', ['game-assets/x']);
    await root.send(
      new PutPublicAccessBlockCommand({
        Bucket: 'kms-fixed',
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          IgnorePublicAcls: true,
          BlockPublicPolicy: true,
          RestrictPublicBuckets: true,
        },
      }),
    );
    // Not public in S3's sense (the key is a fixing one), so BlockPublicPolicy lets it in …
    await putPolicy('kms-fixed', {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: '*',
          Action: ['s3:PutObject', 's3:GetObject'],
          Resource: 'arn:aws:s3:::kms-fixed/*',
          Condition: { StringEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'k1' } },
        },
      ],
    });
    // … because SSE-KMS needs a signed request, as on S3.
    const kms = { 'x-amz-server-side-encryption-aws-kms-key-id': 'k1' };
    const put = await anonymous('/kms-fixed/anon-obj', {
      method: 'PUT',
      body: 'd',
      headers: { ...kms, 'x-amz-server-side-encryption': 'aws:kms' },
    });
    expect(put.status).toBe(400);
    expect(put.body).toContain('require AWS Signature Version 4');
    expect((await anonymous('/kms-fixed/game-assets/x', { headers: kms })).status).toBe(400);
    expect((await anonymous('/kms-fixed/game-assets/x')).status).toBe(403);
  });

  it('a public-read object ACL lets anonymous callers read, until IgnorePublicAcls', async () => {
    await freshBucket('acl-public');
    await root.send(
      new PutObjectCommand({ Bucket: 'acl-public', Key: 'a', Body: 'open', ACL: 'public-read' }),
    );
    await root.send(new PutObjectCommand({ Bucket: 'acl-public', Key: 'b', Body: 'closed' }));
    expect(await anonymous('/acl-public/a')).toEqual({ status: 200, body: 'open' });
    expect((await anonymous('/acl-public/b')).status).toBe(403);
    expect((await anonymous('/acl-public/a', { method: 'DELETE' })).status).toBe(403);
    await root.send(
      new PutPublicAccessBlockCommand({
        Bucket: 'acl-public',
        PublicAccessBlockConfiguration: { IgnorePublicAcls: true },
      }),
    );
    expect((await anonymous('/acl-public/a')).status).toBe(403);
  });

  it('an authenticated-read ACL lets any signed key read, not anonymous callers', async () => {
    await freshBucket('acl-auth');
    await root.send(
      new PutObjectCommand({
        Bucket: 'acl-auth',
        Key: 'a',
        Body: 'keys',
        ACL: 'authenticated-read',
      }),
    );
    await root.send(new PutObjectCommand({ Bucket: 'acl-auth', Key: 'b', Body: 'closed' }));
    // `lister` has no policy on this bucket: only the AuthenticatedUsers grant lets it in.
    const got = await lister.send(new GetObjectCommand({ Bucket: 'acl-auth', Key: 'a' }));
    expect(await got.Body?.transformToString()).toBe('keys');
    expect(
      await s3ErrorOf(lister.send(new GetObjectCommand({ Bucket: 'acl-auth', Key: 'b' }))),
    ).toMatchObject({
      name: 'AccessDenied',
    });
    expect((await anonymous('/acl-auth/a')).status).toBe(403);
    // A bucket's authenticated-read lets signed keys list it.
    await expect(lister.send(new ListObjectsV2Command({ Bucket: 'acl-auth' }))).rejects.toThrow();
    await root.send(new PutBucketAclCommand({ Bucket: 'acl-auth', ACL: 'authenticated-read' }));
    const listed = await lister.send(new ListObjectsV2Command({ Bucket: 'acl-auth' }));
    expect((listed.Contents ?? []).map((o) => o.Key)).toEqual(['a', 'b']);
    expect((await anonymous('/acl-auth')).status).toBe(403);
    // It is a public ACL for IgnorePublicAcls, as in S3.
    await root.send(
      new PutPublicAccessBlockCommand({
        Bucket: 'acl-auth',
        PublicAccessBlockConfiguration: { IgnorePublicAcls: true },
      }),
    );
    expect(
      await s3ErrorOf(lister.send(new GetObjectCommand({ Bucket: 'acl-auth', Key: 'a' }))),
    ).toMatchObject({
      name: 'AccessDenied',
    });
  });

  it('a bucket that does not exist is NoSuchBucket for everyone, as in S3', async () => {
    const res = await anonymous('/no-such-bucket-here/key');
    expect(res.status).toBe(404);
    expect(res.body).toContain('<Code>NoSuchBucket</Code>');
    expect(
      await s3ErrorOf(lister.send(new ListObjectsV2Command({ Bucket: 'no-such-bucket-here' }))),
    ).toMatchObject({ name: 'NoSuchBucket', status: 404 });
    // A bucket that exists still answers AccessDenied.
    expect((await anonymous('/ziggie-cloud-backups/db.sql')).status).toBe(403);
  });

  it('GetBucketPolicyStatus without a policy is NoSuchBucketPolicy', async () => {
    await freshBucket('no-policy');
    expect(
      await s3ErrorOf(root.send(new GetBucketPolicyStatusCommand({ Bucket: 'no-policy' }))),
    ).toMatchObject({
      name: 'NoSuchBucketPolicy',
      status: 404,
    });
  });
});

describe('condition keys', () => {
  it('aws:SourceIp: 127.0.0.1/32 lets the test client in, 10.0.0.0/8 does not', async () => {
    await freshBucket('by-ip', ['a']);
    const byIp = (cidr: string): object => ({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::by-ip/*',
          Condition: { IpAddress: { 'aws:SourceIp': cidr } },
        },
      ],
    });
    await putPolicy('by-ip', byIp('127.0.0.1/32'));
    expect((await anonymous('/by-ip/a')).status).toBe(200);
    await putPolicy('by-ip', byIp('10.0.0.0/8'));
    expect((await anonymous('/by-ip/a')).status).toBe(403);
  });

  it('s3:ExistingObjectTag/<k>: a Deny on the tags of the object read applies', async () => {
    await freshBucket('tagged', ['secret.txt', 'open.txt']);
    await root.send(
      new PutObjectTaggingCommand({
        Bucket: 'tagged',
        Key: 'secret.txt',
        Tagging: { TagSet: [{ Key: 'Classification', Value: 'secret' }] },
      }),
    );
    await putPolicy('tagged', {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::tagged/*',
        },
        {
          Effect: 'Deny',
          Principal: '*',
          Action: ['s3:GetObject', 's3:GetObjectTagging'],
          Resource: 'arn:aws:s3:::tagged/*',
          Condition: { StringEquals: { 's3:ExistingObjectTag/classification': 'secret' } },
        },
      ],
    });
    expect((await anonymous('/tagged/open.txt')).status).toBe(200);
    expect((await anonymous('/tagged/secret.txt')).status).toBe(403);
    // The root key too: an explicit Deny binds it.
    expect(
      await s3ErrorOf(root.send(new GetObjectCommand({ Bucket: 'tagged', Key: 'secret.txt' }))),
    ).toMatchObject({ name: 'AccessDenied', status: 403 });
    await root.send(new GetObjectCommand({ Bucket: 'tagged', Key: 'open.txt' }));
  });

  it('s3:RequestObjectTag/<k> and s3:RequestObjectTagKeys judge the tags of PutObjectTagging', async () => {
    // The tags are in the body: they were missing from the condition keys, so ForAllValues
    // let any tag through, the Deny never applied and the positive Allow never did.
    await freshBucket('tags-in-body', ['free/a', 'dev/b']);
    const tagger = clientFor(TAGGER);
    const tag = (Key: string, TagSet: Array<{ Key: string; Value: string }>) =>
      tagger.send(
        new PutObjectTaggingCommand({ Bucket: 'tags-in-body', Key, Tagging: { TagSet } }),
      );
    const tagsOf = async (Key: string) =>
      (await root.send(new GetObjectTaggingCommand({ Bucket: 'tags-in-body', Key }))).TagSet;
    try {
      expect(await s3ErrorOf(tag('free/a', [{ Key: 'public', Value: 'yes' }]))).toMatchObject({
        name: 'AccessDenied',
        status: 403,
      });
      expect(await tagsOf('free/a')).toEqual([]);
      await tag('free/a', [{ Key: 'Owner', Value: 'art' }]);
      expect(await tagsOf('free/a')).toEqual([{ Key: 'Owner', Value: 'art' }]);
      expect(await s3ErrorOf(tag('free/a', [{ Key: 'env', Value: 'prod' }]))).toMatchObject({
        name: 'AccessDenied',
      });
      expect(await tagsOf('free/a')).toEqual([{ Key: 'Owner', Value: 'art' }]);
      await tag('dev/b', [{ Key: 'env', Value: 'dev' }]);
      expect(await tagsOf('dev/b')).toEqual([{ Key: 'env', Value: 'dev' }]);
      expect(await s3ErrorOf(tag('dev/b', [{ Key: 'env', Value: 'test' }]))).toMatchObject({
        name: 'AccessDenied',
      });
      // Tag keys differing only in case are both judged (condition key names ignore case).
      expect(
        await s3ErrorOf(
          tag('free/a', [
            { Key: 'env', Value: 'prod' },
            { Key: 'ENV', Value: 'dev' },
          ]),
        ),
      ).toMatchObject({ name: 'AccessDenied' });
      // A caller no tag set could get through is refused before its body is read: 403,
      // not the 400 a malformed body would otherwise get.
      const malformed = '<Tagging><TagSet><Tag>';
      const put = (credentials: Identity) =>
        signedFetch({ url: t.url }, 'PUT', '/tags-in-body/free/a?tagging', {
          body: malformed,
          contentMd5: true,
          credentials,
        });
      const anon = await anonymous('/tags-in-body/free/a?tagging', {
        method: 'PUT',
        body: malformed,
      });
      expect(anon.status).toBe(403);
      expect((await put(LISTER)).status).toBe(403);
      // The tagger could be allowed, so its body is read and judged: malformed is 400.
      const res = await put(TAGGER);
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('<Code>MalformedXML</Code>');
    } finally {
      tagger.destroy();
    }
  });

  it('s3:ExistingObjectTag/<k> sees every tag whose key differs only in case', async () => {
    await freshBucket('tag-case', ['mixed.txt']);
    await root.send(
      new PutObjectTaggingCommand({
        Bucket: 'tag-case',
        Key: 'mixed.txt',
        Tagging: {
          TagSet: [
            { Key: 'classification', Value: 'secret' },
            { Key: 'Classification', Value: 'public' },
          ],
        },
      }),
    );
    await putPolicy('tag-case', {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::tag-case/*',
        },
        {
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::tag-case/*',
          Condition: { StringEquals: { 's3:ExistingObjectTag/classification': 'secret' } },
        },
      ],
    });
    expect((await anonymous('/tag-case/mixed.txt')).status).toBe(403);
  });

  it('s3:prefix limits what a key may list', async () => {
    const home = await lister.send(
      new ListObjectsV2Command({ Bucket: 'ziggie-cloud-assets', Prefix: 'home/' }),
    );
    expect(home.Contents?.map((c) => c.Key)).toEqual(['home/a.txt']);
    expect(
      await s3ErrorOf(lister.send(new ListObjectsV2Command({ Bucket: 'ziggie-cloud-assets' }))),
    ).toMatchObject({ name: 'AccessDenied' });
    expect(
      await s3ErrorOf(
        lister.send(new ListObjectsV2Command({ Bucket: 'ziggie-cloud-assets', Prefix: 'other/' })),
      ),
    ).toMatchObject({ name: 'AccessDenied' });
    expect(
      await s3ErrorOf(
        lister.send(new GetObjectCommand({ Bucket: 'ziggie-cloud-assets', Key: 'home/a.txt' })),
      ),
    ).toMatchObject({ name: 'AccessDenied' });
  });
});
