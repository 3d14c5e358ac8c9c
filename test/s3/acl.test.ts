/**
 * Canned ACLs and grants end to end: @aws-sdk/client-s3, aws-cli and s3cmd against
 * `stowage serve`, including BlockPublicAcls and bad inputs.
 */
import {
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetBucketAclCommand,
  HeadBucketCommand,
  GetBucketOwnershipControlsCommand,
  GetObjectAclCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutBucketAclCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketVersioningCommand,
  PutObjectAclCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  type BucketCannedACL,
  type Grant,
  type ObjectCannedACL,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OWNER_ID } from '../../src/s3api/acl/grants.js';
import { ensureDebianPackages, runPeer, type RunResult } from '../helpers/peers.js';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';
import { s3ErrorOf } from '../helpers/expect-error.js';
import { signedFetch } from '../helpers/signed-fetch.js';

const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
const AUTH_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';
const AWS = '/usr/bin/aws';
const S3CMD = '/usr/bin/s3cmd';

let t: TestServer;
let work: string;

beforeAll(async () => {
  ensureDebianPackages({ [AWS]: 'awscli', [S3CMD]: 's3cmd' });
  t = await startTestServer();
  work = mkdtempSync(path.join(tmpdir(), 'stowage-acl-'));
  for (const b of ['acl-objects', 'acl-bucket', 'acl-blocked', 'acl-cli'])
    await t.client.send(new CreateBucketCommand({ Bucket: b }));
}, 600_000);

afterAll(async () => {
  await t?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

const ownerGrant: Grant = {
  Grantee: { Type: 'CanonicalUser', ID: OWNER_ID, DisplayName: 'stowage' },
  Permission: 'FULL_CONTROL',
};
const group = (uri: string, permission: Grant['Permission']): Grant => ({
  Grantee: { Type: 'Group', URI: uri },
  Permission: permission,
});

async function objectGrants(bucket: string, key: string, versionId?: string): Promise<Grant[]> {
  const r = await t.client.send(
    new GetObjectAclCommand({ Bucket: bucket, Key: key, VersionId: versionId }),
  );
  expect(r.Owner).toEqual({ ID: OWNER_ID, DisplayName: 'stowage' });
  return r.Grants ?? [];
}

async function bucketGrants(bucket: string): Promise<Grant[]> {
  const r = await t.client.send(new GetBucketAclCommand({ Bucket: bucket }));
  expect(r.Owner).toEqual({ ID: OWNER_ID, DisplayName: 'stowage' });
  return r.Grants ?? [];
}

describe('object ACLs with @aws-sdk/client-s3', () => {
  const B = 'acl-objects';

  it('a new object is private: only the owner has FULL_CONTROL', async () => {
    await t.client.send(new PutObjectCommand({ Bucket: B, Key: 'private.txt', Body: 'x' }));
    expect(await objectGrants(B, 'private.txt')).toEqual([ownerGrant]);
  });

  it('PutObject with ACL public-read gives AllUsers READ', async () => {
    await t.client.send(
      new PutObjectCommand({ Bucket: B, Key: 'public.txt', Body: 'x', ACL: 'public-read' }),
    );
    expect(await objectGrants(B, 'public.txt')).toEqual([ownerGrant, group(ALL_USERS, 'READ')]);
  });

  it('PutObjectAcl with a canned ACL, grant headers or a body replaces the ACL', async () => {
    const K = 'changing.txt';
    await t.client.send(new PutObjectCommand({ Bucket: B, Key: K, Body: 'x' }));
    await t.client.send(new PutObjectAclCommand({ Bucket: B, Key: K, ACL: 'authenticated-read' }));
    expect(await objectGrants(B, K)).toEqual([ownerGrant, group(AUTH_USERS, 'READ')]);
    await t.client.send(
      new PutObjectAclCommand({
        Bucket: B,
        Key: K,
        GrantRead: `uri="${ALL_USERS}"`,
        GrantFullControl: `id="${OWNER_ID}"`,
      }),
    );
    expect(await objectGrants(B, K)).toEqual([ownerGrant, group(ALL_USERS, 'READ')]);
    await t.client.send(
      new PutObjectAclCommand({
        Bucket: B,
        Key: K,
        AccessControlPolicy: {
          Owner: { ID: OWNER_ID },
          Grants: [ownerGrant, group(ALL_USERS, 'READ_ACP')],
        },
      }),
    );
    expect(await objectGrants(B, K)).toEqual([ownerGrant, group(ALL_USERS, 'READ_ACP')]);
    await t.client.send(new PutObjectAclCommand({ Bucket: B, Key: K, ACL: 'private' }));
    expect(await objectGrants(B, K)).toEqual([ownerGrant]);
  });

  it('an overwrite is private again; CopyObject and multipart take their own ACL', async () => {
    await t.client.send(new PutObjectCommand({ Bucket: B, Key: 'public.txt', Body: 'y' }));
    expect(await objectGrants(B, 'public.txt')).toEqual([ownerGrant]);
    await t.client.send(
      new PutObjectCommand({ Bucket: B, Key: 'src.txt', Body: 'x', ACL: 'public-read' }),
    );
    await t.client.send(
      new CopyObjectCommand({ Bucket: B, Key: 'copy.txt', CopySource: `${B}/src.txt` }),
    );
    expect(await objectGrants(B, 'copy.txt')).toEqual([ownerGrant]);
    await t.client.send(
      new CopyObjectCommand({
        Bucket: B,
        Key: 'copy2.txt',
        CopySource: `${B}/src.txt`,
        ACL: 'public-read-write',
      }),
    );
    expect(await objectGrants(B, 'copy2.txt')).toEqual([
      ownerGrant,
      group(ALL_USERS, 'READ'),
      group(ALL_USERS, 'WRITE'),
    ]);
    const up = await t.client.send(
      new CreateMultipartUploadCommand({ Bucket: B, Key: 'mp.bin', ACL: 'public-read' }),
    );
    expect(up.UploadId).toBeTruthy();
    // The ACL is recorded with the upload and applied on completion (engine test covers it).
  });

  it('each version has its own ACL', async () => {
    const V = 'acl-bucket';
    await t.client.send(
      new PutBucketVersioningCommand({ Bucket: V, VersioningConfiguration: { Status: 'Enabled' } }),
    );
    const v1 = await t.client.send(
      new PutObjectCommand({ Bucket: V, Key: 'v.txt', Body: '1', ACL: 'public-read' }),
    );
    await t.client.send(new PutObjectCommand({ Bucket: V, Key: 'v.txt', Body: '2' }));
    expect(await objectGrants(V, 'v.txt')).toEqual([ownerGrant]);
    expect(await objectGrants(V, 'v.txt', v1.VersionId)).toEqual([
      ownerGrant,
      group(ALL_USERS, 'READ'),
    ]);
  });

  it('refuses bad inputs with clear errors', async () => {
    const unknown = await s3ErrorOf(
      t.client.send(
        new PutObjectCommand({
          Bucket: B,
          Key: 'bad.txt',
          Body: 'x',
          ACL: 'world-readable' as ObjectCannedACL,
        }),
      ),
    );
    expect(unknown).toMatchObject({ name: 'InvalidArgument', status: 400 });
    expect(unknown.message).toMatch(/unknown canned ACL "world-readable"/);
    const both = await s3ErrorOf(
      t.client.send(
        new PutObjectAclCommand({
          Bucket: B,
          Key: 'private.txt',
          ACL: 'public-read',
          AccessControlPolicy: { Owner: { ID: OWNER_ID }, Grants: [ownerGrant] },
        }),
      ),
    );
    expect(both).toMatchObject({ name: 'InvalidRequest', status: 400 });
    const stranger = await s3ErrorOf(
      t.client.send(
        new PutObjectAclCommand({
          Bucket: B,
          Key: 'private.txt',
          GrantRead: `id="${'f'.repeat(64)}"`,
        }),
      ),
    );
    expect(stranger).toMatchObject({ name: 'InvalidArgument', status: 400 });
    expect(stranger.message).toMatch(/not a canonical user of this server/);
    const missing = await s3ErrorOf(
      t.client.send(new GetObjectAclCommand({ Bucket: B, Key: 'no-such-key' })),
    );
    expect(missing).toMatchObject({ name: 'NoSuchKey', status: 404 });
    expect(
      await s3ErrorOf(
        t.client.send(new PutObjectAclCommand({ Bucket: B, Key: 'no-such-key', ACL: 'private' })),
      ),
    ).toMatchObject({ name: 'NoSuchKey', status: 404 });
  });

  it('refuses malformed and empty ACL bodies', async () => {
    const url = await getSignedUrl(
      t.client,
      new PutObjectAclCommand({ Bucket: B, Key: 'private.txt' }),
    );
    const bad = await fetch(url, { method: 'PUT', body: '<AccessControlPolicy><Owner>' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('<Code>MalformedXML</Code>');
    const notAcl = await fetch(url, {
      method: 'PUT',
      body: '<AccessControlPolicy><Owner/></AccessControlPolicy>',
    });
    expect(notAcl.status).toBe(400);
    expect(await notAcl.text()).toMatch(/<Code>MalformedACLError<\/Code>.*AccessControlList/s);
    // A public-read grant under the given <Owner> element (or none).
    const withOwner = (owner: string): Promise<Response> =>
      fetch(url, {
        method: 'PUT',
        body:
          `<AccessControlPolicy>${owner}<AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group">` +
          `<URI>${ALL_USERS}</URI></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>`,
      });
    // S3 (recorded for PutObjectAcl and PutBucketAcl) refuses an ACL without an <Owner>,
    // and one whose <Owner> names nobody (versitygw's PutBucketAcl tests).
    for (const [owner, problem] of [
      ['', /no &lt;Owner&gt;/],
      ['<Owner/>', /no &lt;ID&gt;/],
    ] as const) {
      const res = await withOwner(owner);
      expect([owner, res.status]).toEqual([owner, 400]);
      const text = await res.text();
      expect(text).toContain('<Code>MalformedACLError</Code>');
      expect(text).toMatch(problem);
    }
    const empty = await fetch(url, { method: 'PUT', body: '' });
    expect(empty.status).toBe(400);
    // S3's answer (recorded for PutBucketAcl): the header it missed is named.
    const emptyXml = await empty.text();
    expect(emptyXml).toContain('<Code>MissingSecurityHeader</Code>');
    expect(emptyXml).toContain('<MissingHeaderName>x-amz-acl</MissingHeaderName>');
    const emptyBucket = await signedFetch(t, 'PUT', `/${B}?acl`, { body: '' });
    expect(emptyBucket.status).toBe(400);
    expect(await emptyBucket.text()).toContain('<Code>MissingSecurityHeader</Code>');
    expect(await objectGrants(B, 'private.txt')).toEqual([ownerGrant]);
  });
});

describe('bucket ACLs with @aws-sdk/client-s3', () => {
  it('a bucket is private until PutBucketAcl; private resets it', async () => {
    const B = 'acl-bucket';
    expect(await bucketGrants(B)).toEqual([ownerGrant]);
    await t.client.send(new PutBucketAclCommand({ Bucket: B, ACL: 'public-read-write' }));
    expect(await bucketGrants(B)).toEqual([
      ownerGrant,
      group(ALL_USERS, 'READ'),
      group(ALL_USERS, 'WRITE'),
    ]);
    await t.client.send(
      new PutBucketAclCommand({ Bucket: B, ACL: 'log-delivery-write' as BucketCannedACL }),
    );
    expect(await bucketGrants(B)).toEqual([
      ownerGrant,
      group('http://acs.amazonaws.com/groups/s3/LogDelivery', 'WRITE'),
      group('http://acs.amazonaws.com/groups/s3/LogDelivery', 'READ_ACP'),
    ]);
    await t.client.send(new PutBucketAclCommand({ Bucket: B, ACL: 'private' }));
    expect(await bucketGrants(B)).toEqual([ownerGrant]);
  });

  it('CreateBucket takes x-amz-acl', async () => {
    await t.client.send(new CreateBucketCommand({ Bucket: 'acl-created', ACL: 'public-read' }));
    expect(await bucketGrants('acl-created')).toEqual([ownerGrant, group(ALL_USERS, 'READ')]);
  });

  it('CreateBucket with an ACL header that is not one is refused and makes no bucket', async () => {
    const cases: Array<[string, Record<string, string>]> = [
      ['acl-bad-canned', { 'x-amz-acl': 'bogus' }],
      ['acl-bad-group', { 'x-amz-grant-read': 'uri="http://acs.amazonaws.com/groups/nope"' }],
      ['acl-both', { 'x-amz-acl': 'private', 'x-amz-grant-read': 'id="abc"' }],
    ];
    for (const [bucket, headers] of cases) {
      const res = await signedFetch(t, 'PUT', `/${bucket}`, { headers });
      expect(res.status, bucket).toBe(400);
      expect(
        await s3ErrorOf(t.client.send(new HeadBucketCommand({ Bucket: bucket }))),
        bucket,
      ).toMatchObject({ status: 404 });
      // Retried with good headers, it is created (not BucketAlreadyOwnedByYou).
      await t.client.send(new CreateBucketCommand({ Bucket: bucket, ACL: 'private' }));
    }
  });

  it('a bucket READ grant lets anyone list objects, versions and uploads, as in S3', async () => {
    for (const query of ['list-type=2', 'versions', 'uploads']) {
      const res = await fetch(`${t.url}/acl-created?${query}`);
      expect([query, res.status]).toEqual([query, 200]);
    }
    await t.client.send(new CreateBucketCommand({ Bucket: 'acl-private' }));
    for (const query of ['list-type=2', 'versions', 'uploads']) {
      const res = await fetch(`${t.url}/acl-private?${query}`);
      expect([query, res.status]).toEqual([query, 403]);
    }
  });

  it('answers NoSuchBucket for a missing bucket and MethodNotAllowed for DELETE ?acl', async () => {
    expect(
      await s3ErrorOf(t.client.send(new GetBucketAclCommand({ Bucket: 'acl-nope' }))),
    ).toMatchObject({ name: 'NoSuchBucket', status: 404 });
    expect(
      await s3ErrorOf(
        t.client.send(new PutBucketAclCommand({ Bucket: 'acl-nope', ACL: 'private' })),
      ),
    ).toMatchObject({ name: 'NoSuchBucket', status: 404 });
  });
});

describe('BlockPublicAcls', () => {
  const B = 'acl-blocked';

  beforeAll(async () => {
    await t.client.send(new PutObjectCommand({ Bucket: B, Key: 'k', Body: 'x' }));
    await t.client.send(
      new PutPublicAccessBlockCommand({
        Bucket: B,
        PublicAccessBlockConfiguration: { BlockPublicAcls: true },
      }),
    );
  });

  it('refuses public ACLs on every write with AccessDenied naming the block', async () => {
    // Thunks, sent one at a time: a rejected promise never waits unobserved.
    const attempts: Array<() => Promise<unknown>> = [
      () =>
        t.client.send(new PutObjectCommand({ Bucket: B, Key: 'p', Body: 'x', ACL: 'public-read' })),
      () =>
        t.client.send(new PutObjectAclCommand({ Bucket: B, Key: 'k', ACL: 'authenticated-read' })),
      () =>
        t.client.send(
          new PutObjectAclCommand({ Bucket: B, Key: 'k', GrantRead: `uri="${ALL_USERS}"` }),
        ),
      () => t.client.send(new PutBucketAclCommand({ Bucket: B, ACL: 'public-read' })),
      () =>
        t.client.send(
          new CopyObjectCommand({ Bucket: B, Key: 'c', CopySource: `${B}/k`, ACL: 'public-read' }),
        ),
      () =>
        t.client.send(
          new CreateMultipartUploadCommand({ Bucket: B, Key: 'm', ACL: 'public-read' }),
        ),
    ];
    for (const a of attempts) {
      const e = await s3ErrorOf(a());
      expect(e).toMatchObject({ name: 'AccessDenied', status: 403 });
      expect(e.message).toMatch(/BlockPublicAcls=true/);
    }
    expect(await objectGrants(B, 'k')).toEqual([ownerGrant]);
  });

  it('still accepts private ACLs', async () => {
    await t.client.send(
      new PutObjectCommand({ Bucket: B, Key: 'p', Body: 'x', ACL: 'bucket-owner-full-control' }),
    );
    await t.client.send(new PutObjectAclCommand({ Bucket: B, Key: 'p', ACL: 'private' }));
    await t.client.send(new PutBucketAclCommand({ Bucket: B, ACL: 'private' }));
    expect(await objectGrants(B, 'p')).toEqual([ownerGrant]);
  });
});

describe('Object Ownership BucketOwnerEnforced (ACLs disabled)', () => {
  const B = 'acl-enforced';
  const anonGet = (key?: string) =>
    fetch(new URL(key ? `/${B}/${key}` : `/${B}`, t.url), { method: 'GET' });

  beforeAll(async () => {
    await t.client.send(new CreateBucketCommand({ Bucket: B }));
    await t.client.send(
      new PutObjectCommand({ Bucket: B, Key: 'was-public', Body: 'x', ACL: 'public-read' }),
    );
    await t.client.send(new PutBucketAclCommand({ Bucket: B, ACL: 'public-read' }));
    expect((await anonGet('was-public')).status).toBe(200);
    expect((await anonGet()).status).toBe(200);
  });

  it('cannot be set while the bucket ACL grants others access', async () => {
    const e = await s3ErrorOf(
      t.client.send(
        new PutBucketOwnershipControlsCommand({
          Bucket: B,
          OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        }),
      ),
    );
    expect(e).toMatchObject({ name: 'InvalidBucketAclWithObjectOwnership', status: 400 });
    await t.client.send(new PutBucketAclCommand({ Bucket: B, ACL: 'private' }));
    await t.client.send(
      new PutBucketOwnershipControlsCommand({
        Bucket: B,
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      }),
    );
  });

  it('ACLs set before give nothing, and reads of ACLs show the owner only', async () => {
    expect((await anonGet('was-public')).status).toBe(403);
    expect(await objectGrants(B, 'was-public')).toEqual([ownerGrant]);
    const bucketAcl = await t.client.send(new GetBucketAclCommand({ Bucket: B }));
    expect(bucketAcl.Grants).toEqual([ownerGrant]);
  });

  it("refuses every ACL but the owner's with AccessControlListNotSupported", async () => {
    const attempts: Array<() => Promise<unknown>> = [
      () =>
        t.client.send(new PutObjectCommand({ Bucket: B, Key: 'p', Body: 'x', ACL: 'public-read' })),
      () =>
        t.client.send(
          new PutObjectAclCommand({ Bucket: B, Key: 'was-public', ACL: 'public-read' }),
        ),
      () => t.client.send(new PutBucketAclCommand({ Bucket: B, ACL: 'public-read-write' })),
      () =>
        t.client.send(
          new CopyObjectCommand({
            Bucket: B,
            Key: 'c',
            CopySource: `${B}/was-public`,
            ACL: 'public-read',
          }),
        ),
      () =>
        t.client.send(
          new CreateMultipartUploadCommand({ Bucket: B, Key: 'm', ACL: 'authenticated-read' }),
        ),
    ];
    for (const a of attempts) {
      const e = await s3ErrorOf(a());
      expect(e).toMatchObject({ name: 'AccessControlListNotSupported', status: 400 });
    }
    const listed = await t.client.send(new ListObjectsV2Command({ Bucket: B }));
    expect((listed.Contents ?? []).map((o) => o.Key)).toEqual(['was-public']);
    // Writes of objects may still name the owner's own ACLs, as S3 accepts them...
    await t.client.send(
      new PutObjectCommand({ Bucket: B, Key: 'p', Body: 'x', ACL: 'bucket-owner-full-control' }),
    );
    await t.client.send(new PutObjectCommand({ Bucket: B, Key: 'p', Body: 'x', ACL: 'private' }));
    // ...but no ACL can be set or updated, private included: S3 fails every such request
    // (terraform's aws_s3_bucket_acl with acl = "private" meets AccessControlListNotSupported).
    for (const a of [
      () => t.client.send(new PutObjectAclCommand({ Bucket: B, Key: 'p', ACL: 'private' })),
      () =>
        t.client.send(
          new PutObjectAclCommand({ Bucket: B, Key: 'p', ACL: 'bucket-owner-full-control' }),
        ),
      () => t.client.send(new PutBucketAclCommand({ Bucket: B, ACL: 'private' })),
    ]) {
      const e = await s3ErrorOf(a());
      expect(e).toMatchObject({ name: 'AccessControlListNotSupported', status: 400 });
    }
  });

  it('CreateBucket takes x-amz-object-ownership, and refuses it beside a public ACL', async () => {
    await t.client.send(
      new CreateBucketCommand({
        Bucket: 'acl-enforced-new',
        ObjectOwnership: 'BucketOwnerEnforced',
      }),
    );
    const got = await t.client.send(
      new GetBucketOwnershipControlsCommand({ Bucket: 'acl-enforced-new' }),
    );
    expect(got.OwnershipControls?.Rules).toEqual([{ ObjectOwnership: 'BucketOwnerEnforced' }]);
    const e = await s3ErrorOf(
      t.client.send(
        new CreateBucketCommand({
          Bucket: 'acl-enforced-public',
          ObjectOwnership: 'BucketOwnerEnforced',
          ACL: 'public-read',
        }),
      ),
    );
    expect(e).toMatchObject({ name: 'InvalidBucketAclWithObjectOwnership', status: 400 });
    const bad = await s3ErrorOf(
      t.client.send(
        new CreateBucketCommand({
          Bucket: 'acl-enforced-bad',
          ObjectOwnership: 'Nobody' as 'ObjectWriter',
        }),
      ),
    );
    expect(bad).toMatchObject({ name: 'InvalidArgument', status: 400 });
    const buckets = await t.client.send(new ListBucketsCommand({}));
    const names = (buckets.Buckets ?? []).map((b) => b.Name);
    expect(names).not.toContain('acl-enforced-public');
    expect(names).not.toContain('acl-enforced-bad');
  });
});

describe('aws-cli s3api ACL commands', () => {
  const B = 'acl-cli';

  function env(): Record<string, string> {
    return {
      HOME: work,
      AWS_ACCESS_KEY_ID: TEST_KEY.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_KEY.secretAccessKey,
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_CONFIG_FILE: path.join(work, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(work, 'no-credentials'),
      AWS_PAGER: '',
    };
  }
  async function aws(...args: string[]): Promise<RunResult> {
    return runPeer(AWS, ['--endpoint-url', t.url, ...args, '--output', 'json'], env(), {
      cwd: work,
    });
  }
  async function json(...args: string[]): Promise<Record<string, unknown>> {
    const r = await aws(...args);
    expect(r.code, `aws ${args.join(' ')}\n${r.stderr}`).toBe(0);
    return r.stdout.trim() === '' ? {} : (JSON.parse(r.stdout) as Record<string, unknown>);
  }

  it('put-object --acl, put-object-acl --acl public-read, get-object-acl', async () => {
    writeFileSync(path.join(work, 'a.txt'), 'hello');
    await json('s3api', 'put-object', '--bucket', B, '--key', 'a.txt', '--body', 'a.txt');
    expect(await json('s3api', 'get-object-acl', '--bucket', B, '--key', 'a.txt')).toEqual({
      Owner: { DisplayName: 'stowage', ID: OWNER_ID },
      Grants: [ownerGrant],
    });
    await json('s3api', 'put-object-acl', '--bucket', B, '--key', 'a.txt', '--acl', 'public-read');
    expect(await json('s3api', 'get-object-acl', '--bucket', B, '--key', 'a.txt')).toEqual({
      Owner: { DisplayName: 'stowage', ID: OWNER_ID },
      Grants: [ownerGrant, group(ALL_USERS, 'READ')],
    });
    await json(
      's3api',
      'put-object',
      '--bucket',
      B,
      '--key',
      'b.txt',
      '--body',
      'a.txt',
      '--acl',
      'public-read',
    );
    const b = await json('s3api', 'get-object-acl', '--bucket', B, '--key', 'b.txt');
    expect(b.Grants).toEqual([ownerGrant, group(ALL_USERS, 'READ')]);
  });

  it('put-bucket-acl --acl / --grant-read and get-bucket-acl', async () => {
    await json('s3api', 'put-bucket-acl', '--bucket', B, '--acl', 'public-read');
    expect(await json('s3api', 'get-bucket-acl', '--bucket', B)).toEqual({
      Owner: { DisplayName: 'stowage', ID: OWNER_ID },
      Grants: [ownerGrant, group(ALL_USERS, 'READ')],
    });
    await json(
      's3api',
      'put-bucket-acl',
      '--bucket',
      B,
      '--grant-full-control',
      `id=${OWNER_ID}`,
      '--grant-write',
      `uri=${ALL_USERS}`,
    );
    expect((await json('s3api', 'get-bucket-acl', '--bucket', B)).Grants).toEqual([
      ownerGrant,
      group(ALL_USERS, 'WRITE'),
    ]);
  });

  it('reports a bad canned ACL as InvalidArgument', async () => {
    const r = await aws(
      's3api',
      'put-object-acl',
      '--bucket',
      B,
      '--key',
      'a.txt',
      '--acl',
      'everyone',
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/InvalidArgument/);
  });
});

describe('s3cmd setacl and info', () => {
  it('setacl --acl-public / --acl-private change what info shows', async () => {
    const hostPort = new URL(t.url).host;
    const config = path.join(work, 's3cfg');
    writeFileSync(
      config,
      [
        '[default]',
        `access_key = ${TEST_KEY.accessKeyId}`,
        `secret_key = ${TEST_KEY.secretAccessKey}`,
        `host_base = ${hostPort}`,
        `host_bucket = ${hostPort}`,
        'use_https = False',
        'signature_v2 = False',
        'bucket_location = us-east-1',
        '',
      ].join('\n'),
    );
    const s3cmd = async (...args: string[]): Promise<string> => {
      const r = await runPeer(S3CMD, ['--config', config, ...args], { HOME: work }, { cwd: work });
      expect(r.code, `s3cmd ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
      return r.stdout;
    };
    await t.client.send(new PutObjectCommand({ Bucket: 'acl-cli', Key: 'c.txt', Body: 'x' }));
    const uri = 's3://acl-cli/c.txt';
    expect(await s3cmd('info', uri)).not.toMatch(/\*anon\*/);
    expect(await s3cmd('setacl', '--acl-public', uri)).toMatch(/ACL set to Public/);
    expect(await s3cmd('info', uri)).toMatch(/ACL:\s+\*anon\*: READ/);
    expect(await objectGrants('acl-cli', 'c.txt')).toContainEqual(group(ALL_USERS, 'READ'));
    expect(await s3cmd('setacl', '--acl-private', uri)).toMatch(/ACL set to Private/);
    expect(await s3cmd('info', uri)).not.toMatch(/\*anon\*/);
    expect(await objectGrants('acl-cli', 'c.txt')).toEqual([ownerGrant]);
  });
});
