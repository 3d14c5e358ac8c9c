/** Lifecycle rules: the declaration to S3's `BucketLifecycleConfiguration`. */
import type {
  BucketLifecycleConfiguration,
  LifecycleExpiration,
  LifecycleRule,
} from './canonical.js';
import { canonicalFilter } from './normalize-filter.js';
import type { LifecycleRuleDeclaration } from './schema-lifecycle.js';

function toDate(value: string | Date): Date {
  return value instanceof Date ? new Date(value.getTime()) : new Date(value);
}

function expiration(e: NonNullable<LifecycleRuleDeclaration['expiration']>): LifecycleExpiration {
  if (e.date !== undefined) return { Date: toDate(e.date) };
  if (e.expiredObjectDeleteMarker !== undefined) {
    return { ExpiredObjectDeleteMarker: e.expiredObjectDeleteMarker };
  }
  return { Days: (e.days ?? e.after)! };
}

/** One declared rule as S3's `LifecycleRule`. */
export function lifecycleRule(rule: LifecycleRuleDeclaration): LifecycleRule {
  const out: LifecycleRule = {
    ID: rule.id,
    Status: rule.status,
    Filter: canonicalFilter(rule.filter, rule.prefix),
  };
  if (rule.transitions) {
    out.Transitions = rule.transitions.map((t) =>
      t.date !== undefined
        ? { Date: toDate(t.date), StorageClass: t.storageClass }
        : { Days: (t.days ?? t.after)!, StorageClass: t.storageClass },
    );
  }
  if (rule.expiration) out.Expiration = expiration(rule.expiration);
  if (rule.noncurrentVersionTransitions) {
    out.NoncurrentVersionTransitions = rule.noncurrentVersionTransitions.map((t) => ({
      NoncurrentDays: (t.noncurrentDays ?? t.days ?? t.after)!,
      StorageClass: t.storageClass,
      ...(t.newerNoncurrentVersions !== undefined
        ? { NewerNoncurrentVersions: t.newerNoncurrentVersions }
        : {}),
    }));
  }
  const nve = rule.noncurrentVersionExpiration;
  if (nve) {
    out.NoncurrentVersionExpiration = {
      NoncurrentDays: (nve.noncurrentDays ?? nve.days ?? nve.after)!,
      ...(nve.newerNoncurrentVersions !== undefined
        ? { NewerNoncurrentVersions: nve.newerNoncurrentVersions }
        : {}),
    };
  }
  const abort = rule.abortIncompleteMultipartUpload;
  if (abort) {
    out.AbortIncompleteMultipartUpload = {
      DaysAfterInitiation: (abort.daysAfterInitiation ?? abort.days ?? abort.after)!,
    };
  }
  return out;
}

/** The declared rules as S3's lifecycle configuration. */
export function lifecycleConfiguration(
  rules: LifecycleRuleDeclaration[],
): BucketLifecycleConfiguration {
  return { Rules: rules.map(lifecycleRule) };
}
