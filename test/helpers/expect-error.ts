/** One assertion for every test that expects a StowageError. */
import { expect } from 'vitest';
import { isStowageError, type ErrorCode, type StowageError } from '../../src/errors.js';

/**
 * Runs `fn` (sync or async; or awaits a promise) and returns the StowageError it throws,
 * failing the test if it succeeds, throws something else, or has another code or message.
 */
export async function expectError(
  fn: (() => unknown) | Promise<unknown>,
  code: ErrorCode,
  message?: RegExp | string,
): Promise<StowageError> {
  let caught: unknown;
  try {
    await (typeof fn === 'function' ? fn() : fn);
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected ${code}, but the call succeeded`).toBeDefined();
  expect(isStowageError(caught), `expected a StowageError, got ${String(caught)}`).toBe(true);
  const err = caught as StowageError;
  expect(err.code).toBe(code);
  if (message !== undefined) expect(err.message).toMatch(message);
  return err;
}
