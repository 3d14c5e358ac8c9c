/** Verification of a body whose SHA-256 was signed (`x-amz-content-sha256: <hex>`). */
import { createHash } from 'node:crypto';
import { assertPayloadSha256 } from '../../engine/objects/input.js';
import { borrowPieces, releaseLastAfterEnd } from './pieces.js';

/**
 * Passes the body through while hashing it, and throws XAmzContentSHA256Mismatch at the
 * end if its SHA-256 differs from the signed one. The last piece is held back until the
 * hash is checked, so a consumer that stores what it reads (the engine writes to a
 * temporary blob and publishes it only when the stream ends cleanly) stores nothing.
 *
 * @example
 * for await (const piece of verifyPayloadSha256(req, auth.payload.hex)) blob.write(piece);
 */
export function verifyPayloadSha256(
  source: AsyncIterable<Uint8Array>,
  expectedHex: string,
  sent: string = expectedHex,
): AsyncGenerator<Buffer> {
  return releaseLastAfterEnd(hashing(source, expectedHex.toLowerCase(), sent));
}

async function* hashing(source: AsyncIterable<Uint8Array>, expectedHex: string, sent: string) {
  const hash = createHash('sha256');
  for await (const piece of borrowPieces(source)) {
    hash.update(piece);
    yield piece;
  }
  assertPayloadSha256(hash.digest('hex'), expectedHex, sent);
}
