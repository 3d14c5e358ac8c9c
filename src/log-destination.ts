/**
 * Where log lines go by default: file descriptor 2, written so that logging can never stop
 * or kill the process it reports on.
 *
 * - A line is written at once (`writeSync`), so nothing is lost at exit while the
 *   destination keeps up (a file, a terminal, a reading pipe).
 * - A pipe whose reader is slow or stuck takes no more: the rest waits in a buffer of at
 *   most {@link MAX_PENDING_BYTES}, retried on a timer; past that, lines are dropped. A
 *   FIFO is reopened non-blocking first (its own open file description, so the shell's
 *   is untouched), so that a stuck reader cannot block the process in a write.
 * - A write that fails (a full disk, a reader gone, EIO) drops the line instead of throwing.
 * - After lines were dropped, the next line written says how many and why.
 */
import { constants, fstatSync, openSync, writeSync } from 'node:fs';

/** Bytes of lines kept while the destination does not take them. */
export const MAX_PENDING_BYTES = 1024 * 1024;
/** tryWrite's answer for a write that failed (the line is dropped). */
const FAILED = -1;
/** How often held lines are offered again. */
const RETRY_MS = 50;

/** A destination for pino (`write(line)`) that never throws and never blocks for long. */
export class FdLogDestination {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private dropped = 0;
  private dropReason = '';
  /** The reason of the last failed write. */
  private failure = '';
  private timer: NodeJS.Timeout | undefined;

  /** `fd`: where lines go (2 by default; see {@link stderrLogFd}). */
  constructor(private readonly fd: number = stderrLogFd()) {}

  /** Always true: the caller may go on writing (what cannot be taken is held or dropped). */
  write(line: string): boolean {
    const buf = Buffer.from(line);
    if (this.pending.length > 0) this.hold(buf);
    else this.writeNow(buf);
    return true;
  }

  /** Lines dropped since the last report of them. */
  get droppedLines(): number {
    return this.dropped;
  }

  private writeNow(buf: Buffer): void {
    if (this.dropped > 0) {
      const reported = this.report();
      if (reported === 'blocked') {
        this.hold(buf);
        return;
      }
    }
    const written = this.tryWrite(buf);
    if (written === FAILED) this.drop(this.failure);
    else if (written < buf.length) this.hold(buf.subarray(written));
  }

  /** Writes what the destination takes now: the bytes written (0: not now), or FAILED. */
  private tryWrite(buf: Buffer): number {
    try {
      return writeSync(this.fd, buf);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return 0;
      this.failure = `the log destination failed (${code ?? (err as Error).message})`;
      return FAILED;
    }
  }

  private hold(buf: Buffer): void {
    if (this.pendingBytes + buf.length > MAX_PENDING_BYTES) {
      this.drop(`the log destination did not keep up (over ${MAX_PENDING_BYTES} bytes waiting)`);
      return;
    }
    this.pending.push(buf);
    this.pendingBytes += buf.length;
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.drain();
    }, RETRY_MS);
    // Held log lines never keep a process alive.
    this.timer.unref();
  }

  private drain(): void {
    while (this.pending.length > 0) {
      const head = this.pending[0]!;
      const written = this.tryWrite(head);
      if (written === 0) break;
      if (written === FAILED) {
        this.drop(this.failure);
        this.pending.shift();
        this.pendingBytes -= head.length;
        continue;
      }
      if (written < head.length) {
        this.pending[0] = head.subarray(written);
        this.pendingBytes -= written;
        break;
      }
      this.pending.shift();
      this.pendingBytes -= head.length;
    }
    if (this.pending.length > 0) this.schedule();
  }

  private drop(reason: string): void {
    this.dropped++;
    this.dropReason = reason;
  }

  /** Writes the count of dropped lines first; `blocked` when the destination is full. */
  private report(): 'written' | 'blocked' | 'failed' {
    const buf = Buffer.from(
      `${JSON.stringify({
        level: 40,
        time: Date.now(),
        pid: process.pid,
        droppedLines: this.dropped,
        msg: `${this.dropped} log line${this.dropped === 1 ? ' was' : 's were'} dropped: ${this.dropReason}`,
      })}\n`,
    );
    const written = this.tryWrite(buf);
    if (written === FAILED) return 'failed'; // still failing: counting goes on
    if (written === 0) return 'blocked';
    this.dropped = 0;
    if (written < buf.length) {
      this.hold(buf.subarray(written));
      return 'blocked';
    }
    return 'written';
  }
}

/**
 * File descriptor 2, or a non-blocking descriptor of the same FIFO when stderr is one (a
 * named pipe or a shell pipe, reopened through /proc/self/fd/2): a write to a blocking
 * pipe whose reader has stopped would stop the whole process.
 */
export function stderrLogFd(): number {
  try {
    if (!fstatSync(2).isFIFO()) return 2;
    return openSync('/proc/self/fd/2', constants.O_WRONLY | constants.O_NONBLOCK);
  } catch {
    return 2;
  }
}
