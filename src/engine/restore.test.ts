import { describe, expect, it } from 'vitest';
import { LAST_RESTORE_EXPIRY_MS, restoreStatus, startRestore } from './restore.js';

const DAY = 86_400_000;

describe('restore expiry dates', () => {
  const now = Date.UTC(2026, 11, 7, 12);

  it('refuses Days that put the expiry past the year 9999, and takes the last that does not', () => {
    const lastDays = Math.floor((LAST_RESTORE_EXPIRY_MS - now - 5 * 60_000) / DAY);
    const ok = startRestore('GLACIER', lastDays, 'Expedited', now);
    expect(ok.expiresAt).toBeLessThanOrEqual(LAST_RESTORE_EXPIRY_MS);
    expect(new Date(ok.expiresAt).toISOString()).toMatch(/^9999-12-/);
    for (const days of [lastDays + 2, 99_999_999, 99_999_999_999]) {
      expect(() => startRestore('GLACIER', days, 'Expedited', now)).toThrow(
        expect.objectContaining({
          code: 'E_INVALID_ARGUMENT',
          message: expect.stringMatching(/past the year 9999/),
        }),
      );
    }
  });

  it('reads a record stored with a far expiry (before the limit) as a date S3 can write', () => {
    const record = {
      tier: 'Expedited' as const,
      days: 99_999_999,
      requestedAt: now,
      completesAt: now + 5 * 60_000,
      expiresAt: now + 99_999_999 * DAY,
    };
    const status = restoreStatus(record, now + DAY);
    expect(status?.ongoing).toBe(false);
    expect(status?.expiresAt?.toISOString()).toBe('9999-12-31T00:00:00.000Z');
  });
});
