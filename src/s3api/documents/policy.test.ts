import { describe, expect, it } from 'vitest';
import { expectError } from '../../../test/helpers/expect-error.js';
import { parseIdentityPolicy, parsePolicy, validatePolicy } from './policy.js';
import { S3_ACTIONS } from './policy-actions.js';
import {
  SEED_000_BUCKET_POLICY,
  SEED_000_VPS_POLICY,
} from '../../../test/fixtures/seed-policies.js';

const BUCKET = 'ziggie-cloud-assets';
/** Seed 000 §1.3, the public-read bucket policy. */
const SEED_POLICY = SEED_000_BUCKET_POLICY;
/** A policy with one statement: `st` over a public GetObject on every object. */
const one = (st: Record<string, unknown>, top: Record<string, unknown> = {}): string =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: '*',
        Action: 's3:GetObject',
        Resource: `arn:aws:s3:::${BUCKET}/*`,
        ...st,
      },
    ],
    ...top,
  });
const check = (json: string): void => validatePolicy(json, { bucket: BUCKET });

describe('parsePolicy: accepted', () => {
  it('parses the seed policy into the typed form', () => {
    expect(parsePolicy(JSON.stringify(SEED_POLICY), BUCKET)).toEqual({
      version: '2012-10-17',
      statements: [
        {
          sid: 'PublicReadGetObject',
          effect: 'Allow',
          principal: '*',
          action: ['s3:GetObject'],
          resource: ['arn:aws:s3:::ziggie-cloud-assets/game-assets/*'],
          conditions: [],
        },
        {
          sid: 'CloudFrontOriginAccess',
          effect: 'Allow',
          principal: { Service: ['cloudfront.amazonaws.com'] },
          action: ['s3:GetObject'],
          resource: ['arn:aws:s3:::ziggie-cloud-assets/*'],
          conditions: [
            {
              operator: 'StringEquals',
              ifExists: false,
              key: 'AWS:SourceArn',
              values: ['arn:aws:cloudfront::ACCOUNT_ID:distribution/DISTRIBUTION_ID'],
            },
          ],
        },
      ],
    });
  });

  it('accepts a Statement object, Version 2008-10-17 or none, and an Id', () => {
    const st = {
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 's3:*',
      Resource: `arn:aws:s3:::${BUCKET}`,
    };
    expect(
      parsePolicy(JSON.stringify({ Version: '2008-10-17', Id: 'p1', Statement: st }), BUCKET),
    ).toMatchObject({
      version: '2008-10-17',
      id: 'p1',
      statements: [{ effect: 'Deny', principal: { AWS: ['*'] }, action: ['s3:*'] }],
    });
    expect(parsePolicy(JSON.stringify({ Statement: [st] }), BUCKET).version).toBe('2008-10-17');
  });

  it('accepts wildcard actions, bucket and object resources, and case-insensitive action names', () => {
    check(
      one({
        Action: [
          's3:Get*',
          's3:List*',
          's3:putobject',
          'S3:DeleteObject',
          's3:*Object',
          's3:ListBucket',
        ],
        Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
      }),
    );
    check(one({ Action: '*', Resource: '*' }));
    check(one({ Resource: 'arn:aws:s3:::ziggie-cloud-*' }));
    check(one({ Action: 's3:ListBucket', Resource: 'arn:aws:s3:::ziggie-cloud-*' }));
  });

  it('accepts wildcards in the partition, region and account of an S3 ARN, as the ARN they match', () => {
    for (const arn of [
      `arn:aws:s3:*:*:${BUCKET}/*`,
      `arn:*:s3:::${BUCKET}/*`,
      `arn:a?s:s3:*::${BUCKET}/*`,
    ]) {
      const p = parsePolicy(one({ Resource: arn }), BUCKET, { strict: true });
      expect(p.statements[0]?.resource).toEqual([`arn:aws:s3:::${BUCKET}/*`]);
    }
    // An S3 resource has no region or account: a named one matches nothing, and is refused.
    for (const arn of [
      `arn:aws:s3:us-east-1:*:${BUCKET}/*`,
      `arn:aws:s3::123456789012:${BUCKET}/*`,
    ]) {
      expect(() => check(one({ Resource: arn }))).toThrow(/Policy has invalid resource/);
    }
    const identity = parseIdentityPolicy(
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:*:s3:*:*:pbk/*' }],
      }),
      { strict: true },
    );
    expect(identity.statements[0]?.resource).toEqual(['arn:aws:s3:::pbk/*']);
  });

  it('accepts AWS principals in their several forms, and other principal types', () => {
    check(
      one({
        Principal: {
          AWS: [
            '123456789012',
            'arn:aws:iam::123456789012:root',
            'arn:aws:iam::123456789012:role/uploader',
            'arn:aws:sts::123456789012:assumed-role/r/session',
            'arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2QWRUHAPOMQZL',
          ],
          CanonicalUser: '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be',
          Federated: 'cognito-identity.amazonaws.com',
        },
      }),
    );
  });

  it('accepts NotPrincipal, NotAction, NotResource and qualified conditions', () => {
    const doc = parsePolicy(
      one({
        Effect: 'Deny',
        Principal: undefined,
        NotPrincipal: { AWS: 'arn:aws:iam::123456789012:root' },
        Action: undefined,
        NotAction: 's3:GetObject',
        Resource: undefined,
        NotResource: `arn:aws:s3:::${BUCKET}/public/*`,
        Condition: {
          Bool: { 'aws:SecureTransport': false },
          NumericLessThan: { 's3:TlsVersion': 1.2 },
          'ForAnyValue:StringLikeIfExists': { 'aws:TagKeys': ['team*', 'env'] },
          IpAddress: { 'aws:SourceIp': ['10.0.0.0/8'] },
          Null: { 's3:x-amz-server-side-encryption': 'true' },
        },
      }),
      BUCKET,
    );
    expect(doc.statements[0]?.conditions).toEqual([
      { operator: 'Bool', ifExists: false, key: 'aws:SecureTransport', values: ['false'] },
      { operator: 'NumericLessThan', ifExists: false, key: 's3:TlsVersion', values: ['1.2'] },
      {
        operator: 'StringLike',
        ifExists: true,
        qualifier: 'ForAnyValue',
        key: 'aws:TagKeys',
        values: ['team*', 'env'],
      },
      { operator: 'IpAddress', ifExists: false, key: 'aws:SourceIp', values: ['10.0.0.0/8'] },
      {
        operator: 'Null',
        ifExists: false,
        key: 's3:x-amz-server-side-encryption',
        values: ['true'],
      },
    ]);
    expect(doc.statements[0]?.notAction).toEqual(['s3:GetObject']);
  });

  it('knows the S3 actions of every kind', () => {
    for (const a of [
      'GetObject',
      'PutObject',
      'ListBucket',
      'PutLifecycleConfiguration',
      'ListAllMyBuckets',
    ]) {
      expect(S3_ACTIONS.has(a), a).toBe(true);
    }
    expect(S3_ACTIONS.size).toBeGreaterThan(150);
  });
});

describe('parsePolicy: refused (MalformedPolicy)', () => {
  it('text that is not a JSON object, or larger than 20 KB', async () => {
    await expectError(
      () => check('{"Version":'),
      'E_MALFORMED_POLICY',
      /Policies must be valid JSON/,
    );
    await expectError(() => check('[]'), 'E_MALFORMED_POLICY', /first byte must be '\{'/);
    const big = one({ Sid: 'x'.repeat(21 * 1024) });
    await expectError(
      () => check(big),
      'E_MALFORMED_POLICY',
      /Policies must be less than 20 KB; this one is \d+ bytes/,
    );
  });

  it('unknown fields, a bad version, no statements', async () => {
    await expectError(
      () => check(one({}, { Foo: 1 })),
      'E_MALFORMED_POLICY',
      'Unknown field "Foo" in the policy',
    );
    await expectError(
      () => check(one({ Actions: 's3:GetObject' })),
      'E_MALFORMED_POLICY',
      'Unknown field "Actions" in statement 1',
    );
    await expectError(
      () => check(one({}, { Version: '2020-01-01' })),
      'E_MALFORMED_POLICY',
      /The policy must contain a valid version string: "2020-01-01"/,
    );
    await expectError(
      () => check('{"Version":"2012-10-17"}'),
      'E_MALFORMED_POLICY',
      'Missing required field Statement',
    );
    await expectError(
      () => check('{"Statement":[]}'),
      'E_MALFORMED_POLICY',
      /Missing required field Statement: the array is empty/,
    );
    await expectError(
      () => check('{"Statement":["allow"]}'),
      'E_MALFORMED_POLICY',
      /statement 1 must be a JSON object/,
    );
  });

  it('a missing or bad Effect', async () => {
    await expectError(
      () => check(one({ Effect: undefined })),
      'E_MALFORMED_POLICY',
      /Missing required field Effect/,
    );
    await expectError(
      () => check(one({ Effect: 'allow' })),
      'E_MALFORMED_POLICY',
      /Invalid effect: "allow"/,
    );
  });

  it('a missing, doubled or invalid principal', async () => {
    await expectError(
      () => check(one({ Principal: undefined })),
      'E_MALFORMED_POLICY',
      /Missing required field Principal/,
    );
    await expectError(
      () => check(one({ NotPrincipal: { AWS: '123456789012' } })),
      'E_MALFORMED_POLICY',
      /may not have both Principal and NotPrincipal/,
    );
    await expectError(
      () => check(one({ Principal: { User: 'bob' } })),
      'E_MALFORMED_POLICY',
      /Invalid principal in policy: unknown principal type "User"/,
    );
    await expectError(
      () => check(one({ Principal: { AWS: 'bob' } })),
      'E_MALFORMED_POLICY',
      /Invalid principal in policy: "bob"/,
    );
    // Principals match exactly: a partial wildcard would match no one (a Deny on it is void).
    for (const arn of [
      'arn:aws:iam::000000000000:user/*',
      'arn:aws:iam::000000000000:user/power*',
      'arn:aws:iam::000000000000:*',
    ]) {
      await expectError(
        () => check(one({ Effect: 'Deny', Principal: { AWS: arn } })),
        'E_MALFORMED_POLICY',
        /Invalid principal in policy: ".*": a wildcard can only be the whole principal/,
      );
    }
    await expectError(
      () => check(one({ Principal: 'everyone' })),
      'E_MALFORMED_POLICY',
      /Invalid principal in policy/,
    );
    await expectError(
      () => check(one({ Principal: { CanonicalUser: 'abc' } })),
      'E_MALFORMED_POLICY',
      /not a canonical user id/,
    );
  });

  it('an unknown action, with S3 wording', async () => {
    await expectError(
      () => check(one({ Action: 's3:GetObjekt' })),
      'E_MALFORMED_POLICY',
      /Policy has invalid action: "s3:GetObjekt"/,
    );
    await expectError(
      () => check(one({ Action: ['s3:GetObject', 'ec2:StartInstances'] })),
      'E_MALFORMED_POLICY',
      /Policy has invalid action: "ec2:StartInstances"/,
    );
    await expectError(
      () => check(one({ Action: 's3:Frobnicate*' })),
      'E_MALFORMED_POLICY',
      /Policy has invalid action: "s3:Frobnicate\*"/,
    );
    await expectError(
      () => check(one({ Action: 'GetObject' })),
      'E_MALFORMED_POLICY',
      /Policy has invalid action: "GetObject"/,
    );
    await expectError(
      () => check(one({ Action: [] })),
      'E_MALFORMED_POLICY',
      /"Action" in statement 1 must be a string or a non-empty array/,
    );
    await expectError(
      () => check(one({ Action: undefined })),
      'E_MALFORMED_POLICY',
      /Missing required field Action/,
    );
  });

  it('a resource outside the bucket, with S3 wording', async () => {
    await expectError(
      () => check(one({ Resource: 'arn:aws:s3:::ziggie-cloud-backups/*' })),
      'E_MALFORMED_POLICY',
      /Policy has invalid resource: "arn:aws:s3:::ziggie-cloud-backups\/\*" is not bucket "ziggie-cloud-assets"/,
    );
    await expectError(
      () => check(one({ Resource: 'arn:aws:s3:us-east-1::ziggie-cloud-assets/*' })),
      'E_MALFORMED_POLICY',
      /Policy has invalid resource/,
    );
    await expectError(
      () => check(one({ Resource: 'ziggie-cloud-assets/*' })),
      'E_MALFORMED_POLICY',
      /Policy has invalid resource/,
    );
    await expectError(
      () => check(one({ Resource: undefined })),
      'E_MALFORMED_POLICY',
      /Missing required field Resource/,
    );
  });

  it('actions that apply to none of the resources', async () => {
    await expectError(
      () => check(one({ Resource: `arn:aws:s3:::${BUCKET}` })),
      'E_MALFORMED_POLICY',
      /Action does not apply to any resource\(s\) in statement/,
    );
    await expectError(
      () => check(one({ Action: 's3:ListAllMyBuckets' })),
      'E_MALFORMED_POLICY',
      /Action does not apply to any resource\(s\) in statement/,
    );
  });

  it('unknown condition operators and bad condition values', async () => {
    await expectError(
      () => check(one({ Condition: { StringEqualz: { 'aws:SourceIp': 'x' } } })),
      'E_MALFORMED_POLICY',
      /Policy has an invalid condition operator: "StringEqualz"/,
    );
    await expectError(
      () => check(one({ Condition: { NullIfExists: { 'aws:SourceIp': 'true' } } })),
      'E_MALFORMED_POLICY',
      /invalid condition operator: "NullIfExists"/,
    );
    await expectError(
      () => check(one({ Condition: { StringEquals: { 'aws:SourceIp': { a: 1 } } } })),
      'E_MALFORMED_POLICY',
      /condition key "aws:SourceIp" under "StringEquals" .* must be a string, number, boolean/,
    );
    await expectError(
      () => check(one({ Condition: { StringEquals: {} } })),
      'E_MALFORMED_POLICY',
      /must map condition keys to values/,
    );
    await expectError(
      () => check(one({ Condition: 'x' })),
      'E_MALFORMED_POLICY',
      /"Condition" in statement 1 must be a JSON object/,
    );
  });

  it('condition values their operator can never compare, when put; a stored policy is read as it was', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [
        { IpAddress: { 'aws:SourceIp': ['10.0.0.0/8', 'localhost'] } },
        /"localhost" .* is not an IP address or CIDR block/,
      ],
      [{ NotIpAddress: { 'aws:SourceIp': '127.0.0.*' } }, /"127\.0\.0\.\*" .* is not an IP/],
      [{ IpAddress: { 'aws:SourceIp': '10.0.0.0/33' } }, /"10\.0\.0\.0\/33"/],
      [
        { DateGreaterThan: { 'aws:CurrentTime': 'yesterday' } },
        /"yesterday" under "DateGreaterThan" for "aws:CurrentTime" .* is not a date/,
      ],
      [{ NumericGreaterThanIfExists: { 's3:max-keys': 'ten' } }, /"ten" .* is not a number/],
      [{ Bool: { 'aws:SecureTransport': 'no' } }, /"no" .* is not true or false/],
      [{ Null: { 's3:x-amz-acl': 'yes' } }, /"yes" .* is not true or false/],
    ];
    for (const [condition, message] of cases) {
      const json = one({ Effect: 'Deny', Condition: condition });
      await expectError(() => check(json), 'E_MALFORMED_POLICY', message);
      await expectError(
        () => parseIdentityPolicy(json.replace('"Principal":"*",', ''), { strict: true }),
        'E_MALFORMED_POLICY',
        message,
      );
      // Stored before this check: still read (its test matches nothing, as before).
      expect(parsePolicy(json, BUCKET).statements[0]?.conditions).toHaveLength(1);
    }
    // What the operators compare is taken, in each form.
    check(
      one({
        Condition: {
          IpAddress: { 'aws:SourceIp': ['192.0.2.0/24', '2001:db8::/32', '::1', '10.1.2.3'] },
          DateLessThan: { 'aws:CurrentTime': ['2030-01-01T00:00:00Z', '2030-01-01', '1900000000'] },
          NumericLessThanEquals: { 's3:max-keys': [10, '10.5'] },
          Bool: { 'aws:SecureTransport': [true, 'False'] },
          StringLike: { 's3:prefix': 'anything ${aws:username}' },
        },
      }),
    );
  });

  it('statement ids that repeat', async () => {
    const st = {
      Sid: 'Read',
      Effect: 'Allow',
      Principal: '*',
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::${BUCKET}/*`,
    };
    await expectError(
      () => check(JSON.stringify({ Version: '2012-10-17', Statement: [st, st] })),
      'E_MALFORMED_POLICY',
      /Statement IDs \(SID\) must be unique: "Read"/,
    );
  });
});

describe('parsePolicy: a name given twice (JSON.parse would keep the last)', () => {
  const statement = `"Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::${BUCKET}/*"`;
  it('a field given twice in any object, whatever its escapes, is MalformedPolicy', async () => {
    const twice = [
      [
        `{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", ${statement}, "Effect": "Allow"}]}`,
        'Effect',
      ],
      [
        `{"Version": "2012-10-17", "Version": "2008-10-17", "Statement": [{"Effect": "Allow", ${statement}}]}`,
        'Version',
      ],
      [
        `{"Statement": [{"Effect": "Allow", ${statement}, "Condition": {"IpAddress": {"aws:SourceIp": "10.9.9.9/32"}, "IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}}]}`,
        'IpAddress',
      ],
      [`{"Statement": [{"Effect": "Allow", ${statement}, "\\u0045ffect": "Deny"}]}`, 'Effect'],
    ];
    for (const [json, name] of twice) {
      await expectError(
        () => check(json!),
        'E_MALFORMED_POLICY',
        `The policy gives "${name}" twice in one object; only one of them would count`,
      );
      await expectError(
        () => parseIdentityPolicy(json!, { strict: true }),
        'E_MALFORMED_POLICY',
        /twice/,
      );
      // A policy stored before this check is read back as it was taken.
      expect(() => parsePolicy(json!, BUCKET)).not.toThrow();
    }
  });

  it('a condition key given twice in one block, in two spellings, is MalformedPolicy', async () => {
    await expectError(
      () =>
        check(
          one({
            Condition: {
              StringLike: { 'aws:Referer': 'https://a.example/*', 'AWS:REFERER': '*' },
            },
          }),
        ),
      'E_MALFORMED_POLICY',
      /the condition key "AWS:REFERER" is given twice under "StringLike" .*case-insensitive/,
    );
  });

  it('the same name in different objects, and names inside strings, are fine', () => {
    const json = `{"Version": "2012-10-17", "Statement": [{"Sid": "A", "Effect": "Allow", ${statement}}, {"Sid": "B", "Effect": "Allow", ${statement}, "Condition": {"StringEquals": {"s3:prefix": "{\\"Effect\\": 1, \\"Effect\\": 2}"}}}]}`;
    expect(() => check(json)).not.toThrow();
  });
});

describe('parseIdentityPolicy', () => {
  /** Seed 000 §10.1, the least-privilege policy of the VPS sync user. */
  const SEED_IAM = SEED_000_VPS_POLICY;

  it('accepts the seed policy, resources in any bucket and other services’ actions', () => {
    const doc = parseIdentityPolicy(JSON.stringify(SEED_IAM));
    expect(doc.statements).toHaveLength(2);
    expect(doc.statements[0]?.principal).toBeUndefined();
    expect(doc.statements[1]?.resource).toEqual([
      'arn:aws:s3:::ziggie-cloud-assets',
      'arn:aws:s3:::ziggie-cloud-backups',
    ]);
    const mixed = parseIdentityPolicy(
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'secretsmanager:GetSecretValue',
            Resource: 'arn:aws:secretsmanager:eu-north-1:123456789012:secret:ziggie/*',
          },
          { Effect: 'Allow', Action: 's3:*', Resource: '*' },
        ],
      }),
    );
    expect(mixed.statements[0]?.action).toEqual(['secretsmanager:GetSecretValue']);
  });

  it('takes an action beside resources it does not apply to, as IAM does', () => {
    // IAM's own example grants ListAllMyBuckets on arn:aws:s3:::* (S3 would refuse this
    // pairing in a bucket policy).
    const doc = parseIdentityPolicy(
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: 'arn:aws:s3:::*' },
          { Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::assets/*' },
        ],
      }),
    );
    expect(doc.statements.map((st) => st.action)).toEqual([
      ['s3:ListAllMyBuckets'],
      ['s3:ListBucket'],
    ]);
  });

  it('takes an S3 action S3 does not have, as IAM does, and reports it; it matches no request', async () => {
    const doc = parseIdentityPolicy(
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['s3:GetObject', 's3:GetObjectMetadata', 's3:Frobnicate*'],
            Resource: '*',
          },
        ],
      }),
    );
    expect(doc.unrecognizedActions).toEqual(['s3:GetObjectMetadata', 's3:Frobnicate*']);
    const ok = parseIdentityPolicy(
      JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] }),
    );
    expect(ok.unrecognizedActions).toBeUndefined();
  });

  it('refuses a principal, an action without its service or not a name, and a resource that is not an ARN', async () => {
    const st = (s: Record<string, unknown>): string =>
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*', ...s }],
      });
    await expectError(
      () => parseIdentityPolicy(st({ Principal: '*' })),
      'E_MALFORMED_POLICY',
      'Policy document should not specify a principal (statement 1)',
    );
    for (const action of ['GetObject', 's3:Get Object', 's3:']) {
      await expectError(
        () => parseIdentityPolicy(st({ Action: action })),
        'E_MALFORMED_POLICY',
        `Policy has invalid action: "${action}" (statement 1)`,
      );
    }
    await expectError(
      () => parseIdentityPolicy(st({ Resource: 'ziggie-cloud-assets/*' })),
      'E_MALFORMED_POLICY',
      'Policy has invalid resource: "ziggie-cloud-assets/*" is not an ARN (statement 1)',
    );
  });
});
