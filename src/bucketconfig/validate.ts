/**
 * Validation that knows S3: the checks S3 would make (or the costs it would bill) on the
 * desired state, before any store is touched. Every issue names bucket, rule id and field;
 * see docs/bucketconfig.md for the list.
 */
import type { StowageConfig } from '../config/schema.js';
import { toStowageError } from '../errors.js';
import { parsePolicy } from '../s3api/documents/policy.js';
import { validateBucketTagging } from '../s3api/documents/tagging.js';
import { escapeXml } from '../s3api/xml/build.js';
import { isPublicStatement } from '../s3api/policy/public.js';
import { bucketNameOf, type DesiredBucket } from './canonical.js';
import { IssueSink, type ValidationResult } from './issues.js';
import { desiredState } from './normalize.js';
import { DENY_INSECURE_TRANSPORT_SID, PUBLIC_READ_SID } from './normalize-policy.js';
import { validateLifecycle } from './validate-lifecycle.js';

export { formatIssue, type Issue, type ValidationResult } from './issues.js';

/** Intelligent-Tiering's allowed days per access tier. */
const TIER_DAYS = { ARCHIVE_ACCESS: [90, 730], DEEP_ARCHIVE_ACCESS: [180, 730] } as const;

const PUBLIC_ACLS = new Set(['public-read', 'public-read-write', 'authenticated-read']);

function validateTiering(sink: IssueSink, b: DesiredBucket): void {
  const configs = b.intelligentTiering ?? [];
  sink.duplicates(
    b.name,
    'intelligentTiering',
    configs.map((c) => c.Id),
  );
  for (const c of configs) {
    c.Tierings.forEach((t, i) => {
      const [min, max] = TIER_DAYS[t.AccessTier];
      if (t.Days < min || t.Days > max) {
        sink.error(
          b.name,
          'intelligentTiering',
          c.Id,
          `tierings[${i}].days`,
          `${t.AccessTier} needs ${min} to ${max} days, got ${t.Days}`,
        );
      }
    });
    const archive = c.Tierings.find((t) => t.AccessTier === 'ARCHIVE_ACCESS');
    const deep = c.Tierings.findIndex((t) => t.AccessTier === 'DEEP_ARCHIVE_ACCESS');
    if (archive && deep >= 0 && c.Tierings[deep]!.Days <= archive.Days) {
      sink.error(
        b.name,
        'intelligentTiering',
        c.Id,
        `tierings[${deep}].days`,
        `DEEP_ARCHIVE_ACCESS at ${c.Tierings[deep]!.Days} days must be later than ARCHIVE_ACCESS at ${archive.Days} days`,
      );
    }
  }
}

function validateCors(sink: IssueSink, b: DesiredBucket): void {
  const rules = b.cors?.CORSRules ?? [];
  sink.duplicates(
    b.name,
    'cors',
    rules.map((r) => r.ID),
  );
  rules.forEach((r, i) => {
    // S3 allows one "*" in an origin and in an allowed header.
    const lists = [
      ['allowedOrigins', 'origin', 'an origin', r.AllowedOrigins],
      ['allowedHeaders', 'header', 'an allowed header', r.AllowedHeaders ?? []],
    ] as const;
    for (const [list, noun, place, values] of lists) {
      values.forEach((value, j) => {
        const wildcards = value.split('*').length - 1;
        if (wildcards <= 1) return;
        const field = r.ID !== undefined ? `${list}[${j}]` : `cors[${i}].${list}[${j}]`;
        sink.error(
          b.name,
          'cors',
          r.ID,
          field,
          `${noun} "${value}" has ${wildcards} wildcards; S3 allows at most one "*" in ${place}`,
        );
      });
    }
  });
}

/** Bucket tags, checked by the very rules the S3 front end applies (count, aws:, text). */
function validateTags(sink: IssueSink, b: DesiredBucket): void {
  if (b.tags === undefined) return;
  const tag = (t: { Key: string; Value: string }) =>
    `<Tag><Key>${escapeXml(t.Key)}</Key><Value>${escapeXml(t.Value)}</Value></Tag>`;
  try {
    validateBucketTagging(`<Tagging><TagSet>${b.tags.map(tag).join('')}</TagSet></Tagging>`);
  } catch (err) {
    sink.error(b.name, 'tags', undefined, 'tags', toStowageError(err).message);
  }
}

/** Object lock, object ownership and the ACL; duplicate notification ids. */
function validateAccess(sink: IssueSink, b: DesiredBucket): void {
  if (b.objectLock && b.versioning?.Status !== 'Enabled') {
    sink.error(
      b.name,
      'objectLock',
      undefined,
      'objectLock',
      'object lock needs versioning: Enabled (S3 turns versioning on with object lock and cannot suspend it)',
    );
  }
  const ownership = b.ownershipControls?.Rules[0]?.ObjectOwnership;
  if (b.acl && b.acl !== 'private' && ownership === 'BucketOwnerEnforced') {
    sink.error(
      b.name,
      'acl',
      undefined,
      'acl',
      `the canned ACL "${b.acl}" needs ACLs, but objectOwnership BucketOwnerEnforced disables them, so S3 would refuse it (use BucketOwnerPreferred or ObjectWriter)`,
    );
  }
  const n = b.notifications ?? {};
  sink.duplicates(
    b.name,
    'notifications',
    [
      ...(n.QueueConfigurations ?? []),
      ...(n.TopicConfigurations ?? []),
      ...(n.LambdaFunctionConfigurations ?? []),
    ].map((c) => c.Id),
  );
}

function validatePolicy(sink: IssueSink, b: DesiredBucket): void {
  const block = b.publicAccessBlock;
  if (b.acl && PUBLIC_ACLS.has(b.acl) && block?.BlockPublicAcls) {
    sink.error(
      b.name,
      'acl',
      undefined,
      'acl',
      `the canned ACL "${b.acl}" is public but publicAccessBlock.blockPublicAcls is true, so S3 would refuse it`,
    );
  }
  if (!b.policy) return;
  const helperSids: Record<string, string> = {
    [PUBLIC_READ_SID]: 'publicRead',
    [DENY_INSECURE_TRANSPORT_SID]: 'denyInsecureTransport',
  };
  for (const [sid, helper] of Object.entries(helperSids)) {
    if (b.policy.Statement.filter((st) => st.Sid === sid).length > 1) {
      sink.error(
        b.name,
        'policy',
        undefined,
        'policy',
        `the Sid "${sid}" is reserved for the statement of ${helper}; rename the declared statement`,
      );
      return;
    }
  }
  let statements;
  try {
    statements = parsePolicy(JSON.stringify(b.policy), b.name, { strict: true }).statements;
  } catch (err) {
    // Duplicate Sids, unknown actions, resources outside the bucket ... (S3's MalformedPolicy).
    sink.error(b.name, 'policy', undefined, 'policy', (err as Error).message);
    return;
  }
  const open = statements.filter(isPublicStatement);
  if (block?.BlockPublicPolicy && open.length > 0) {
    const names = open.map((s, i) => (s.sid ? `"${s.sid}"` : `#${i + 1}`)).join(', ');
    sink.error(
      b.name,
      'policy',
      undefined,
      'policy',
      `the policy makes the bucket public (statement ${names}) but publicAccessBlock.blockPublicPolicy is true, so S3 would refuse it with AccessDenied`,
    );
  }
}

function validateReplication(
  sink: IssueSink,
  b: DesiredBucket,
  byName: Map<string, DesiredBucket>,
): void {
  const rules = b.replication?.Rules;
  if (!rules) return;
  sink.duplicates(
    b.name,
    'replication',
    rules.map((r) => r.ID),
  );
  if (b.versioning?.Status !== 'Enabled') {
    sink.error(
      b.name,
      'replication',
      undefined,
      'versioning',
      'replication needs versioning: Enabled on the source bucket (S3 refuses replication without it)',
    );
  }
  for (const rule of rules) {
    const dest = byName.get(bucketNameOf(rule.Destination.Bucket));
    if (dest && dest.versioning?.Status !== 'Enabled') {
      sink.error(
        b.name,
        'replication',
        rule.ID,
        'destination.bucket',
        `destination bucket "${dest.name}" needs versioning: Enabled (replication requires versioning on both sides)`,
      );
    }
  }
}

function validateInventory(
  sink: IssueSink,
  b: DesiredBucket,
  byName: Map<string, DesiredBucket>,
): void {
  const configs = b.inventory ?? [];
  sink.duplicates(
    b.name,
    'inventory',
    configs.map((c) => c.Id),
  );
  for (const c of configs) {
    const dest = bucketNameOf(c.Destination.S3BucketDestination.Bucket);
    if (!byName.has(dest)) {
      // It may exist already: plan checks the store, and reports it when it does not.
      sink.warn(
        b.name,
        'inventory',
        c.Id,
        'destination.bucket',
        `bucket "${dest}" is not declared in this file; plan checks that it exists in the store`,
      );
    }
  }
}

/**
 * Validates desired bucket states against S3's rules (no store is contacted).
 *
 * @example
 * const { errors, warnings } = validateDesired(desiredState(config));
 */
export function validateDesired(buckets: DesiredBucket[]): ValidationResult {
  const sink = new IssueSink();
  const byName = new Map(buckets.map((b) => [b.name, b]));
  for (const b of buckets) {
    validateAccess(sink, b);
    validatePolicy(sink, b);
    validateCors(sink, b);
    validateTags(sink, b);
    validateLifecycle(sink, b);
    validateTiering(sink, b);
    validateReplication(sink, b, byName);
    validateInventory(sink, b, byName);
  }
  return { errors: sink.errors, warnings: sink.warnings };
}

/**
 * Validates the `buckets:` section of a loaded config: S3's rules, plus store names that
 * `stores:` must declare.
 *
 * @example
 * const { errors } = validateBuckets(await loadConfig({ configPath: 'stowage.yaml' }));
 * if (errors.length) process.exitCode = 2;
 */
export function validateBuckets(
  config: Pick<StowageConfig, 'buckets' | 'stores'>,
): ValidationResult {
  const desired = desiredState(config);
  const result = validateDesired(desired);
  const stores = new Set(Object.keys(config.stores ?? {}));
  const storeIssue = (
    bucket: string,
    ruleId: string | undefined,
    field: string,
    store: string,
  ) => ({
    bucket,
    section: ruleId === undefined ? 'store' : 'replication',
    ...(ruleId === undefined ? {} : { ruleId }),
    field,
    message: `store "${store}" is not declared in stores:${stores.size ? ` (${[...stores].join(', ')})` : ''}`,
  });
  const extra = desired.flatMap((b) => [
    ...(b.store && !stores.has(b.store) ? [storeIssue(b.name, undefined, 'store', b.store)] : []),
    ...Object.entries(b.replicationStores ?? {})
      .filter(([, s]) => !stores.has(s))
      .map(([id, s]) => storeIssue(b.name, id, 'destination.store', s)),
  ]);
  return { errors: [...extra, ...result.errors], warnings: result.warnings };
}
