/**
 * Whether small local files are read or written with synchronous calls, decided from how
 * long those take.
 *
 * Each asynchronous fs call costs a thread-pool round trip: a futex wake and a context
 * switch, about 0.1 ms of the main thread on a busy 2-vCPU machine. Moving 10,000 small
 * files that way made 4 (upload) to 10 (download) such trips per file. From the page cache
 * the same calls take a few microseconds each when made synchronously.
 *
 * But a synchronous call that waits for the disk stalls the event loop, so requests reach
 * the store one at a time instead of in a stream (an upload of 10,000 cold 4 KiB files
 * took 6.3 s instead of 3.9 s). Two slow calls in a row therefore switch to the thread
 * pool, where the disk work of concurrent transfers overlaps, for the next
 * {@link ASYNC_WINDOW} files.
 */
export class SyncMode {
  private asyncLeft = 0;
  private slowInRow = 0;

  /** @param slowMicros a synchronous step slower than this waited for the disk. */
  constructor(private readonly slowMicros: number) {}

  /** True when the next small file should be handled synchronously. */
  useSync(): boolean {
    if (this.asyncLeft === 0) return true;
    this.asyncLeft -= 1;
    return false;
  }

  /** Notes how long a synchronous step took. */
  record(micros: number): void {
    if (micros <= this.slowMicros) {
      this.slowInRow = 0;
    } else if (++this.slowInRow >= 2) {
      this.slowInRow = 0;
      this.asyncLeft = ASYNC_WINDOW;
    }
  }

  /** Runs `step` synchronously and records how long it took (also when it throws). */
  timed<T>(step: () => T): T {
    const started = process.hrtime.bigint();
    try {
      return step();
    } finally {
      this.record(Number(process.hrtime.bigint() - started) / 1000);
    }
  }
}

/** Files handled on the thread pool before synchronous calls are tried again. */
export const ASYNC_WINDOW = 256;
