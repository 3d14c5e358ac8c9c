import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../documents/policy.js';
import { isPublicPolicy } from './public.js';

const BUCKET = 'ziggie-cloud-assets';

function policy(statement: Record<string, unknown>): ReturnType<typeof parsePolicy> {
  return parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: [statement] }), BUCKET);
}

const read = { Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/*` };

describe('isPublicPolicy', () => {
  it('seed 000 §1.3 (Principal "*" reading game-assets/*) is public', () => {
    expect(
      isPublicPolicy(
        policy({ Sid: 'PublicReadGetObject', Effect: 'Allow', Principal: '*', ...read }),
      ),
    ).toBe(true);
    expect(isPublicPolicy(policy({ Effect: 'Allow', Principal: { AWS: '*' }, ...read }))).toBe(
      true,
    );
  });
  it('a service principal pinned to a SourceArn, the account, a user or a Deny is not public', () => {
    expect(
      isPublicPolicy(
        policy({
          Effect: 'Allow',
          Principal: { Service: 'cloudfront.amazonaws.com' },
          ...read,
          Condition: { StringEquals: { 'AWS:SourceArn': 'arn:aws:cloudfront::1:distribution/D' } },
        }),
      ),
    ).toBe(false);
    expect(
      isPublicPolicy(policy({ Effect: 'Allow', Principal: { AWS: '000000000000' }, ...read })),
    ).toBe(false);
    expect(isPublicPolicy(policy({ Effect: 'Deny', Principal: '*', ...read }))).toBe(false);
  });
  it('fixed condition values make a wildcard principal non-public', () => {
    const withCondition = (Condition: Record<string, unknown>): boolean =>
      isPublicPolicy(policy({ Effect: 'Allow', Principal: '*', ...read, Condition }));
    expect(withCondition({ IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } })).toBe(false);
    expect(withCondition({ StringEquals: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } })).toBe(false);
    expect(withCondition({ StringEquals: { 'aws:PrincipalAccount': '000000000000' } })).toBe(false);
    expect(withCondition({ StringEquals: { 'aws:SourceAccount': '123456789012' } })).toBe(false);
  });
  it('wide CIDRs, wildcards, negations and IfExists do not', () => {
    const withCondition = (Condition: Record<string, unknown>): boolean =>
      isPublicPolicy(policy({ Effect: 'Allow', Principal: '*', ...read, Condition }));
    expect(withCondition({ IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } })).toBe(true);
    expect(withCondition({ IpAddress: { 'aws:SourceIp': '0.0.0.0/1' } })).toBe(true);
    expect(withCondition({ NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } })).toBe(true);
    expect(withCondition({ StringLike: { 'aws:SourceVpce': 'vpce-*' } })).toBe(true);
    expect(withCondition({ StringEqualsIfExists: { 'aws:SourceVpce': 'vpce-1' } })).toBe(true);
    expect(withCondition({ Bool: { 'aws:SecureTransport': 'true' } })).toBe(true);
    expect(withCondition({ StringLike: { 's3:prefix': 'home/' } })).toBe(true);
    // `anonymous` is the aws:userid of every anonymous request: fixed to it, anyone matches.
    expect(withCondition({ StringEquals: { 'aws:userid': 'anonymous' } })).toBe(true);
    expect(withCondition({ StringEqualsIgnoreCase: { 'aws:userid': 'Anonymous' } })).toBe(true);
    expect(withCondition({ StringEquals: { 'aws:userid': 'AIDAEXAMPLEUSERID' } })).toBe(false);
    // A policy variable is each caller's own value: no value is fixed by it.
    expect(withCondition({ StringEquals: { 'aws:userid': '${aws:userid}' } })).toBe(true);
    expect(withCondition({ StringEquals: { 'aws:SourceAccount': '${aws:SourceAccount}' } })).toBe(
      true,
    );
    expect(withCondition({ StringEquals: { 'aws:PrincipalAccount': 'x${aws:username}' } })).toBe(
      true,
    );
  });
  it('only "bad actions" (reads, lists, writes, deletes, restores) make it public', () => {
    const p = (Action: string | string[]): boolean =>
      isPublicPolicy(
        policy({
          Effect: 'Allow',
          Principal: '*',
          Action,
          Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
        }),
      );
    expect(p('s3:*')).toBe(true);
    expect(p('s3:ListBucket')).toBe(true);
    expect(p('s3:PutObject')).toBe(true);
    expect(p('s3:CreateBucket')).toBe(false);
  });
  it('NotPrincipal with Allow grants everyone else: public', () => {
    expect(
      isPublicPolicy(
        policy({
          Effect: 'Allow',
          NotPrincipal: { AWS: 'arn:aws:iam::000000000000:user/x' },
          ...read,
        }),
      ),
    ).toBe(true);
  });
  it('actions with ? or * wildcards count as the actions they match', () => {
    for (const Action of [
      's3:G?tObject',
      's3:?etObject',
      's3:*Object',
      's3:Get*',
      'S3:GETOBJECT',
    ]) {
      expect(
        isPublicPolicy(policy({ Effect: 'Allow', Principal: '*', ...read, Action })),
        Action,
      ).toBe(true);
    }
  });
  it('an IPv6 range of IPv4-mapped addresses is judged by the IPv4 clients it matches', () => {
    const withIp = (cidr: string): boolean =>
      isPublicPolicy(
        policy({
          Effect: 'Allow',
          Principal: '*',
          ...read,
          Condition: { IpAddress: { 'aws:SourceIp': cidr } },
        }),
      );
    expect(withIp('::ffff:0.0.0.0/96')).toBe(true);
    expect(withIp('::/80')).toBe(true);
    expect(withIp('0.0.0.0/1')).toBe(true);
    expect(withIp('::ffff:10.0.0.0/104')).toBe(false);
    expect(withIp('10.0.0.0/8')).toBe(false);
    expect(withIp('2001:db8::/32')).toBe(false);
  });
});
