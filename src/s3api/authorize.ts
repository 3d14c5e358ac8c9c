/**
 * Authorisation: decides, before any byte of a body is stored, whether a caller may run
 * a routed request. Identity policies of keys and bucket policies are evaluated as AWS
 * does for same-account requests (src/s3api/policy/evaluate.ts); the root key may do
 * everything a bucket policy does not explicitly deny; anonymous callers get what a
 * public bucket policy or a public ACL grants, subject to the bucket's public access block.
 */
import type { Engine } from '../engine/engine.js';
import { isStowageError, StowageError } from '../errors.js';
import type { PolicyDocument } from './documents/policy.js';
import type { PublicAccessBlock } from './documents/public-access-block.js';
import type { Authorize } from './front.js';
import type { IdentityLookup } from './identity.js';
import { createBucketPolicyReader, type BucketPolicy } from './policy/bucket-policy.js';
import type { ConditionKeys } from './policy/conditions.js';
import { evaluate, mayAllowSome, type Decision } from './policy/evaluate.js';
import { isPublicPolicy } from './policy/public.js';
import { refuseAnonymousRequesterPays } from './policy/requester-pays.js';
import { NO_PUBLIC_ACCESS_BLOCK, publicAccessBlockOf } from './policy/public-access-block.js';
import {
  conditionEtag,
  requestContext,
  isLockKey,
  withLockValues,
  withRequestTags,
  withTagValues,
  type Caller,
} from './policy/request-context.js';
import type { RequestedAccess } from './policy/requested-accesses.js';
import type { DeferredAuthorization } from './context.js';

/**
 * What a bucket's or object's ACL grants to everyone (the AllUsers group) and, for a
 * signed caller (`authenticated`), to the AuthenticatedUsers group as well.
 */
export type PublicAclLookup = (
  bucket: string,
  key: string | undefined,
  versionId: string | undefined,
  authenticated: boolean,
) => { read: boolean; write: boolean };

/** Options of createAuthorize. */
export interface AuthorizeOptions {
  /** Finds the identity (root flag, name, policies) of an access key. */
  identities: IdentityLookup;
  /** Bucket policies and public access blocks are read from here. */
  engine: Engine;
  /** Public ACL grants; without it, ACLs grant nothing. */
  publicAcl?: PublicAclLookup;
}

/** Root may always manage bucket policies, so a policy can never lock the owner out. */
const ROOT_ALWAYS = new Set(['s3:GetBucketPolicy', 's3:PutBucketPolicy', 's3:DeleteBucketPolicy']);

/** What a bucket ACL's READ grants (S3's ACL-to-permission mapping): listings. */
const ACL_BUCKET_READ = new Set([
  's3:ListBucket',
  's3:ListBucketVersions',
  's3:ListBucketMultipartUploads',
]);
/** What an object ACL's READ grants. */
const ACL_OBJECT_READ = new Set(['s3:GetObject', 's3:GetObjectVersion']);

/** The operations that may lift GOVERNANCE retention with x-amz-bypass-governance-retention. */
const BYPASS_OPERATIONS: ReadonlySet<string> = new Set([
  'DeleteObject',
  'DeleteObjects',
  'PutObjectRetention',
]);

/** s3:BypassGovernanceRetention on one object (version). */
function bypassAccess(bucket: string, key: string, versionId?: string): RequestedAccess {
  return {
    action: 's3:BypassGovernanceRetention',
    resource: `arn:aws:s3:::${bucket}/${key}`,
    bucket,
    key,
    ...(versionId === undefined ? {} : { versionId }),
  };
}

function denied(access: RequestedAccess): StowageError {
  // Names the action and resource, never the policy that denied it.
  return new StowageError(
    'E_ACCESS_DENIED',
    `access denied: ${access.action} on ${access.resource} is not allowed`,
    { details: access.bucket ? { bucket: access.bucket } : {} },
  );
}

function aclAllows(
  lookup: PublicAclLookup | undefined,
  access: RequestedAccess,
  authenticated: boolean,
): boolean {
  if (!lookup || access.bucket === undefined || access.anyKey) return false;
  const { bucket } = access;
  if (ACL_BUCKET_READ.has(access.action))
    return lookup(bucket, undefined, undefined, authenticated).read;
  if (ACL_OBJECT_READ.has(access.action))
    return lookup(bucket, access.key, access.versionId, authenticated).read;
  if (access.action === 's3:PutObject')
    return lookup(bucket, undefined, undefined, authenticated).write;
  return false;
}

/** The actions S3 gives `s3:ExistingObjectTag/<key>` for (reads and ACL/tag changes). */
const EXISTING_TAG_ACTIONS = new Set(
  [
    'GetObject',
    'GetObjectAcl',
    'GetObjectTagging',
    'GetObjectAttributes',
    'PutObjectAcl',
    'PutObjectTagging',
    'DeleteObjectTagging',
  ].flatMap((a) => [`s3:${a}`, `s3:${a.replace(/^(Get|Put|Delete)Object/, '$1ObjectVersion')}`]),
);

/** The condition keys a tag set in a body gives (unknown until the body is read). */
function isRequestTagKey(key: string): boolean {
  return key === 's3:requestobjecttagkeys' || key.startsWith('s3:requestobjecttag/');
}

/** Whether any statement of these policies tests `s3:ExistingObjectTag/…` (memoised). */
const usesExistingTags = new WeakMap<PolicyDocument, boolean>();
function testsExistingTags(doc: PolicyDocument): boolean {
  let v = usesExistingTags.get(doc);
  if (v === undefined) {
    v = doc.statements.some((st) =>
      st.conditions.some((c) => c.key.toLowerCase().startsWith('s3:existingobjecttag/')),
    );
    usesExistingTags.set(doc, v);
  }
  return v;
}

/**
 * The request's condition keys plus `s3:ExistingObjectTag/<key>` for each tag of the object
 * the access reads or changes, looked up only when a policy in play tests them. An object
 * that cannot be read has no tags (the handler answers NoSuchKey or the like).
 */
function withExistingObjectTags(
  engine: Engine,
  access: RequestedAccess,
  keys: ConditionKeys,
  policies: ReadonlyArray<PolicyDocument | undefined>,
): ConditionKeys {
  if (access.bucket === undefined || access.key === undefined) return keys;
  if (!EXISTING_TAG_ACTIONS.has(access.action)) return keys;
  if (!policies.some((p) => p !== undefined && testsExistingTags(p))) return keys;
  let tags: Record<string, string>;
  try {
    tags = engine.getObjectTagging(access.bucket, access.key, access.versionId).tags;
  } catch (err) {
    // No such object or version (or a delete marker): the handler gives the real answer.
    if (isStowageError(err)) return keys;
    throw err;
  }
  return withTagValues(keys, 's3:existingobjecttag', Object.entries(tags));
}

/**
 * Builds the authorisation check of the front end.
 *
 * @example
 * const authorize = createAuthorize({ identities: (id) => keys.get(id), engine });
 * createS3Handler({ engine, authenticate, authorize });
 */
export function createAuthorize(options: AuthorizeOptions): Authorize {
  const policyOf = createBucketPolicyReader(options.engine);
  const blockOf = (bucket: string): PublicAccessBlock => {
    try {
      return publicAccessBlockOf(options.engine, bucket);
    } catch (err) {
      // A bucket that does not exist has no block; the handler answers NoSuchBucket.
      if (isStowageError(err) && err.code === 'E_NO_SUCH_BUCKET') return NO_PUBLIC_ACCESS_BLOCK;
      throw err;
    }
  };

  /** Allowed, refused by an explicit Deny, or refused for want of an Allow or a grant. */
  const verdict = (
    caller: Caller,
    access: RequestedAccess,
    requestKeys: ConditionKeys,
    unknown?: (key: string) => boolean,
  ): 'allowed' | 'denied' | 'not-allowed' => {
    const policy: BucketPolicy =
      access.bucket === undefined ? { kind: 'none' } : policyOf(access.bucket);
    const bucketPolicy = policy.kind === 'policy' ? policy.doc : undefined;
    const identityPolicies = caller.kind === 'key' ? caller.identity.policies : [];
    const keys = withExistingObjectTags(options.engine, access, requestKeys, [
      bucketPolicy,
      ...identityPolicies,
    ]);
    if (caller.kind === 'key' && caller.identity.root) {
      if (ROOT_ALWAYS.has(access.action)) return 'allowed';
      const decision = evaluate({
        caller,
        access,
        keys,
        bucketPolicy,
        ...(unknown && { unknown }),
      });
      return decision === 'ExplicitDeny' ? 'denied' : 'allowed';
    }
    if (policy.kind === 'unreadable') return 'not-allowed';
    const decision: Decision = evaluate({
      caller,
      access,
      keys,
      bucketPolicy,
      identityPolicies,
      ...(unknown && { unknown }),
    });
    if (decision === 'ExplicitDeny') return 'denied';
    const block = access.bucket === undefined ? undefined : blockOf(access.bucket);
    if (decision === 'Allow') {
      // RestrictPublicBuckets: a public policy grants nothing to callers outside the account.
      if (caller.kind !== 'anonymous' || !block?.RestrictPublicBuckets) return 'allowed';
      if (!bucketPolicy || !isPublicPolicy(bucketPolicy)) return 'allowed';
    }
    if (block?.IgnorePublicAcls) return 'not-allowed';
    return aclAllows(options.publicAcl, access, caller.kind === 'key') ? 'allowed' : 'not-allowed';
  };
  const decide = (
    caller: Caller,
    access: RequestedAccess,
    requestKeys: ConditionKeys,
    unknown?: (key: string) => boolean,
  ): boolean => verdict(caller, access, requestKeys, unknown) === 'allowed';

  /**
   * The error for a refused access. S3 answers NoSuchBucket for a bucket that does not
   * exist whoever asks, so a refusal on a missing bucket says that instead (checked only
   * after the refusal: nothing is ever let through because a bucket is missing).
   */
  const refusal = (bucket: string | undefined, access: RequestedAccess): StowageError => {
    if (bucket === undefined || access.bucket !== bucket) return denied(access);
    try {
      options.engine.headBucket(bucket);
    } catch (err) {
      if (isStowageError(err) && err.code === 'E_NO_SUCH_BUCKET') return err;
      throw err;
    }
    return denied(access);
  };

  /**
   * A read refused only for want of a grant (no explicit Deny) of a key that does not
   * exist: as S3 does, a caller who may list the bucket is told NoSuchKey (404) rather
   * than AccessDenied, e.g. an anonymous reader of a public-read bucket. A missing key
   * has no object ACL that could have granted the read.
   */
  const missingKey = (
    caller: Caller,
    access: RequestedAccess,
    keys: ConditionKeys,
  ): StowageError | undefined => {
    const { bucket, key } = access;
    if (access.action !== 's3:GetObject' || bucket === undefined || key === undefined) return;
    try {
      options.engine.headObject(bucket, key);
      return undefined;
    } catch (err) {
      if (!isStowageError(err) || err.code !== 'E_NO_SUCH_KEY') return undefined;
      const list = { action: 's3:ListBucket', resource: `arn:aws:s3:::${bucket}`, bucket };
      return decide(caller, list, keys) ? err : undefined;
    }
  };

  /** Whether the bucket policy could let an anonymous caller delete some key (DeleteObjects). */
  const anonymousMayDelete = (batch: RequestedAccess): boolean => {
    if (batch.bucket === undefined) return false;
    const policy = policyOf(batch.bucket);
    if (policy.kind !== 'policy') return false;
    return mayAllowSome(policy.doc, { kind: 'anonymous' }, [
      batch.action,
      `${batch.action}Version`,
    ]);
  };

  /** The per-key check of a batch whose keys are in the body (DeleteObjects). */
  const keyAuthorizer = (
    caller: Caller,
    batch: RequestedAccess,
    keys: ConditionKeys,
  ): NonNullable<DeferredAuthorization['key']> => {
    const { bucket, action } = batch;
    const bucketResource = batch.resource.slice(0, -'/*'.length);
    return (key, versionId, ifMatch) => {
      const access: RequestedAccess = {
        action: versionId === undefined ? action : `${action}Version`,
        resource: `${bucketResource}/${key}`,
        key,
        ...(bucket === undefined ? {} : { bucket }),
        ...(versionId === undefined ? {} : { versionId }),
      };
      // An entry's <ETag> is its If-Match, as a DeleteObject's header is (AWS's "Enforce
      // conditional deletes" lets conditional DeleteObjects through the same policy).
      const judged =
        ifMatch === undefined || versionId !== undefined
          ? keys
          : new Map([...keys, ['s3:if-match', [conditionEtag(ifMatch)!]]]);
      return decide(caller, access, judged) ? undefined : denied(access);
    };
  };

  return (principal, route, req) => {
    let caller: Caller;
    if (principal.kind === 'anonymous') caller = { kind: 'anonymous' };
    else {
      const identity = options.identities(principal.accessKeyId);
      if (!identity) {
        throw new StowageError('E_ACCESS_DENIED', 'access denied: the access key has no identity');
      }
      caller = { kind: 'key', identity };
    }
    if (caller.kind === 'anonymous' && route.bucket !== undefined) {
      refuseAnonymousRequesterPays(options.engine, route.bucket);
    }
    const ctx = requestContext(route, req, caller);
    const bucketOfRefusal = route.operation === 'CreateBucket' ? undefined : route.bucket;
    const deferred: DeferredAuthorization = {};
    for (const access of ctx.accesses) {
      // A batch's keys are in the body: each is judged on its own (S3 reports the denied
      // ones as per-key AccessDenied errors and deletes the rest).
      if (access.anyKey) {
        // An anonymous batch no bucket policy statement could allow (ACLs grant no deletes)
        // is refused before its body is read: parsing a 2 MiB body costs about 0.3 s of
        // the main thread, and a resource probe held /health/ready for 28 s with 100 of them.
        if (caller.kind === 'anonymous' && !anonymousMayDelete(access))
          throw refusal(bucketOfRefusal, access);
        deferred.key = keyAuthorizer(caller, access, ctx.keys);
      } else if (access.tagsInBody) {
        // PutObjectTagging: judged with the body's tags as s3:RequestObjectTag keys; a caller
        // no tag set could get through is refused before the body is read.
        if (!decide(caller, access, ctx.keys, isRequestTagKey))
          throw refusal(bucketOfRefusal, access);
        deferred.tags = (tags) => {
          if (!decide(caller, access, withRequestTags(ctx.keys, Object.entries(tags))))
            throw refusal(bucketOfRefusal, access);
        };
      } else if (access.lockInBody) {
        // PutObjectRetention / PutObjectLegalHold: judged with the body's settings as
        // s3:object-lock-* keys; a caller no settings could get through is refused now.
        if (!decide(caller, access, ctx.keys, isLockKey)) throw refusal(bucketOfRefusal, access);
        deferred.lock = (lock) => {
          if (!decide(caller, access, withLockValues(ctx.keys, lock)))
            throw refusal(bucketOfRefusal, access);
        };
      } else {
        const judged = verdict(caller, access, ctx.keys);
        if (judged !== 'allowed') {
          throw (
            (judged === 'not-allowed' && missingKey(caller, access, ctx.keys)) ||
            refusal(bucketOfRefusal, access)
          );
        }
      }
    }
    if (route.operation === 'CreateBucket' && route.bucket !== undefined) {
      const tagging: RequestedAccess = {
        action: 's3:TagResource',
        resource: `arn:aws:s3:::${route.bucket}`,
        bucket: route.bucket,
      };
      deferred.bucketTags = () => {
        if (!decide(caller, tagging, ctx.keys)) throw denied(tagging);
      };
    }
    if (
      (route.operation === 'GetObject' || route.operation === 'HeadObject') &&
      route.bucket !== undefined &&
      route.key !== undefined
    ) {
      // Judged only for a version that has lock settings (most reads need no answer).
      const { bucket, key } = route;
      deferred.mayRead = (action) => {
        const versionId = route.query.get('versionId') ?? undefined;
        const resource = `arn:aws:s3:::${bucket}/${key}`;
        const access = { action, resource, bucket, key, ...(versionId && { versionId }) };
        return decide(caller, access, ctx.keys);
      };
    }
    if (
      BYPASS_OPERATIONS.has(route.operation) &&
      req.headers['x-amz-bypass-governance-retention'] !== undefined &&
      route.bucket !== undefined
    ) {
      const bucket = route.bucket;
      deferred.bypassGovernance = (key, versionId) =>
        decide(caller, bypassAccess(bucket, key, versionId), ctx.keys);
    }
    return deferred.key ||
      deferred.tags ||
      deferred.bucketTags ||
      deferred.bypassGovernance ||
      deferred.mayRead ||
      deferred.lock
      ? deferred
      : undefined;
  };
}
