/**
 * The query parameters of a presigned URL (AWS S3 "Authenticating requests: using query
 * parameters"): X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders, -Signature.
 */
import { StowageError } from '../../errors.js';
import { parseAmzDate } from '../../sigv4/amz-date.js';
import { parseSignedHeaders } from './authorization-header.js';
import type { QueryParam } from './canonical.js';
import { ALGORITHM } from '../../sigv4/signing-key.js';

/** SigV4 caps a presigned URL's lifetime at seven days. */
export const MAX_PRESIGN_EXPIRES_SEC = 604_800;

/** The name of the one query parameter a presigned URL does not sign. */
export const SIGNATURE_PARAM = 'X-Amz-Signature';

const REQUIRED = [
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  SIGNATURE_PARAM,
] as const;

/** The authentication parameters of a presigned URL, checked. */
export interface PresignParams {
  credential: string;
  amzDate: string;
  dateMs: number;
  expiresSec: number;
  signedHeaders: string[];
  signature: string;
}

/** S3's error for a bad presigned URL. */
export function queryError(problem: string): StowageError {
  return new StowageError('E_AUTHORIZATION_QUERY_MALFORMED', problem);
}

/**
 * True when the query asks for SigV4 query authentication. Any one of these parameters is
 * enough: a URL with some but not all of them must fail, not fall back to anonymous.
 */
export function hasPresignParams(params: QueryParam[]): boolean {
  return params.some(
    (p) =>
      p.name === 'X-Amz-Algorithm' || p.name === 'X-Amz-Credential' || p.name === SIGNATURE_PARAM,
  );
}

/** Reads and checks the presign parameters; throws AuthorizationQueryParametersError. */
export function readPresignParams(params: QueryParam[]): PresignParams {
  const values = new Map<string, string>();
  for (const p of params) {
    if (!(REQUIRED as readonly string[]).includes(p.name)) continue;
    if (values.has(p.name)) throw queryError(`${p.name} appears more than once`);
    values.set(p.name, p.value);
  }
  if (REQUIRED.some((name) => !values.has(name))) {
    throw queryError(
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, ' +
        'X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
    );
  }
  const get = (name: (typeof REQUIRED)[number]): string => values.get(name) ?? '';
  if (get('X-Amz-Algorithm') !== ALGORITHM) {
    throw queryError(`X-Amz-Algorithm only supports "${ALGORITHM}"`);
  }
  const amzDate = get('X-Amz-Date');
  const dateMs = parseAmzDate(amzDate);
  if (dateMs === undefined) {
    throw queryError(`X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"`);
  }
  const expires = get('X-Amz-Expires');
  if (/^-\d+$/.test(expires)) throw queryError('X-Amz-Expires must be non-negative');
  if (!/^\d{1,7}$/.test(expires)) {
    throw queryError('X-Amz-Expires should be a number of seconds');
  }
  // 0 is accepted here and has always expired (S3: 403 "Request has expired").
  const expiresSec = Number(expires);
  if (expiresSec > MAX_PRESIGN_EXPIRES_SEC) {
    throw queryError(
      `X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than ${MAX_PRESIGN_EXPIRES_SEC} seconds`,
    );
  }
  return {
    credential: get('X-Amz-Credential'),
    amzDate,
    dateMs,
    expiresSec,
    signedHeaders: parseSignedHeaders(get('X-Amz-SignedHeaders'), queryError),
    signature: get(SIGNATURE_PARAM),
  };
}
