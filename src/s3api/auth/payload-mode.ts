/** What `x-amz-content-sha256` says about the body (AWS S3 "Common request headers"). */
import { StowageError } from '../../errors.js';
import { UNSIGNED_PAYLOAD } from '../../sigv4/signing-key.js';
import type { PayloadMode } from './types.js';

// A Map: a header value such as `constructor` must not find an inherited property.
const STREAMING = new Map<string, PayloadMode>([
  ['STREAMING-AWS4-HMAC-SHA256-PAYLOAD', { type: 'streaming-signed' }],
  ['STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', { type: 'streaming-signed-trailer' }],
  ['STREAMING-UNSIGNED-PAYLOAD-TRAILER', { type: 'streaming-unsigned-trailer' }],
]);

/** True for an `x-amz-content-sha256` value that announces an aws-chunked body. */
export function isStreamingPayload(value: string | undefined): boolean {
  return value !== undefined && STREAMING.has(value);
}

/**
 * Reads an `x-amz-content-sha256` value: `UNSIGNED-PAYLOAD`, one of the three streaming
 * modes, or the hex SHA-256 of the body. Anything else is S3's InvalidArgument, including
 * the SigV4a (ECDSA) streaming modes, which this server does not verify.
 */
export function parsePayloadMode(value: string): PayloadMode {
  const known = knownPayloadMode(value);
  if (known) return known;
  throw new StowageError(
    'E_INVALID_ARGUMENT',
    `x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, ` +
      `STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER ` +
      `or a valid sha256 value, got "${value.slice(0, 100)}"`,
    { details: { argumentName: 'x-amz-content-sha256', argumentValue: value } },
  );
}

/**
 * The payload mode a presigned URL signed. Unlike a header-signed request, S3 takes any
 * other value there as a hash no body has: a GET or HEAD goes through (it has no body to
 * check) and a PUT is XAmzContentSHA256Mismatch, never InvalidArgument (OpenStack Swift's
 * AWS-mode test_input_errors, TestV4AuthQuery).
 */
export function parsePresignedPayloadMode(value: string): PayloadMode {
  return knownPayloadMode(value) ?? { type: 'sha256', hex: value };
}

function knownPayloadMode(value: string): PayloadMode | undefined {
  if (value === UNSIGNED_PAYLOAD) return { type: 'unsigned' };
  const streaming = STREAMING.get(value);
  if (streaming) return streaming;
  if (/^[0-9a-fA-F]{64}$/.test(value)) return { type: 'sha256', hex: value.toLowerCase() };
  return undefined;
}
