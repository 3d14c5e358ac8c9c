/**
 * Signature V4 in headers for the requests this folder sends without the SDK: the same
 * canonical request the SDK's signer builds for a body signed as `UNSIGNED-PAYLOAD`.
 */
import {
  ALGORITHM,
  buildStringToSign,
  deriveSigningKey,
  SCOPE_TERMINATOR,
  sha256Hex,
  sign,
  UNSIGNED_PAYLOAD,
} from '../../sigv4/signing-key.js';
import { formatAmzDate } from '../../sigv4/amz-date.js';

/** The credentials of one request (what the SDK's credential provider resolves). */
export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** A request to sign: its canonical path (already UriEncoded) and headers, lower-case names. */
export interface RequestToSign {
  method: string;
  path: string;
  headers: Record<string, string>;
}

/** Headers the SDK's signer leaves out (proxies may change them), so this signer does too. */
const UNSIGNABLE = new Set(['cache-control', 'expect', 'user-agent']);

/**
 * Adds `x-amz-date`, `x-amz-content-sha256: UNSIGNED-PAYLOAD`, the session token if any and
 * `authorization` to `req.headers`, signing every header it carries but Cache-Control,
 * Expect and User-Agent, as the SDK does (so `host`, Content-MD5 and each `x-amz-*`
 * header are bound to the signature). No query string.
 *
 * @example
 * const req = { method: 'PUT', path: '/bucket/key', headers: { host: '127.0.0.1:9000' } };
 * signRequest(req, { accessKeyId, secretAccessKey }, 'us-east-1', 's3', new Date());
 */
export function signRequest(
  req: RequestToSign,
  credentials: SigningCredentials,
  region: string,
  service: string,
  now: Date,
): void {
  const amzDate = formatAmzDate(now.getTime());
  const day = amzDate.slice(0, 8);
  const headers = req.headers;
  headers['x-amz-date'] = amzDate;
  headers['x-amz-content-sha256'] = UNSIGNED_PAYLOAD;
  if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
  const names = Object.keys(headers)
    .filter((name) => !UNSIGNABLE.has(name))
    .sort();
  let canonicalHeaders = '';
  for (const name of names) {
    canonicalHeaders += `${name}:${headers[name]!.trim().replace(/\s+/g, ' ')}\n`;
  }
  const signedHeaders = names.join(';');
  const canonicalRequest = `${req.method}\n${req.path}\n\n${canonicalHeaders}\n${signedHeaders}\n${UNSIGNED_PAYLOAD}`;
  const scope = `${day}/${region}/${service}/${SCOPE_TERMINATOR}`;
  const key = deriveSigningKey(credentials.secretAccessKey, day, region, service);
  const signature = sign(
    key,
    buildStringToSign(ALGORITHM, amzDate, scope, sha256Hex(canonicalRequest)),
  );
  headers['authorization'] =
    `${ALGORITHM} Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
}
