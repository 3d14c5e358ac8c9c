/**
 * `stowage apply`: carries out a {@link Plan} in a safe order and reports what it did.
 *
 * Order: buckets that others depend on first (a logging target, a replication or inventory
 * destination declared in the same file), each bucket created when missing, then its sub-resources in
 * SUB_RESOURCE_NAMES order (versioning before replication …). A bucket is never deleted.
 * The first failure stops the apply, except a store that does not implement a sub-resource
 * (E_NOT_IMPLEMENTED) or a sub-resource the plan could not read: those are recorded as
 * per-sub-resource errors and the rest goes on, since nothing later depends on them.
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

/** What {@link applyPlan} did. */
export interface ApplyResult {
  applied: AppliedStep[];
  /** Per-sub-resource errors that did not stop the apply (unsupported by the store …). */
  errors: SkippedError[];
  /** The failure that stopped the apply, if any. */
  failed?: SkippedError;
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

/** Buckets ordered so that logging targets, replication and inventory destinations come first. */
export function applyOrder(plans: BucketPlan[], desired: DesiredBucket[]): BucketPlan[] {
  const byName = new Map(desired.map((b) => [b.name, b]));
  const deps = (name: string): string[] => {
    const b = byName.get(name);
    const out: string[] = [];
    const target = b?.logging?.LoggingEnabled.TargetBucket;
    if (target) out.push(target);
    for (const rule of b?.replication?.Rules ?? []) out.push(bucketNameOf(rule.Destination.Bucket));
    for (const c of b?.inventory ?? [])
      out.push(bucketNameOf(c.Destination.S3BucketDestination.Bucket));
    return out.filter((d) => d !== name);
  };
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
 * with no drift does nothing. Never throws for a store error: it is returned as `failed`.
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
  const result: ApplyResult = { applied: [], errors: [] };
  const step = async (s: AppliedStep, run: () => Promise<void>): Promise<void> => {
    if (!options.dryRun) await run();
    result.applied.push(s);
    options.onStep?.(s);
  };
  for (const bucketPlan of applyOrder(plan.buckets, desired)) {
    const bucket = desired.find((b) => b.name === bucketPlan.bucket);
    if (!bucket) continue;
    if (bucketPlan.error) {
      result.failed = { bucket: bucket.name, subResource: 'bucket', error: bucketPlan.error };
      return result;
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
      result.failed = {
        bucket: bucket.name,
        subResource: current,
        error: { code: e.code, message: e.message },
      };
      return result;
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

/** The one-line message of a failed apply: bucket, sub-resource, cause, and what was done. */
export function applyFailureMessage(result: ApplyResult): string | undefined {
  const f = result.failed;
  if (!f) return undefined;
  const done = result.applied.map((s) => `${s.bucket} ${s.subResource} (${s.action})`);
  return `apply stopped at bucket "${f.bucket}", ${f.subResource}: ${f.error.message}; already applied: ${done.length ? done.join(', ') : 'nothing'}`;
}
