import { describe, expect, it } from 'vitest';
import { equal } from './contract.js';
import { cors, policy } from './documents.js';

describe('equivalent documents another tool wrote are no drift', () => {
  const st = (sid: string, principal: unknown, condition?: object) => ({
    Sid: sid,
    Effect: 'Allow',
    Principal: principal,
    Action: 's3:GetObject',
    Resource: 'arn:aws:s3:::b/*',
    ...(condition ? { Condition: condition } : {}),
  });

  it('policy: statements in another order, "*" for {"AWS":"*"}, condition keys in another case', () => {
    const ours = {
      Version: '2012-10-17',
      Statement: [
        st('A', '*'),
        st(
          'B',
          { AWS: 'arn:aws:iam::000000000000:root' },
          { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
        ),
      ],
    };
    const theirs = {
      Version: '2012-10-17',
      Statement: [
        st(
          'B',
          { AWS: ['arn:aws:iam::000000000000:root'] },
          { IpAddress: { 'aws:sourceip': '10.0.0.0/8' } },
        ),
        st('A', { AWS: '*' }),
      ],
    };
    expect(equal(policy, ours, theirs)).toBe(true);
    // A real difference still shows.
    const other = {
      ...theirs,
      Statement: [theirs.Statement[0], st('A', { AWS: 'arn:aws:iam::1:root' })],
    };
    expect(equal(policy, ours, other)).toBe(false);
  });

  it('CORS: allowed and exposed header names in another case', () => {
    const rule = (headers: string[], expose: string[]) => ({
      CORSRules: [
        {
          AllowedOrigins: ['https://a.example'],
          AllowedMethods: ['GET'],
          AllowedHeaders: headers,
          ExposeHeaders: expose,
        },
      ],
    });
    expect(
      equal(
        cors,
        rule(['Content-Type', 'x-amz-*'], ['ETag']),
        rule(['content-type', 'X-Amz-*'], ['etag']),
      ),
    ).toBe(true);
    expect(equal(cors, rule(['Content-Type'], ['ETag']), rule(['Content-Length'], ['ETag']))).toBe(
      false,
    );
  });
});
