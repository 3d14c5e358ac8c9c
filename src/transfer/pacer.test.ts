import { describe, expect, it } from 'vitest';
import { isStowageError } from '../errors.js';
import { Pacer } from './pacer.js';
import { withRetry } from './retry.js';

const slowDown = () =>
  Object.assign(new Error('Please reduce your request rate.'), {
    name: 'SlowDown',
    $metadata: { httpStatusCode: 503 },
  });

describe('Pacer', () => {
  it('spaces requests to the rate limit', async () => {
    const pacer = new Pacer({ rateLimit: 50 });
    const started = Date.now();
    for (let i = 0; i < 11; i++) await pacer.acquireRequest();
    // 10 gaps of 20 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(pacer.stats().requests).toBe(11);
  });

  it('limits bytes per second after a one-second burst', async () => {
    const pacer = new Pacer({ bandwidthLimit: 100_000 });
    const started = Date.now();
    for (let i = 0; i < 4; i++) await pacer.acquireBytes(50_000);
    // 200 kB at 100 kB/s with 100 kB of burst: about one second.
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('halves the rate and pauses everyone on a throttle, and recovers step by step', async () => {
    const pacer = new Pacer({
      minBackoffMs: 50,
      minRatePerSecond: 2,
      recoveryStepPerSecond: 4,
      random: () => 0.5,
    });
    for (let i = 0; i < 20; i++) await pacer.acquireRequest();
    pacer.onThrottle();
    const throttled = pacer.stats().adaptiveRatePerSecond!;
    expect(throttled).toBe(10);
    expect(pacer.stats().maxBackoffMs).toBeCloseTo(37.5);
    // A second throttle doubles the pause and halves the rate again.
    pacer.onThrottle();
    expect(pacer.stats().adaptiveRatePerSecond).toBe(5);
    expect(pacer.stats().maxBackoffMs).toBeCloseTo(75);
    const started = Date.now();
    await pacer.acquireRequest();
    expect(Date.now() - started).toBeGreaterThanOrEqual(60);
    pacer.onSuccess();
    expect(pacer.stats().adaptiveRatePerSecond).toBe(9);
    for (let i = 0; i < 5; i++) pacer.onSuccess();
    // Back to the rate before the first throttle: the adaptive limit is lifted.
    expect(pacer.stats().adaptiveRatePerSecond).toBeUndefined();
  });

  it('stops waiting when the signal aborts', async () => {
    const pacer = new Pacer({ rateLimit: 1 });
    await pacer.acquireRequest();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    await expect(pacer.acquireRequest(controller.signal)).rejects.toMatchObject({
      name: 'AbortError',
    });
  });
});

describe('withRetry', () => {
  it('retries throttles through the pacer and succeeds', async () => {
    const pacer = new Pacer({ minBackoffMs: 5, minRatePerSecond: 1000 });
    let calls = 0;
    const result = await withRetry(
      pacer,
      () => (++calls < 4 ? Promise.reject(slowDown()) : Promise.resolve('ok')),
      {
        baseDelayMs: 1,
      },
    );
    expect(result).toBe('ok');
    expect(pacer.stats().throttles).toBe(3);
  });

  it('does not retry what cannot succeed, and translates it', async () => {
    let calls = 0;
    const denied = Object.assign(new Error('Access Denied'), {
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    });
    const err = await withRetry(new Pacer(), () => (++calls, Promise.reject(denied)), {
      what: 'upload of x',
    }).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect(isStowageError(err, 'E_ACCESS_DENIED')).toBe(true);
    expect((err as Error).message).toBe('upload of x failed: Access Denied');
  });

  it('gives up after `attempts` with the last error translated', async () => {
    let calls = 0;
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const err = await withRetry(new Pacer(), () => (++calls, Promise.reject(reset)), {
      attempts: 3,
      baseDelayMs: 1,
    }).catch((e: unknown) => e);
    expect(calls).toBe(3);
    expect(isStowageError(err, 'E_NETWORK')).toBe(true);
  });
});
