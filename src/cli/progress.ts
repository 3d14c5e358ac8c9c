/**
 * The progress display of cp, mv, rm and sync, fed by the transfers' progress events and
 * the plan's item results. On a terminal it is one status line on stderr, redrawn at most
 * every 100 ms; elsewhere (a log file, CI) a plain line every 5 s; with `--quiet`,
 * `--no-progress` or `--json`, nothing. The final summary line is {@link formatSummary}.
 */
import type { ProgressEvent } from '../transfer/index.js';
import type { ItemResult, SyncSummary } from '../transfer/sync/run-plan.js';
import type { TextSink } from './context.js';
import { humanSize } from './store-format.js';

/** How progress is shown. */
export type ProgressMode = 'tty' | 'lines' | 'off';

/** Options of {@link ProgressReporter}. */
export interface ProgressReporterOptions {
  /** Where the display goes (stderr). */
  sink: TextSink;
  mode: ProgressMode;
  /** Clock in ms; tests pass a fake one. Default `Date.now`. */
  now?: () => number;
  /** Terminal width for truncation. Default the sink's `columns`, else 80. */
  columns?: number;
  /** Least time between two redraws on a terminal. Default 100 ms. */
  ttyIntervalMs?: number;
  /** Time between two plain lines. Default 5 s. */
  linesIntervalMs?: number;
  /** Redraw from a timer too (not only on events). Default true; tests turn it off. */
  timer?: boolean;
}

/** Picks the mode from the run's flags and whether stderr is a terminal. */
export function progressMode(o: {
  isTTY?: boolean;
  quiet?: boolean;
  progress?: boolean;
  json?: boolean;
}): ProgressMode {
  if (o.quiet || o.progress === false || o.json) return 'off';
  return o.isTTY ? 'tty' : 'lines';
}

/** `1:05`, `1:02:03`. */
export function clockText(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

const rateText = (bytesPerSecond: number) => `${humanSize(Math.round(bytesPerSecond))}/s`;

/**
 * The summary printed at the end of every run: counts, bytes, duration, throughput.
 *
 * @example
 * formatSummary(result.summary); // 'Completed: 12 uploaded, 1 failed; 3.0 MiB in 2.1 s (1.4 MiB/s)'
 */
export function formatSummary(s: SyncSummary, moved = false): string {
  const parts: string[] = [];
  const add = (n: number, what: string) => {
    if (n > 0) parts.push(`${n} ${what}`);
  };
  if (moved) add(s.uploaded + s.downloaded + s.copied, 'moved');
  else {
    add(s.uploaded, 'uploaded');
    add(s.downloaded, 'downloaded');
    add(s.copied, 'copied');
  }
  add(s.deleted, 'deleted');
  add(s.skipped, 'skipped');
  add(s.failed, 'failed');
  if (s.wouldDelete !== undefined) parts.push(`${s.wouldDelete} deletions blocked by --max-delete`);
  const seconds = s.durationMs / 1000;
  const rate = seconds > 0 ? s.bytes / seconds : 0;
  const what = parts.length > 0 ? parts.join(', ') : 'nothing to do';
  const head = s.dryrun ? '(dryrun) Planned' : 'Completed';
  return `${head}: ${what}; ${humanSize(s.bytes)} in ${seconds.toFixed(1)} s (${rateText(rate)})`;
}

/**
 * Tracks a run and draws its status.
 *
 * @example
 * const p = new ProgressReporter({ sink: io.stderr, mode: progressMode({ isTTY: io.stderr.isTTY }) });
 * p.planned(action.source.sizeBytes);   // for each planned transfer
 * p.update(action.key, event);           // from a transfer's onProgress
 * p.result(itemResult);                  // from runPlan's onResult
 * p.stop();
 */
export class ProgressReporter {
  private readonly now: () => number;
  private readonly started: number;
  private readonly interval: number;
  private readonly columns: number;
  private readonly active = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private lastDraw = -Infinity;
  private drawn = false;
  private filesTotal = 0;
  private bytesTotal = 0;
  private planComplete = false;
  private filesDone = 0;
  private bytesDone = 0;
  private failed = 0;

  constructor(private readonly o: ProgressReporterOptions) {
    this.now = o.now ?? Date.now;
    this.started = this.now();
    this.interval = o.mode === 'tty' ? (o.ttyIntervalMs ?? 100) : (o.linesIntervalMs ?? 5000);
    // A plain line right at the start says nothing; the first one comes after an interval.
    if (o.mode === 'lines') this.lastDraw = this.started;
    const sinkColumns = (o.sink as { columns?: number }).columns;
    this.columns = Math.max(20, o.columns ?? sinkColumns ?? 80);
    if (o.mode !== 'off' && o.timer !== false) {
      this.timer = setInterval(() => this.tick(), Math.min(this.interval, 1000));
      this.timer.unref();
    }
  }

  /** A transfer of `bytes` was planned. */
  planned(bytes: number): void {
    this.filesTotal += 1;
    this.bytesTotal += bytes;
  }

  /** The plan has no more actions: totals are final. */
  planDone(): void {
    this.planComplete = true;
  }

  /** A progress event of the transfer of `key`. */
  update(key: string, e: ProgressEvent): void {
    this.active.set(key, e.bytesDone);
    this.tick();
  }

  /** One item finished (or was skipped or failed). */
  result(r: ItemResult): void {
    this.active.delete(r.key);
    if (r.status === 'failed') this.failed += 1;
    else if (r.status === 'ok' && r.action !== 'delete') {
      this.filesDone += 1;
      this.bytesDone += r.bytes ?? 0;
    }
    this.tick();
  }

  /** How many of the planned files are done: `3 of 10 files` (`3 of 10+` while listing). */
  filesText(): string {
    return `${this.filesDone} of ${this.filesTotal}${this.planComplete ? '' : '+'} files`;
  }

  /** The status text as it would be drawn now. */
  statusText(): string {
    const now = this.now();
    let inflight = 0;
    for (const b of this.active.values()) inflight += b;
    const done = this.bytesDone + inflight;
    const elapsed = (now - this.started) / 1000;
    const rate = elapsed > 0 ? done / elapsed : 0;
    const more = this.planComplete ? '' : '+';
    const parts = [
      `${this.filesDone}/${this.filesTotal}${more} files`,
      `${humanSize(done)}/${humanSize(this.bytesTotal)}${more}`,
      rateText(rate),
    ];
    if (this.planComplete && rate > 0 && this.bytesTotal > done) {
      parts.push(`ETA ${clockText((this.bytesTotal - done) / rate)}`);
    }
    if (this.failed > 0) parts.push(`${this.failed} failed`);
    const names = [...this.active.keys()].map((k) => JSON.stringify(k).slice(1, -1)).join(', ');
    return names ? `${parts.join(' | ')} | ${names}` : parts.join(' | ');
  }

  /** Redraws when the interval has passed (or always with `force`). */
  tick(force = false): void {
    if (this.o.mode === 'off') return;
    const now = this.now();
    if (!force && now - this.lastDraw < this.interval) return;
    this.lastDraw = now;
    const text = this.statusText();
    if (this.o.mode === 'tty') {
      const max = this.columns - 1;
      const line = text.length > max ? `${text.slice(0, max - 1)}…` : text;
      this.o.sink.write(`\r${line}\x1b[K`);
      this.drawn = true;
    } else {
      this.o.sink.write(`progress: ${text}\n`);
    }
  }

  /** Clears the status line so another line can be printed; the next tick redraws it. */
  clear(): void {
    if (this.o.mode === 'tty' && this.drawn) {
      this.o.sink.write('\r\x1b[K');
      this.drawn = false;
    }
  }

  /** Stops the timer and clears the status line. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
  }
}
