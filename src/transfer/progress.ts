/**
 * Progress of one transfer, reported through a cheap, throttled callback: at most one
 * event per `intervalMs` (default 100 ms), plus a final one when the transfer ends.
 */

/** One progress report. */
export interface ProgressEvent {
  /** The object key the transfer is about. */
  key: string;
  /** Bytes moved so far (for a resumed transfer, including the bytes of the earlier run). */
  bytesDone: number;
  /** Size of the object. */
  bytesTotal: number;
  /** Bytes that an earlier run had already moved. */
  bytesResumed: number;
  /** Average speed of this run, bytes per second. */
  bytesPerSecond: number;
  /** Milliseconds since this run started. */
  elapsedMs: number;
  /** `hashing` while an upload reads the file for its SHA-256; then `transferring`, `done`. */
  phase: 'hashing' | 'transferring' | 'done';
}

/** The callback a caller passes as `onProgress`. Must be cheap and must not throw. */
export type ProgressListener = (event: ProgressEvent) => void;

/** Counts bytes and calls the listener at most every `intervalMs`. */
export class ProgressTracker {
  private readonly startedMs = Date.now();
  private lastEmitMs = 0;
  private done = 0;
  private phase: ProgressEvent['phase'] = 'transferring';

  constructor(
    private readonly key: string,
    private bytesTotal: number,
    private readonly bytesResumed: number,
    private readonly listener: ProgressListener | undefined,
    private readonly intervalMs = 100,
  ) {
    this.done = bytesResumed;
  }

  /** Bytes done so far. */
  get bytesDone(): number {
    return this.done;
  }

  /** Switches phase (emits at once so a UI can show it). */
  setPhase(phase: ProgressEvent['phase'], bytesDone = this.done): void {
    this.phase = phase;
    this.done = bytesDone;
    this.emit(true);
  }

  /** Adds (or, for a retried chunk, takes back with a negative number) moved bytes. */
  add(bytes: number): void {
    this.done += bytes;
    this.emit(false);
  }

  /** Raises the size, for a stream whose size is known only as it is read. */
  grow(bytes: number): void {
    this.bytesTotal += bytes;
  }

  /** The final event. */
  finish(): void {
    this.phase = 'done';
    this.done = this.bytesTotal;
    this.emit(true);
  }

  private emit(force: boolean): void {
    if (!this.listener) return;
    const now = Date.now();
    if (!force && now - this.lastEmitMs < this.intervalMs) return;
    this.lastEmitMs = now;
    const elapsedMs = now - this.startedMs;
    this.listener({
      key: this.key,
      bytesDone: this.done,
      bytesTotal: this.bytesTotal,
      bytesResumed: this.bytesResumed,
      bytesPerSecond: elapsedMs > 0 ? ((this.done - this.bytesResumed) * 1000) / elapsedMs : 0,
      elapsedMs,
      phase: this.phase,
    });
  }
}
