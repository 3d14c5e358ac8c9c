/**
 * What a request asks for, in IAM terms: the actions on resource ARNs an S3 operation
 * needs (requested-accesses.ts), and the condition keys policies may test (AWS "Actions,
 * resources, and condition keys for Amazon S3").
 */
import type { IncomingMessage } from 'node:http';
import { parseAmzDate } from '../../sigv4/amz-date.js';
import { STOWAGE_ACCOUNT_ID, type Identity } from '../identity.js';
import { requestOrigin } from '../request-origin.js';
import type { Operation, Route } from '../router.js';
import type { ConditionKeys } from './conditions.js';
import {
  headerOf,
  OBJECT_WRITES,
  requestedAccesses,
  type RequestedAccess,
} from './requested-accesses.js';

/** Who is asking: nobody in particular, or the holder of an access key. */
export type Caller = { kind: 'anonymous' } | { kind: 'key'; identity: Identity };

/** Object Lock settings a request asks for, as its condition keys carry them. */
export interface RequestedLock {
  mode?: string;
  /** The retain-until date as sent (ISO 8601). */
  retainUntil?: string;
  legalHold?: string;
}

/**
 * `keys` plus the Object Lock condition keys of the settings a request asks for:
 * `s3:object-lock-mode`, `s3:object-lock-retain-until-date`, `s3:object-lock-legal-hold`
 * and `s3:object-lock-remaining-retention-days` (whole days from `now` to the date, rounded
 * up), with which AWS's policies cap retention periods.
 */
export function withLockValues(
  keys: ConditionKeys,
  lock: RequestedLock,
  now: Date = new Date(),
): ConditionKeys {
  // Most writes ask for none: no copy of the keys for them.
  if (lock.mode === undefined && lock.retainUntil === undefined && lock.legalHold === undefined)
    return keys;
  const out = new Map(keys);
  const set = (name: string, value: string | undefined): void => {
    if (value !== undefined) out.set(name, [value]);
  };
  set('s3:object-lock-mode', lock.mode);
  set('s3:object-lock-retain-until-date', lock.retainUntil);
  set('s3:object-lock-legal-hold', lock.legalHold);
  const until = lock.retainUntil === undefined ? NaN : Date.parse(lock.retainUntil);
  if (Number.isFinite(until)) {
    set(
      's3:object-lock-remaining-retention-days',
      String(Math.max(0, Math.ceil((until - now.getTime()) / 86_400_000))),
    );
  }
  return out;
}

/** Whether a condition key is one of Object Lock's (known only once a body is read). */
export function isLockKey(key: string): boolean {
  return key.startsWith('s3:object-lock-');
}

/** Everything policies are judged against for one request. */
export interface RequestContext {
  accesses: RequestedAccess[];
  keys: ConditionKeys;
}

/** The listings AWS gives s3:prefix, s3:delimiter and s3:max-keys (ListBucket, ListBucketVersions). */
const LIST_OPERATIONS: ReadonlySet<Operation> = new Set<Operation>([
  'ListObjects',
  'ListObjectsV2',
  'ListObjectVersions',
]);

/** Tag keys and values of an `x-amz-tagging` header (URL query encoding). */
function requestTags(value: string | undefined): Array<[string, string]> {
  if (value === undefined) return [];
  return [...new URLSearchParams(value)];
}

/** The s3:PutObject operations that make an object, and the multipart steps before one. */
const CREATING: ReadonlySet<string> = new Set([
  'PutObject',
  'CopyObject',
  'CompleteMultipartUpload',
]);
const MULTIPART_STEPS: ReadonlySet<string> = new Set([
  'CreateMultipartUpload',
  'UploadPart',
  'UploadPartCopy',
]);

/**
 * How a signed request was authenticated (s3:authType) and, for a presigned URL or a form
 * upload, when it was signed (milliseconds since the epoch). A form upload is the one
 * PutObject that comes as a POST (post-object/handler.ts puts the form's x-amz-date in
 * its headers); the signature checks already refused a signing time that does not parse.
 */
function authOf(
  route: Route,
  req: IncomingMessage,
): { type: 'REST-HEADER' | 'REST-QUERY-STRING' | 'POST'; signedAt?: number } {
  const presignedAt = route.query.get('X-Amz-Date');
  if (route.query.has('X-Amz-Signature') && presignedAt !== null) {
    return withSigningTime('REST-QUERY-STRING', presignedAt);
  }
  if (req.method === 'POST' && route.operation === 'PutObject') {
    return withSigningTime('POST', headerOf(req.headers, 'x-amz-date'));
  }
  return { type: 'REST-HEADER' };
}

function withSigningTime<T extends string>(
  type: T,
  amzDate: string | undefined,
): { type: T; signedAt?: number } {
  const signedAt = amzDate === undefined ? undefined : parseAmzDate(amzDate);
  return signedAt === undefined ? { type } : { type, signedAt };
}

/**
 * The condition keys of a request, lower-cased. Keys that do not apply are absent (so
 * `Null` and `…IfExists` behave as in AWS); `aws:SourceArn` is never present because
 * requests come straight from clients, not from another AWS service.
 */
export function conditionKeys(
  route: Route,
  req: IncomingMessage,
  caller: Caller,
  now: Date = new Date(),
): ConditionKeys {
  const keys = new Map<string, string[]>();
  const set = (name: string, value: string | undefined): void => {
    if (value !== undefined) keys.set(name.toLowerCase(), [value]);
  };
  const h = req.headers;
  // The client's, when a trusted proxy forwarded the request (request-origin.ts).
  const origin = requestOrigin(req);
  set('aws:SecureTransport', String(origin.secure));
  set('aws:SourceIp', origin.clientIp);
  set('aws:CurrentTime', now.toISOString().replace(/\.\d{3}Z$/, 'Z'));
  set('aws:EpochTime', String(Math.floor(now.getTime() / 1000)));
  set('aws:UserAgent', headerOf(h, 'user-agent'));
  set('aws:Referer', headerOf(h, 'referer'));
  if (caller.kind === 'anonymous') {
    set('aws:PrincipalType', 'Anonymous');
    set('aws:userid', 'anonymous');
  } else {
    const id = caller.identity;
    set('aws:PrincipalType', id.root ? 'Account' : 'User');
    set('aws:PrincipalArn', id.arn);
    set('aws:PrincipalAccount', STOWAGE_ACCOUNT_ID);
    // IAM's unique id of a user is not modelled; the access key id stands in for it.
    set('aws:userid', id.root ? STOWAGE_ACCOUNT_ID : id.accessKeyId);
    if (!id.root) set('aws:username', id.name);
    const auth = authOf(route, req);
    set('s3:authType', auth.type);
    set('s3:signatureversion', 'AWS4-HMAC-SHA256');
    // How old the signature of a presigned URL or a form is (AWS keeps the key for those
    // two); one dated ahead (clock skew is allowed) is 0 old, so it cannot outlive a limit.
    if (auth.signedAt !== undefined) {
      set('s3:signatureAge', String(Math.max(0, now.getTime() - auth.signedAt)));
    }
  }
  set('s3:TlsVersion', origin.tlsVersion);
  if (LIST_OPERATIONS.has(route.operation)) {
    set('s3:prefix', route.query.get('prefix') ?? undefined);
    set('s3:delimiter', route.query.get('delimiter') ?? undefined);
    // The max-keys the listing reads (handlers/list.ts), and only that: an empty one lists
    // the default 1,000, so it is no limit to judge. ListMultipartUploads' max-uploads is
    // no s3:max-keys (AWS gives s3:ListBucketMultipartUploads none of these keys).
    set('s3:max-keys', route.query.get('max-keys') || undefined);
  }
  set('s3:VersionId', route.query.get('versionId') ?? undefined);
  // AWS "Enforce conditional writes": s3:if-none-match and s3:if-match carry the
  // conditional headers of the writes that take them (PutObject, CompleteMultipartUpload)
  // and s3:if-match that of a conditional DeleteObject without a version id. The ETag is
  // compared without its quotes.
  const op = route.operation;
  const unversionedDelete = op === 'DeleteObject' && !route.query.has('versionId');
  if (op === 'PutObject' || op === 'CompleteMultipartUpload' || unversionedDelete) {
    set('s3:if-match', conditionEtag(headerOf(h, 'if-match')));
    if (!unversionedDelete) set('s3:if-none-match', conditionEtag(headerOf(h, 'if-none-match')));
  }
  // Whether an s3:PutObject request makes the object, or is a step of a multipart upload
  // (which takes no conditional headers): how AWS's policies exempt those steps.
  if (CREATING.has(op)) set('s3:ObjectCreationOperation', 'true');
  if (MULTIPART_STEPS.has(op)) set('s3:ObjectCreationOperation', 'false');
  for (const name of [
    'x-amz-acl',
    'x-amz-server-side-encryption',
    'x-amz-server-side-encryption-aws-kms-key-id',
    'x-amz-server-side-encryption-customer-algorithm',
    'x-amz-storage-class',
    'x-amz-copy-source',
    'x-amz-metadata-directive',
    'x-amz-grant-read',
    'x-amz-grant-write',
    'x-amz-grant-read-acp',
    'x-amz-grant-write-acp',
    'x-amz-grant-full-control',
    'x-amz-object-ownership',
  ]) {
    set(`s3:${name}`, headerOf(h, name));
  }
  // A presigned URL may come with an x-amz-content-sha256 header it did not sign, which S3
  // (and the signature check, sigv4.ts) ignores: it is then no value a policy can judge.
  const signedByUrl = route.query.get('X-Amz-SignedHeaders')?.toLowerCase().split(';');
  if (!signedByUrl || signedByUrl.includes('x-amz-content-sha256')) {
    set('s3:x-amz-content-sha256', headerOf(h, 'x-amz-content-sha256'));
  }
  const withTags = withRequestTags(keys, requestTags(headerOf(h, 'x-amz-tagging')));
  // The Object Lock settings a write asks for in its headers (PutObjectRetention and
  // PutObjectLegalHold carry theirs in the body: authorize.ts judges them once read).
  return OBJECT_WRITES.has(op)
    ? withLockValues(
        withTags,
        {
          mode: headerOf(h, 'x-amz-object-lock-mode'),
          retainUntil: headerOf(h, 'x-amz-object-lock-retain-until-date'),
          legalHold: headerOf(h, 'x-amz-object-lock-legal-hold'),
        },
        now,
      )
    : withTags;
}

/**
 * `keys` plus `s3:RequestObjectTagKeys` and `s3:RequestObjectTag/<key>` for the tags a
 * request sets (the x-amz-tagging header of a write, or PutObjectTagging's body).
 */
export function withRequestTags(
  keys: ConditionKeys,
  tags: ReadonlyArray<readonly [string, string]>,
): ConditionKeys {
  if (tags.length === 0) return keys;
  const out = withTagValues(keys, 's3:requestobjecttag', tags);
  out.set(
    's3:requestobjecttagkeys',
    tags.map(([k]) => k),
  );
  return out;
}

/**
 * `keys` plus `<prefix>/<tag key>` for each tag (`s3:existingobjecttag/env`). Tag keys are
 * case-sensitive, condition key names are not: tags whose keys differ only in case are all
 * values of one condition key.
 */
export function withTagValues(
  keys: ConditionKeys,
  prefix: string,
  tags: Iterable<readonly [string, string]>,
): Map<string, readonly string[]> {
  const out = new Map(keys);
  for (const [k, v] of tags) {
    const name = `${prefix}/${k.toLowerCase()}`;
    out.set(name, [...(out.get(name) ?? []), v]);
  }
  return out;
}

/**
 * The value `s3:if-match` / `s3:if-none-match` carry for a conditional header or a
 * DeleteObjects `<ETag>`: the ETag without its quotes, as AWS compares it.
 */
export function conditionEtag(v: string | undefined): string | undefined {
  return v === undefined ? undefined : v.replace(/^"(.*)"$/, '$1');
}

/**
 * Everything a policy is judged against for one request.
 *
 * @example
 * const ctx = requestContext(routed, req, { kind: 'anonymous' });
 */
export function requestContext(
  route: Route,
  req: IncomingMessage,
  caller: Caller,
  now: Date = new Date(),
): RequestContext {
  return {
    accesses: requestedAccesses(route, req.headers),
    keys: conditionKeys(route, req, caller, now),
  };
}
