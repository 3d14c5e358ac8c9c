/**
 * The `Authorization` header of SigV4 (AWS S3 "Authenticating requests: using the
 * Authorization header"):
 * `AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=<64 hex>`.
 */
import { StowageError } from '../../errors.js';
import { ALGORITHM } from '../../sigv4/signing-key.js';

/** The three components of a SigV4 Authorization header. */
export interface AuthorizationHeader {
  credential: string;
  signedHeaders: string[];
  signature: string;
}

/** A lower-case HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

/**
 * How to fix a SigV2 request. aws-cli v1 (`aws s3 presign`) and boto3's
 * `generate_presigned_url` still presign with SigV2 unless configured otherwise.
 */
export const USE_SIGV4 = `Please use ${ALGORITHM} (for aws-cli v1 and boto3 set the S3 signature_version to s3v4).`;

function malformed(problem: string): StowageError {
  return new StowageError(
    'E_AUTHORIZATION_HEADER_MALFORMED',
    `The authorization header is malformed; ${problem}`,
  );
}

/**
 * Rejects what is not SigV4. S3 answers SigV2 (`AWS AKID:signature`) and SigV4a with
 * InvalidRequest in the regions that only take SigV4, and anything else with
 * InvalidArgument "Unsupported Authorization Type".
 */
function unsupported(value: string): StowageError {
  const scheme = value.split(/\s/, 1)[0] ?? '';
  if (scheme === 'AWS') {
    // Word for word what S3 answers SigV2 in its SigV4-only regions: s3cmd, which falls
    // back to SigV2 after any InvalidArgument, recognises exactly this text, switches back
    // to SigV4 for good and then shows the first error; any other text leaves its users with
    // a SigV2 refusal instead of the real problem.
    return new StowageError(
      'E_INVALID_REQUEST',
      `The authorization mechanism you have provided is not supported. Please use ${ALGORITHM}.`,
      { details: { mechanism: 'SigV2' } },
    );
  }
  if (scheme === 'AWS4-ECDSA-P256-SHA256') {
    return new StowageError(
      'E_INVALID_REQUEST',
      `The authorization mechanism you have provided is not supported: SigV4a (${scheme}) ` +
        `is not supported. Please use ${ALGORITHM}.`,
      { details: { mechanism: 'SigV4a' } },
    );
  }
  return new StowageError(
    'E_INVALID_ARGUMENT',
    `Unsupported Authorization Type "${scheme.slice(0, 40)}"; use ${ALGORITHM}`,
    { details: { argumentName: 'Authorization' } },
  );
}

/** Parses a SigV4 Authorization header; throws S3's error for anything else. */
export function parseAuthorizationHeader(value: string): AuthorizationHeader {
  const trimmed = value.trim();
  if (trimmed === ALGORITHM) throw malformed('the Credential component is missing');
  if (!trimmed.startsWith(`${ALGORITHM} `)) throw unsupported(trimmed);
  const fields = new Map<string, string>();
  // Components are separated by commas; clients put a space after them or not.
  for (const part of trimmed.slice(ALGORITHM.length + 1).split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    const name = eq < 0 ? item : item.slice(0, eq);
    if (eq < 0 || !['Credential', 'SignedHeaders', 'Signature'].includes(name)) {
      throw malformed(`unexpected component "${item.slice(0, 60)}"`);
    }
    if (fields.has(name)) throw malformed(`the ${name} component appears twice`);
    fields.set(name, item.slice(eq + 1));
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (credential === undefined) throw malformed('the Credential component is missing');
  if (signedHeaders === undefined) throw malformed('the SignedHeaders component is missing');
  if (signature === undefined) throw malformed('the Signature component is missing');
  return {
    credential,
    signedHeaders: parseSignedHeaders(signedHeaders, malformed),
    signature,
  };
}

/**
 * Splits a SignedHeaders list (`host;x-amz-date`). Names must be lower-case header
 * names; SigV4 requires it, and it keeps a name from matching a header twice.
 */
export function parseSignedHeaders(
  list: string,
  error: (problem: string) => StowageError,
): string[] {
  const names = list.split(';');
  const bad = names.find((n) => !HEADER_NAME.test(n));
  if (bad !== undefined) {
    throw error(`SignedHeaders must be lower-case header names separated by ";", got "${list}"`);
  }
  return names;
}
