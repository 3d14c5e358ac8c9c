/**
 * Object Lock end to end with @aws-sdk/client-s3: buckets created with it or given it,
 * default retention, retention and legal holds set by headers and by their own calls, the
 * deletes they forbid, governance bypass by permission, and the bad inputs S3 refuses.
 */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  GetObjectLegalHoldCommand,
  GetObjectLockConfigurationCommand,
  GetObjectRetentionCommand,
  GetBucketVersioningCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  PutObjectLockConfigurationCommand,
  PutObjectRetentionCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Identity } from '../../src/s3api/identity.js';
import { clientAs, testIdentity } from '../helpers/identities.js';
import { s3ErrorOf } from '../helpers/expect-error.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { signedFetch } from '../helpers/signed-fetch.js';

const DAY = 86_400_000;
const LOCKED = 'vault';
const PLAIN = 'plain-bucket';
let t: TestServer;
let admin: S3Client;
let deleter: S3Client;

/** A key allowed `actions` on every bucket and object. */
const identity = (name: string, accessKeyId: string, actions: string[]): Identity =>
  testIdentity(name, accessKeyId, {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: actions, Resource: 'arn:aws:s3:::*' }],
  });

/** May bypass governance retention. */
const ADMIN = identity('lock-admin', 'STWLOCKADMIN00000001', [
  's3:DeleteObjectVersion',
  's3:BypassGovernanceRetention',
  's3:PutObjectRetention',
]);
/** May read objects, but not their retention or legal hold. */
const READER = identity('lock-reader', 'STWLOCKREADER0000001', [
  's3:GetObject',
  's3:GetObjectVersion',
  's3:ListBucket',
]);
/** May delete versions, but not bypass governance. */
const DELETER = identity('lock-deleter', 'STWLOCKDELETER000001', [
  's3:DeleteObjectVersion',
  's3:DeleteObject',
  's3:PutObjectRetention',
  's3:PutObject',
]);
const USERS = new Map([ADMIN, DELETER, READER].map((u) => [u.accessKeyId, u]));

const clientFor = (user: Identity): S3Client => clientAs(t.url, user);

beforeAll(async () => {
  t = await startTestServer({ identities: (id) => USERS.get(id) });
  admin = clientFor(ADMIN);
  deleter = clientFor(DELETER);
  await t.client.send(
    new CreateBucketCommand({ Bucket: LOCKED, ObjectLockEnabledForBucket: true }),
  );
  await t.client.send(new CreateBucketCommand({ Bucket: PLAIN }));
});
afterAll(async () => {
  admin.destroy();
  deleter.destroy();
  await t.close();
});

const put = (Key: string, extra: Partial<ConstructorParameters<typeof PutObjectCommand>[0]> = {}) =>
  t.client.send(new PutObjectCommand({ Bucket: LOCKED, Key, Body: `body of ${Key}`, ...extra }));
const inDays = (n: number): Date => new Date(Math.floor((Date.now() + n * DAY) / 1000) * 1000);
const versionsOf = async (Prefix: string): Promise<string[]> =>
  (
    (await t.client.send(new ListObjectVersionsCommand({ Bucket: LOCKED, Prefix }))).Versions ?? []
  ).map((v) => v.VersionId!);

describe('a bucket created with object lock', () => {
  it('is versioned for good, and reports Object Lock enabled without a default rule', async () => {
    const versioning = await t.client.send(new GetBucketVersioningCommand({ Bucket: LOCKED }));
    expect(versioning.Status).toBe('Enabled');
    const config = await t.client.send(new GetObjectLockConfigurationCommand({ Bucket: LOCKED }));
    expect(config.ObjectLockConfiguration).toEqual({ ObjectLockEnabled: 'Enabled' });
    expect(
      await s3ErrorOf(
        t.client.send(
          new PutBucketVersioningCommand({
            Bucket: LOCKED,
            VersioningConfiguration: { Status: 'Suspended' },
          }),
        ),
      ),
    ).toMatchObject({ name: 'InvalidBucketState', status: 409 });
  });

  it('a bucket without it has no configuration', async () => {
    expect(
      await s3ErrorOf(t.client.send(new GetObjectLockConfigurationCommand({ Bucket: PLAIN }))),
    ).toMatchObject({ name: 'ObjectLockConfigurationNotFoundError', status: 404 });
  });
});

describe('retention', () => {
  it('set by headers is reported by HEAD, GET and GetObjectRetention, and COMPLIANCE forbids deleting the version', async () => {
    const until = inDays(2);
    const { VersionId } = await put('compliance', {
      ObjectLockMode: 'COMPLIANCE',
      ObjectLockRetainUntilDate: until,
    });
    const head = await t.client.send(new HeadObjectCommand({ Bucket: LOCKED, Key: 'compliance' }));
    expect(head.ObjectLockMode).toBe('COMPLIANCE');
    expect(head.ObjectLockRetainUntilDate).toEqual(until);
    const got = await t.client.send(new GetObjectCommand({ Bucket: LOCKED, Key: 'compliance' }));
    expect(got.ObjectLockMode).toBe('COMPLIANCE');
    expect(await got.Body!.transformToString()).toBe('body of compliance');
    const r = await t.client.send(
      new GetObjectRetentionCommand({ Bucket: LOCKED, Key: 'compliance', VersionId }),
    );
    expect(r.Retention).toEqual({ Mode: 'COMPLIANCE', RetainUntilDate: until });

    for (const BypassGovernanceRetention of [undefined, true]) {
      expect(
        await s3ErrorOf(
          t.client.send(
            new DeleteObjectCommand({
              Bucket: LOCKED,
              Key: 'compliance',
              VersionId,
              ...(BypassGovernanceRetention ? { BypassGovernanceRetention } : {}),
            }),
          ),
        ),
      ).toMatchObject({ name: 'AccessDenied', status: 403 });
    }
    const batch = await t.client.send(
      new DeleteObjectsCommand({
        Bucket: LOCKED,
        Delete: { Objects: [{ Key: 'compliance', VersionId }] },
      }),
    );
    expect(batch.Errors).toEqual([
      expect.objectContaining({ Key: 'compliance', VersionId, Code: 'AccessDenied' }),
    ]);
    // A delete without a version id only adds a delete marker.
    const marker = await t.client.send(
      new DeleteObjectCommand({ Bucket: LOCKED, Key: 'compliance' }),
    );
    expect(marker.DeleteMarker).toBe(true);
    expect(await versionsOf('compliance')).toEqual([VersionId]);

    // Extending is allowed; shortening or weakening never.
    await t.client.send(
      new PutObjectRetentionCommand({
        Bucket: LOCKED,
        Key: 'compliance',
        VersionId,
        Retention: { Mode: 'COMPLIANCE', RetainUntilDate: inDays(3) },
      }),
    );
    for (const Retention of [
      { Mode: 'COMPLIANCE' as const, RetainUntilDate: inDays(1) },
      { Mode: 'GOVERNANCE' as const, RetainUntilDate: inDays(9) },
    ]) {
      expect(
        await s3ErrorOf(
          t.client.send(
            new PutObjectRetentionCommand({
              Bucket: LOCKED,
              Key: 'compliance',
              VersionId,
              Retention,
              BypassGovernanceRetention: true,
            }),
          ),
        ),
      ).toMatchObject({ name: 'AccessDenied', status: 403 });
    }
  });

  it('GOVERNANCE is lifted only by a caller with s3:BypassGovernanceRetention who asks', async () => {
    const { VersionId } = await put('governed', {
      ObjectLockMode: 'GOVERNANCE',
      ObjectLockRetainUntilDate: inDays(5),
    });
    const del = (client: S3Client, bypass: boolean) =>
      client.send(
        new DeleteObjectCommand({
          Bucket: LOCKED,
          Key: 'governed',
          VersionId,
          ...(bypass ? { BypassGovernanceRetention: true } : {}),
        }),
      );
    expect(await s3ErrorOf(del(t.client, false))).toMatchObject({ name: 'AccessDenied' });
    expect(await s3ErrorOf(del(deleter, true))).toMatchObject({ name: 'AccessDenied' });
    expect(await s3ErrorOf(del(admin, false))).toMatchObject({ name: 'AccessDenied' });
    // Shortening needs the bypass too.
    const shorten = (client: S3Client, bypass: boolean) =>
      client.send(
        new PutObjectRetentionCommand({
          Bucket: LOCKED,
          Key: 'governed',
          VersionId,
          Retention: { Mode: 'GOVERNANCE', RetainUntilDate: inDays(1) },
          ...(bypass ? { BypassGovernanceRetention: true } : {}),
        }),
      );
    expect(await s3ErrorOf(shorten(deleter, true))).toMatchObject({ name: 'AccessDenied' });
    // So does making it COMPLIANCE, which nobody could then lift.
    const harden = (client: S3Client, bypass: boolean) =>
      client.send(
        new PutObjectRetentionCommand({
          Bucket: LOCKED,
          Key: 'governed',
          VersionId,
          Retention: { Mode: 'COMPLIANCE', RetainUntilDate: inDays(6) },
          ...(bypass ? { BypassGovernanceRetention: true } : {}),
        }),
      );
    expect(await s3ErrorOf(harden(deleter, false))).toMatchObject({ name: 'AccessDenied' });
    expect(await s3ErrorOf(harden(deleter, true))).toMatchObject({ name: 'AccessDenied' });
    await shorten(admin, true);
    expect(await versionsOf('governed')).toEqual([VersionId]);
    await del(admin, true);
    expect(await versionsOf('governed')).toEqual([]);
  });

  it('comes from the bucket default when a write names none', async () => {
    await t.client.send(
      new PutObjectLockConfigurationCommand({
        Bucket: LOCKED,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } },
        },
      }),
    );
    const config = await t.client.send(new GetObjectLockConfigurationCommand({ Bucket: LOCKED }));
    expect(config.ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } },
    });
    const before = Date.now();
    await put('defaulted');
    const head = await t.client.send(new HeadObjectCommand({ Bucket: LOCKED, Key: 'defaulted' }));
    expect(head.ObjectLockMode).toBe('GOVERNANCE');
    const until = head.ObjectLockRetainUntilDate!.getTime();
    expect(until).toBeGreaterThanOrEqual(before + DAY - 1000);
    expect(until).toBeLessThanOrEqual(Date.now() + DAY);
    // Headers win over the default.
    await put('explicit', { ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: inDays(4) });
    const explicit = await t.client.send(
      new HeadObjectCommand({ Bucket: LOCKED, Key: 'explicit' }),
    );
    expect(explicit.ObjectLockMode).toBe('COMPLIANCE');
    // A document without a Rule removes the default.
    await t.client.send(
      new PutObjectLockConfigurationCommand({
        Bucket: LOCKED,
        ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled' },
      }),
    );
    await put('undefaulted');
    const plain = await t.client.send(
      new HeadObjectCommand({ Bucket: LOCKED, Key: 'undefaulted' }),
    );
    expect(plain.ObjectLockMode).toBeUndefined();
    await expect(
      s3ErrorOf(
        t.client.send(new GetObjectRetentionCommand({ Bucket: LOCKED, Key: 'undefaulted' })),
      ),
    ).resolves.toMatchObject({ name: 'NoSuchObjectLockConfiguration', status: 404 });
  });

  it('is given by multipart uploads and copies, never copied from the source', async () => {
    const until = inDays(2);
    const { UploadId } = await t.client.send(
      new CreateMultipartUploadCommand({
        Bucket: LOCKED,
        Key: 'mp',
        ObjectLockMode: 'GOVERNANCE',
        ObjectLockRetainUntilDate: until,
        ObjectLockLegalHoldStatus: 'ON',
      }),
    );
    const part = await t.client.send(
      new UploadPartCommand({ Bucket: LOCKED, Key: 'mp', UploadId, PartNumber: 1, Body: 'part' }),
    );
    await t.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: LOCKED,
        Key: 'mp',
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag! }] },
      }),
    );
    const head = await t.client.send(new HeadObjectCommand({ Bucket: LOCKED, Key: 'mp' }));
    expect(head).toMatchObject({
      ObjectLockMode: 'GOVERNANCE',
      ObjectLockRetainUntilDate: until,
      ObjectLockLegalHoldStatus: 'ON',
    });
    await t.client.send(
      new CopyObjectCommand({ Bucket: LOCKED, Key: 'mp-copy', CopySource: `${LOCKED}/mp` }),
    );
    const copy = await t.client.send(new HeadObjectCommand({ Bucket: LOCKED, Key: 'mp-copy' }));
    expect(copy.ObjectLockMode).toBeUndefined();
    expect(copy.ObjectLockLegalHoldStatus).toBeUndefined();
    await t.client.send(
      new CopyObjectCommand({
        Bucket: LOCKED,
        Key: 'mp-copy2',
        CopySource: `${LOCKED}/mp`,
        ObjectLockLegalHoldStatus: 'ON',
      }),
    );
    const copy2 = await t.client.send(new HeadObjectCommand({ Bucket: LOCKED, Key: 'mp-copy2' }));
    expect(copy2.ObjectLockLegalHoldStatus).toBe('ON');
  });
});

describe('who sees the lock settings', () => {
  it('GET and HEAD answer them only to a caller allowed to read them, as S3', async () => {
    await put('visible', {
      ObjectLockMode: 'GOVERNANCE',
      ObjectLockRetainUntilDate: inDays(1),
      ObjectLockLegalHoldStatus: 'ON',
    });
    const reader = clientFor(READER);
    try {
      const head = await reader.send(new HeadObjectCommand({ Bucket: LOCKED, Key: 'visible' }));
      expect(head.ContentLength).toBe('body of visible'.length);
      expect(head.ObjectLockMode).toBeUndefined();
      expect(head.ObjectLockRetainUntilDate).toBeUndefined();
      expect(head.ObjectLockLegalHoldStatus).toBeUndefined();
      const got = await reader.send(new GetObjectCommand({ Bucket: LOCKED, Key: 'visible' }));
      expect(got.ObjectLockMode).toBeUndefined();
      await got.Body!.transformToString();
    } finally {
      reader.destroy();
    }
    const root = await t.client.send(new HeadObjectCommand({ Bucket: LOCKED, Key: 'visible' }));
    expect(root).toMatchObject({ ObjectLockMode: 'GOVERNANCE', ObjectLockLegalHoldStatus: 'ON' });
  });
});

describe('policies on the settings asked for (s3:object-lock-* condition keys)', () => {
  it('a bucket policy caps retention at 10 days and keeps legal holds on, for root too', async () => {
    const Bucket = 'vault-capped';
    await t.client.send(new CreateBucketCommand({ Bucket, ObjectLockEnabledForBucket: true }));
    await t.client.send(
      new PutBucketPolicyCommand({
        Bucket,
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Deny',
              Principal: '*',
              Action: ['s3:PutObject', 's3:PutObjectRetention'],
              Resource: `arn:aws:s3:::${Bucket}/*`,
              Condition: {
                NumericGreaterThan: { 's3:object-lock-remaining-retention-days': '10' },
              },
            },
            {
              Effect: 'Deny',
              Principal: '*',
              Action: 's3:PutObjectLegalHold',
              Resource: `arn:aws:s3:::${Bucket}/*`,
              Condition: { StringEquals: { 's3:object-lock-legal-hold': 'OFF' } },
            },
          ],
        }),
      }),
    );
    const lock = (days: number) => ({
      ObjectLockMode: 'GOVERNANCE' as const,
      ObjectLockRetainUntilDate: inDays(days),
    });
    await t.client.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'v', ...lock(5) }));
    expect(
      await s3ErrorOf(
        t.client.send(new PutObjectCommand({ Bucket, Key: 'k2', Body: 'v', ...lock(30) })),
      ),
    ).toMatchObject({ name: 'AccessDenied', status: 403 });
    const retain = (RetainUntilDate: Date) =>
      t.client.send(
        new PutObjectRetentionCommand({
          Bucket,
          Key: 'k',
          Retention: { Mode: 'GOVERNANCE', RetainUntilDate },
        }),
      );
    const nine = inDays(9);
    await retain(nine);
    expect(await s3ErrorOf(retain(inDays(30)))).toMatchObject({
      name: 'AccessDenied',
      status: 403,
    });
    const r = await t.client.send(new GetObjectRetentionCommand({ Bucket, Key: 'k' }));
    expect(r.Retention?.RetainUntilDate).toEqual(nine);
    const hold = (Status: 'ON' | 'OFF') =>
      t.client.send(new PutObjectLegalHoldCommand({ Bucket, Key: 'k', LegalHold: { Status } }));
    await hold('ON');
    expect(await s3ErrorOf(hold('OFF'))).toMatchObject({ name: 'AccessDenied', status: 403 });
    const held = await t.client.send(new GetObjectLegalHoldCommand({ Bucket, Key: 'k' }));
    expect(held.LegalHold?.Status).toBe('ON');
  });
});

describe('legal hold', () => {
  it('forbids deleting the version while ON, whatever the bypass', async () => {
    const { VersionId } = await put('held');
    await t.client.send(
      new PutObjectLegalHoldCommand({ Bucket: LOCKED, Key: 'held', LegalHold: { Status: 'ON' } }),
    );
    const status = await t.client.send(
      new GetObjectLegalHoldCommand({ Bucket: LOCKED, Key: 'held' }),
    );
    expect(status.LegalHold).toEqual({ Status: 'ON' });
    expect(
      await s3ErrorOf(
        admin.send(
          new DeleteObjectCommand({
            Bucket: LOCKED,
            Key: 'held',
            VersionId,
            BypassGovernanceRetention: true,
          }),
        ),
      ),
    ).toMatchObject({ name: 'AccessDenied', status: 403 });
    await t.client.send(
      new PutObjectLegalHoldCommand({
        Bucket: LOCKED,
        Key: 'held',
        VersionId,
        LegalHold: { Status: 'OFF' },
      }),
    );
    await t.client.send(new DeleteObjectCommand({ Bucket: LOCKED, Key: 'held', VersionId }));
    expect(await versionsOf('held')).toEqual([]);
  });
});

describe('bad input', () => {
  it('object lock settings in a bucket without object lock are InvalidRequest, and nothing is stored', async () => {
    expect(
      await s3ErrorOf(
        t.client.send(
          new PutObjectCommand({
            Bucket: PLAIN,
            Key: 'k',
            Body: 'x',
            ObjectLockLegalHoldStatus: 'ON',
          }),
        ),
      ),
    ).toMatchObject({
      name: 'InvalidRequest',
      message: expect.stringMatching(/^Bucket is missing Object Lock Configuration/),
    });
    expect(
      await s3ErrorOf(
        t.client.send(
          new PutObjectLockConfigurationCommand({
            Bucket: PLAIN,
            ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled' },
          }),
        ),
      ),
    ).toMatchObject({ name: 'InvalidBucketState', status: 409 });
    const versions = await t.client.send(new ListObjectVersionsCommand({ Bucket: PLAIN }));
    expect(versions.Versions).toBeUndefined();
    // CreateBucket's flag is true or false.
    const yes = await signedFetch(t, 'PUT', '/lock-yes', {
      headers: { 'x-amz-bucket-object-lock-enabled': 'yes' },
    });
    expect(yes.status).toBe(400);
    expect(await yes.text()).toContain('<Code>InvalidArgument</Code>');
    expect((await signedFetch(t, 'HEAD', '/lock-yes')).status).toBe(404);
  });

  it('malformed lock headers are InvalidArgument naming them, before any byte is stored', async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ 'x-amz-object-lock-mode': 'GOVERNANCE' }, /must both be supplied/],
      [{ 'x-amz-object-lock-retain-until-date': inDays(1).toISOString() }, /must both be supplied/],
      [
        {
          'x-amz-object-lock-mode': 'FOREVER',
          'x-amz-object-lock-retain-until-date': inDays(1).toISOString(),
        },
        /GOVERNANCE or COMPLIANCE, got &quot;FOREVER&quot;/,
      ],
      [
        {
          'x-amz-object-lock-mode': 'GOVERNANCE',
          'x-amz-object-lock-retain-until-date': 'tomorrow',
        },
        /ISO 8601/,
      ],
      [
        {
          'x-amz-object-lock-mode': 'GOVERNANCE',
          'x-amz-object-lock-retain-until-date': new Date(Date.now() - DAY).toISOString(),
        },
        /must be in the future/,
      ],
      [
        {
          'x-amz-object-lock-mode': 'GOVERNANCE',
          'x-amz-object-lock-retain-until-date': '2030-02-31T00:00:00Z',
        },
        /ISO 8601/,
      ],
      [
        { 'x-amz-object-lock-legal-hold': 'maybe' },
        /ON.{0,6} or .{0,6}OFF.{0,6}, got &quot;maybe&quot;/,
      ],
    ];
    for (const [headers, message] of cases) {
      const res = await signedFetch(t, 'PUT', `/${LOCKED}/bad-headers`, { headers, body: 'x' });
      const text = await res.text();
      expect(res.status, text).toBe(400);
      expect(text).toContain('<Code>InvalidArgument</Code>');
      expect(text).toMatch(message);
    }
    expect(await versionsOf('bad-headers')).toEqual([]);
  });

  it('an empty legal-hold header is refused on every write, with no default retention to check it too', async () => {
    // Raised by the Object Lock differential probe: with no retention in the write, the
    // empty value was dropped unread and the object stored without a hold (RGW: 400).
    const B = 'lock-no-default';
    await t.client.send(new CreateBucketCommand({ Bucket: B, ObjectLockEnabledForBucket: true }));
    await t.client.send(new PutObjectCommand({ Bucket: B, Key: 'src', Body: 'x' }));
    const hold = { 'x-amz-object-lock-legal-hold': '' };
    const writes: Array<[string, string, Record<string, string>]> = [
      ['PUT', `/${B}/put`, hold],
      ['PUT', `/${B}/copy`, { ...hold, 'x-amz-copy-source': `/${B}/src` }],
      ['POST', `/${B}/mpu?uploads`, hold],
    ];
    for (const [method, path, headers] of writes) {
      const res = await signedFetch(t, method, path, {
        headers,
        body: path.endsWith('/put') ? 'x' : '',
      });
      const text = await res.text();
      expect(res.status, `${method} ${path}: ${text}`).toBe(400);
      expect(text).toContain('<Code>InvalidArgument</Code>');
      expect(text).toMatch(/ON.{0,6} or .{0,6}OFF.{0,6}, got &quot;&quot;/);
    }
    const listed = await t.client.send(new ListObjectVersionsCommand({ Bucket: B }));
    expect(listed.Versions?.map((v) => v.Key)).toEqual(['src']);
    const uploads = await t.client.send(new ListMultipartUploadsCommand({ Bucket: B }));
    expect(uploads.Uploads).toBeUndefined();
  });

  it('malformed configurations and retention documents are refused with S3 codes', async () => {
    const doc = (rule: string) =>
      `<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled>${rule}</ObjectLockConfiguration>`;
    const cases: Array<[string, string, string]> = [
      [
        doc(
          '<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days><Years>1</Years></DefaultRetention></Rule>',
        ),
        'MalformedXML',
        'exactly one of',
      ],
      [
        doc('<Rule><DefaultRetention><Mode>GOVERNANCE</Mode></DefaultRetention></Rule>'),
        'MalformedXML',
        'exactly one of',
      ],
      [
        doc('<Rule><DefaultRetention><Mode>LOOSE</Mode><Days>1</Days></DefaultRetention></Rule>'),
        'MalformedXML',
        'LOOSE',
      ],
      [
        doc(
          '<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>0</Days></DefaultRetention></Rule>',
        ),
        'InvalidRetentionPeriod',
        'positive integer',
      ],
      [
        doc(
          '<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Years>-1</Years></DefaultRetention></Rule>',
        ),
        'InvalidRetentionPeriod',
        'positive integer',
      ],
      [
        doc(
          '<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Years>101</Years></DefaultRetention></Rule>',
        ),
        'InvalidRetentionPeriod',
        'too large',
      ],
      [
        '<ObjectLockConfiguration><ObjectLockEnabled>Disabled</ObjectLockEnabled></ObjectLockConfiguration>',
        'MalformedXML',
        'cannot be turned off',
      ],
      ['<ObjectLockConfiguration/>', 'MalformedXML', 'ObjectLockEnabled'],
    ];
    for (const [body, code, message] of cases) {
      const res = await signedFetch(t, 'PUT', `/${LOCKED}?object-lock`, {
        contentMd5: true,
        body,
      });
      const text = await res.text();
      expect(res.status, text).toBe(400);
      expect(text).toContain(`<Code>${code}</Code>`);
      expect(text).toContain(message);
    }
    // Without Content-MD5 or a checksum, as S3 requires for it.
    const body = doc('');
    const bare = await signedFetch(t, 'PUT', `/${LOCKED}?object-lock`, { body });
    expect(bare.status).toBe(400);
    expect(await bare.text()).toContain('Content-MD5 OR x-amz-checksum-*');
    await put('doc-target');
    for (const [target, xml, code] of [
      ['retention', '<Retention><Mode>GOVERNANCE</Mode></Retention>', 'MalformedXML'],
      [
        'retention',
        '<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>soon</RetainUntilDate></Retention>',
        'MalformedXML',
      ],
      ['legal-hold', '<LegalHold><Status>on</Status></LegalHold>', 'MalformedXML'],
      ['legal-hold', '<LegalHold/>', 'MalformedXML'],
    ] as const) {
      const res = await signedFetch(t, 'PUT', `/${LOCKED}/doc-target?${target}`, {
        contentMd5: true,
        body: xml,
      });
      const text = await res.text();
      expect(res.status, text).toBe(400);
      expect(text).toContain(`<Code>${code}</Code>`);
    }
    const head = await t.client.send(new HeadObjectCommand({ Bucket: LOCKED, Key: 'doc-target' }));
    expect(head.ObjectLockLegalHoldStatus).toBeUndefined();
  });
});

// Last: it moves this server's engine clock ten years on.
describe('an engine clock moved ahead (stowage engine clock advance)', () => {
  it('does not lengthen the bucket default retention: it counts from the real time', async () => {
    const Bucket = 'vault-clock';
    await t.client.send(new CreateBucketCommand({ Bucket, ObjectLockEnabledForBucket: true }));
    await t.client.send(
      new PutObjectLockConfigurationCommand({
        Bucket,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 1 } },
        },
      }),
    );
    await t.server.engine.advanceClock(3650 * DAY);
    const before = Date.now();
    await t.client.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'v' }));
    const head = await t.client.send(new HeadObjectCommand({ Bucket, Key: 'k' }));
    const until = head.ObjectLockRetainUntilDate!.getTime();
    expect(until).toBeGreaterThanOrEqual(before + DAY - 1000);
    expect(until).toBeLessThanOrEqual(Date.now() + DAY);
  });
});
