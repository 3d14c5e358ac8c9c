/**
 * Batch uploads (seed 003's `batch_upload`): many files, at most N at once, every item
 * reported, a failure never stopping the others, and one aggregate progress report
 * (files, bytes, speed) throttled for the caller's callback.
 */
import { stat } from 'node:fs/promises';
import { StowageError, toStowageError } from '../errors.js';
import type {
  BatchItem,
  BatchItemResult,
  BatchProgress,
  BatchUploadOptions,
  BatchUploadResult,
  UploadedFile,
} from './types.js';

/** How the batch uploads one item; `onBytes` reports the bytes of that file sent so far. */
export type UploadOne = (
  item: BatchItem,
  onBytes: (bytesDone: number) => void,
) => Promise<UploadedFile>;

const MIB = 1024 * 1024;
/** Files stat'ed at once while the batch adds up its size. */
const STAT_CONCURRENCY = 32;

/** Runs `task(i)` for i in 0..n-1, at most `concurrency` at once; `task` must not throw. */
async function eachLimited(
  n: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, n)) }, worker));
}

/** Aggregate counters and the throttled callback. */
class BatchTracker {
  private readonly startedMs = performance.now();
  private lastEmitMs = Number.NEGATIVE_INFINITY;
  private uploaded = 0;
  private failed = 0;
  private bytesUploaded = 0;
  /** Planned sizes of the files finished either way: the batch's progress. */
  private bytesSettled = 0;
  private readonly inFlight = new Map<number, number>();
  callbackError: unknown;

  constructor(
    private readonly totalFiles: number,
    private readonly totalBytes: number,
    private readonly options: BatchUploadOptions,
  ) {}

  bytes(index: number, bytesDone: number): void {
    this.inFlight.set(index, bytesDone);
    this.emit(false);
  }

  /** `plannedBytes`: the size counted in totalBytes; `sizeBytes`: what was uploaded. */
  done(index: number, ok: boolean, sizeBytes: number, plannedBytes: number): void {
    this.inFlight.delete(index);
    this.bytesSettled += plannedBytes;
    if (ok) {
      this.uploaded += 1;
      this.bytesUploaded += sizeBytes;
    } else {
      this.failed += 1;
    }
    this.emit(false);
  }

  snapshot(): BatchProgress {
    const elapsedMs = performance.now() - this.startedMs;
    let bytesInProgress = 0;
    for (const b of this.inFlight.values()) bytesInProgress += b;
    const moved = this.bytesUploaded + bytesInProgress;
    const bytesPerSecond = elapsedMs > 0 ? (moved * 1000) / elapsedMs : 0;
    const finished = this.uploaded + this.failed;
    const percentComplete =
      this.totalBytes > 0
        ? Math.min(100, (this.bytesSettled * 100) / this.totalBytes)
        : this.totalFiles > 0
          ? (finished * 100) / this.totalFiles
          : 100;
    return {
      uploaded: this.uploaded,
      failed: this.failed,
      totalFiles: this.totalFiles,
      bytesUploaded: this.bytesUploaded,
      bytesInProgress,
      totalBytes: this.totalBytes,
      bytesPerSecond,
      uploadSpeedMbps: bytesPerSecond / MIB,
      percentComplete,
      elapsedMs,
    };
  }

  emit(force: boolean, snapshot?: BatchProgress): void {
    const listener = this.options.onProgress;
    if (!listener || this.callbackError !== undefined) return;
    const now = performance.now();
    if (!force && now - this.lastEmitMs < (this.options.progressIntervalMs ?? 250)) return;
    this.lastEmitMs = now;
    try {
      listener(snapshot ?? this.snapshot());
    } catch (err) {
      // A broken callback must not break uploads; it is reported when the batch ends.
      this.callbackError = err;
    }
  }
}

function itemProblem(item: unknown, index: number): StowageError | undefined {
  const o = item as Partial<BatchItem> | null;
  const bad = (field: string, value: unknown) =>
    new StowageError(
      'E_INVALID_ARGUMENT',
      `batch item ${index}: ${field} must be a non-empty string, got ${JSON.stringify(value)}`,
      { details: { index, field, value } },
    );
  if (typeof o !== 'object' || o === null) return bad('item', o);
  if (typeof o.path !== 'string' || o.path === '') return bad('path', o.path);
  if (typeof o.key !== 'string' || o.key === '') return bad('key', o.key);
  return undefined;
}

/**
 * Uploads every item with at most `concurrency` in flight and reports each one.
 *
 * @throws StowageError `E_INVALID_ARGUMENT` when `items` is not an array, or (after every
 *   item has run) when `onProgress` threw.
 */
export async function runBatchUpload(
  items: readonly BatchItem[],
  concurrency: number,
  upload: UploadOne,
  options: BatchUploadOptions = {},
): Promise<BatchUploadResult> {
  if (!Array.isArray(items)) {
    throw new StowageError('E_INVALID_ARGUMENT', 'batchUpload needs an array of { path, key }');
  }
  const sizes = new Array<number>(items.length).fill(0);
  await eachLimited(items.length, STAT_CONCURRENCY, async (i) => {
    const p = (items[i] as Partial<BatchItem> | undefined)?.path;
    if (typeof p !== 'string' || p === '') return;
    // An unreadable file counts 0 bytes here; its upload then fails with the real reason.
    sizes[i] = await stat(p).then(
      (s) => (s.isFile() ? s.size : 0),
      () => 0,
    );
  });
  const totalBytes = sizes.reduce((a, b) => a + b, 0);
  const tracker = new BatchTracker(items.length, totalBytes, options);
  const results = new Array<BatchItemResult>(items.length);
  tracker.emit(true);
  await eachLimited(items.length, concurrency, async (i) => {
    const item = items[i]!;
    const problem = itemProblem(item, i);
    try {
      if (problem) throw problem;
      const r = await upload(item, (bytesDone) => tracker.bytes(i, bytesDone));
      results[i] = { ok: true, path: item.path, ...r };
      tracker.done(i, true, r.sizeBytes, sizes[i]!);
    } catch (err) {
      const e = toStowageError(err, `upload of ${String(item?.path)}`);
      results[i] = {
        ok: false,
        path: String(item?.path),
        key: String(item?.key),
        error: { code: e.code, message: e.message },
      };
      tracker.done(i, false, 0, sizes[i]!);
    }
  });
  const progress = tracker.snapshot();
  tracker.emit(true, progress);
  if (tracker.callbackError !== undefined) {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      `batchUpload: the onProgress callback threw (${String(tracker.callbackError)}); ${progress.uploaded} of ${progress.totalFiles} files were uploaded`,
      { cause: tracker.callbackError },
    );
  }
  return { results, progress };
}
