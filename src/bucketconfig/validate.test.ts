import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { formatIssue, validateBuckets, type ValidationResult } from './validate.js';
import { bucketsSchema } from './schema.js';

/** Validates a `buckets:` section written as YAML; returns the formatted lines. */
function check(
  yaml: string,
  stores?: Record<string, unknown>,
): { errors: string[]; warnings: string[] } {
  const buckets = bucketsSchema.parse(parse(yaml));
  const result: ValidationResult = validateBuckets({ buckets, stores } as never);
  return {
    errors: result.errors.map((i) => formatIssue('error', i)),
    warnings: result.warnings.map((i) => formatIssue('warning', i)),
  };
}

const SMALL = 'filter: { objectSizeGreaterThan: 131072 }';

describe('validateBuckets: lifecycle', () => {
  it('refuses STANDARD_IA and ONEZONE_IA before 30 days', () => {
    expect(
      check(`
b1x:
  lifecycle:
    - id: r1
      ${SMALL}
      transitions: [{ after: 7d, storageClass: STANDARD_IA }]
    - id: r2
      ${SMALL}
      noncurrentVersionTransitions: [{ after: 10d, storageClass: ONEZONE_IA }]
`).errors,
    ).toEqual([
      'error: bucket "b1x", lifecycle rule "r1", transitions[0].days: STANDARD_IA needs at least 30 days, got 7 (S3 refuses earlier transitions to infrequent access)',
      'error: bucket "b1x", lifecycle rule "r2", noncurrentVersionTransitions[0].noncurrentDays: ONEZONE_IA needs at least 30 days, got 10 (S3 refuses earlier transitions to infrequent access)',
    ]);
  });

  it('refuses what S3 refuses whatever the numbers: no action, tag or size filters with untagged actions, dates off midnight …', () => {
    expect(
      check(`
b1x:
  lifecycle:
    - { id: none, prefix: tmp/ }
    - id: tagged
      filter: { tags: [{ key: team, value: a }] }
      abortIncompleteMultipartUpload: 7d
    - id: sized
      filter: { objectSizeGreaterThan: 10 }
      expiration: { expiredObjectDeleteMarker: true }
    - id: nothing-fits
      filter: { objectSizeGreaterThan: 500, objectSizeLessThan: 100 }
      expiration: 30d
    - id: twice
      filter: { tags: [{ key: team, value: a }, { key: team, value: b }] }
      expiration: 30d
    - id: noon
      expiration: { date: '2027-01-31T12:00:00Z' }
    - id: mixed
      transitions: [{ date: '2027-01-31T00:00:00Z', storageClass: GLACIER }, { after: 200d, storageClass: DEEP_ARCHIVE }]
`).errors,
    ).toEqual([
      'error: bucket "b1x", lifecycle rule "none", rule: a rule needs at least one action (expiration, a transition …)',
      'error: bucket "b1x", lifecycle rule "tagged", abortIncompleteMultipartUpload: S3 refuses abortIncompleteMultipartUpload with a tag filter: uploads and delete markers carry no tags',
      'error: bucket "b1x", lifecycle rule "sized", expiration.expiredObjectDeleteMarker: S3 refuses expiration.expiredObjectDeleteMarker with an object size filter',
      'error: bucket "b1x", lifecycle rule "nothing-fits", filter: objectSizeGreaterThan (500) must be less than objectSizeLessThan (100): no object fits',
      'error: bucket "b1x", lifecycle rule "twice", filter.tags: the tag key "team" is given twice',
      'error: bucket "b1x", lifecycle rule "noon", expiration.date: 2027-01-31T12:00:00.000Z is not midnight UTC, the only time S3 takes in a lifecycle date',
      'error: bucket "b1x", lifecycle rule "mixed", transitions: S3 refuses transitions by date and by days in one rule',
    ]);
  });

  it('refuses transitions out of time order', () => {
    expect(
      check(`
b1x:
  lifecycle:
    - id: r1
      transitions: [{ after: 90d, storageClass: GLACIER }, { after: 60d, storageClass: DEEP_ARCHIVE }]
`).errors,
    ).toEqual([
      'error: bucket "b1x", lifecycle rule "r1", transitions[1].days: 60 days is not after the previous transition (90 days to GLACIER); list transitions in time order',
    ]);
  });

  it('refuses GLACIER_IR after GLACIER (a warmer class later)', () => {
    expect(
      check(`
b1x:
  lifecycle:
    - id: r1
      ${SMALL}
      transitions: [{ after: 30d, storageClass: GLACIER }, { after: 90d, storageClass: GLACIER_IR }]
`).errors,
    ).toEqual([
      'error: bucket "b1x", lifecycle rule "r1", transitions[1].storageClass: GLACIER_IR cannot follow GLACIER; transitions only move objects to colder classes (STANDARD_IA -> INTELLIGENT_TIERING -> ONEZONE_IA -> GLACIER_IR -> GLACIER -> DEEP_ARCHIVE)',
    ]);
  });

  it('refuses leaving STANDARD_IA within 30 days', () => {
    expect(
      check(`
b1x:
  lifecycle:
    - id: r1
      ${SMALL}
      transitions: [{ after: 30d, storageClass: STANDARD_IA }, { after: 45d, storageClass: GLACIER }]
`).errors,
    ).toEqual([
      'error: bucket "b1x", lifecycle rule "r1", transitions[1].days: GLACIER at 45 days is only 15 days after STANDARD_IA; S3 requires objects to stay at least 30 days in STANDARD_IA',
    ]);
  });

  it('refuses a transition at or after the expiration', () => {
    expect(
      check(`
b1x:
  lifecycle:
    - id: r1
      transitions: [{ after: 1y, storageClass: GLACIER }]
      expiration: 180d
`).errors,
    ).toEqual([
      'error: bucket "b1x", lifecycle rule "r1", transitions[0].days: GLACIER at 365 days is not before the expiration at 180 days; objects would be deleted first',
    ]);
  });

  it('refuses an expiration on a bucket with object lock', () => {
    expect(
      check(`
b1x:
  versioning: Enabled
  objectLock: { mode: GOVERNANCE, days: 30d }
  lifecycle: [{ id: r1, expiration: 2y }]
`).errors,
    ).toEqual([
      'error: bucket "b1x", lifecycle rule "r1", expiration: the bucket has object lock, which keeps locked object versions; an expiration cannot be combined with object lock',
    ]);
  });

  it('refuses duplicate rule ids', () => {
    expect(
      check(`
b1x:
  lifecycle: [{ id: same, expiration: 30 }, { id: same, expiration: 60 }]
`).errors,
    ).toEqual([
      'error: bucket "b1x", lifecycle rule "same", id: another lifecycle rule already has the id "same"',
    ]);
  });

  it('warns about small objects in IA and Glacier IR, and minimum storage durations', () => {
    const { errors, warnings } = check(`
b1x:
  lifecycle:
    - id: r1
      transitions: [{ after: 30d, storageClass: GLACIER_IR }, { after: 1y, storageClass: DEEP_ARCHIVE }]
      expiration: 400d
`);
    expect(errors).toEqual([]);
    expect(warnings).toEqual([
      'warning: bucket "b1x", lifecycle rule "r1", transitions[0].storageClass: objects under 128 KB moved to GLACIER_IR are billed as 128 KB each; add filter objectSizeGreaterThan: 131072 to keep them in STANDARD',
      'warning: bucket "b1x", lifecycle rule "r1", transitions[1].days: DEEP_ARCHIVE bills at least 180 days of storage, but objects expire 35 days after this transition (at 400 days)',
    ]);
  });

  it('does not warn about small objects when the filter keeps them out', () => {
    expect(
      check(`
b1x:
  lifecycle:
    - id: r1
      filter: { prefix: a/, objectSizeGreaterThan: 131072 }
      transitions: [{ after: 30d, storageClass: STANDARD_IA }]
`).warnings,
    ).toEqual([]);
  });
});

describe('validateBuckets: other sub-resources', () => {
  it('refuses Intelligent-Tiering days out of range', () => {
    expect(
      check(`
b1x:
  intelligentTiering:
    - id: t1
      tierings: { ARCHIVE_ACCESS: 30d, DEEP_ARCHIVE_ACCESS: 3y }
`).errors,
    ).toEqual([
      'error: bucket "b1x", intelligent-tiering configuration "t1", tierings[0].days: ARCHIVE_ACCESS needs 90 to 730 days, got 30',
      'error: bucket "b1x", intelligent-tiering configuration "t1", tierings[1].days: DEEP_ARCHIVE_ACCESS needs 180 to 730 days, got 1095',
    ]);
  });

  it('refuses a public policy under a public-access-block', () => {
    expect(
      check(`
b1x:
  publicRead: [game-assets/]
  publicAccessBlock: true
`).errors,
    ).toEqual([
      'error: bucket "b1x", policy: the policy makes the bucket public (statement "StowagePublicRead") but publicAccessBlock.blockPublicPolicy is true, so S3 would refuse it with AccessDenied',
    ]);
  });

  it('allows a public policy when only ACLs are blocked', () => {
    expect(
      check(`
b1x:
  publicRead: [game-assets/]
  publicAccessBlock: { blockPublicAcls: true, ignorePublicAcls: true }
`).errors,
    ).toEqual([]);
  });

  it('refuses replication without versioning on both sides', () => {
    expect(
      check(`
src1:
  replication:
    rules: [{ id: crit, prefix: critical/, destination: { bucket: dst1 } }]
dst1: {}
`).errors,
    ).toEqual([
      'error: bucket "src1", versioning: replication needs versioning: Enabled on the source bucket (S3 refuses replication without it)',
      'error: bucket "src1", replication rule "crit", destination.bucket: destination bucket "dst1" needs versioning: Enabled (replication requires versioning on both sides)',
    ]);
  });

  it('warns about an inventory destination the file does not declare (plan checks the store)', () => {
    const r = check(`
b1x:
  inventory: [{ id: daily, destination: nowhere-logs }]
`);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([
      'warning: bucket "b1x", inventory configuration "daily", destination.bucket: bucket "nowhere-logs" is not declared in this file; plan checks that it exists in the store',
    ]);
  });

  it('refuses object lock without versioning Enabled', () => {
    expect(
      check(`
b1x:
  objectLock: { mode: GOVERNANCE, days: 30d }
`).errors,
    ).toEqual([
      'error: bucket "b1x", objectLock: object lock needs versioning: Enabled (S3 turns versioning on with object lock and cannot suspend it)',
    ]);
  });

  it('refuses a non-private canned ACL with BucketOwnerEnforced ownership', () => {
    expect(
      check(`
b1x:
  objectOwnership: BucketOwnerEnforced
  acl: public-read
`).errors,
    ).toEqual([
      'error: bucket "b1x", acl: the canned ACL "public-read" needs ACLs, but objectOwnership BucketOwnerEnforced disables them, so S3 would refuse it (use BucketOwnerPreferred or ObjectWriter)',
    ]);
  });

  it('refuses duplicate notification target ids across webhooks and ARNs', () => {
    expect(
      check(`
b1x:
  notifications:
    - { id: uploads, url: 'https://hooks.example.com/a', events: ['s3:ObjectCreated:*'] }
    - { id: uploads, topicArn: 'arn:aws:sns:us-east-1:1:t', events: ['s3:ObjectRemoved:*'] }
`).errors,
    ).toEqual([
      'error: bucket "b1x", notification target "uploads", id: another notification target already has the id "uploads"',
    ]);
  });

  it('refuses a CORS origin or allowed header with more than one wildcard', () => {
    expect(
      check(`
b1x:
  cors: [{ allowedOrigins: ['https://*.*.ziggie.cloud'], allowedMethods: [GET], allowedHeaders: ['x-*-*'] }]
`).errors,
    ).toEqual([
      'error: bucket "b1x", cors[0].allowedOrigins[0]: origin "https://*.*.ziggie.cloud" has 2 wildcards; S3 allows at most one "*" in an origin',
      'error: bucket "b1x", cors[0].allowedHeaders[0]: header "x-*-*" has 2 wildcards; S3 allows at most one "*" in an allowed header',
    ]);
  });

  it('refuses bucket tags S3 refuses: over 50, an aws: key, characters outside its set', () => {
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
    const tags = (t: Record<string, string>) =>
      check(`b1x:\n  tags: ${JSON.stringify(t)}\n`).errors;
    expect(tags(many)).toEqual([
      'error: bucket "b1x", tags: Bucket tag count cannot be greater than 50; got 51',
    ]);
    expect(tags({ 'aws:owner': 'x' })).toEqual([
      'error: bucket "b1x", tags: tag key "aws:owner" uses the reserved prefix "aws:"',
    ]);
    expect(tags({ team: 'a<b>' })[0]).toContain('The TagValue you have provided is invalid');
    expect(tags({ team: 'games', 'cost-center': '42' })).toEqual([]);
  });

  it('refuses duplicate ids among CORS rules, inventory and Intelligent-Tiering configurations', () => {
    expect(
      check(`
b1x:
  cors: [{ id: c, allowedOrigins: ['*'], allowedMethods: [GET] }, { id: c, allowedOrigins: ['*'], allowedMethods: [PUT] }]
  intelligentTiering: [{ id: t, tierings: { ARCHIVE_ACCESS: 90 } }, { id: t, tierings: { ARCHIVE_ACCESS: 120 } }]
  inventory: [{ id: i, destination: b1x }, { id: i, destination: b1x }]
`).errors,
    ).toEqual([
      'error: bucket "b1x", CORS rule "c", id: another CORS rule already has the id "c"',
      'error: bucket "b1x", intelligent-tiering configuration "t", id: another intelligent-tiering configuration already has the id "t"',
      'error: bucket "b1x", inventory configuration "i", id: another inventory configuration already has the id "i"',
    ]);
  });

  it('refuses a declared statement that reuses a helper Sid', () => {
    expect(
      check(`
b1x:
  publicRead: [a/]
  policy:
    Statement:
      - { Sid: StowagePublicRead, Effect: Allow, Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b1x/b/*' }
`).errors,
    ).toEqual([
      'error: bucket "b1x", policy: the Sid "StowagePublicRead" is reserved for the statement of publicRead; rename the declared statement',
    ]);
  });

  it('refuses a store that stores: does not declare', () => {
    expect(check('b1x: { store: aws }', { local: {} }).errors).toEqual([
      'error: bucket "b1x", store: store "aws" is not declared in stores: (local)',
    ]);
  });

  it('reports an invalid policy document', () => {
    expect(check('b1x: { policy: { Statement: [{ Effect: Allow }] } }').errors[0]).toMatch(
      /^error: bucket "b1x", policy: /,
    );
  });
});
