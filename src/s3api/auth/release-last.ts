/** A one-piece delay that keeps a verifying stream from ever looking complete too early. */

/**
 * Passes pieces through one step late, and releases the last one only after `inner` has
 * finished. A verifier that throws at the end (wrong hash, bad final signature, missing
 * trailer) therefore throws before its consumer has seen every byte: even a consumer
 * that stops reading once it has `Content-Length` bytes cannot store an unverified body.
 * Memory: one piece. Empty pieces are dropped.
 */
export async function* releaseLastAfterEnd(inner: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let held: Buffer | undefined;
  for await (const piece of inner) {
    if (piece.length === 0) continue;
    if (held) yield held;
    held = piece;
  }
  if (held) yield held;
}

/** A Buffer view of a Uint8Array, without copying. */
export function asBuffer(piece: Uint8Array): Buffer {
  return Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.length);
}
