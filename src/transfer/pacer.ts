/**
 * One {@link Pacer} is shared by every request of a run (all files, all parts). It limits
 * requests per second and bytes per second, and when the store says "slow down" (SlowDown,
 * 503, 429) it backs off for everyone, not just the request that was told.
 *
 * Back-off is AIMD, as TCP does it: a throttle halves the request rate the pacer allows
 * (multiplicative decrease) and pauses all requests for an exponentially growing, jittered
 * delay; every success then raises the allowed rate by a fixed step (additive increase)
 * until it is back where it was before the first throttle, when the adaptive limit is
 * lifted. Each pacer is independent; nothing here is global.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { StowageError } from '../errors.js';

/** Options of {@link Pacer}. All optional; no limits by default. */
export interface PacerOptions {
  /** Most requests started per second, for the whole run. */
  rateLimit?: number;
  /** Most bytes per second sent plus received, for the whole run (a token bucket). */
  bandwidthLimit?: number;
  /** First pause after a throttle. Default 200 ms. */
  minBackoffMs?: number;
  /** Longest pause after many throttles in a row. Default 20 s. */
  maxBackoffMs?: number;
  /** Requests per second added back per success while recovering. Default 2. */
  recoveryStepPerSecond?: number;
  /** The lowest rate a throttle can push the pacer to. Default 1 request/s. */
  minRatePerSecond?: number;
  /** Random source in [0, 1) for jitter; tests pass a seeded one. */
  random?: () => number;
}

/** Counters of what the pacer did, for summaries and tests. */
export interface PacerStats {
  requests: number;
  throttles: number;
  /** Total time requests spent waiting on the pacer (limits and back-off). */
  waitedMs: number;
  /** Longest single back-off pause chosen so far. */
  maxBackoffMs: number;
  /** The adaptive rate limit now in force, or undefined when none is. */
  adaptiveRatePerSecond: number | undefined;
  bytes: number;
}

function positiveOrUndefined(name: string, v: number | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isFinite(v) || v <= 0) {
    throw new StowageError('E_INVALID_ARGUMENT', `${name} must be a positive number, got ${v}`, {
      details: { field: name, value: v },
    });
  }
  return v;
}

/**
 * The shared throttle of a run.
 *
 * @example
 * const pacer = new Pacer({ rateLimit: 100, bandwidthLimit: 50 * 1024 * 1024 });
 * await uploadFile({ client, bucket, key, path, pacer });
 */
export class Pacer {
  readonly rateLimit: number | undefined;
  readonly bandwidthLimit: number | undefined;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly step: number;
  private readonly minRate: number;
  private readonly random: () => number;
  /** Earliest time the next request may start (rate spacing and back-off). */
  private nextStartMs = 0;
  private pausedUntilMs = 0;
  private backoffMs = 0;
  private adaptiveRate: number | undefined;
  private recoverAtRate = 0;
  private recentStarts: number[] = [];
  private byteTokens: number;
  private byteRefillMs = performance.now();
  private queue: Promise<void> = Promise.resolve();
  private readonly counters = { requests: 0, throttles: 0, waitedMs: 0, maxBackoffMs: 0, bytes: 0 };

  constructor(options: PacerOptions = {}) {
    this.rateLimit = positiveOrUndefined('rateLimit', options.rateLimit);
    this.bandwidthLimit = positiveOrUndefined('bandwidthLimit', options.bandwidthLimit);
    this.minBackoffMs = options.minBackoffMs ?? 200;
    this.maxBackoffMs = options.maxBackoffMs ?? 20_000;
    this.step = options.recoveryStepPerSecond ?? 2;
    this.minRate = options.minRatePerSecond ?? 1;
    this.random = options.random ?? Math.random;
    // One second of burst, like most token buckets.
    this.byteTokens = this.bandwidthLimit ?? 0;
  }

  /** Waits until one more request may start. FIFO across all callers. */
  acquireRequest(signal?: AbortSignal): Promise<void> {
    const turn = this.queue.then(() => this.waitForSlot(signal));
    // A caller that aborts must not block the ones behind it.
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async waitForSlot(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const now = performance.now();
    const rate = Math.min(this.rateLimit ?? Infinity, this.adaptiveRate ?? Infinity);
    const startAt = Math.max(now, this.nextStartMs, this.pausedUntilMs);
    if (startAt > now) {
      this.counters.waitedMs += startAt - now;
      await sleep(startAt - now, undefined, { signal });
    }
    const started = performance.now();
    this.nextStartMs = Number.isFinite(rate) ? started + 1000 / rate : 0;
    this.counters.requests += 1;
    this.recentStarts.push(started);
    if (this.recentStarts.length > 256) this.recentStarts.splice(0, 128);
  }

  /**
   * Takes `bytes` from the bandwidth bucket, waiting until the bucket holds them. An amount
   * larger than the bucket (one second of bandwidth; a whole part) waits for a full bucket
   * and overdraws it; the debt then delays whoever comes next, so the average over a few
   * seconds stays at the limit.
   */
  async acquireBytes(bytes: number, signal?: AbortSignal): Promise<void> {
    this.counters.bytes += bytes;
    const limit = this.bandwidthLimit;
    if (limit === undefined || bytes <= 0) return;
    const need = Math.min(bytes, limit);
    for (;;) {
      const now = performance.now();
      this.byteTokens = Math.min(
        limit,
        this.byteTokens + ((now - this.byteRefillMs) * limit) / 1000,
      );
      this.byteRefillMs = now;
      if (this.byteTokens >= need) break;
      const waitMs = Math.max(1, Math.ceil(((need - this.byteTokens) * 1000) / limit));
      this.counters.waitedMs += waitMs;
      await sleep(waitMs, undefined, { signal });
    }
    this.byteTokens -= bytes;
  }

  /** Requests started during the last second: the rate the store just saw. */
  private observedRate(): number {
    const since = performance.now() - 1000;
    return this.recentStarts.filter((t) => t >= since).length;
  }

  /** The store said slow down: halve the allowed rate and pause everyone. */
  onThrottle(): void {
    this.counters.throttles += 1;
    const observed = Math.max(this.minRate, this.observedRate());
    if (this.adaptiveRate === undefined) this.recoverAtRate = observed;
    const current = Math.min(this.adaptiveRate ?? observed, observed);
    this.adaptiveRate = Math.max(this.minRate, current / 2);
    this.backoffMs = Math.min(
      this.maxBackoffMs,
      this.backoffMs === 0 ? this.minBackoffMs : this.backoffMs * 2,
    );
    // "Equal jitter": half fixed, half random, so pauses never collapse to zero.
    const pause = this.backoffMs / 2 + (this.random() * this.backoffMs) / 2;
    this.counters.maxBackoffMs = Math.max(this.counters.maxBackoffMs, pause);
    this.pausedUntilMs = Math.max(this.pausedUntilMs, performance.now() + pause);
  }

  /** A request succeeded: recover a little. */
  onSuccess(): void {
    this.backoffMs = this.backoffMs / 2 < this.minBackoffMs ? 0 : this.backoffMs / 2;
    if (this.adaptiveRate === undefined) return;
    this.adaptiveRate += this.step;
    if (this.adaptiveRate >= this.recoverAtRate) this.adaptiveRate = undefined;
  }

  /** A snapshot of the counters. */
  stats(): PacerStats {
    return { ...this.counters, adaptiveRatePerSecond: this.adaptiveRate };
  }
}
