/**
 * Per-request retries with more patience than the SDK's default of 3 attempts. Create the
 * S3Client with `maxAttempts: 1` (or 2) so this layer, which backs off through the shared
 * {@link Pacer}, is the one that decides.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { classifyError, toTransferError, type ErrorClass } from './errors.js';
import type { Pacer } from './pacer.js';

/** Options of {@link withRetry}. */
export interface RetryOptions {
  /** Attempts in all, at least 1. Default 10. */
  attempts?: number;
  /** Decides whether a failure is worth another attempt. Default {@link classifyError}. */
  classify?: (err: unknown) => ErrorClass;
  /** Names the operation in the final error, e.g. `upload of s3://b/k part 3`. */
  what?: string;
  /** The bucket and key the request is about; decides e.g. what a bodiless 404 means. */
  target?: { bucket: string; key?: string };
  signal?: AbortSignal;
  /** First per-request delay before a retry; doubles each time. Default 100 ms. */
  baseDelayMs?: number;
  /** Cap of the per-request delay. Default 10 s. */
  maxDelayMs?: number;
  /** Called before each retry (for logs and counters). */
  onRetry?: (err: unknown, attempt: number) => void;
}

/**
 * Runs `fn` until it succeeds, a failure is not retryable, or the attempts run out; each
 * attempt first waits for the pacer. Throttling answers also slow the shared pacer down.
 * The final failure is translated to a StowageError (an abort is rethrown as is).
 *
 * @example
 * const head = await withRetry(pacer, () => client.send(new HeadObjectCommand({ Bucket, Key })), {
 *   what: `stat of s3://${Bucket}/${Key}`,
 * });
 */
export async function withRetry<T>(
  pacer: Pacer,
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? 10);
  const classify = options.classify ?? classifyError;
  const base = options.baseDelayMs ?? 100;
  const cap = options.maxDelayMs ?? 10_000;
  for (let attempt = 1; ; attempt++) {
    await pacer.acquireRequest(options.signal);
    try {
      const result = await fn(attempt);
      pacer.onSuccess();
      return result;
    } catch (err) {
      if (options.signal?.aborted) throw options.signal.reason;
      const cls = classify(err);
      if (cls.throttled) pacer.onThrottle();
      if (!cls.retryable || attempt >= attempts) {
        throw toTransferError(err, options.what ?? 'request', options.target);
      }
      options.onRetry?.(err, attempt);
      // Full jitter (AWS architecture blog, "Exponential Backoff And Jitter").
      const delay = Math.random() * Math.min(cap, base * 2 ** (attempt - 1));
      await sleep(delay, undefined, { signal: options.signal });
    }
  }
}
