import { describe, expect, it } from 'vitest';
import { camelKey } from './schema-helpers.js';
import { bucketsSchema } from './schema.js';

function issues(input: unknown): string[] {
  const result = bucketsSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('camelKey', () => {
  it.each([
    ['ID', 'id'],
    ['Id', 'id'],
    ['AllowedOrigins', 'allowedOrigins'],
    ['CORSRules', 'corsRules'],
    ['KMSMasterKeyID', 'kmsMasterKeyId'],
    ['SSEAlgorithm', 'sseAlgorithm'],
    ['S3BucketDestination', 's3BucketDestination'],
    ['maxAgeSeconds', 'maxAgeSeconds'],
  ])('%s -> %s', (from, to) => {
    expect(camelKey(from)).toBe(to);
  });
});

describe('bucketsSchema', () => {
  it('names the field of a bad duration', () => {
    expect(
      issues({
        b1x: { lifecycle: [{ id: 'r', transitions: [{ after: '3x', storageClass: 'GLACIER' }] }] },
      }),
    ).toEqual([
      'b1x.lifecycle.0.transitions.0.after: invalid duration "3x": use a whole number of days or a number with a unit d, w, y or h (e.g. 30d, 12w, 2y, 24h)',
    ]);
  });

  it('refuses months in an expiration', () => {
    expect(issues({ b1x: { lifecycle: [{ id: 'r', expiration: '6m' }] } })[0]).toContain(
      'months are ambiguous',
    );
  });

  it('refuses a bad bucket name, an unknown key and a prefix placeholder without a slash', () => {
    expect(issues({ B: {} })).toEqual([
      'B: "B" is not a bucket name: it must be 3 to 63 characters long',
    ]);
    // S3's whole rule set, as a store applies it.
    for (const [name, problem] of [
      ['Bucket-1', 'may contain only lowercase letters'],
      ['my..bucket', 'must not contain two adjacent dots'],
      ['my.-bucket', 'must not contain a dot next to a hyphen'],
      ['192.168.1.1', 'must not be formatted as an IP address'],
      ['xn--foo', 'must not start with the reserved prefix "xn--"'],
      ['foo-s3alias', 'must not end with the reserved suffix "-s3alias"'],
    ]) {
      expect(issues({ [name!]: {} })[0]).toContain(`"${name}" is not a bucket name: it ${problem}`);
    }
    expect(issues({ b1x: { versionning: true } })[0]).toContain('versionning');
    expect(issues({ b1x: { prefixes: ['sprites'] } })).toEqual([
      'b1x.prefixes.0: expected a folder prefix ending in "/"',
    ]);
  });

  it('names the expected keys of an unknown key, at every level at once', () => {
    expect(
      issues({
        b1x: { Versioning: true, cors: [{ AllowedOrigin: ['*'], AllowedMethods: ['GET'] }] },
      }),
    ).toEqual([
      'b1x.cors.0.allowedOrigins: Invalid input: expected array, received undefined',
      'b1x.cors.0.AllowedOrigin: unknown key (expected one of id, allowedOrigins, allowedMethods, allowedHeaders, exposeHeaders, maxAgeSeconds)',
      'b1x.Versioning: unknown key (expected one of store, region, versioning, objectLock, objectOwnership, acl, policy, publicRead, denyInsecureTransport, cors, lifecycle, intelligentTiering, encryption, publicAccessBlock, logging, inventory, replication, tags, notifications, prefixes)',
    ]);
  });

  it('refuses a notification target with no or two destinations, or a bad event or URL', () => {
    const events = ['s3:ObjectCreated:*'];
    expect(issues({ b1x: { notifications: [{ id: 'n', events }] } })).toEqual([
      'b1x.notifications.0: expected exactly one destination: url, queueArn, topicArn, lambdaFunctionArn',
    ]);
    expect(
      issues({
        b1x: {
          notifications: [
            { id: 'n', url: 'https://h.example/', topicArn: 'arn:aws:sns:x', events },
          ],
        },
      }),
    ).toEqual([
      'b1x.notifications.0: expected exactly one destination: url, queueArn, topicArn, lambdaFunctionArn',
    ]);
    expect(
      issues({
        b1x: { notifications: [{ id: 'n', url: 'https://h.example/', events: ['ObjectCreated'] }] },
      }),
    ).toEqual(['b1x.notifications.0.events.0: expected an S3 event such as s3:ObjectCreated:*']);
    expect(
      issues({ b1x: { notifications: [{ id: 'n', url: 'ftp://h.example/', events }] } })[0],
    ).toContain('b1x.notifications.0.url');
  });

  it('accepts a bucket declared with no settings (null in YAML)', () => {
    expect(bucketsSchema.parse({ logs1: null })).toEqual({ logs1: {} });
  });

  it('refuses a transition with both days and after', () => {
    expect(
      issues({
        b1x: {
          lifecycle: [
            { id: 'r', transitions: [{ days: 30, after: '30d', storageClass: 'GLACIER' }] },
          ],
        },
      }),
    ).toEqual([
      'b1x.lifecycle.0.transitions.0: expected exactly one of days, after, date (got days, after)',
    ]);
  });

  it('refuses a policy that is not JSON', () => {
    expect(issues({ b1x: { policy: '{nope' } })).toEqual([
      'b1x.policy: expected a JSON object (the policy document)',
    ]);
  });
});
