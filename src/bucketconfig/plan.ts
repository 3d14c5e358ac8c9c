/**
 * `stowage plan`: compares the declared state of each bucket with its live state read
 * through the S3 API and says, per bucket and sub-resource, what apply would do.
 */
import {
  NO_DEFAULT_ENCRYPTION,
  readBucketState,
  type BucketState,
} from '../client/bucket-config/index.js';
import { SUB_RESOURCE_NAMES, type SubResourceName } from '../client/bucket-config/index.js';
import type { StoreSession } from '../client/ops/index.js';
import { StowageError, toStowageError } from '../errors.js';
import { parsePolicy } from '../s3api/documents/policy.js';
import { isPublicStatement } from '../s3api/policy/public.js';
import type { DesiredBucket } from './canonical.js';
import { sessionOf, type PlanError, type SessionFor } from './sessions.js';
import {
  missingInventoryDestination,
  regionMismatch,
  replicationDestinationProblem,
} from './live-checks.js';
import {
  NEVER_PRUNED,
  comparable,
  desiredDocuments,
  readsAsUnset,
  sameDocument,
} from './compare.js';
import { diffText } from './diff-text.js';

export { sessionOf, type PlanError, type SessionFor } from './sessions.js';

/** Sub-resources whose Put needs a rule at least: declared with none, they are removed. */
const NO_EMPTY_PUT: ReadonlySet<SubResourceName> = new Set(['cors', 'lifecycle']);

/** What apply does with one sub-resource. */
export type ChangeAction = 'create' | 'update' | 'unchanged' | 'remove' | 'error';

/** One sub-resource of one bucket in a plan. */
export interface SubResourceChange {
  /** `region` for a bucket whose live region is not the declared one. */
  subResource: SubResourceName | 'region';
  action: ChangeAction;
  /** Desired document (normalized), for create and update. */
  desired?: unknown;
  /** Live document (normalized), for update and remove. */
  live?: unknown;
  /** For update: the readable diff lines (see diff-text.ts). */
  diff?: string[];
  /** For remove: true when apply removes it (--prune), false when it is only shown. */
  prune?: boolean;
  /** For error: why this sub-resource cannot be planned. */
  error?: PlanError;
}

/** The plan of one bucket. */
export interface BucketPlan {
  bucket: string;
  /** Named store of the bucket (undefined: the run's store). */
  store?: string;
  /** True when the bucket does not exist: apply creates it first. */
  createBucket: boolean;
  region?: string;
  changes: SubResourceChange[];
  /** Set when the bucket could not be read at all (e.g. access denied). */
  error?: PlanError;
}

/** A whole plan. */
export interface Plan {
  buckets: BucketPlan[];
  /** True when apply would change something (or the file declares what is not there). */
  drift: boolean;
  /** How many sub-resources (or buckets) could not be planned. */
  errors: number;
}

/** What a caller passes to {@link planBuckets}. */
export interface PlanOptions {
  /** Plan only this bucket (it must be declared). */
  bucket?: string;
  /** Removes of undeclared live sub-resources are applied (otherwise only shown). */
  prune?: boolean;
}

/** The declared buckets `options.bucket` selects; an undeclared name is a usage error. */
export function selectBuckets(desired: DesiredBucket[], bucket?: string): DesiredBucket[] {
  if (bucket === undefined) return desired;
  const found = desired.filter((b) => b.name === bucket);
  if (found.length === 0) {
    const known = desired.map((b) => b.name);
    throw new StowageError(
      'E_USAGE',
      `--bucket: bucket "${bucket}" is not declared in buckets: (${known.length ? known.join(', ') : 'none declared'})`,
      { details: { bucket } },
    );
  }
  return found;
}

/**
 * A policy that denies requests without TLS (`denyInsecureTransport`, or any Deny on
 * `aws:SecureTransport` false) would, applied through a plain `http://` endpoint, deny every
 * later request of stowage itself to the bucket, as it would on AWS: planned as an error.
 */
function insecureLockOut(policy: unknown, endpoint: string | undefined): PlanError | undefined {
  if (!endpoint?.startsWith('http://') || policy === undefined) return undefined;
  const statements = (policy as { Statement?: unknown }).Statement;
  const list = Array.isArray(statements) ? statements : [statements];
  const denies = list.some((st) => {
    const s = st as { Effect?: unknown; Condition?: Record<string, Record<string, unknown>> };
    if (s?.Effect !== 'Deny') return false;
    const value = s.Condition?.Bool?.['aws:SecureTransport'];
    return [value].flat().some((v) => String(v).toLowerCase() === 'false');
  });
  if (!denies) return undefined;
  return {
    code: 'E_INVALID_REQUEST',
    message: `the policy denies requests without TLS (aws:SecureTransport false), and this store's endpoint ${endpoint} is plain HTTP: applying it would lock stowage out of the bucket; use an https:// endpoint`,
  };
}

/**
 * A declared public policy that the bucket's live public access block (set on the store,
 * not declared in the file) makes the store refuse: apply would stop at it. With --prune
 * the undeclared block is removed first, so the policy goes through.
 */
function blockedByLiveBlock(
  bucket: DesiredBucket,
  liveBlock: unknown,
  prune: boolean,
): PlanError | undefined {
  if (prune || !bucket.policy || bucket.publicAccessBlock !== undefined) return undefined;
  if ((liveBlock as { BlockPublicPolicy?: boolean } | undefined)?.BlockPublicPolicy !== true)
    return undefined;
  let statements;
  try {
    statements = parsePolicy(JSON.stringify(bucket.policy), bucket.name).statements;
  } catch {
    return undefined; // validate reports a bad policy
  }
  if (!statements.some(isPublicStatement)) return undefined;
  return {
    code: 'E_ACCESS_DENIED',
    message:
      "the policy makes the bucket public, but the bucket's public access block on the store (not in the file) has BlockPublicPolicy, so the store would refuse it; declare publicAccessBlock, or apply with --prune to remove the block first",
  };
}

function planError(err: unknown): PlanError {
  const e = toStowageError(err);
  return { code: e.code, message: e.message };
}

/**
 * Plans every declared bucket (or `options.bucket`): a missing bucket is created and all its
 * declared sub-resources are creates; otherwise each sub-resource is create, update (with a
 * diff), unchanged, remove (live but not declared) or error (the store could not read it).
 *
 * @example
 * const plan = await planBuckets(session, desiredState(config), { bucket: 'assets' });
 * if (plan.drift) console.log(formatPlan(plan));
 */
export async function planBuckets(
  sessions: SessionFor,
  desired: DesiredBucket[],
  options: PlanOptions = {},
): Promise<Plan> {
  const buckets: BucketPlan[] = [];
  const declared = new Set(desired.map((b) => b.name));
  for (const bucket of selectBuckets(desired, options.bucket)) {
    buckets.push(await planBucket(sessions, bucket, options.prune === true, declared));
  }
  let errors = 0;
  let drift = false;
  for (const b of buckets) {
    if (b.error) errors++;
    if (b.createBucket) drift = true;
    for (const c of b.changes) {
      if (c.action === 'error') errors++;
      else if (c.action !== 'unchanged') drift = true;
    }
  }
  return { buckets, drift, errors };
}

async function planBucket(
  sessions: SessionFor,
  bucket: DesiredBucket,
  prune: boolean,
  declared: ReadonlySet<string>,
): Promise<BucketPlan> {
  const plan: BucketPlan = {
    bucket: bucket.name,
    store: bucket.store,
    region: bucket.region,
    createBucket: false,
    changes: [],
  };
  const documents = desiredDocuments(bucket);
  let state: BucketState | undefined;
  let endpoint: string | undefined;
  let session: StoreSession | undefined;
  try {
    session = await sessionOf(sessions, bucket);
    endpoint = session.store?.endpoint;
    state = await readBucketState(session, bucket.name);
    const moved = await regionMismatch(session, bucket);
    if (moved) plan.changes.push({ subResource: 'region', action: 'error', error: moved });
  } catch (err) {
    const e = toStowageError(err);
    if (e.code !== 'E_NO_SUCH_BUCKET') {
      plan.error = planError(e);
      return plan;
    }
    plan.createBucket = true;
  }
  const lockOut = insecureLockOut(documents.policy, endpoint);
  for (const name of SUB_RESOURCE_NAMES) {
    const want = documents[name];
    const have = state?.[name];
    if (name === 'policy' && lockOut && want !== undefined) {
      plan.changes.push({ subResource: name, action: 'error', error: lockOut });
      continue;
    }
    if (name === 'policy' && want !== undefined) {
      const pab = state?.publicAccessBlock;
      const blocked = blockedByLiveBlock(bucket, pab?.ok ? pab.value : undefined, prune);
      if (blocked) {
        plan.changes.push({ subResource: name, action: 'error', error: blocked });
        continue;
      }
    }
    if (name === 'inventory' && want !== undefined && session) {
      const missing = await missingInventoryDestination(session, bucket, declared);
      if (missing) {
        plan.changes.push({ subResource: name, action: 'error', error: missing });
        continue;
      }
    }
    if (name === 'replication' && want !== undefined) {
      const problem = await replicationDestinationProblem(sessions, bucket, declared);
      if (problem) {
        plan.changes.push({ subResource: name, action: 'error', error: problem });
        continue;
      }
    }
    if (have && !have.ok) {
      // A store that cannot read what is not declared is not an error of this plan.
      if (want !== undefined)
        plan.changes.push({ subResource: name, action: 'error', error: planError(have.error) });
      continue;
    }
    // A bucket still to be created has no live documents; what it will have is the store's
    // defaults, and whether those include SSE-S3 is not known (RGW encrypts nothing by
    // default): a declared encryption is written with the bucket.
    const live = plan.createBucket && name === 'encryption' ? NO_DEFAULT_ENCRYPTION : have?.value;
    if (want === undefined) {
      // What reads as unset (suspended versioning, what a remove leaves) has nothing left
      // to remove: showing it again would make every --prune apply repeat it.
      if (live !== undefined && !NEVER_PRUNED.has(name) && !readsAsUnset(name, live)) {
        plan.changes.push({
          subResource: name,
          action: 'remove',
          live: comparable(name, live),
          prune,
        });
      }
      continue;
    }
    // `cors: []` or `lifecycle: []`: S3 has no empty document of either (a Put needs one
    // rule at least), so "no rules" is the document removed, whatever --prune says.
    if (NO_EMPTY_PUT.has(name) && readsAsUnset(name, want)) {
      if (live !== undefined && !readsAsUnset(name, live)) {
        plan.changes.push({
          subResource: name,
          action: 'remove',
          live: comparable(name, live),
          prune: true,
        });
      } else plan.changes.push({ subResource: name, action: 'unchanged' });
      continue;
    }
    if (sameDocument(name, want, live)) {
      plan.changes.push({ subResource: name, action: 'unchanged' });
    } else if (live === undefined || readsAsUnset(name, live)) {
      plan.changes.push({ subResource: name, action: 'create', desired: comparable(name, want) });
    } else {
      const oldDoc = comparable(name, live);
      const newDoc = comparable(name, want);
      plan.changes.push({
        subResource: name,
        action: 'update',
        live: oldDoc,
        desired: newDoc,
        diff: diffText(oldDoc, newDoc),
      });
    }
  }
  return plan;
}
