import { describe, expect, it } from 'vitest';
import { OWNER_ID } from '../acl/grants.js';
import { parseIdentityPolicy, parsePolicy } from '../documents/policy.js';
import { principalArn, type Identity } from '../identity.js';
import type { ConditionKeys } from './conditions.js';
import { evaluate, principalMatches } from './evaluate.js';
import type { Caller } from './request-context.js';
import type { RequestedAccess } from './requested-accesses.js';
import {
  SEED_000_BUCKET_POLICY,
  SEED_000_VPS_POLICY,
} from '../../../test/fixtures/seed-policies.js';

const BUCKET = 'ziggie-cloud-assets';

/** Seed 000 §1.3: public read of game-assets/*, plus a CloudFront service statement. */
const SEED_BUCKET_POLICY = parsePolicy(JSON.stringify(SEED_000_BUCKET_POLICY), BUCKET);

/** Seed 000 §10.1: the least-privilege VPS sync user. */
const SEED_IDENTITY_POLICY = parseIdentityPolicy(JSON.stringify(SEED_000_VPS_POLICY));

const DENY_INSECURE = parsePolicy(
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ],
  }),
  BUCKET,
);

function user(name: string, policies = [SEED_IDENTITY_POLICY]): Identity {
  return {
    accessKeyId: `AKIA${name.toUpperCase().padEnd(16, 'X')}`,
    secretAccessKey: 'secret',
    name,
    root: false,
    arn: principalArn(name, false),
    policies,
  };
}

const VPS: Caller = { kind: 'key', identity: user('ziggie-vps-sync') };
const ANON: Caller = { kind: 'anonymous' };

function keys(entries: Record<string, string> = {}): ConditionKeys {
  return new Map(Object.entries(entries).map(([k, v]) => [k.toLowerCase(), [v]]));
}

function obj(action: string, key: string, bucket = BUCKET): RequestedAccess {
  return { action, resource: `arn:aws:s3:::${bucket}/${key}`, bucket, key };
}

function onBucket(action: string, bucket = BUCKET): RequestedAccess {
  return { action, resource: `arn:aws:s3:::${bucket}`, bucket };
}

describe('seed 000 §1.3 bucket policy', () => {
  it('lets anyone read game-assets/*, nothing else', () => {
    const run = (access: RequestedAccess): string =>
      evaluate({ caller: ANON, access, keys: keys(), bucketPolicy: SEED_BUCKET_POLICY });
    expect(run(obj('s3:GetObject', 'game-assets/x.png'))).toBe('Allow');
    expect(run(obj('s3:GetObject', 'other/x.png'))).toBe('ImplicitDeny');
    expect(run(obj('s3:PutObject', 'game-assets/x.png'))).toBe('ImplicitDeny');
    expect(run(onBucket('s3:ListBucket'))).toBe('ImplicitDeny');
  });
  it('the CloudFront service statement never matches a direct request', () => {
    const caller: Caller = { kind: 'key', identity: user('cf', []) };
    expect(
      evaluate({
        caller,
        access: obj('s3:GetObject', 'other/x'),
        keys: keys({
          'aws:SourceArn': 'arn:aws:cloudfront::ACCOUNT_ID:distribution/DISTRIBUTION_ID',
        }),
        bucketPolicy: SEED_BUCKET_POLICY,
      }),
    ).toBe('ImplicitDeny');
  });
});

describe('seed 000 §10.1 identity policy', () => {
  const run = (access: RequestedAccess): string =>
    evaluate({
      caller: VPS,
      access,
      keys: keys(),
      identityPolicies: VPS.kind === 'key' ? VPS.identity.policies : [],
    });
  it('allows object read/write/delete and listing in its two buckets', () => {
    expect(run(obj('s3:PutObject', 'a/b.txt'))).toBe('Allow');
    expect(run(obj('s3:GetObject', 'a/b.txt', 'ziggie-cloud-backups'))).toBe('Allow');
    expect(run(obj('s3:DeleteObject', 'x'))).toBe('Allow');
    expect(run(onBucket('s3:ListBucket', 'ziggie-cloud-backups'))).toBe('Allow');
  });
  it('denies everything else implicitly', () => {
    expect(run(obj('s3:GetObject', 'x', 'someone-else'))).toBe('ImplicitDeny');
    expect(run(obj('s3:DeleteObjectVersion', 'x'))).toBe('ImplicitDeny');
    expect(run(onBucket('s3:PutBucketPolicy'))).toBe('ImplicitDeny');
    expect(run({ action: 's3:ListAllMyBuckets', resource: '*' })).toBe('ImplicitDeny');
  });
  it('an explicit Deny in the bucket policy beats the identity Allow', () => {
    expect(
      evaluate({
        caller: VPS,
        access: obj('s3:PutObject', 'a'),
        keys: keys({ 'aws:SecureTransport': 'false' }),
        identityPolicies: [SEED_IDENTITY_POLICY],
        bucketPolicy: DENY_INSECURE,
      }),
    ).toBe('ExplicitDeny');
    expect(
      evaluate({
        caller: VPS,
        access: obj('s3:PutObject', 'a'),
        keys: keys({ 'aws:SecureTransport': 'true' }),
        identityPolicies: [SEED_IDENTITY_POLICY],
        bucketPolicy: DENY_INSECURE,
      }),
    ).toBe('Allow');
  });
});

describe('an identity policy naming an S3 action that does not exist', () => {
  it('grants nothing through it, and denies nothing through it', () => {
    const doc = (effect: string, action: string[]) =>
      parseIdentityPolicy(
        JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: effect, Action: action, Resource: '*' }],
        }),
      );
    const run = (policies: ReturnType<typeof parseIdentityPolicy>[], action: string) =>
      evaluate({
        caller: { kind: 'key', identity: user('seed-003', policies) },
        access: obj(action, 'a.png'),
        keys: keys(),
        identityPolicies: policies,
      });
    const allow = doc('Allow', ['s3:GetObjectMetadata', 's3:PutObject']);
    expect(run([allow], 's3:GetObject')).toBe('ImplicitDeny');
    expect(run([allow], 's3:PutObject')).toBe('Allow');
    const deny = doc('Deny', ['s3:GetObjectMetadata']);
    expect(run([doc('Allow', ['s3:*']), deny], 's3:GetObject')).toBe('Allow');
  });
});

describe('statement matching', () => {
  const policy = (statement: Record<string, unknown>): ReturnType<typeof parsePolicy> =>
    parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: [statement] }), BUCKET);
  it('actions are case-insensitive globs; NotAction inverts', () => {
    const p = policy({
      Effect: 'Allow',
      Principal: '*',
      Action: 'S3:get*',
      Resource: `arn:aws:s3:::${BUCKET}/*`,
    });
    expect(
      evaluate({
        caller: ANON,
        access: obj('s3:GetObjectTagging', 'k'),
        keys: keys(),
        bucketPolicy: p,
      }),
    ).toBe('Allow');
    const n = policy({
      Effect: 'Allow',
      Principal: '*',
      NotAction: 's3:Delete*',
      Resource: `arn:aws:s3:::${BUCKET}/*`,
    });
    expect(
      evaluate({ caller: ANON, access: obj('s3:PutObject', 'k'), keys: keys(), bucketPolicy: n }),
    ).toBe('Allow');
    expect(
      evaluate({
        caller: ANON,
        access: obj('s3:DeleteObject', 'k'),
        keys: keys(),
        bucketPolicy: n,
      }),
    ).toBe('ImplicitDeny');
  });
  it('resources are case-sensitive; NotResource inverts', () => {
    const p = policy({
      Effect: 'Allow',
      Principal: '*',
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::${BUCKET}/Public/*`,
    });
    expect(
      evaluate({
        caller: ANON,
        access: obj('s3:GetObject', 'public/x'),
        keys: keys(),
        bucketPolicy: p,
      }),
    ).toBe('ImplicitDeny');
    const n = policy({
      Effect: 'Allow',
      Principal: '*',
      Action: 's3:GetObject',
      NotResource: `arn:aws:s3:::${BUCKET}/secret/*`,
    });
    expect(
      evaluate({ caller: ANON, access: obj('s3:GetObject', 'x'), keys: keys(), bucketPolicy: n }),
    ).toBe('Allow');
    expect(
      evaluate({
        caller: ANON,
        access: obj('s3:GetObject', 'secret/x'),
        keys: keys(),
        bucketPolicy: n,
      }),
    ).toBe('ImplicitDeny');
  });
  it('substitutes ${aws:username} in resources', () => {
    const p = parseIdentityPolicy(
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 's3:*',
            Resource: `arn:aws:s3:::${BUCKET}/home/\${aws:username}/*`,
          },
        ],
      }),
    );
    const alice: Caller = { kind: 'key', identity: user('alice', [p]) };
    const k = keys({ 'aws:username': 'alice' });
    expect(
      evaluate({
        caller: alice,
        access: obj('s3:PutObject', 'home/alice/a'),
        keys: k,
        identityPolicies: [p],
      }),
    ).toBe('Allow');
    expect(
      evaluate({
        caller: alice,
        access: obj('s3:PutObject', 'home/bob/a'),
        keys: k,
        identityPolicies: [p],
      }),
    ).toBe('ImplicitDeny');
  });
  it('DeleteObjects (every key): an Allow must cover the bucket, a Deny on any prefix applies', () => {
    const all: RequestedAccess = {
      action: 's3:DeleteObject',
      resource: `arn:aws:s3:::${BUCKET}/*`,
      bucket: BUCKET,
      anyKey: true,
    };
    const prefixOnly = policy({
      Effect: 'Allow',
      Principal: '*',
      Action: 's3:DeleteObject',
      Resource: `arn:aws:s3:::${BUCKET}/tmp/*`,
    });
    expect(evaluate({ caller: ANON, access: all, keys: keys(), bucketPolicy: prefixOnly })).toBe(
      'ImplicitDeny',
    );
    const denySecret = parsePolicy(
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: '*',
            Action: 's3:DeleteObject',
            Resource: `arn:aws:s3:::${BUCKET}/*`,
          },
          {
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:DeleteObject',
            Resource: `arn:aws:s3:::${BUCKET}/secret/*`,
          },
        ],
      }),
      BUCKET,
    );
    expect(evaluate({ caller: ANON, access: all, keys: keys(), bucketPolicy: denySecret })).toBe(
      'ExplicitDeny',
    );
  });
});

describe('principals', () => {
  const root: Caller = {
    kind: 'key',
    identity: { ...user('root', []), root: true, arn: principalArn('root', true) },
  };
  it('"*" and {"AWS":"*"} name everyone, anonymous included', () => {
    expect(principalMatches('*', ANON)).toBe(true);
    expect(principalMatches({ AWS: ['*'] }, ANON)).toBe(true);
    expect(principalMatches({ AWS: ['*'] }, VPS)).toBe(true);
  });
  it('the account names every key of this server in a Deny, only root in an Allow', () => {
    for (const p of ['000000000000', 'arn:aws:iam::000000000000:root']) {
      expect(principalMatches({ AWS: [p] }, VPS, 'deny')).toBe(true);
      expect(principalMatches({ AWS: [p] }, root, 'deny')).toBe(true);
      expect(principalMatches({ AWS: [p] }, ANON, 'deny')).toBe(false);
      // IAM: an account principal delegates to the account; its users need their own Allow.
      expect(principalMatches({ AWS: [p] }, VPS, 'allow')).toBe(false);
      expect(principalMatches({ AWS: [p] }, root, 'allow')).toBe(true);
      expect(principalMatches({ AWS: [p] }, ANON, 'allow')).toBe(false);
    }
  });
  it("the owner's canonical user id is the account; another canonical id names no one", () => {
    const owner = { CanonicalUser: [OWNER_ID] };
    expect(principalMatches(owner, VPS, 'deny')).toBe(true);
    expect(principalMatches(owner, root, 'deny')).toBe(true);
    expect(principalMatches(owner, ANON, 'deny')).toBe(false);
    expect(principalMatches(owner, VPS, 'allow')).toBe(false);
    expect(principalMatches(owner, root, 'allow')).toBe(true);
    expect(principalMatches({ CanonicalUser: ['f'.repeat(64)] }, root, 'deny')).toBe(false);
  });
  it('a bucket policy Allow to the account gives a key with no identity policy nothing', () => {
    const doc = (principal: string, effect = 'Allow') =>
      parsePolicy(
        JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: effect,
              Principal: { AWS: principal },
              Action: 's3:GetObject',
              Resource: 'arn:aws:s3:::ziggie-cloud-assets/*',
            },
          ],
        }),
        'ziggie-cloud-assets',
      );
    const bare: Caller = { kind: 'key', identity: user('bare', []) };
    const access = {
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::ziggie-cloud-assets/a.png',
      bucket: 'ziggie-cloud-assets',
      key: 'a.png',
    };
    const decide = (bucketPolicy: ReturnType<typeof doc>) =>
      evaluate({ caller: bare, access, keys: new Map(), bucketPolicy, identityPolicies: [] });
    expect(decide(doc('arn:aws:iam::000000000000:root'))).toBe('ImplicitDeny');
    expect(decide(doc('arn:aws:iam::000000000000:user/bare'))).toBe('Allow');
    expect(decide(doc('000000000000', 'Deny'))).toBe('ExplicitDeny');
  });
  it('a user ARN names that key; other accounts and services never match', () => {
    expect(principalMatches({ AWS: ['arn:aws:iam::000000000000:user/ziggie-vps-sync'] }, VPS)).toBe(
      true,
    );
    expect(principalMatches({ AWS: ['arn:aws:iam::000000000000:user/other'] }, VPS)).toBe(false);
    expect(principalMatches({ AWS: ['111111111111'] }, VPS)).toBe(false);
    expect(principalMatches({ AWS: ['arn:aws:iam::111111111111:root'] }, root)).toBe(false);
    expect(principalMatches({ Service: ['cloudfront.amazonaws.com'] }, VPS)).toBe(false);
  });
  it('NotPrincipal applies to everyone else', () => {
    const p = parsePolicy(
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Deny',
            NotPrincipal: { AWS: 'arn:aws:iam::000000000000:user/ziggie-vps-sync' },
            Action: 's3:PutObject',
            Resource: `arn:aws:s3:::${BUCKET}/*`,
          },
        ],
      }),
      BUCKET,
    );
    expect(
      evaluate({
        caller: VPS,
        access: obj('s3:PutObject', 'x'),
        keys: keys(),
        bucketPolicy: p,
        identityPolicies: [SEED_IDENTITY_POLICY],
      }),
    ).toBe('Allow');
    expect(
      evaluate({ caller: root, access: obj('s3:PutObject', 'x'), keys: keys(), bucketPolicy: p }),
    ).toBe('ExplicitDeny');
  });
  it("NotPrincipal naming the account exempts the root key only, not the account's users", () => {
    // AWS's NotPrincipal example: Deny everyone except Bob lists Bob and his account, so
    // that Bob is not denied through his account; every other user is still denied.
    const p = parsePolicy(
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Deny',
            NotPrincipal: {
              AWS: ['arn:aws:iam::000000000000:root', 'arn:aws:iam::000000000000:user/bob'],
            },
            Action: 's3:PutObject',
            Resource: `arn:aws:s3:::${BUCKET}/*`,
          },
        ],
      }),
      BUCKET,
    );
    const decide = (caller: Caller) =>
      evaluate({
        caller,
        access: obj('s3:PutObject', 'x'),
        keys: keys(),
        bucketPolicy: p,
        identityPolicies: [SEED_IDENTITY_POLICY],
      });
    expect(decide(VPS)).toBe('ExplicitDeny');
    expect(
      decide({
        kind: 'key',
        identity: { ...VPS.identity, name: 'bob', arn: 'arn:aws:iam::000000000000:user/bob' },
      }),
    ).toBe('Allow');
    // Root is exempt: no explicit Deny (authorize lets root do what nothing denies).
    expect(
      evaluate({ caller: root, access: obj('s3:PutObject', 'x'), keys: keys(), bucketPolicy: p }),
    ).toBe('ImplicitDeny');
  });
});

describe('patterns against long keys and prefixes', () => {
  it('a policy with several * answers for an 8 KB key and s3:prefix at once (a RegExp took 31 s)', () => {
    const policy = parsePolicy(
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: '*',
            Action: 's3:GetObject',
            Resource: `arn:aws:s3:::${BUCKET}/*/*/*/*.png`,
          },
          {
            Effect: 'Allow',
            Principal: '*',
            Action: 's3:ListBucket',
            Resource: `arn:aws:s3:::${BUCKET}`,
            Condition: { StringLike: { 's3:prefix': '*/*/*/*.png' } },
          },
        ],
      }),
      BUCKET,
    );
    const long = 'a/'.repeat(4000);
    const run = (access: RequestedAccess, k: Record<string, string> = {}) =>
      evaluate({ caller: ANON, access, keys: keys(k), bucketPolicy: policy });
    expect(run(obj('s3:GetObject', long))).toBe('ImplicitDeny');
    expect(run(obj('s3:GetObject', `${long}x.png`))).toBe('Allow');
    expect(run(onBucket('s3:ListBucket'), { 's3:prefix': long })).toBe('ImplicitDeny');
    expect(run(onBucket('s3:ListBucket'), { 's3:prefix': `${long}.png` })).toBe('Allow');
  });
});
