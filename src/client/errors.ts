/**
 * Turns what the AWS SDK throws into StowageError, at the client boundary (STYLE.md "One
 * error model"): nothing above src/client/ reads `$metadata.httpStatusCode` or SDK error
 * names. The S3 code, HTTP status and request id travel in `details`; the SDK error is `cause`.
 */
import { ERROR_TABLE, StowageError, type ErrorCode, type ErrorDetails } from '../errors.js';
import type { ResolvedStore } from './types.js';
import { formatS3Url } from './url.js';

/** What the failed request was about, for the message. */
export interface TranslateContext {
  bucket?: string;
  key?: string;
  /** The store it went to: its name and key id (masked) make credential errors actionable. */
  store?: Pick<ResolvedStore, 'name' | 'credentials' | 'source' | 'caBundle'>;
}

/** Socket-level failures (Node's errno codes) that a retry may fix. */
const TRANSIENT_NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);
/** Failures a retry does not fix: a name that does not resolve, a certificate not trusted. */
const PERMANENT_NETWORK = new Set([
  'ENOTFOUND',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
/** S3 and AWS error codes that mean "slow down" (retry later, more gently). */
export const THROTTLING_CODES: ReadonlySet<string> = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'TooManyRequests',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'RequestThrottled',
]);
const TOKEN_PROBLEMS = new Set(['ExpiredToken', 'InvalidToken', 'TokenRefreshRequired']);

/** S3 codes that name several Stowage codes, or whose first row means a Stowage bug. */
const BY_S3_CODE_OVERRIDES: Record<string, ErrorCode> = {
  InvalidArgument: 'E_INVALID_ARGUMENT',
  BadDigest: 'E_BAD_DIGEST',
  InternalError: 'E_STORE_ERROR',
  NoSuchKey: 'E_NO_SUCH_KEY',
  NoSuchBucket: 'E_NO_SUCH_BUCKET',
  InvalidRequest: 'E_INVALID_REQUEST',
  NotImplemented: 'E_NOT_IMPLEMENTED',
  AllAccessDisabled: 'E_ACCESS_DENIED',
};

/** S3 error code -> Stowage code, from the one error table. */
const BY_S3_CODE: ReadonlyMap<string, ErrorCode> = (() => {
  const map = new Map<string, ErrorCode>();
  for (const [code, spec] of Object.entries(ERROR_TABLE) as [ErrorCode, { s3Code: string }][]) {
    if (!map.has(spec.s3Code)) map.set(spec.s3Code, code);
  }
  for (const [s3Code, code] of Object.entries(BY_S3_CODE_OVERRIDES)) map.set(s3Code, code);
  return map;
})();

interface SdkLikeError {
  name?: string;
  message?: string;
  code?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
  $response?: { headers?: Record<string, string | undefined> };
}

/** `****ABCD`: enough to tell keys apart, as `aws configure list` shows them. */
export function maskKeyId(accessKeyId: string): string {
  return `****${accessKeyId.slice(-4)}`;
}

function keyHint(ctx: TranslateContext): string {
  const store = ctx.store;
  if (!store) return '';
  const creds = store.credentials;
  const who =
    creds.kind === 'static' ? `key ${maskKeyId(creds.accessKeyId)}` : `profile ${creds.profile}`;
  return ` (store ${store.name}, ${who}; ${store.source})`;
}

/**
 * Translates an SDK (or socket) error into a StowageError. A StowageError passes through.
 *
 * @example
 * try {
 *   await s3.send(new GetObjectCommand({ Bucket: 'assets', Key: 'a.png' }));
 * } catch (err) {
 *   throw translateS3Error(err, { bucket: 'assets', key: 'a.png', store });
 * }
 */
export function translateS3Error(err: unknown, ctx: TranslateContext = {}): StowageError {
  if (err instanceof StowageError) return err;
  const e = (
    typeof err === 'object' && err !== null ? err : { message: String(err) }
  ) as SdkLikeError;
  const status = e.$metadata?.httpStatusCode;
  const s3Code = e.Code ?? e.name ?? 'Error';
  const where =
    ctx.bucket === undefined ? 'request' : formatS3Url({ bucket: ctx.bucket, key: ctx.key ?? '' });
  const details: ErrorDetails = {
    ...(ctx.bucket !== undefined ? { bucket: ctx.bucket } : {}),
    ...(ctx.key !== undefined ? { key: ctx.key } : {}),
    ...(ctx.store ? { store: ctx.store.name } : {}),
    ...(status !== undefined ? { httpStatus: status } : {}),
    ...(e.$metadata?.requestId ? { requestId: e.$metadata.requestId } : {}),
    s3Code,
  };
  const text = e.message && e.message !== 'UnknownError' ? e.message : s3Code;
  const make = (
    code: ErrorCode,
    message: string,
    extra: { retryable?: boolean; s3Code?: string } = {},
  ) => new StowageError(code, message, { cause: err, details, ...extra });

  const netCode = e.code;
  // An https:// endpoint where the store speaks plain HTTP: OpenSSL reads the HTTP answer
  // as a TLS record ("wrong version number"). A retry cannot fix it.
  if (
    netCode === 'EPROTO' &&
    /wrong version number|packet length too long/i.test(e.message ?? '')
  ) {
    return make(
      'E_NETWORK',
      `${where}: cannot reach the store (EPROTO): it does not answer TLS; if it serves plain HTTP, use an http:// endpoint`,
      { retryable: false },
    );
  }
  if (netCode && (TRANSIENT_NETWORK.has(netCode) || PERMANENT_NETWORK.has(netCode))) {
    const hint = PERMANENT_NETWORK.has(netCode)
      ? netCode === 'ENOTFOUND'
        ? ': the host name does not resolve; check the endpoint'
        : ctx.store?.caBundle
          ? `: the TLS certificate is not trusted, not even with the CA bundle ${ctx.store.caBundle.file} from ${ctx.store.caBundle.origin}: point it at the certificate the store serves`
          : ': the TLS certificate is not trusted; set AWS_CA_BUNDLE (or --ca-bundle) or use a trusted certificate'
      : netCode === 'ECONNREFUSED'
        ? ': nothing listens there (is `stowage serve` or the store running?)'
        : '';
    return make(
      'E_NETWORK',
      `${where}: cannot reach the store (${netCode})${hint}${keyHint(ctx)}`,
      {
        retryable: TRANSIENT_NETWORK.has(netCode),
      },
    );
  }
  if (e.name === 'TimeoutError' || e.name === 'RequestTimeoutException') {
    return make('E_REQUEST_TIMEOUT', `${where}: ${text}`);
  }
  if (e.name === 'AbortError') {
    return make('E_INTERNAL', `${where}: aborted`, { retryable: false });
  }
  if (e.name === 'CredentialsProviderError') {
    return make(
      'E_NO_CREDENTIALS',
      `${where}: the AWS SDK found no credentials: ${text}${keyHint(ctx)}`,
    );
  }
  if (/checksum mismatch/i.test(e.message ?? '')) {
    // The bytes changed on the way; fetching them again may succeed.
    return make('E_CHECKSUM_MISMATCH', `${where}: ${text}`, { retryable: true });
  }
  if (s3Code === 'NotFound' || (status === 404 && !BY_S3_CODE.has(s3Code))) {
    // HEAD answers carry no body, so a 404 names no code: the key, or the bucket, is missing.
    return ctx.key
      ? make('E_NO_SUCH_KEY', `${where} does not exist`, { s3Code: 'NoSuchKey' })
      : make('E_NO_SUCH_BUCKET', `${where}: the bucket does not exist`, { s3Code: 'NoSuchBucket' });
  }
  if (
    s3Code === 'Forbidden' ||
    (status === 403 && !BY_S3_CODE.has(s3Code) && !TOKEN_PROBLEMS.has(s3Code))
  ) {
    return make('E_ACCESS_DENIED', `${where}: access denied${keyHint(ctx)}`, {
      s3Code: 'AccessDenied',
    });
  }
  if (s3Code === 'InvalidAccessKeyId') {
    return make(
      'E_INVALID_ACCESS_KEY_ID',
      `${where}: the store does not know the access key${keyHint(ctx)}; check AWS_ACCESS_KEY_ID, the profile or the store's keys`,
    );
  }
  if (s3Code === 'SignatureDoesNotMatch') {
    return make(
      'E_SIGNATURE_DOES_NOT_MATCH',
      `${where}: the store rejected the signature: the secret key is wrong${keyHint(ctx)}`,
    );
  }
  if (TOKEN_PROBLEMS.has(s3Code)) {
    return make(
      'E_ACCESS_DENIED',
      `${where}: ${text}: refresh the session credentials${keyHint(ctx)}`,
      {
        s3Code,
      },
    );
  }
  if (THROTTLING_CODES.has(s3Code) || status === 429 || status === 503) {
    return make('E_SLOW_DOWN', `${where}: the store is throttling (${s3Code}): ${text}`, {
      s3Code,
    });
  }
  if (s3Code === 'RequestTimeout') return make('E_REQUEST_TIMEOUT', `${where}: ${text}`);
  if (s3Code === 'PermanentRedirect' || status === 301) {
    const region = e.$response?.headers?.['x-amz-bucket-region'];
    return make(
      'E_STORE_ERROR',
      `${where}: the bucket is in another region${region ? ` (${region}): pass --region ${region}` : ': pass --region'}`,
      { s3Code },
    );
  }
  const known = BY_S3_CODE.get(s3Code);
  if (known && known !== 'E_STORE_ERROR') {
    return make(known, `${where}: ${text}`, { s3Code });
  }
  return make('E_STORE_ERROR', `${where}: ${s3Code}: ${text}`, {
    s3Code,
    retryable: status !== undefined && status >= 500,
  });
}
