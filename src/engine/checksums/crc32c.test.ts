import { describe, expect, it } from 'vitest';
import { crc32c } from './crc32c.js';
import { prng, randomBytes } from '../../../test/helpers/random.js';

/** Bit-at-a-time CRC-32C straight from the definition, independent of the tables. */
function reference(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) {
    c ^= byte;
    for (let i = 0; i < 8; i++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

describe('crc32c', () => {
  it('gives the standard check value for "123456789"', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  it('gives published vectors', () => {
    // aws-crt test vector.
    expect(crc32c(Buffer.from('Hello'))).toBe(2178485787);
    expect(crc32c(Buffer.from('Hello world'))).toBe(0x72b51f78);
  });

  it('is 0 for no bytes, and continuing with no bytes changes nothing', () => {
    expect(crc32c(new Uint8Array(0))).toBe(0);
    expect(crc32c(new Uint8Array(0), 0xe3069283)).toBe(0xe3069283);
  });

  it('gives the same value when a 100-byte buffer is split at every offset', () => {
    const data = randomBytes(prng(1), 100);
    const whole = crc32c(data);
    for (let cut = 0; cut <= data.length; cut++) {
      expect(crc32c(data.subarray(cut), crc32c(data.subarray(0, cut)))).toBe(whole);
    }
  });

  it('matches the bit-by-bit reference on random buffers of length 0..5000', () => {
    const rand = prng(2);
    for (let n = 0; n < 200; n++) {
      const data = randomBytes(rand, Math.floor(rand() * 5001));
      expect(crc32c(data), `length ${data.length}`).toBe(reference(data));
    }
  });

  it('handles every alignment of the input within its ArrayBuffer', () => {
    const data = randomBytes(prng(3), 1100);
    for (let start = 0; start < 8; start++) {
      for (const len of [0, 1, 63, 64, 65, 79, 80, 81, 1000]) {
        const view = data.subarray(start, start + len);
        expect(crc32c(view), `start ${start} length ${len}`).toBe(reference(view));
      }
    }
  });

  it('reads only its view of a shared buffer', () => {
    const buf = new Uint8Array(300).fill(0xff);
    const view = buf.subarray(5, 250);
    view.fill(7);
    expect(crc32c(view)).toBe(reference(new Uint8Array(245).fill(7)));
  });

  it('grows a CRC across many chunks of different sizes', () => {
    const rand = prng(4);
    const data = randomBytes(rand, 20_000);
    let crc = 0;
    for (let at = 0; at < data.length;) {
      const next = Math.min(data.length, at + Math.floor(rand() * 700));
      crc = crc32c(data.subarray(at, next), crc);
      at = next;
    }
    expect(crc).toBe(reference(data));
  });
});
