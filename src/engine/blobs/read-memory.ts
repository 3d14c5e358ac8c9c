/**
 * A bound on the memory that streams of object bytes hold, across every stream of an
 * engine. A stream reads 1 MiB at a time only while it holds a share of the engine's
 * budget; without one it reads 64 KiB at a time. A client that stops reading keeps what
 * its stream read and its response queued until the connection times out: with 1 MiB
 * batches that was about 3 MiB per connection (200 stalled GETs of an SSE-S3 object took
 * `stowage serve` from 148 MB to 751 MB of RSS), with no limit but the connection cap. In
 * 64 KiB batches it is about a quarter of a MiB, and the budget caps the large ones.
 */

/** Bytes read at a time by a stream that holds a share of the budget. */
export const LARGE_READ_BYTES = 1024 * 1024;
/** Bytes read at a time by a stream that does not (one sealed segment's plaintext). */
export const SMALL_READ_BYTES = 64 * 1024;
/**
 * The share a stream in large batches takes: the batch being read or decrypted, the one
 * its readable side holds, and up to two queued in the response (respond.ts).
 */
export const LARGE_STREAM_BYTES = 4 * LARGE_READ_BYTES;
/** The engine's budget: 32 streams in large batches at once. */
export const READ_MEMORY_BYTES = 32 * LARGE_STREAM_BYTES;

/** Bytes that streams may hold in large batches, shared by all streams of an engine. */
export class ReadMemory {
  private used = 0;

  constructor(readonly limit = READ_MEMORY_BYTES) {}

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

  constructor(private readonly memory: ReadMemory) {}

  /** Whether the stream reads in large batches now. */
  get large(): boolean {
    return this.share > 0;
  }

  /**
   * Bytes to read next of a span with `left` bytes to go. A span that fits a small batch
   * never takes a share; a larger one takes what it can use (at most LARGE_STREAM_BYTES).
   */
  next(left: number): number {
    if (this.share === 0 && left > SMALL_READ_BYTES) {
      const want = Math.min(LARGE_STREAM_BYTES, 4 * left);
      if (this.memory.tryTake(want)) this.share = want;
    }
    return this.share > 0 ? LARGE_READ_BYTES : SMALL_READ_BYTES;
  }

  /** Gives the share back. Idempotent. */
  release(): void {
    if (this.share === 0) return;
    this.memory.give(this.share);
    this.share = 0;
  }
}
