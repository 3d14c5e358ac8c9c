/**
 * A bound on the memory that streams of object bytes hold, across every stream of an
 * engine: reads (read-blobs.ts) and writes (write-blob.ts) each have a budget. A stream
 * moves 1 MiB at a time only while it holds a share of its budget; without one it moves
 * 64 KiB at a time.
 *
 * A client that stops reading a GET keeps what its stream read and its response queued
 * until the connection times out: with 1 MiB batches that was about 3 MiB per connection
 * (200 stalled GETs of an SSE-S3 object took `stowage serve` from 145 MB to 751 MB of
 * RSS), with no limit but the connection cap. A client that stops sending an upload keeps
 * the batch not yet written: up to 1 MiB, and about 2 MiB of socket buffers measured (200
 * stalled uploads: +513 MB). In 64 KiB batches a stalled stream holds about a quarter of
 * a MiB, and the budget caps the large ones.
 */

/** Bytes moved at a time by a stream that holds a share of its budget. */
export const LARGE_BATCH_BYTES = 1024 * 1024;
/** Bytes moved at a time by a stream that does not (one sealed segment's plaintext). */
export const SMALL_BATCH_BYTES = 64 * 1024;
/**
 * The share a stream in large batches takes. A read: the batch being read or decrypted,
 * the one its readable side holds, and up to two queued in the response (respond.ts). A
 * write: the batch being filled, the one being written, and the socket's buffers under them.
 */
export const LARGE_STREAM_BYTES = 4 * LARGE_BATCH_BYTES;
/** Each budget: 32 streams in large batches at once. */
export const STREAM_MEMORY_BYTES = 32 * LARGE_STREAM_BYTES;

/**
 * A budget of bytes shared by streams: those of an engine in large batches, or request
 * documents being received (s3api/small-body.ts).
 */
export class StreamMemory {
  private used = 0;

  constructor(readonly limit = STREAM_MEMORY_BYTES) {}

  /** Bytes taken now. */
  get taken(): number {
    return this.used;
  }

  /** Takes `bytes` if the budget has them; false (nothing taken) if not. */
  tryTake(bytes: number): boolean {
    if (this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }

  /** Gives back `bytes` taken earlier. */
  give(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}

/**
 * One stream's batch size: small until it gets a share of the budget, large from then on
 * until `release` (at the stream's end, failure or destruction).
 */
export class StreamBatches {
  private share = 0;

  constructor(private readonly memory: StreamMemory) {}

  /** Whether the stream moves large batches now. */
  get large(): boolean {
    return this.share > 0;
  }

  /** The stream's batch size now. */
  get size(): number {
    return this.share > 0 ? LARGE_BATCH_BYTES : SMALL_BATCH_BYTES;
  }

  /**
   * The batch size for the next bytes of a stream with `left` bytes to go, all of them, not
   * only those of the blob being read (Infinity: not known). A stream that fits a small
   * batch never takes a share; a larger one takes what it can use (at most
   * LARGE_STREAM_BYTES), and keeps it.
   */
  next(left: number): number {
    if (this.share === 0 && left > SMALL_BATCH_BYTES) {
      const want = Math.min(LARGE_STREAM_BYTES, 4 * left);
      if (this.memory.tryTake(want)) this.share = want;
    }
    return this.size;
  }

  /** Gives the share back. Idempotent. */
  release(): void {
    if (this.share === 0) return;
    this.memory.give(this.share);
    this.share = 0;
  }
}
