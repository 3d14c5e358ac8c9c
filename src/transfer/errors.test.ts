import { describe, expect, it } from 'vitest';
import { classifyError } from './errors.js';

describe('classifyError', () => {
  it('does not retry what the SDK says it cannot do (a checksum it has no implementation of)', () => {
    // The SDK's own words when a GET carries a checksum of an algorithm it lacks: the same
    // call fails again, so retrying only delays the error (19 s before the client had the
    // 2025 algorithms).
    const err = new Error(
      'The checksum algorithm "XXHASH9" is not supported by the client. Select one of CRC32,CRC32C,CRC64NVME,SHA1,SHA256, or provide an implementation to  the client constructor checksums field.',
    );
    expect(classifyError(err)).toEqual({ retryable: false, throttled: false });
  });

  it('still retries a response whose bytes did not match its checksum, and a broken connection', () => {
    expect(classifyError(new Error('Checksum mismatch: expected "a" but received "b"'))).toEqual({
      retryable: true,
      throttled: false,
    });
    expect(
      classifyError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })),
    ).toEqual({ retryable: true, throttled: false });
  });
});
