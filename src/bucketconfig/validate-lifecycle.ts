/**
 * S3's lifecycle rules, checked before S3 sees them: minimum days, transition order, a
 * transition after the expiration, expiration under object lock; and warnings for
 * transitions that cost money (small objects in IA / Glacier IR, minimum storage durations).
 */
import type { DesiredBucket, LifecycleRule, TransitionStorageClass } from './canonical.js';
import type { IssueSink } from './issues.js';
import { minObjectSize } from './normalize-filter.js';
import { TRANSITION_CLASSES } from './schema-lifecycle.js';

/** Classes S3 refuses to transition to before 30 days (and that bill 30 days at least). */
const INFREQUENT = new Set<TransitionStorageClass>(['STANDARD_IA', 'ONEZONE_IA']);

/** Classes that bill objects under 128 KB as 128 KB. */
const SMALL_OBJECT_PENALTY = new Set<TransitionStorageClass>([
  'STANDARD_IA',
  'ONEZONE_IA',
  'GLACIER_IR',
]);

/** S3's minimum storage duration per class, in days (early deletion is billed up to it). */
export const MIN_STORAGE_DAYS: Partial<Record<TransitionStorageClass, number>> = {
  STANDARD_IA: 30,
  ONEZONE_IA: 30,
  GLACIER_IR: 90,
  GLACIER: 90,
  DEEP_ARCHIVE: 180,
};

/** 128 KiB: the size below which IA and Glacier IR bill as if the object were 128 KiB. */
export const SMALL_OBJECT_BYTES = 131072;

interface Step {
  days: number;
  storageClass: TransitionStorageClass;
}

function checkSteps(
  sink: IssueSink,
  bucket: string,
  rule: LifecycleRule,
  steps: (Step | undefined)[],
  list: string,
  dayField: string,
  expirationDays: number | undefined,
): void {
  let prev: Step | undefined;
  steps.forEach((step, i) => {
    if (!step) return;
    const at = `${list}[${i}]`;
    const fail = (field: string, msg: string) =>
      sink.error(bucket, 'lifecycle', rule.ID, `${at}.${field}`, msg);
    const { days, storageClass: cls } = step;
    if (INFREQUENT.has(cls) && days < 30) {
      fail(
        dayField,
        `${cls} needs at least 30 days, got ${days} (S3 refuses earlier transitions to infrequent access)`,
      );
    }
    if (prev && days <= prev.days) {
      fail(
        dayField,
        `${days} days is not after the previous transition (${prev.days} days to ${prev.storageClass}); list transitions in time order`,
      );
    } else if (
      prev &&
      TRANSITION_CLASSES.indexOf(cls) <= TRANSITION_CLASSES.indexOf(prev.storageClass)
    ) {
      fail(
        'storageClass',
        `${cls} cannot follow ${prev.storageClass}; transitions only move objects to colder classes (${TRANSITION_CLASSES.join(' -> ')})`,
      );
    } else if (prev && INFREQUENT.has(prev.storageClass) && days - prev.days < 30) {
      fail(
        dayField,
        `${cls} at ${days} days is only ${days - prev.days} days after ${prev.storageClass}; S3 requires objects to stay at least 30 days in ${prev.storageClass}`,
      );
    }
    if (expirationDays !== undefined && days >= expirationDays) {
      fail(
        dayField,
        `${cls} at ${days} days is not before the expiration at ${expirationDays} days; objects would be deleted first`,
      );
    } else if (expirationDays !== undefined) {
      const min = MIN_STORAGE_DAYS[cls];
      if (min !== undefined && expirationDays - days < min) {
        sink.warn(
          bucket,
          'lifecycle',
          rule.ID,
          `${at}.${dayField}`,
          `${cls} bills at least ${min} days of storage, but objects expire ${expirationDays - days} days after this transition (at ${expirationDays} days)`,
        );
      }
    }
    if (SMALL_OBJECT_PENALTY.has(cls) && minObjectSize(rule.Filter) < SMALL_OBJECT_BYTES) {
      sink.warn(
        bucket,
        'lifecycle',
        rule.ID,
        `${at}.storageClass`,
        `objects under 128 KB moved to ${cls} are billed as 128 KB each; add filter objectSizeGreaterThan: ${SMALL_OBJECT_BYTES} to keep them in STANDARD`,
      );
    }
    prev = step;
  });
}

/** The tags and size bounds a rule's filter names, wherever it names them. */
function filterParts(f: LifecycleRule['Filter']): {
  tags: string[];
  greater?: number;
  less?: number;
} {
  const tags = [...(f.Tag ? [f.Tag.Key] : []), ...(f.And?.Tags ?? []).map((t) => t.Key)];
  const greater = f.ObjectSizeGreaterThan ?? f.And?.ObjectSizeGreaterThan;
  const less = f.ObjectSizeLessThan ?? f.And?.ObjectSizeLessThan;
  return {
    tags,
    ...(greater !== undefined ? { greater } : {}),
    ...(less !== undefined ? { less } : {}),
  };
}

/** True when `d` is a midnight UTC, the only time S3 takes in a lifecycle date. */
const atMidnight = (d: Date): boolean => d.getTime() % 86_400_000 === 0;

/**
 * What S3 refuses in a rule whatever its numbers (InvalidRequest / InvalidArgument there):
 * no action, a tag or size filter with an action that applies to untagged things, sizes
 * that leave nothing, a tag key twice, a date that is not midnight UTC, dates and days
 * mixed in the transitions.
 */
function checkRuleShape(sink: IssueSink, bucket: string, rule: LifecycleRule): void {
  const fail = (field: string, msg: string) => sink.error(bucket, 'lifecycle', rule.ID, field, msg);
  const hasAction =
    rule.Expiration !== undefined ||
    (rule.Transitions ?? []).length > 0 ||
    (rule.NoncurrentVersionTransitions ?? []).length > 0 ||
    rule.NoncurrentVersionExpiration !== undefined ||
    rule.AbortIncompleteMultipartUpload !== undefined;
  if (!hasAction) fail('rule', 'a rule needs at least one action (expiration, a transition …)');
  const { tags, greater, less } = filterParts(rule.Filter);
  const sized = greater !== undefined || less !== undefined;
  const untaggedActions: [boolean, string][] = [
    [rule.AbortIncompleteMultipartUpload !== undefined, 'abortIncompleteMultipartUpload'],
    [
      rule.Expiration?.ExpiredObjectDeleteMarker !== undefined,
      'expiration.expiredObjectDeleteMarker',
    ],
  ];
  for (const [present, field] of untaggedActions) {
    if (present && tags.length > 0)
      fail(
        field,
        `S3 refuses ${field} with a tag filter: uploads and delete markers carry no tags`,
      );
    if (present && sized) fail(field, `S3 refuses ${field} with an object size filter`);
  }
  if (greater !== undefined && less !== undefined && greater >= less) {
    fail(
      'filter',
      `objectSizeGreaterThan (${greater}) must be less than objectSizeLessThan (${less}): no object fits`,
    );
  }
  const twice = tags.find((k, i) => tags.indexOf(k) !== i);
  if (twice !== undefined) fail('filter.tags', `the tag key "${twice}" is given twice`);
  const dates: [Date | undefined, string][] = [
    [rule.Expiration?.Date, 'expiration.date'],
    ...(rule.Transitions ?? []).map((t, i): [Date | undefined, string] => [
      t.Date,
      `transitions[${i}].date`,
    ]),
  ];
  for (const [date, field] of dates) {
    if (date && !atMidnight(date))
      fail(
        field,
        `${date.toISOString()} is not midnight UTC, the only time S3 takes in a lifecycle date`,
      );
  }
  const kinds = new Set((rule.Transitions ?? []).map((t) => (t.Date ? 'date' : 'days')));
  if (kinds.size > 1) fail('transitions', 'S3 refuses transitions by date and by days in one rule');
}

/** Checks the lifecycle rules of one bucket. */
export function validateLifecycle(sink: IssueSink, bucket: DesiredBucket): void {
  const rules = bucket.lifecycle?.Rules ?? [];
  sink.duplicates(
    bucket.name,
    'lifecycle',
    rules.map((r) => r.ID),
  );
  for (const rule of rules) {
    checkRuleShape(sink, bucket.name, rule);
    const transitions = (rule.Transitions ?? []).map((t) =>
      t.Days === undefined ? undefined : { days: t.Days, storageClass: t.StorageClass },
    );
    checkSteps(sink, bucket.name, rule, transitions, 'transitions', 'days', rule.Expiration?.Days);
    const noncurrent = (rule.NoncurrentVersionTransitions ?? []).map((t) => ({
      days: t.NoncurrentDays,
      storageClass: t.StorageClass,
    }));
    checkSteps(
      sink,
      bucket.name,
      rule,
      noncurrent,
      'noncurrentVersionTransitions',
      'noncurrentDays',
      rule.NoncurrentVersionExpiration?.NoncurrentDays,
    );
    const expires = rule.Expiration?.Days !== undefined || rule.Expiration?.Date !== undefined;
    if (bucket.objectLock && expires) {
      sink.error(
        bucket.name,
        'lifecycle',
        rule.ID,
        'expiration',
        'the bucket has object lock, which keeps locked object versions; an expiration cannot be combined with object lock',
      );
    }
  }
}
