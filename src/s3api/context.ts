/** What every S3 handler gets. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Engine } from '../engine/engine.js';
import type { ChecksumValues } from '../engine/types.js';
import { StowageError } from '../errors.js';
import { commaList } from '../header-value.js';
import type { RequestedLock } from './policy/request-context.js';
import type { Route } from './router.js';
import type { CredentialLookup } from './auth/types.js';
import type { Principal } from './front.js';
import type { LongAnswerTimes } from './long-answer.js';

/**
 * Judges one key of a batch whose keys are only known from the body (DeleteObjects):
 * undefined when allowed, else the E_ACCESS_DENIED error to report for that key.
 */
export type KeyAuthorizer = (
  key: string,
  versionId?: string,
  /** The entry's `<ETag>`: a conditional delete, judged with it as `s3:if-match`. */
  ifMatch?: string,
) => StowageError | undefined;

/**
 * What authorisation can only judge once the body is read. The handler of the operation
 * must apply it before it changes anything.
 */
export interface DeferredAuthorization {
  /** DeleteObjects: each key named in the body. */
  key?: KeyAuthorizer;
  /**
   * PutObjectTagging: the tag set in the body, which policies test as
   * `s3:RequestObjectTag/<key>` and `s3:RequestObjectTagKeys`. Throws E_ACCESS_DENIED.
   */
  tags?: (tags: Record<string, string>) => void;
  /**
   * CreateBucket with tags in its body: s3:TagResource on the new bucket, which S3 needs to
   * create a bucket with tags. Throws E_ACCESS_DENIED.
   */
  bucketTags?: () => void;
  /**
   * A request with `x-amz-bypass-governance-retention: true` (DeleteObject, DeleteObjects,
   * PutObjectRetention): whether the caller holds s3:BypassGovernanceRetention on this key.
   */
  bypassGovernance?: (key: string, versionId?: string) => boolean;
  /**
   * GetObject and HeadObject: whether the caller may read the version's retention or legal
   * hold, which S3 answers as x-amz-object-lock-* headers only to callers allowed
   * s3:GetObjectRetention or s3:GetObjectLegalHold.
   */
  mayRead?: (action: 's3:GetObjectRetention' | 's3:GetObjectLegalHold') => boolean;
  /**
   * PutObjectRetention and PutObjectLegalHold: the settings in the body, which policies
   * test as `s3:object-lock-*` keys. Throws E_ACCESS_DENIED.
   */
  lock?: (lock: RequestedLock) => void;
}

/** One S3 request in flight. */
export interface S3Request {
  req: IncomingMessage;
  res: ServerResponse;
  engine: Engine;
  route: Route;
  requestId: string;
  /** The payload, already decoded from aws-chunked and verified as it streams. */
  body: AsyncIterable<Uint8Array>;
  /** Trailing checksums of an aws-chunked body, once the body has been read. */
  trailers?: Promise<ChecksumValues>;
  /** Algorithms announced in x-amz-trailer (their values arrive after the body). */
  trailerAlgorithms: string[];
  /**
   * Present when the body has a signed SHA-256 (x-amz-content-sha256): takes its check off
   * `body` and returns the value for the engine's `sha256` option, which must get it.
   * Only for handlers that hand the body to the engine unread (PutObject, UploadPart).
   */
  deferSha256?: () => string;
  /** True for a request that carries no signature (allowed by a bucket policy or ACL). */
  anonymous: boolean;
  /** The ARN of the IAM user whose named key signed the request; absent for the root key. */
  userArn?: string;
  /** The checks authorisation left until the body is read (DeleteObjects, PutObjectTagging). */
  deferred?: DeferredAuthorization;
  /**
   * False when objects are stored in the clear unless a write or its bucket asks for
   * encryption (`server.defaultEncryption: none`); SSE-S3 otherwise.
   */
  encryptByDefault?: boolean;
  /** POST Object: what checks the form's signature and then authorises the upload. */
  post?: PostAuthorizer;
  /** When a long copy's answer starts (long-answer.ts); S3's pacing when absent. */
  longAnswer?: LongAnswerTimes;
}

/**
 * What POST Object, whose signature is in its form rather than its headers, needs of the
 * front end: the keys to check it against, and authorisation once the caller is known.
 */
export interface PostAuthorizer {
  lookup: CredentialLookup;
  authorize(principal: Principal, route: Route, req: IncomingMessage): DeferredAuthorization | void;
}

/** A header's value (first of repeated ones), or undefined. */
export function header(r: S3Request, name: string): string | undefined {
  const v = r.req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The names a comma-separated attribute header lists (`x-amz-object-attributes`,
 * `x-amz-optional-object-attributes`); one not in `known` is S3's InvalidArgument naming
 * the header. An absent header lists none.
 */
export function attributeNames(r: S3Request, name: string, known: readonly string[]): string[] {
  const wanted = commaList(header(r, name));
  for (const w of wanted) {
    if (!known.includes(w)) {
      throw new StowageError('E_INVALID_ARGUMENT', 'Invalid attribute name specified.', {
        details: { argumentName: name, argumentValue: w },
      });
    }
  }
  return wanted;
}

/** The route's bucket; handlers for bucket operations call this. */
export function bucketOf(r: S3Request): string {
  if (r.route.bucket === undefined)
    throw new StowageError('E_INVALID_REQUEST', 'this operation needs a bucket');
  return r.route.bucket;
}

/** The route's key. */
export function keyOf(r: S3Request): string {
  if (r.route.key === undefined)
    throw new StowageError('E_INVALID_REQUEST', 'this operation needs an object key');
  return r.route.key;
}

/** An optional integer query parameter, validated. */
export function intParam(r: S3Request, name: string): number | undefined {
  return wholeNumber(name, r.route.query.get(name) ?? undefined);
}

/** An optional integer header (x-amz-max-parts …), validated. */
export function intHeader(r: S3Request, name: string): number | undefined {
  return wholeNumber(name, header(r, name)?.trim());
}

/** S3 reads its integer parameters as 32-bit integers and refuses larger ones. */
const MAX_INT = 2 ** 31 - 1;

function wholeNumber(name: string, v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v) || Number(v) > MAX_INT) {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      `${name} must be an integer from 0 to ${MAX_INT}, got "${v}"`,
      { details: { argumentName: name, argumentValue: v } },
    );
  }
  return Number(v);
}

/** An optional string query parameter. */
export function param(r: S3Request, name: string): string | undefined {
  return r.route.query.get(name) ?? undefined;
}
