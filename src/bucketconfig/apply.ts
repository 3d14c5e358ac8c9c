/**
 * `stowage apply`: carries out a {@link Plan} in a safe order and reports what it did.
 *
 * Order: buckets that others depend on first (a logging target, a replication or inventory
 * destination declared in the same file), each bucket created when missing, then its sub-resources in
 * SUB_RESOURCE_NAMES order (versioning before replication …). A bucket is never deleted.
 * A failure stops the rest of its bucket (later sub-resources may depend on the failed one)
 * and every bucket that depends on it, as Terraform stops the dependents of a failed resource;
 * the other buckets go on. A store that does not implement a sub-resource (E_NOT_IMPLEMENTED)
 * or a sub-resource the plan could not read is only recorded as a per-sub-resource error, and
 * its bucket goes on, since nothing later depends on it.
 */
import {
  SUB_RESOURCES,
  type SubResource,
  type SubResourceName,
} from '../client/bucket-config/index.js';
import { createBucket } from '../client/ops/index.js';
import { toStowageError } from '../errors.js';
import { bucketNameOf, type DesiredBucket } from './canonical.js';
import { desiredDocuments } from './compare.js';
import { sessionOf, type BucketPlan, type Plan, type PlanError, type SessionFor } from './plan.js';

/** One change apply made (or, with dryRun, would make). */
export interface AppliedStep {
  bucket: string;
  /** `bucket` for the creation of the bucket itself. */
  subResource: SubResourceName | 'bucket';
  action: 'create' | 'update' | 'remove';
}

/** A sub-resource apply could not change, while it went on with the others. */
export interface SkippedError {
  bucket: string;
  subResource: string;
  error: PlanError;
}

/** A bucket apply left alone because a bucket it depends on failed. */
export interface NotApplied {
  bucket: string;
  /** The failed (or itself not applied) bucket it depends on. */
  dependsOn: string;
}

/** What {@link applyPlan} did. */
export interface ApplyResult {
  applied: AppliedStep[];
  /** Per-sub-resource errors that did not stop their bucket (unsupported by the store …). */
  errors: SkippedError[];
  /** The failure that stopped each failed bucket, in apply order; the others went on. */
  failures: SkippedError[];
  /** Buckets not applied at all because a bucket they depend on failed. */
  notApplied: NotApplied[];
}

/** What a caller passes to {@link applyPlan}. */
export interface ApplyOptions {
  /** Also remove live sub-resources the file does not declare. */
  prune?: boolean;
  /** Change nothing: return the steps that would be made. */
  dryRun?: boolean;
  /** Called after each step, for progress output. */
  onStep?: (step: AppliedStep) => void;
}

/** The other buckets `bucket` names: its logging target, replication and inventory destinations. */
function dependenciesOf(bucket: DesiredBucket | undefined): string[] {
  const out: string[] = [];
  const target = bucket?.logging?.LoggingEnabled.TargetBucket;
  if (target) out.push(target);
  for (const rule of bucket?.replication?.Rules ?? [])
    out.push(bucketNameOf(rule.Destination.Bucket));
  for (const c of bucket?.inventory ?? [])
    out.push(bucketNameOf(c.Destination.S3BucketDestination.Bucket));
  return out.filter((d) => d !== bucket?.name);
}

/** Buckets ordered so that logging targets, replication and inventory destinations come first. */
export function applyOrder(plans: BucketPlan[], desired: DesiredBucket[]): BucketPlan[] {
  const byName = new Map(desired.map((b) => [b.name, b]));
  const deps = (name: string): string[] => dependenciesOf(byName.get(name));
  const ordered: BucketPlan[] = [];
  const seen = new Set<string>();
  const visit = (plan: BucketPlan, path: Set<string>): void => {
    if (seen.has(plan.bucket) || path.has(plan.bucket)) return;
    path.add(plan.bucket);
    for (const dep of deps(plan.bucket)) {
      const depPlan = plans.find((p) => p.bucket === dep);
      if (depPlan) visit(depPlan, path);
    }
    seen.add(plan.bucket);
    ordered.push(plan);
  };
  for (const plan of plans) visit(plan, new Set());
  return ordered;
}

/**
 * Applies `plan` (made by planBuckets from the same `desired`). Idempotent: applying a plan
 * with no drift does nothing. Never throws for a store error: it is returned in `failures`.
 *
 * @example
 * const plan = await planBuckets(session, desired);
 * const result = await applyPlan(session, plan, desired, { onStep: (s) => console.log(s) });
 */
export async function applyPlan(
  sessions: SessionFor,
  plan: Plan,
  desired: DesiredBucket[],
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  const result: ApplyResult = { applied: [], errors: [], failures: [], notApplied: [] };
  /** Whether `name` failed, or was left alone for a failed bucket it depends on. */
  const stopped = (name: string): boolean =>
    result.failures.some((f) => f.bucket === name) ||
    result.notApplied.some((n) => n.bucket === name);
  const step = async (s: AppliedStep, run: () => Promise<void>): Promise<void> => {
    if (!options.dryRun) await run();
    result.applied.push(s);
    options.onStep?.(s);
  };
  for (const bucketPlan of applyOrder(plan.buckets, desired)) {
    const bucket = desired.find((b) => b.name === bucketPlan.bucket);
    if (!bucket) continue;
    const failedDependency = dependenciesOf(bucket).find(stopped);
    if (failedDependency !== undefined) {
      result.notApplied.push({ bucket: bucket.name, dependsOn: failedDependency });
      continue;
    }
    if (bucketPlan.error) {
      result.failures.push({ bucket: bucket.name, subResource: 'bucket', error: bucketPlan.error });
      continue;
    }
    const documents = desiredDocuments(bucket);
    let current = 'bucket';
    try {
      const session = await sessionOf(sessions, bucket);
      if (bucketPlan.createBucket) {
        await step({ bucket: bucket.name, subResource: 'bucket', action: 'create' }, () =>
          createBucket(session, {
            bucket: bucket.name,
            region: bucket.region,
            objectLock: bucket.objectLock !== undefined,
          }).catch((err: unknown) => {
            // Created since the plan (another apply of the same file): it is there, ours.
            // S3 answers so outside us-east-1; there, and on RGW, the create just succeeds.
            if (toStowageError(err).code !== 'E_BUCKET_ALREADY_OWNED_BY_YOU') throw err;
          }),
        );
      }
      for (const change of inApplyOrder(bucketPlan.changes, documents)) {
        current = change.subResource;
        if (change.action === 'unchanged') continue;
        if (change.action === 'error') {
          result.errors.push({
            bucket: bucket.name,
            subResource: change.subResource,
            error: change.error!,
          });
          continue;
        }
        // An undeclared document goes with --prune; one declared empty (prune: true) always.
        if (change.action === 'remove' && !(options.prune || change.prune)) continue;
        const name = change.subResource as SubResourceName;
        const sub = SUB_RESOURCES[name] as SubResource<unknown>;
        const s: AppliedStep = { bucket: bucket.name, subResource: name, action: change.action };
        try {
          await step(s, () =>
            change.action === 'remove'
              ? sub.remove(session, bucket.name)
              : sub.write(session, bucket.name, documents[name]),
          );
        } catch (err) {
          const e = toStowageError(err);
          if (e.code !== 'E_NOT_IMPLEMENTED') throw e;
          result.errors.push({
            bucket: bucket.name,
            subResource: name,
            error: { code: e.code, message: e.message },
          });
        }
      }
    } catch (err) {
      const e = toStowageError(err);
      result.failures.push({
        bucket: bucket.name,
        subResource: current,
        error: { code: e.code, message: e.message },
      });
    }
  }
  return result;
}

/**
 * A bucket's changes in SUB_RESOURCE_NAMES order, except that suspending versioning comes
 * after the removal of replication: replication needs every version, and S3 refuses to
 * suspend versioning under it (409 InvalidBucketState).
 */
function inApplyOrder<C extends { subResource: string; action: string }>(
  changes: readonly C[],
  documents: Partial<Record<string, unknown>>,
): readonly C[] {
  const suspended = (documents.versioning as { Status?: string } | undefined)?.Status;
  const suspend = changes.find(
    (c) =>
      c.subResource === 'versioning' &&
      (c.action === 'remove' || (c.action !== 'unchanged' && suspended === 'Suspended')),
  );
  if (!suspend) return changes;
  const rest = changes.filter((c) => c !== suspend);
  const at = rest.findIndex((c) => c.subResource === 'replication');
  return at < 0 ? changes : [...rest.slice(0, at + 1), suspend, ...rest.slice(at + 1)];
}

/**
 * One line for each bucket a failure stopped (the sub-resource, the cause and what was already
 * applied to it), then one for each bucket left alone because of it.
 */
export function applyFailureMessages(result: ApplyResult): string[] {
  const lines = result.failures.map((f) => {
    if (f.subResource === 'bucket' && !result.applied.some((s) => s.bucket === f.bucket)) {
      return `bucket "${f.bucket}" was not applied: ${f.error.message}`;
    }
    const done = result.applied
      .filter((s) => s.bucket === f.bucket)
      .map((s) => `${s.bucket} ${s.subResource} (${s.action})`);
    return `bucket "${f.bucket}" stopped at ${f.subResource}: ${f.error.message}; already applied to it: ${done.length ? done.join(', ') : 'nothing'}`;
  });
  for (const n of result.notApplied) {
    lines.push(
      `bucket "${n.bucket}" was not applied: it depends on bucket "${n.dependsOn}", which failed`,
    );
  }
  return lines;
}
