/**
 * SigV4 authentication of S3 requests (AWS S3 "Authenticating Requests (AWS Signature
 * Version 4)"): the Authorization header, presigned URLs, or neither (anonymous).
 */
import { StowageError } from '../../errors.js';
import { formatAmzDate, parseAmzDate, parseDateHeader } from '../../sigv4/amz-date.js';
import { parseAuthorizationHeader, USE_SIGV4 } from './authorization-header.js';
import {
  buildCanonicalRequest,
  canonicalBytes,
  canonicalQuery,
  canonicalUri,
  headerValue,
  parseQuery,
  type QueryParam,
} from './canonical.js';
import { parseCredentialScope, type CredentialScope } from './credential-scope.js';
import { isStreamingPayload, parsePayloadMode, parsePresignedPayloadMode } from './payload-mode.js';
import {
  hasPresignParams,
  queryError,
  readPresignParams,
  SIGNATURE_PARAM,
} from './presigned-query.js';
import {
  ALGORITHM,
  buildStringToSign,
  deriveSigningKey,
  sha256Hex,
  sign,
  signaturesEqual,
  UNSIGNED_PAYLOAD,
} from '../../sigv4/signing-key.js';
import type {
  AuthOptions,
  AuthRequest,
  AuthResult,
  Credential,
  CredentialLookup,
  SigningContext,
} from './types.js';

/** S3 refuses requests whose time is more than 15 minutes from its own clock. */
export const DEFAULT_MAX_SKEW_MS = 15 * 60_000;

/**
 * Authenticates one request. Returns `anonymous` when it carries no authentication at
 * all (policy decides what anonymous may do), `signed` when its signature is valid, and
 * throws a StowageError with S3's error code otherwise. Messages name what was wrong but
 * never the secret or the expected signature; `details` of SignatureDoesNotMatch carry
 * the canonical request and string to sign, as S3's error body does.
 *
 * @example
 * const auth = authenticateRequest(
 *   { method: req.method, rawPath, rawQuery, headers: req.headers },
 *   (id) => credentials.get(id),
 *   Date.now(),
 *   { region: 'us-east-1' },
 * );
 * if (auth.kind === 'signed') console.log(auth.accessKeyId, auth.payload.type);
 */
export function authenticateRequest(
  req: AuthRequest,
  lookup: CredentialLookup,
  nowMs: number,
  options: AuthOptions = {},
): AuthResult {
  const params = parseQuery(req.rawQuery);
  const authorization = req.headers['authorization'];
  const presigned = hasPresignParams(params);
  if (authorization !== undefined && presigned) {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature ' +
        'query string parameter or the Authorization header should be specified',
      { details: { argumentName: 'Authorization' } },
    );
  }
  if (authorization !== undefined) {
    return authenticateHeader(req, authorization, params, lookup, nowMs, options);
  }
  if (presigned) return authenticateQuery(req, params, lookup, nowMs, options);
  if (
    params.some((p) => p.name === 'AWSAccessKeyId') &&
    params.some((p) => p.name === 'Signature')
  ) {
    throw new StowageError(
      'E_INVALID_REQUEST',
      'The authorization mechanism you have provided is not supported: Signature Version 2 ' +
        `presigned URLs (AWSAccessKeyId, Signature, Expires) are not supported. ${USE_SIGV4}`,
      { details: { mechanism: 'SigV2' } },
    );
  }
  return { kind: 'anonymous' };
}

function authenticateHeader(
  req: AuthRequest,
  authorization: string | string[],
  params: QueryParam[],
  lookup: CredentialLookup,
  nowMs: number,
  options: AuthOptions,
): AuthResult {
  if (Array.isArray(authorization)) {
    throw new StowageError(
      'E_AUTHORIZATION_HEADER_MALFORMED',
      'The authorization header is malformed; it appears more than once',
    );
  }
  const auth = parseAuthorizationHeader(authorization);
  // x-amz-date wins over Date (AWS SigV4 "Elements of an AWS API request signature").
  const xAmzDate = headerValue(req.headers, 'x-amz-date');
  const dateHeader = headerValue(req.headers, 'date');
  const dateMs =
    xAmzDate !== undefined
      ? parseAmzDate(xAmzDate)
      : dateHeader !== undefined
        ? parseDateHeader(dateHeader)
        : undefined;
  if (dateMs === undefined) {
    throw new StowageError(
      'E_ACCESS_DENIED',
      'AWS authentication requires a valid Date or x-amz-date header',
    );
  }
  const amzDate = xAmzDate ?? formatAmzDate(dateMs);
  const scope = parseCredentialScope(auth.credential, amzDate, options, (problem, details) => {
    throw new StowageError(
      'E_AUTHORIZATION_HEADER_MALFORMED',
      `The authorization header is malformed; ${problem}`,
      { details },
    );
  });
  const maxSkewMs = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  if (Math.abs(nowMs - dateMs) > maxSkewMs) {
    throw new StowageError(
      'E_REQUEST_TIME_TOO_SKEWED',
      `The difference between the request time (${new Date(dateMs).toISOString()}) and the ` +
        `server time (${new Date(nowMs).toISOString()}) is more than ${maxSkewMs / 60_000} minutes; ` +
        'check the clock of the client',
      {
        details: {
          requestTime: new Date(dateMs).toISOString(),
          serverTime: new Date(nowMs).toISOString(),
          maxAllowedSkewMilliseconds: maxSkewMs,
        },
      },
    );
  }
  // S3 signs the payload hash into every SigV4 request and requires the header.
  const contentSha256 = headerValue(req.headers, 'x-amz-content-sha256');
  if (contentSha256 === undefined) {
    throw new StowageError(
      'E_INVALID_REQUEST',
      'Missing required header for this request: x-amz-content-sha256',
      { details: { header: 'x-amz-content-sha256' } },
    );
  }
  const payload = parsePayloadMode(contentSha256);
  const verified = verifySignature(req, {
    via: 'header',
    scope,
    amzDate,
    signedHeaders: auth.signedHeaders,
    signature: auth.signature,
    payloadHash: contentSha256,
    query: canonicalQuery(params),
    lookup,
  });
  return { kind: 'signed', accessKeyId: scope.accessKeyId, via: 'header', payload, ...verified };
}

function authenticateQuery(
  req: AuthRequest,
  params: QueryParam[],
  lookup: CredentialLookup,
  nowMs: number,
  options: AuthOptions,
): AuthResult {
  const presign = readPresignParams(params);
  const scope = parseCredentialScope(
    presign.credential,
    presign.amzDate,
    options,
    (problem, details) => {
      const error = queryError(`Error parsing the X-Amz-Credential parameter; ${problem}`);
      Object.assign(error.details, details);
      throw error;
    },
  );
  const expiresMs = presign.dateMs + presign.expiresSec * 1000;
  if (presign.expiresSec === 0 || nowMs > expiresMs) {
    throw new StowageError('E_ACCESS_DENIED', 'Request has expired', {
      details: {
        xAmzExpires: presign.expiresSec,
        expires: new Date(expiresMs).toISOString(),
        serverTime: new Date(nowMs).toISOString(),
      },
    });
  }
  // A URL dated in the future is refused like S3 does, with the same 15-minute grace.
  if (presign.dateMs - nowMs > (options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS)) {
    throw new StowageError('E_ACCESS_DENIED', 'Request is not valid yet', {
      details: {
        requestTime: new Date(presign.dateMs).toISOString(),
        serverTime: new Date(nowMs).toISOString(),
      },
    });
  }
  // Presigned URLs sign UNSIGNED-PAYLOAD unless the signer put a payload hash in the
  // query (the AWS SDKs hoist x-amz-content-sha256 there) or in a signed header. S3 ignores
  // an x-amz-content-sha256 header the URL did not sign (the one x-amz-* header it lets
  // through unsigned); a streaming value must still be signed, as it changes how the body
  // is read.
  const hashParam = params.find((p) => p.name.toLowerCase() === 'x-amz-content-sha256');
  const hashHeader = headerValue(req.headers, 'x-amz-content-sha256');
  const ignoreHashHeader =
    hashHeader !== undefined &&
    !presign.signedHeaders.includes('x-amz-content-sha256') &&
    !isStreamingPayload(hashHeader);
  const payloadHash =
    hashParam?.value ?? (ignoreHashHeader ? undefined : hashHeader) ?? UNSIGNED_PAYLOAD;
  const payload = parsePresignedPayloadMode(payloadHash);
  const verified = verifySignature(req, {
    via: 'query',
    scope,
    amzDate: presign.amzDate,
    signedHeaders: presign.signedHeaders,
    signature: presign.signature,
    payloadHash,
    query: canonicalQuery(params, (p) => p.name === SIGNATURE_PARAM),
    lookup,
    unsignedAllowed: ignoreHashHeader ? 'x-amz-content-sha256' : undefined,
  });
  return { kind: 'signed', accessKeyId: scope.accessKeyId, via: 'query', payload, ...verified };
}

interface SignatureInput {
  via: 'header' | 'query';
  scope: CredentialScope;
  amzDate: string;
  signedHeaders: string[];
  signature: string;
  payloadHash: string;
  query: string;
  lookup: CredentialLookup;
  /** An x-amz-* header that may come unsigned (and is then left out of the signature). */
  unsignedAllowed?: string;
}

/** The credential of an access key, or S3's InvalidAccessKeyId. */
export function credentialOf(lookup: CredentialLookup, accessKeyId: string): Credential {
  const credential = lookup(accessKeyId);
  if (!credential) {
    throw new StowageError(
      'E_INVALID_ACCESS_KEY_ID',
      `The AWS access key ID "${accessKeyId}" does not exist in our records`,
      { details: { accessKeyId } },
    );
  }
  return credential;
}

/**
 * Checks what must be signed, then the signature itself. Returns what a streaming body's
 * chunk signatures chain from (the signing key and the verified seed signature), and the
 * IAM user of the key (its ARN; none for the root key).
 */
function verifySignature(
  req: AuthRequest,
  input: SignatureInput,
): { signingContext: SigningContext; userArn?: string } {
  const { scope } = input;
  const credential = credentialOf(input.lookup, scope.accessKeyId);
  const secret = credential.secretAccessKey;
  // SigV4 requires host to be signed, and S3 refuses x-amz-* headers that are not
  // signed: otherwise anyone holding a presigned URL could add x-amz-acl, x-amz-copy-source
  // or x-amz-meta-* to it.
  const signedSet = new Set(input.signedHeaders);
  const notSigned = Object.keys(req.headers).filter(
    (name) =>
      req.headers[name] !== undefined &&
      (name === 'host' || name.startsWith('x-amz-')) &&
      !signedSet.has(name) &&
      name !== input.unsignedAllowed,
  );
  if (!signedSet.has('host') && !notSigned.includes('host')) notSigned.unshift('host');
  if (notSigned.length > 0) {
    throw new StowageError(
      'E_ACCESS_DENIED',
      `There were headers present in the request which were not signed: ${notSigned.join(', ')}`,
      { details: { headersNotSigned: notSigned } },
    );
  }
  const signingKey = deriveSigningKey(secret, scope.date, scope.region, scope.service);
  // The path as S3 canonicalises it, and (for clients that sign their path verbatim
  // without encoding every reserved character) the path exactly as received. Both decode
  // to the same key, so accepting either changes nothing about what was authorised.
  const normalised = canonicalUri(req.rawPath);
  const uris = req.rawPath === normalised ? [normalised] : [normalised, req.rawPath];
  let first: { canonicalRequest: string; stringToSign: string } | undefined;
  const signedAs = (headers: AuthRequest['headers'], uri: string): boolean => {
    const canonicalRequest = buildCanonicalRequest({
      method: req.method,
      uri,
      query: input.query,
      headers,
      signedHeaders: input.signedHeaders,
      payloadHash: input.payloadHash,
    });
    const stringToSign = buildStringToSign(
      ALGORITHM,
      input.amzDate,
      scope.scope,
      sha256Hex(canonicalBytes(canonicalRequest)),
    );
    first ??= { canonicalRequest, stringToSign };
    return signaturesEqual(sign(signingKey, stringToSign), input.signature);
  };
  const signedWithoutPort = (): boolean => {
    const portless = withoutHostPort(req.headers);
    return portless !== undefined && uris.some((uri) => signedAs(portless, uri));
  };
  const matched = uris.some((uri) => signedAs(req.headers, uri)) || signedWithoutPort();
  if (!matched) {
    throw signatureDoesNotMatch({
      accessKeyId: scope.accessKeyId,
      signatureProvided: input.signature.slice(0, 128),
      via: input.via,
      ...first,
    });
  }
  return {
    signingContext: {
      signingKey,
      scope: scope.scope,
      amzDate: input.amzDate,
      seedSignature: input.signature,
    },
    ...(credential.userArn ? { userArn: credential.userArn } : {}),
  };
}

/** A Host header's name and port (`[::1]:9000` too); no match without a port. */
const HOST_WITH_PORT = /^(\[[^\]]*\]|[^:[\]]+):\d+$/;

/**
 * The request's headers with Host as a client that leaves the port out signs it, or
 * undefined when Host has no port. git-annex 10.2023 (Haskell's `aws` library) signs
 * `host:127.0.0.1` for a request to 127.0.0.1:9000, so it failed against every server not
 * on port 80 or 443. The port names no other resource here; what the request may do is
 * still bound by the rest of what it signed. Tried only once the headers as sent failed.
 */
function withoutHostPort(headers: AuthRequest['headers']): AuthRequest['headers'] | undefined {
  const host = headers['host'];
  const m = typeof host === 'string' ? HOST_WITH_PORT.exec(host) : null;
  return m ? { ...headers, host: m[1]! } : undefined;
}

/** S3's SignatureDoesNotMatch; `details` name what was signed, never the secret. */
export function signatureDoesNotMatch(details: Record<string, unknown>): StowageError {
  return new StowageError(
    'E_SIGNATURE_DOES_NOT_MATCH',
    'The request signature we calculated does not match the signature you provided. ' +
      'Check your key and signing method.',
    { details },
  );
}
