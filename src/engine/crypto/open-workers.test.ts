import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expectError } from '../../../test/helpers/expect-error.js';
import { SEGMENT_BYTES, SegmentEncryptor, sealedSpan, TAG_BYTES } from './format.js';
import { openRun } from './open-workers.js';

const key = randomBytes(32);
const prefix = randomBytes(7);
const SEALED = SEGMENT_BYTES + TAG_BYTES;

/** The sealed form of `plain`, as a blob file holds it. */
function seal(plain: Buffer, withKey = key): Buffer {
  const enc = new SegmentEncryptor(withKey, prefix);
  return Buffer.concat([...enc.update(plain), ...enc.final()]);
}

/** Bytes `from`..`to` (exclusive) of `sealed` in a buffer of their own, as a read gives them. */
function own(sealed: Buffer, from = 0, to = sealed.byteLength): Buffer {
  const buf = Buffer.allocUnsafeSlow(to - from);
  sealed.copy(buf, 0, from, to);
  return buf;
}

describe('openRun (decryption on worker threads)', () => {
  const plain = randomBytes(5 * SEGMENT_BYTES + 1234);
  const sealed = seal(plain);

  it('opens a whole blob and a run from its middle into the same memory', async () => {
    const whole = own(sealed);
    const out = await openRun(key, prefix, plain.byteLength, 0, 6, whole);
    expect(out.equals(plain)).toBe(true);
    expect(whole.byteLength).toBe(0); // its memory moved to the worker and back
    expect(out.buffer.byteLength).toBe(sealed.byteLength);

    const span = sealedSpan(plain.byteLength, 2 * SEGMENT_BYTES, 4 * SEGMENT_BYTES - 1);
    const middle = await openRun(
      key,
      prefix,
      plain.byteLength,
      span.first,
      span.last - span.first + 1,
      own(sealed, span.start, span.end),
    );
    expect(middle.equals(plain.subarray(2 * SEGMENT_BYTES, 4 * SEGMENT_BYTES))).toBe(true);
  });

  it('answers many runs at once, each with its own plaintext', async () => {
    const runs = Array.from({ length: 24 }, (_, i) => i % 6);
    const outs = await Promise.all(
      runs.map((i) =>
        openRun(
          key,
          prefix,
          plain.byteLength,
          i,
          1,
          own(sealed, i * SEALED, Math.min(sealed.byteLength, (i + 1) * SEALED)),
        ),
      ),
    );
    outs.forEach((out, n) => {
      const i = runs[n]!;
      expect(out.equals(plain.subarray(i * SEGMENT_BYTES, (i + 1) * SEGMENT_BYTES))).toBe(true);
    });
  });

  it('a changed byte, a moved segment or the wrong key fails authentication', async () => {
    const changed = own(sealed);
    changed[SEALED + 7]! ^= 1;
    await expectError(
      openRun(key, prefix, plain.byteLength, 0, 6, changed),
      'E_DATA_CORRUPT',
      /failed authentication/,
    );
    // Segment 2's bytes presented as segment 1.
    await expectError(
      openRun(key, prefix, plain.byteLength, 1, 1, own(sealed, 2 * SEALED, 3 * SEALED)),
      'E_DATA_CORRUPT',
      /failed authentication/,
    );
    await expectError(
      openRun(randomBytes(32), prefix, plain.byteLength, 0, 6, own(sealed)),
      'E_DATA_CORRUPT',
      /failed authentication/,
    );
  });

  it('bytes that do not hold exactly the segments named are truncated', async () => {
    // The last segment cut short, one segment too many, and a run cut at a segment edge
    // presented as the whole blob (its new last segment was not sealed as final).
    await expectError(
      openRun(key, prefix, plain.byteLength, 0, 6, own(sealed, 0, sealed.byteLength - 1)),
      'E_DATA_CORRUPT',
      /truncated/,
    );
    await expectError(
      openRun(key, prefix, plain.byteLength, 0, 5, own(sealed)),
      'E_DATA_CORRUPT',
      /truncated/,
    );
    await expectError(
      openRun(key, prefix, 2 * SEGMENT_BYTES, 0, 2, own(sealed, 0, 2 * SEALED)),
      'E_DATA_CORRUPT',
      /failed authentication/,
    );
  });

  it('refuses a view that does not start its buffer, leaving the buffer alone', () => {
    const buf = Buffer.concat([Buffer.alloc(16), own(sealed, 0, SEALED)]);
    const view = buf.subarray(16);
    expect(() => openRun(key, prefix, plain.byteLength, 0, 1, view)).toThrow(/first byte/);
    expect(view.byteLength).toBe(SEALED);
  });
});
