/**
 * The diagnostic elements S3 adds to the error body of a refused signature, so that a
 * client author can see what the server signed: the access key, the string to sign and
 * canonical request (as text and as bytes), the signature provided; the times of a
 * skewed or expired request; the headers that were not signed. None holds a secret.
 */
import type { StowageError } from '../../errors.js';
import type { XmlObject } from '../xml/build.js';

const AUTH_CODES = new Set([
  'E_SIGNATURE_DOES_NOT_MATCH',
  'E_REQUEST_TIME_TOO_SKEWED',
  'E_INVALID_ACCESS_KEY_ID',
  'E_ACCESS_DENIED',
]);

/** Detail key → S3's element, in the order S3 writes them. */
const ELEMENTS: ReadonlyArray<[string, string]> = [
  ['accessKeyId', 'AWSAccessKeyId'],
  ['stringToSign', 'StringToSign'],
  ['signatureProvided', 'SignatureProvided'],
  ['canonicalRequest', 'CanonicalRequest'],
  ['requestTime', 'RequestTime'],
  ['serverTime', 'ServerTime'],
  ['maxAllowedSkewMilliseconds', 'MaxAllowedSkewMilliseconds'],
  ['xAmzExpires', 'X-Amz-Expires'],
  ['expires', 'Expires'],
  ['headersNotSigned', 'HeadersNotSigned'],
];

/** Space-separated hex bytes of a string, as S3's StringToSignBytes. */
function bytesOf(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** Adds the diagnostic elements of an authentication error to its error body. */
export function addAuthErrorFields(err: StowageError, body: XmlObject): void {
  if (!AUTH_CODES.has(err.code)) return;
  for (const [key, element] of ELEMENTS) {
    const v = err.details[key];
    if (typeof v === 'string' || typeof v === 'number') body[element] = String(v);
    else if (Array.isArray(v)) body[element] = v.join(', ');
  }
  const { stringToSign, canonicalRequest } = err.details;
  if (typeof stringToSign === 'string') body.StringToSignBytes = bytesOf(stringToSign);
  if (typeof canonicalRequest === 'string') body.CanonicalRequestBytes = bytesOf(canonicalRequest);
}
