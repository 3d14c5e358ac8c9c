/** Helpers for passing a request body on piece by piece. */

/** A Buffer view of a Uint8Array, without copying. */
export function asBuffer(piece: Uint8Array): Buffer {
  return Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.length);
}

/**
 * Reads `source` without ever ending it: stopping early (an error, a consumer that gives
 * up) leaves the source as it is. A node:http request that is ended before its body has
 * been read destroys the socket, and then no error response can be sent; whoever owns
 * the request decides whether to drain it or close the connection.
 */
export async function* borrowPieces(source: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  const iterator = source[Symbol.asyncIterator]();
  for (;;) {
    const next = await iterator.next();
    if (next.done) return;
    yield asBuffer(next.value);
  }
}

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
