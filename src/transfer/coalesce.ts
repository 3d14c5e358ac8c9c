/**
 * Runs a save function one call at a time, newest wins: a save requested while one is
 * running is folded into one more run afterwards. Used for resume state written after
 * every part while parts finish concurrently.
 */
export class CoalescedSaver {
  private running: Promise<void> | undefined;
  private dirty = false;
  private failure: unknown;

  constructor(private readonly save: () => Promise<void>) {}

  /** Asks for a save soon. */
  request(): void {
    this.dirty = true;
    this.running ??= this.drain();
  }

  private async drain(): Promise<void> {
    while (this.dirty) {
      this.dirty = false;
      try {
        await this.save();
      } catch (err) {
        this.failure = err;
      }
    }
    this.running = undefined;
  }

  /** Waits for pending saves; throws the first failure of any. */
  async flush(): Promise<void> {
    while (this.running) await this.running;
    if (this.failure) throw this.failure;
  }
}
