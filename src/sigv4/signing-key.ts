/** SigV4's key derivation, string to sign and signature comparison. */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The only algorithm accepted: SigV4 with HMAC-SHA256. */
export const ALGORITHM = 'AWS4-HMAC-SHA256';

/** The terminal element of every SigV4 credential scope. */
export const SCOPE_TERMINATOR = 'aws4_request';

/** The `x-amz-content-sha256` of a request whose body is not part of its signature. */
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

/** SHA-256 of the empty string; chunk signatures use it in place of chunk headers. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** HMAC-SHA256 of `data` under `key`. */
export function hmacSha256(key: Uint8Array | string, data: Uint8Array | string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** Lower-case hex SHA-256 of `data`. */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The signing key (AWS SigV4 "Derive a signing key"): HMAC chain over the date, region,
 * service and `aws4_request`, starting from `"AWS4" + secret`. It is valid for that one
 * day, region and service only, which is why streaming bodies may carry it instead of the
 * secret.
 */
export function deriveSigningKey(
  secretAccessKey: string,
  date: string,
  region: string,
  service: string,
): Buffer {
  // Every request of a key on one day derives the same key: four HMACs saved per request.
  const cacheKey = `${secretAccessKey}\n${date}\n${region}\n${service}`;
  const hit = signingKeys.get(cacheKey);
  if (hit) return hit;
  const dateKey = hmacSha256(`AWS4${secretAccessKey}`, date);
  const regionKey = hmacSha256(dateKey, region);
  const serviceKey = hmacSha256(regionKey, service);
  const key = hmacSha256(serviceKey, SCOPE_TERMINATOR);
  if (signingKeys.size >= MAX_SIGNING_KEYS) signingKeys.clear();
  signingKeys.set(cacheKey, key);
  return key;
}

/** Derived keys by secret, day, region and service; bounded (a clear when full is enough). */
const signingKeys = new Map<string, Buffer>();
const MAX_SIGNING_KEYS = 1024;

/**
 * A string to sign: algorithm, request time, scope, then the hex hashes that differ by
 * use (one for a request, two for a payload chunk, one for trailers), one per line.
 */
export function buildStringToSign(
  algorithm: string,
  amzDate: string,
  scope: string,
  ...hashes: string[]
): string {
  return [algorithm, amzDate, scope, ...hashes].join('\n');
}

/** Lower-case hex HMAC-SHA256 signature of a string to sign. */
export function sign(signingKey: Buffer, stringToSign: string): string {
  return hmacSha256(signingKey, stringToSign).toString('hex');
}

/**
 * Compares a computed signature with the one the client sent in constant time, so the
 * time taken does not tell an attacker how many leading characters were right. Lengths
 * are public (a valid signature is always 64 hex characters).
 */
export function signaturesEqual(expectedHex: string, providedHex: string): boolean {
  const expected = Buffer.from(expectedHex, 'latin1');
  const provided = Buffer.from(providedHex, 'latin1');
  return expected.length === provided.length && timingSafeEqual(expected, provided);
}
