/**
 * The S3 front end: one request handler for node:http that routes, authenticates,
 * decodes the payload, runs the operation against the engine and answers in S3's XML.
 * A client error is never a 500 and never takes the process down.
 */
import { randomHex } from '../random-bytes.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Engine } from '../engine/engine.js';
import { isChecksumAlgorithm } from '../engine/checksums/index.js';
import { StowageError, toStowageError } from '../errors.js';
import type { DeferredAuthorization, PostAuthorizer, S3Request } from './context.js';
import { applyCorsHeaders } from './cors/actual.js';
import { discardUnreadBody } from './discard-body.js';
import { continueOnFirstRead } from './expect-continue.js';
import { checkHeaderSection } from './header-section.js';
import { HANDLERS } from './handlers/index.js';
import { CLIENT_CLOSED, sendError } from './respond.js';
import { cutByClient, type LongAnswerTimes } from './long-answer.js';
import { originForm } from './request-target.js';
import { recordRequestOrigin, requestOrigin, type TrustedProxies } from './request-origin.js';
import { virtualHostHints } from './host-hint.js';
import { bucketNamed, route, s3OperationName, type Route } from './router.js';
import { STOWAGE_ACCOUNT_ID } from './identity.js';

/** Who sent a request, once authenticated. */
export type Principal =
  | { kind: 'anonymous' }
  | { kind: 'key'; accessKeyId: string; /** See Credential.userArn. */ userArn?: string };

/** What authentication hands to the front end: the caller and the decoded payload. */
export interface Authenticated {
  principal: Principal;
  body: AsyncIterable<Uint8Array>;
  trailers?: Promise<Record<string, string>>;
  trailerAlgorithms: string[];
  /** See RequestBody.deferSha256 (auth/request-body.ts). */
  deferSha256?: () => string;
}

/** Authenticates a request and decodes its payload; throws S3 auth errors. */
export type Authenticate = (
  req: IncomingMessage,
  rawPath: string,
  rawQuery: string,
) => Authenticated;

/**
 * Decides whether a principal may run an operation; throws E_ACCESS_DENIED if not. What
 * depends on the body (the keys of a batch, a tag set) it returns as checks the handler
 * must apply.
 */
export type Authorize = (
  principal: Principal,
  route: Route,
  req: IncomingMessage,
) => DeferredAuthorization | void;

/** One line of the access log. */
export interface AccessLogEntry {
  requestId: string;
  method: string;
  path: string;
  /** The bucket the request addressed, path-style or virtual-hosted (its host). */
  bucket?: string;
  operation?: string;
  status: number;
  code?: string;
  durationMs: number;
  principal?: string;
  /**
   * The access key id a refused request named (a wrong signature, an unknown key, a skewed
   * clock): which client to look at. Not authenticated, so never `principal`.
   */
  refusedAccessKeyId?: string;
  /** The client closed the connection before the whole answer was sent (not an error). */
  clientClosed?: true;
  /**
   * The server cut the connection: the request was still under way when the shutdown's
   * grace period ended. `status` is then what the server had come to, not what the client
   * got (nothing more).
   */
  cutAtShutdown?: true;
  /**
   * Bytes of the answer handed to the connection: status line, headers and body (and a
   * `100 Continue`). For an answer the client abandoned, what was sent before it went.
   */
  bytesSent: number;
  /** The client's address (behind a trusted proxy, the one it forwarded: aws:SourceIp). */
  remoteAddress?: string;
  /** The trusted proxy the request came through, if it did. */
  proxy?: string;
}

/** Options of createS3Handler. */
export interface S3FrontOptions {
  engine: Engine;
  authenticate: Authenticate;
  authorize: Authorize;
  /** Peers whose X-Forwarded-For / X-Forwarded-Proto are believed (request-origin.ts). */
  trustedProxies?: TrustedProxies;
  /** Host suffix for virtual-hosted-style addressing (`bucket.<domain>`). */
  virtualHostDomain?: string;
  /** False to store objects in the clear unless asked (`server.defaultEncryption: none`). */
  encryptByDefault?: boolean;
  /** The keys POST Object forms are signed with (see PostAuthorizer). */
  post?: Omit<PostAuthorizer, 'authorize'>;
  /** Called once per finished request. */
  onAccess?: (entry: AccessLogEntry) => void;
  /**
   * Called for a request answered with a server error (5xx), with the error and its cause:
   * the access line names only the S3 code, which tells an operator nothing.
   */
  onServerError?: (err: StowageError, requestId: string) => void;
  /** Whether the shutdown has cut the connections still open (its grace period ended). */
  cutAtShutdown?: () => boolean;
  /** Called with advice for the operator, at most once per occasion (host-hint.ts). */
  onNotice?: (message: string) => void;
  /** When long copies start their answer (long-answer.ts); tests shorten S3's pacing. */
  longAnswer?: LongAnswerTimes;
}

/** What an unauthenticated CORS preflight runs with: no caller, no payload. */
function preflightAuth(): Authenticated {
  return {
    principal: { kind: 'anonymous' },
    body: (async function* () {})(),
    trailerAlgorithms: [],
  };
}

/**
 * The reads whose missing key is told only to callers who may list the bucket (S3's
 * GetObject, HeadObject and GetObjectAttributes pages).
 */
const UNDISCLOSED: ReadonlySet<string> = new Set([
  'GetObject',
  'HeadObject',
  'GetObjectAttributes',
]);

/** The largest request target accepted; S3 keys are at most 1024 bytes, encoded ×3. */
const MAX_URL_BYTES = 8 * 1024;

function checksumTrailers(
  trailers: Promise<Record<string, string>> | undefined,
): Promise<Record<string, string>> | undefined {
  if (!trailers) return undefined;
  const p = trailers.then((t) => {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(t)) {
      const lower = name.toLowerCase();
      if (!lower.startsWith('x-amz-checksum-')) continue;
      const alg = lower.slice('x-amz-checksum-'.length).toUpperCase();
      if (isChecksumAlgorithm(alg)) out[alg] = value.trim();
    }
    return out;
  });
  // An unread trailer promise must not become an unhandled rejection.
  p.catch(() => undefined);
  return p;
}

/**
 * Creates the request listener.
 *
 * @example
 * http.createServer(createS3Handler({ engine, authenticate, authorize })).listen(9000, '127.0.0.1');
 */
export function createS3Handler(
  options: S3FrontOptions,
): (req: IncomingMessage, res: ServerResponse, awaitingContinue?: boolean) => void {
  const hostHint = options.onNotice
    ? virtualHostHints(options.virtualHostDomain, (name) => bucketExists(options.engine, name))
    : undefined;
  // `awaitingContinue`: node:http held back `100 Continue` for this request, which came
  // through the server's 'checkContinue' event (expect-continue.ts).
  return (req, res, awaitingContinue = false) => {
    const started = performance.now();
    // One request at a time per connection (pipelined ones wait for their turn, see
    // server/pipelining.ts), so what the socket counts meanwhile is this answer's.
    const socket = req.socket;
    const sentBefore = socket.bytesWritten;
    recordRequestOrigin(req, options.trustedProxies);
    const requestId = randomHex(8).toUpperCase();
    res.setHeader('x-amz-request-id', requestId);
    res.setHeader('x-amz-id-2', requestId);
    res.setHeader('Server', 'Stowage');
    const method = req.method ?? 'GET';
    const url = originForm(req.url ?? '/');
    const q = url.indexOf('?');
    const rawPath = q < 0 ? url : url.slice(0, q);
    const rawQuery = q < 0 ? '' : url.slice(q + 1);
    let routed: Route | undefined;
    let principal: Principal | undefined;
    const finish = (err?: StowageError, clientClosed = false): void => {
      const origin = requestOrigin(req);
      options.onAccess?.({
        requestId,
        method,
        path: rawPath,
        ...(routed?.bucket === undefined ? {} : { bucket: routed.bucket }),
        operation: routed && s3OperationName(routed),
        status: res.statusCode,
        ...(err ? { code: err.s3Code } : {}),
        // A connection closed once the shutdown has cut every connection was cut here.
        ...(clientClosed
          ? options.cutAtShutdown?.()
            ? { cutAtShutdown: true as const }
            : { clientClosed: true as const }
          : {}),
        durationMs: Math.round(performance.now() - started),
        bytesSent: socket.bytesWritten - sentBefore,
        ...(principal?.kind === 'key' ? { principal: principal.accessKeyId } : {}),
        ...(principal?.kind !== 'key' && typeof err?.details.accessKeyId === 'string'
          ? { refusedAccessKeyId: err.details.accessKeyId.slice(0, 128) }
          : {}),
        ...(origin.clientIp === undefined ? {} : { remoteAddress: origin.clientIp }),
        ...(origin.proxy === undefined ? {} : { proxy: origin.proxy }),
      });
    };
    const run = async (): Promise<void> => {
      if (req.headers.host === undefined && req.httpVersion !== '1.0') {
        throw new StowageError(
          'E_INVALID_REQUEST',
          'An HTTP/1.1 request must have a Host header (RFC 9112 section 3.2)',
        );
      }
      try {
        if (Buffer.byteLength(url) > MAX_URL_BYTES) {
          throw new StowageError(
            'E_INVALID_URI',
            `the request URI is longer than ${MAX_URL_BYTES} bytes`,
          );
        }
        if (!rawPath.startsWith('/'))
          throw new StowageError('E_INVALID_URI', 'the request path must start with "/"');
        routed = route(
          method,
          rawPath,
          rawQuery,
          req.headers as Record<string, string>,
          options.virtualHostDomain,
        );
        const hint = hostHint?.(req.headers.host);
        if (hint) options.onNotice?.(hint);
      } catch (err) {
        // A refusal of the request line carries the CORS headers of the bucket it names,
        // as every other error does (below), so that a page can read it.
        if (method !== 'OPTIONS') {
          const bucket = bucketNamed(rawPath, req.headers.host, options.virtualHostDomain);
          applyCorsHeaders(options.engine, bucket, req, res);
        }
        // A header section over the limit is refused first, as S3's front end does; with a
        // route, only after the bucket's CORS headers are set (below).
        checkHeaderSection(req.rawHeaders);
        // What this server does not do (S3 Select, ?torrent …) is told only to a caller
        // who signed the request right, as S3 authenticates before anything else: a wrong
        // key or signature is named as such, and an anonymous caller is refused.
        if ((err as { code?: unknown }).code === 'E_NOT_IMPLEMENTED') {
          const auth = options.authenticate(req, rawPath, rawQuery);
          principal = auth.principal;
          if (auth.principal.kind === 'anonymous') {
            throw new StowageError('E_ACCESS_DENIED', 'Access Denied (an anonymous request)');
          }
        }
        throw err;
      }
      // S3 answers a CORS preflight without authentication. Other requests get their CORS
      // headers before anything can fail, so that errors carry them too (as in S3).
      const preflight = routed.operation === 'PreflightCors';
      if (!preflight) applyCorsHeaders(options.engine, routed.bucket, req, res);
      // After the CORS headers, so that a browser script can read the refusal.
      checkHeaderSection(req.rawHeaders);
      const auth = preflight ? preflightAuth() : options.authenticate(req, rawPath, rawQuery);
      principal = auth.principal;
      // A form upload is signed in its form: authorised by its handler, once that is read.
      const form = routed.operation === 'PostObject';
      const deferred =
        preflight || form ? undefined : options.authorize(auth.principal, routed, req);
      if (!preflight) refuseUnexpectedOwner(routed, req);
      const r: S3Request = {
        req,
        res,
        engine: options.engine,
        route: routed,
        requestId,
        body: awaitingContinue ? continueOnFirstRead(auth.body, res) : auth.body,
        trailers: checksumTrailers(auth.trailers),
        trailerAlgorithms: auth.trailerAlgorithms,
        ...(auth.deferSha256 ? { deferSha256: auth.deferSha256 } : {}),
        anonymous: auth.principal.kind === 'anonymous',
        ...(auth.principal.kind === 'key' && auth.principal.userArn
          ? { userArn: auth.principal.userArn }
          : {}),
        ...(deferred ? { deferred } : {}),
        ...(options.encryptByDefault === false ? { encryptByDefault: false } : {}),
        ...(options.longAnswer ? { longAnswer: options.longAnswer } : {}),
      };
      // Set only for a form, not spread into the literal every request builds.
      if (form && options.post) {
        r.post = {
          lookup: options.post.lookup,
          // The access line names the key that signed the form.
          authorize: (p: Principal, rt: Route, rq: IncomingMessage) => {
            principal = p;
            return options.authorize(p, rt, rq);
          },
        };
      }
      await HANDLERS[routed.operation](r);
    };
    /**
     * As S3 does, a missing key is disclosed (404 NoSuchKey) only to a caller who may list
     * the bucket; anyone else, e.g. an anonymous reader of a public prefix, gets 403, so
     * keys cannot be probed for. The list permission is judged as a listing of the bucket.
     */
    const undisclosed = (err: StowageError): StowageError => {
      if (err.code !== 'E_NO_SUCH_KEY' || !principal || routed?.bucket === undefined) return err;
      if (!UNDISCLOSED.has(routed.operation)) return err;
      const listing: Route = {
        operation: 'ListObjectsV2',
        bucket: routed.bucket,
        query: new URLSearchParams('list-type=2'),
      };
      try {
        options.authorize(principal, listing, req);
        return err;
      } catch {
        return new StowageError(
          'E_ACCESS_DENIED',
          `access denied: s3:GetObject on arn:aws:s3:::${routed.bucket}/${routed.key ?? ''} ` +
            '(whether the key exists is told only to callers with s3:ListBucket on the bucket)',
          { details: { bucket: routed.bucket } },
        );
      }
    };
    run().then(
      // A client gone before its answer was out (a long copy it stopped waiting for, which
      // still completed) is flagged, as one gone during a body is.
      () => finish(undefined, cutByClient(res)),
      (thrown: unknown) => {
        if ((thrown as { code?: unknown }).code === CLIENT_CLOSED) {
          // The client went away before or during the body (or as its end went out):
          // nothing failed here, and the access log says so instead of an InternalError.
          res.destroy();
          finish(undefined, true);
          return;
        }
        const err = undisclosed(toStowageError(thrown));
        if (err.code === 'E_REQUEST_TIMEOUT') {
          // A client that stopped sending its body: as S3 does, answer and close.
          // (node:http then sends `Connection: close` and ends the connection.)
          res.shouldKeepAlive = false;
        } else {
          // The client may still be sending a body we refused: read and drop it so the
          // connection can be reused, but not forever (discard-body.ts).
          discardUnreadBody(req);
        }
        if (routed?.operation === 'HeadBucket') nameBucketRegion(options.engine, routed, res);
        sendError(res, err, { requestId, resource: rawPath, method });
        // NotImplemented (501) answers a client that asked for what this server does not
        // do; it is not a fault of the server.
        if (err.httpStatus >= 500 && err.code !== 'E_NOT_IMPLEMENTED') {
          options.onServerError?.(err, requestId);
        }
        // An upload the client cut off (it closed the connection mid-body, as s3backer
        // does with a write it cancels): logged as IncompleteBody, flagged as the client's.
        finish(err, err.code === 'E_INCOMPLETE_BODY' && req.readableAborted);
      },
    );
  };
}

/**
 * S3 names an existing bucket's region on every HeadBucket answer, refusals included: the
 * SDKs' region discovery (aws-sdk-go's GetBucketRegion) sends an anonymous HEAD and reads
 * x-amz-bucket-region from its 403. A bucket that does not exist has no region to name.
 */
function nameBucketRegion(engine: Engine, routed: Route, res: ServerResponse): void {
  if (routed.bucket === undefined) return;
  try {
    res.setHeader('x-amz-bucket-region', engine.headBucket(routed.bucket).region);
  } catch {
    // No such bucket (or a name that is not one).
  }
}

/**
 * x-amz-expected-bucket-owner (and, on a copy, x-amz-source-expected-bucket-owner) names the
 * account the caller expects to own the bucket. Every bucket here belongs to this server's
 * one account, so any other value is 403 AccessDenied, as S3 answers a mismatch, and the
 * request changes nothing.
 */
function refuseUnexpectedOwner(routed: Route, req: IncomingMessage): void {
  if (routed.bucket === undefined) return;
  const names = ['x-amz-expected-bucket-owner'];
  if (req.headers['x-amz-copy-source'] !== undefined)
    names.push('x-amz-source-expected-bucket-owner');
  for (const name of names) {
    const v = req.headers[name];
    // An empty header names no account: as if it were not sent.
    if (v !== undefined && v !== '' && v !== STOWAGE_ACCOUNT_ID) {
      throw new StowageError(
        'E_ACCESS_DENIED',
        `Access Denied (${name} is ${JSON.stringify(v)}; the bucket's owner is ${STOWAGE_ACCOUNT_ID})`,
      );
    }
  }
}

/** Whether `name` is a bucket of this server (for advice only: any failure is "no"). */
function bucketExists(engine: Engine, name: string): boolean {
  try {
    engine.headBucket(name);
    return true;
  } catch {
    return false;
  }
}
