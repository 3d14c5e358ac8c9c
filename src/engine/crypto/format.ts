/**
 * The on-disk format of an encrypted blob (in the spirit of MinIO's DARE/sio): the
 * plaintext is cut into segments of SEGMENT_BYTES (the last one may be shorter), each
 * sealed with AES-256-GCM under the blob's own data key and written as ciphertext
 * followed by its 16-byte tag. Nothing else is in the file: the wrapped data key and
 * the nonce prefix live in the metadata database.
 *
 * The 12-byte nonce of segment i is `prefix (7 bytes) || flag (1 byte) || i (uint32 BE)`,
 * where flag is 0x80 on the final segment and 0 elsewhere. Moving, swapping or
 * duplicating segments therefore fails authentication, and so does cutting the file at a
 * segment boundary: the new last segment was not sealed as final.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { StowageError } from '../../errors.js';

/** Plaintext bytes per segment. */
export const SEGMENT_BYTES = 64 * 1024;
/** GCM tag bytes after each segment. */
export const TAG_BYTES = 16;
/** Bytes of the random nonce prefix kept per blob. */
export const PREFIX_BYTES = 7;
/** Name of this format in the metadata (the `a` field of an envelope). */
export const FORMAT = 'AES256-GCM-SEG64K';

const MAX_SEGMENTS = 2 ** 32;

/** Number of segments of a plaintext of `size` bytes (0 for an empty one). */
export function segmentCount(size: number): number {
  return Math.ceil(size / SEGMENT_BYTES);
}

/** Bytes on disk for a plaintext of `size` bytes. */
export function sealedSize(size: number): number {
  return size + segmentCount(size) * TAG_BYTES;
}

/** The nonce of segment `index`. */
export function segmentNonce(prefix: Buffer, index: number, final: boolean): Buffer {
  if (index >= MAX_SEGMENTS) {
    throw new StowageError('E_ENTITY_TOO_LARGE', 'a blob cannot have more than 2^32 segments');
  }
  const nonce = Buffer.alloc(12);
  prefix.copy(nonce, 0, 0, PREFIX_BYTES);
  nonce[PREFIX_BYTES] = final ? 0x80 : 0;
  nonce.writeUInt32BE(index, 8);
  return nonce;
}

/**
 * Encrypts a stream of plaintext chunks into sealed segments. Input chunks are held by
 * reference (not copied) until their segment is sealed; a full segment is sealed only
 * once more bytes arrive or the stream ends, since only then is it known to be final.
 */
export class SegmentEncryptor {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private index = 0;

  constructor(
    private readonly key: Buffer,
    private readonly prefix: Buffer,
  ) {}

  /** Takes a plaintext chunk; returns sealed bytes ready to write (possibly none). */
  update(chunk: Uint8Array): Buffer[] {
    const out: Buffer[] = [];
    let at = 0;
    while (at < chunk.byteLength) {
      if (this.pendingBytes === SEGMENT_BYTES) this.seal(false, out);
      const take = Math.min(SEGMENT_BYTES - this.pendingBytes, chunk.byteLength - at);
      this.pending.push(
        at === 0 && take === chunk.byteLength ? chunk : chunk.subarray(at, at + take),
      );
      this.pendingBytes += take;
      at += take;
    }
    return out;
  }

  /** Seals the last segment. Returns nothing for an empty stream. */
  final(): Buffer[] {
    const out: Buffer[] = [];
    if (this.pendingBytes > 0) this.seal(true, out);
    return out;
  }

  private seal(final: boolean, out: Buffer[]): void {
    const cipher = createCipheriv(
      'aes-256-gcm',
      this.key,
      segmentNonce(this.prefix, this.index, final),
    );
    for (const piece of this.pending) out.push(cipher.update(piece));
    cipher.final();
    out.push(cipher.getAuthTag());
    this.index++;
    this.pending = [];
    this.pendingBytes = 0;
  }
}

/** Where the sealed segments covering plaintext bytes `from`..`to` (inclusive) lie. */
export function sealedSpan(
  size: number,
  from: number,
  to: number,
): { first: number; last: number; start: number; end: number } {
  const first = Math.floor(from / SEGMENT_BYTES);
  const last = Math.floor(to / SEGMENT_BYTES);
  const start = first * (SEGMENT_BYTES + TAG_BYTES);
  const end = Math.min(sealedSize(size), (last + 1) * (SEGMENT_BYTES + TAG_BYTES)); // exclusive
  return { first, last, start, end };
}

/**
 * Opens sealed segment `index` of a blob whose plaintext is `size` bytes. Throws
 * E_DATA_CORRUPT if the bytes were changed, moved, cut or sealed under another key.
 */
export function openSegment(
  key: Buffer,
  prefix: Buffer,
  size: number,
  index: number,
  sealed: Buffer,
): Buffer {
  const count = segmentCount(size);
  const plainBytes = index === count - 1 ? size - index * SEGMENT_BYTES : SEGMENT_BYTES;
  if (sealed.byteLength !== plainBytes + TAG_BYTES) {
    throw new StowageError('E_DATA_CORRUPT', 'an encrypted blob of this object is truncated');
  }
  const decipher = createDecipheriv(
    'aes-256-gcm',
    key,
    segmentNonce(prefix, index, index === count - 1),
  );
  decipher.setAuthTag(sealed.subarray(plainBytes));
  const plain = decipher.update(sealed.subarray(0, plainBytes));
  try {
    decipher.final();
  } catch (err) {
    throw new StowageError(
      'E_DATA_CORRUPT',
      'an encrypted blob of this object failed authentication (changed on disk, or the wrong key)',
      { cause: err },
    );
  }
  return plain;
}
