import { describe, expect, it } from 'vitest';
import type { PolicyCondition } from '../documents/policy-conditions.js';
import { parseConditions, parseDate } from '../documents/policy-conditions.js';
import { conditionHolds, ipInCidr, policyPattern, type ConditionScope } from './conditions.js';

function scope(keys: Record<string, string | string[]>, variables = true): ConditionScope {
  return {
    variables,
    keys: new Map(
      Object.entries(keys).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v : [v]]),
    ),
  };
}

/** Parses one Condition block (the real parser) and says whether all its tests hold. */
function holds(
  condition: Record<string, unknown>,
  keys: Record<string, string | string[]>,
): boolean {
  const conds: PolicyCondition[] = parseConditions(condition, 'test');
  return conds.every((c) => conditionHolds(c, scope(keys)));
}

describe('string operators', () => {
  it('StringEquals is exact and case-sensitive; keys are case-insensitive', () => {
    expect(holds({ StringEquals: { 's3:prefix': 'home/' } }, { 's3:prefix': 'home/' })).toBe(true);
    expect(holds({ StringEquals: { 'S3:Prefix': 'home/' } }, { 's3:prefix': 'Home/' })).toBe(false);
    expect(
      holds({ StringEqualsIgnoreCase: { 's3:prefix': 'HOME/' } }, { 's3:prefix': 'home/' }),
    ).toBe(true);
  });
  it('StringLike takes * and ? globs', () => {
    expect(holds({ StringLike: { 's3:prefix': 'home/*' } }, { 's3:prefix': 'home/a/b' })).toBe(
      true,
    );
    expect(holds({ StringLike: { 's3:prefix': 'h?me/' } }, { 's3:prefix': 'home/' })).toBe(true);
    expect(holds({ StringLike: { 's3:prefix': 'home/*' } }, { 's3:prefix': 'work/x' })).toBe(false);
    expect(holds({ StringNotLike: { 's3:prefix': 'home/*' } }, { 's3:prefix': 'work/x' })).toBe(
      true,
    );
  });
  it('substitutes policy variables literally, and a missing variable matches nothing', () => {
    const keys = { 's3:prefix': 'home/alice/x', 'aws:username': 'alice' };
    expect(holds({ StringLike: { 's3:prefix': 'home/${aws:username}/*' } }, keys)).toBe(true);
    expect(
      holds(
        { StringLike: { 's3:prefix': 'home/${aws:username}/*' } },
        { 's3:prefix': 'home/bob/x', 'aws:username': 'alice' },
      ),
    ).toBe(false);
    expect(
      holds(
        { StringLike: { 's3:prefix': 'home/${aws:username}/*' } },
        { 's3:prefix': 'home/alice/x' },
      ),
    ).toBe(false);
    // A `*` inside a substituted value is not a wildcard.
    const re = policyPattern('a/${aws:username}', scope({ 'aws:username': '*' }), { glob: true });
    expect(re?.test('a/anything')).toBe(false);
    expect(re?.test('a/*')).toBe(true);
    // 2008-10-17 policies have no variables: `${` is literal.
    expect(
      policyPattern('${aws:username}', scope({}, false), { glob: false })?.test('${aws:username}'),
    ).toBe(true);
  });
  it("a policy variable's default value stands in when the key is absent (IAM 'Specifying default values')", () => {
    const withDefault = "home/${aws:username, 'shared'}/*";
    const glob = { glob: true };
    expect(policyPattern(withDefault, scope({}), glob)?.test('home/shared/a')).toBe(true);
    expect(
      policyPattern(withDefault, scope({ 'aws:username': 'ada' }), glob)?.test('home/ada/a'),
    ).toBe(true);
    expect(
      policyPattern(withDefault, scope({ 'aws:username': 'ada' }), glob)?.test('home/shared/a'),
    ).toBe(false);
    // Spaces around the comma, an empty default, and a default that is literal text.
    expect(policyPattern("${aws:username,''}x", scope({}), glob)?.test('x')).toBe(true);
    expect(policyPattern("${ aws:username , 'a*b' }", scope({}), glob)?.test('a*b')).toBe(true);
    expect(policyPattern("${ aws:username , 'a*b' }", scope({}), glob)?.test('axxb')).toBe(false);
  });
  it('any of several policy values may match', () => {
    expect(
      holds(
        { StringEquals: { 's3:x-amz-acl': ['private', 'bucket-owner-full-control'] } },
        { 's3:x-amz-acl': 'private' },
      ),
    ).toBe(true);
  });
});

describe('missing keys', () => {
  it('a positive operator is false, a negated one true, IfExists true', () => {
    expect(holds({ StringEquals: { 's3:x-amz-acl': 'private' } }, {})).toBe(false);
    expect(holds({ StringNotEquals: { 's3:x-amz-acl': 'private' } }, {})).toBe(true);
    expect(holds({ StringEqualsIfExists: { 's3:x-amz-acl': 'private' } }, {})).toBe(true);
    expect(
      holds(
        { StringEqualsIfExists: { 's3:x-amz-acl': 'private' } },
        { 's3:x-amz-acl': 'public-read' },
      ),
    ).toBe(false);
    expect(holds({ NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }, {})).toBe(true);
  });
  it('Null tests presence', () => {
    expect(holds({ Null: { 's3:x-amz-server-side-encryption': 'true' } }, {})).toBe(true);
    expect(
      holds(
        { Null: { 's3:x-amz-server-side-encryption': 'true' } },
        { 's3:x-amz-server-side-encryption': 'AES256' },
      ),
    ).toBe(false);
    expect(
      holds(
        { Null: { 's3:x-amz-server-side-encryption': false } },
        { 's3:x-amz-server-side-encryption': 'AES256' },
      ),
    ).toBe(true);
    expect(holds({ Null: { 's3:x-amz-server-side-encryption': false } }, {})).toBe(false);
    // Several values are OR'ed, as for every operator: true and false together always hold.
    const either = { Null: { 's3:x-amz-server-side-encryption': ['true', 'false'] } };
    expect(holds(either, {})).toBe(true);
    expect(holds(either, { 's3:x-amz-server-side-encryption': 'AES256' })).toBe(true);
  });
});

describe('numeric, date and bool', () => {
  it('compares numbers; a non-number never matches', () => {
    expect(holds({ NumericLessThanEquals: { 's3:max-keys': 100 } }, { 's3:max-keys': '50' })).toBe(
      true,
    );
    expect(holds({ NumericLessThanEquals: { 's3:max-keys': 100 } }, { 's3:max-keys': '500' })).toBe(
      false,
    );
    expect(holds({ NumericGreaterThan: { 's3:max-keys': 10 } }, { 's3:max-keys': 'lots' })).toBe(
      false,
    );
    // Number('') is 0 and Number('0x10') 16: neither is a number here.
    for (const text of ['', ' ', '0x10', '1e1']) {
      expect(holds({ NumericLessThanEquals: { 's3:max-keys': 3 } }, { 's3:max-keys': text })).toBe(
        false,
      );
    }
    expect(holds({ NumericLessThanEquals: { 's3:max-keys': 3 } }, { 's3:max-keys': ' 2 ' })).toBe(
      true,
    );
    expect(holds({ NumericLessThan: { 's3:TlsVersion': 1.2 } }, { 's3:TlsVersion': '1.3' })).toBe(
      false,
    );
  });
  it('compares dates in ISO 8601 or epoch seconds', () => {
    const keys = { 'aws:CurrentTime': '2026-06-01T00:00:00Z', 'aws:EpochTime': '1780272000' };
    expect(holds({ DateLessThan: { 'aws:CurrentTime': '2027-01-01T00:00:00Z' } }, keys)).toBe(true);
    expect(holds({ DateGreaterThan: { 'aws:CurrentTime': '2027-01-01' } }, keys)).toBe(false);
    expect(holds({ DateLessThan: { 'aws:EpochTime': 1798761600 } }, keys)).toBe(true);
    expect(parseDate('1700000000')).toBe(1_700_000_000_000);
    expect(parseDate('yesterday')).toBeNaN();
  });
  it("reads dates in IAM's W3C profile of ISO 8601: a year, a month, a time without a zone in UTC", () => {
    // A bare year is the year, not epoch second 2030 (a moment of 1970).
    expect(parseDate('2030')).toBe(Date.UTC(2030, 0, 1));
    expect(parseDate('2027-01')).toBe(Date.UTC(2027, 0, 1));
    expect(parseDate('2026-12-06T10:00:00')).toBe(Date.UTC(2026, 11, 6, 10));
    expect(parseDate('2026-12-06T10:00')).toBe(Date.UTC(2026, 11, 6, 10));
    expect(parseDate('2027-01-31T10:00:00.5+01:00')).toBe(Date.UTC(2027, 0, 31, 9, 0, 0, 500));
    for (const bad of ['2027-02-30', '2027-13', '2026-12-31T23:59:60Z', 'yesterday', '']) {
      expect(parseDate(bad), bad).toBeNaN();
    }
    const keys = { 'aws:CurrentTime': '2026-06-01T00:00:00Z' };
    expect(holds({ DateGreaterThan: { 'aws:CurrentTime': '2030' } }, keys)).toBe(false);
    expect(holds({ DateLessThan: { 'aws:CurrentTime': '2030' } }, keys)).toBe(true);
  });
  it('reads numbers with a sign, a fraction or an exponent, as JSON writes them', () => {
    const keys = { 's3:max-keys': '10' };
    expect(holds({ NumericLessThanEquals: { 's3:max-keys': '+10' } }, keys)).toBe(true);
    expect(holds({ NumericLessThan: { 's3:max-keys': '1e2' } }, keys)).toBe(true);
    expect(holds({ NumericGreaterThan: { 's3:max-keys': 1e-7 } }, keys)).toBe(true);
    expect(holds({ NumericGreaterThan: { 's3:max-keys': '.5' } }, keys)).toBe(true);
    expect(holds({ NumericEquals: { 's3:max-keys': '0x0A' } }, keys)).toBe(false);
  });
  it('Bool compares true/false', () => {
    expect(
      holds({ Bool: { 'aws:SecureTransport': 'false' } }, { 'aws:SecureTransport': 'false' }),
    ).toBe(true);
    expect(
      holds({ Bool: { 'aws:SecureTransport': false } }, { 'aws:SecureTransport': 'true' }),
    ).toBe(false);
  });
});

describe('IP addresses', () => {
  it('matches IPv4 and IPv6 CIDRs, IPv4-mapped addresses, bare addresses', () => {
    expect(ipInCidr('127.0.0.1', '127.0.0.1/32')).toBe(true);
    expect(ipInCidr('127.0.0.1', '10.0.0.0/8')).toBe(false);
    expect(ipInCidr('::ffff:10.1.2.3', '10.0.0.0/8')).toBe(true);
    expect(ipInCidr('2001:db8::5', '2001:db8::/32')).toBe(true);
    expect(ipInCidr('2001:db9::5', '2001:db8::/32')).toBe(false);
    expect(ipInCidr('192.0.2.7', '192.0.2.7')).toBe(true);
    expect(ipInCidr('192.0.2.7', 'not-an-ip/8')).toBe(false);
    expect(ipInCidr('192.0.2.7', '192.0.2.0/40')).toBe(false);
  });
  it('IpAddress and NotIpAddress', () => {
    const keys = { 'aws:SourceIp': '127.0.0.1' };
    expect(holds({ IpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '127.0.0.0/8'] } }, keys)).toBe(
      true,
    );
    expect(holds({ NotIpAddress: { 'aws:SourceIp': '127.0.0.0/8' } }, keys)).toBe(false);
  });
});

describe('ARN operators', () => {
  it('ArnLike and ArnEquals take wildcards, case-sensitively', () => {
    const keys = { 'aws:PrincipalArn': 'arn:aws:iam::000000000000:user/vps' };
    expect(
      holds({ ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::000000000000:user/*' } }, keys),
    ).toBe(true);
    expect(
      holds({ ArnEquals: { 'aws:PrincipalArn': 'arn:aws:iam::000000000000:user/VPS' } }, keys),
    ).toBe(false);
    expect(holds({ ArnNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::111111111111:*' } }, keys)).toBe(
      true,
    );
  });
  it('aws:SourceArn is never present on direct requests', () => {
    expect(
      holds({ StringEquals: { 'AWS:SourceArn': 'arn:aws:cloudfront::1:distribution/D' } }, {}),
    ).toBe(false);
  });
});

describe('set qualifiers', () => {
  const tags = { 's3:RequestObjectTagKeys': ['team', 'cost'] };
  it('ForAllValues: every request value is allowed; empty or missing is true', () => {
    expect(
      holds(
        { 'ForAllValues:StringEquals': { 's3:RequestObjectTagKeys': ['team', 'cost', 'env'] } },
        tags,
      ),
    ).toBe(true);
    expect(
      holds({ 'ForAllValues:StringEquals': { 's3:RequestObjectTagKeys': ['team'] } }, tags),
    ).toBe(false);
    expect(
      holds({ 'ForAllValues:StringEquals': { 's3:RequestObjectTagKeys': ['team'] } }, {}),
    ).toBe(true);
  });
  it('ForAnyValue: at least one request value matches; missing is false', () => {
    expect(holds({ 'ForAnyValue:StringEquals': { 's3:RequestObjectTagKeys': 'cost' } }, tags)).toBe(
      true,
    );
    expect(holds({ 'ForAnyValue:StringEquals': { 's3:RequestObjectTagKeys': 'env' } }, tags)).toBe(
      false,
    );
    expect(holds({ 'ForAnyValue:StringEquals': { 's3:RequestObjectTagKeys': 'env' } }, {})).toBe(
      false,
    );
    expect(
      holds({ 'ForAnyValue:StringNotEquals': { 's3:RequestObjectTagKeys': 'team' } }, tags),
    ).toBe(true);
  });
});
