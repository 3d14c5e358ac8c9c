import { describe, expect, it } from 'vitest';
import { isStowageError } from '../errors.js';
import { parseDurationMs } from './duration.js';

describe('parseDurationMs', () => {
  it.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['5h', 18_000_000],
    ['2d', 172_800_000],
    ['1w', 604_800_000],
    ['1h30m', 5_400_000],
    ['250ms', 250],
    ['1.5h', 5_400_000],
  ])('%s', (text, ms) => expect(parseDurationMs(text)).toBe(ms));

  it.each(['', '5', 'h', '5x', '-5h', '5h junk'])('rejects %j naming it', (text) => {
    try {
      parseDurationMs(text);
      throw new Error('accepted');
    } catch (err) {
      expect(isStowageError(err, 'E_USAGE')).toBe(true);
      expect((err as Error).message).toContain(`"${text}"`);
    }
  });
});
