/**
 * Checksums of transfers: the SHA-256 Stowage stores in `stowage-sha256`, the MD5 that S3
 * uses as a simple ETag and as Content-MD5, and the multipart ETag rule.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** MD5 of `bytes` as lowercase hex and as base64 (the Content-MD5 header's form). */
export function md5Of(bytes: Uint8Array): { hex: string; base64: string } {
  const digest = createHash('md5').update(bytes).digest();
  return { hex: digest.toString('hex'), base64: digest.toString('base64') };
}

/** Lowercase hex SHA-256 of `bytes`. */
export function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** An ETag without its quotes. */
export function bareEtag(etag: string | undefined): string {
  return (etag ?? '').replace(/^W\//, '').replace(/^"|"$/g, '');
}

/**
 * The ETag S3 gives a completed multipart upload: the MD5 of the concatenated binary MD5s
 * of its parts, a dash, and the part count (not the MD5 of the object).
 */
export function multipartEtag(partMd5Hex: readonly string[]): string {
  const joined = Buffer.concat(partMd5Hex.map((h) => Buffer.from(h, 'hex')));
  return `${createHash('md5').update(joined).digest('hex')}-${partMd5Hex.length}`;
}

/** True for a plain 32-hex-digit ETag, the form an MD5 takes. */
export function looksLikeMd5(etag: string): boolean {
  return /^[0-9a-f]{32}$/.test(etag);
}

/** Which bytes of a file to read ([start, end), default the whole file), and how. */
export interface FileRangeOptions {
  start?: number;
  end?: number;
  signal?: AbortSignal;
  onBytes?: (n: number) => void;
}

/**
 * SHA-256 of the first `length` bytes of a file in one sequential read pass. Uploads need
 * it before the first request, because S3 fixes user metadata (`stowage-sha256`) when the
 * upload is created; reading the file twice (hash, then send) is the documented price.
 */
export async function hashFileSha256(
  path: string,
  options: FileRangeOptions = {},
): Promise<string> {
  const hash = createHash('sha256');
  await feedFile(hash, path, options);
  return hash.digest('hex');
}

/** Feeds bytes [start, end) of a file (end exclusive; default: to EOF) into `hash`. */
export async function feedFile(
  hash: Hash,
  path: string,
  options: FileRangeOptions = {},
): Promise<void> {
  if (options.end !== undefined && options.end <= (options.start ?? 0)) return;
  const stream = createReadStream(path, {
    start: options.start ?? 0,
    ...(options.end !== undefined ? { end: options.end - 1 } : {}),
    highWaterMark: 1024 * 1024,
    signal: options.signal,
  });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    options.onBytes?.(chunk.length);
  }
}

/**
 * Hashes chunks that finish out of order (parallel ranged GETs) in object order, holding
 * the early ones until the gap before them is filled. Callers bound memory by not fetching
 * too far ahead of {@link OrderedHasher.nextOffset}.
 */
export class OrderedHasher {
  private readonly sha256 = createHash('sha256');
  private readonly md5: Hash | undefined;
  private readonly pending = new Map<number, Buffer>();
  /** Bytes hashed so far, in order. */
  nextOffset: number;

  /**
   * @param options.md5 also compute the MD5 (default true); a download that will be checked
   *   against `stowage-sha256` skips it, which saves a second digest pass on one core.
   */
  constructor(startOffset = 0, options: { md5?: boolean } = {}) {
    this.nextOffset = startOffset;
    this.md5 = options.md5 === false ? undefined : createHash('md5');
  }

  /** Feeds a prefix already on disk (a resumed download) before any new chunk. */
  async feedPrefix(path: string, length: number, signal?: AbortSignal): Promise<void> {
    if (length <= 0) return;
    const stream = createReadStream(path, { start: 0, end: length - 1, signal });
    for await (const chunk of stream as AsyncIterable<Buffer>) this.updateBoth(chunk);
    this.nextOffset = length;
  }

  /**
   * Adds the chunk that starts at `offset`; returns the chunks hashed by this call (this
   * one and the held ones it made contiguous), which the caller may now reuse.
   */
  add(offset: number, bytes: Buffer): Buffer[] {
    this.pending.set(offset, bytes);
    const hashed: Buffer[] = [];
    for (
      let next = this.pending.get(this.nextOffset);
      next;
      next = this.pending.get(this.nextOffset)
    ) {
      this.pending.delete(this.nextOffset);
      this.updateBoth(next);
      this.nextOffset += next.length;
      hashed.push(next);
    }
    return hashed;
  }

  private updateBoth(bytes: Buffer): void {
    this.sha256.update(bytes);
    this.md5?.update(bytes);
  }

  /** The digests of everything added; call once, when all bytes are in. */
  digest(): { sha256: string; md5: string } {
    return { sha256: this.sha256.digest('hex'), md5: this.md5?.digest('hex') ?? '' };
  }
}
