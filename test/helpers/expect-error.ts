/** One assertion for every test that expects a StowageError. */
import { expect } from 'vitest';
import { S3ServiceException } from '@aws-sdk/client-s3';
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

/**
 * The S3 error a client call fails with: its code (the SDK's error name), HTTP status and
 * message. Fails the test if the call succeeds or throws something other than an S3 error.
 */
export async function s3ErrorOf(
  p: Promise<unknown>,
): Promise<{ name: string; status?: number; message: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof S3ServiceException)
      return { name: err.name, status: err.$metadata.httpStatusCode, message: err.message };
    throw err;
  }
  throw new Error('expected an S3 error, but the call succeeded');
}
