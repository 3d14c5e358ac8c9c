import { prng, randomBytes } from '../../../test/helpers/random.js';
import { describe, expect, it } from 'vitest';
import {
  CRC64_INIT,
  crc64ToBytes,
  crc64nvme,
  crc64nvmeUpdate,
  type Crc64State,
} from './crc64nvme.js';

const POLY = 0x9a6c9329ac4bc9b5n;
const MASK = (1n << 64n) - 1n;

/** Bit-at-a-time CRC-64/NVME over BigInt, independent of the split tables. */
function reference(data: Uint8Array): bigint {
  let c = MASK;
  for (const byte of data) {
    c ^= BigInt(byte);
    for (let i = 0; i < 8; i++) c = c & 1n ? (c >> 1n) ^ POLY : c >> 1n;
  }
  return c ^ MASK;
}

function toBigInt(s: Crc64State): bigint {
  return (BigInt(s[1]) << 32n) | BigInt(s[0]);
}

describe('crc64nvme', () => {
  it('gives the standard check value for "123456789"', () => {
    expect(crc64nvme(Buffer.from('123456789'))).toBe(0xae8b14860a799888n);
  });

  it('gives published vectors', () => {
    // aws-c-s3 test vector.
    expect(crc64nvme(Buffer.from('aaaaaaaaaa'))).toBe(0x0c1a80036d65c555n);
    // `echo 'Hello, World!' | crc64nvme | base64` from minio's crc64nvme README.
    expect(
      crc64ToBytes(crc64nvmeUpdate(CRC64_INIT, Buffer.from('Hello, World!\n'))).toString('base64'),
    ).toBe('SoXXbx67KpE=');
  });

  it('is 0 for no bytes, and continuing with no bytes changes nothing', () => {
    expect(crc64nvme(new Uint8Array(0))).toBe(0n);
    const s = crc64nvmeUpdate(CRC64_INIT, Buffer.from('123456789'));
    expect(crc64nvmeUpdate(s, new Uint8Array(0))).toEqual(s);
  });

  it('encodes the state as 8 big-endian bytes', () => {
    const s = crc64nvmeUpdate(CRC64_INIT, Buffer.from('123456789'));
    expect(crc64ToBytes(s).toString('hex')).toBe('ae8b14860a799888');
  });

  it('gives the same value when a 100-byte buffer is split at every offset', () => {
    const data = randomBytes(prng(1), 100);
    const whole = crc64nvme(data);
    for (let cut = 0; cut <= data.length; cut++) {
      const s = crc64nvmeUpdate(
        crc64nvmeUpdate(CRC64_INIT, data.subarray(0, cut)),
        data.subarray(cut),
      );
      expect(toBigInt(s)).toBe(whole);
    }
  });

  it('matches the bit-by-bit reference on random buffers of length 0..5000', () => {
    const rand = prng(2);
    for (let n = 0; n < 100; n++) {
      const data = randomBytes(rand, Math.floor(rand() * 5001));
      expect(crc64nvme(data), `length ${data.length}`).toBe(reference(data));
    }
  });

  it('handles every alignment of the input within its ArrayBuffer', () => {
    const data = randomBytes(prng(3), 1100);
    for (let start = 0; start < 8; start++) {
      for (const len of [0, 1, 63, 64, 65, 71, 72, 73, 1000]) {
        const view = data.subarray(start, start + len);
        expect(crc64nvme(view), `start ${start} length ${len}`).toBe(reference(view));
      }
    }
  });

  it('grows a CRC across many chunks of different sizes', () => {
    const rand = prng(4);
    const data = randomBytes(rand, 20_000);
    let s = CRC64_INIT;
    for (let at = 0; at < data.length;) {
      const next = Math.min(data.length, at + Math.floor(rand() * 700));
      s = crc64nvmeUpdate(s, data.subarray(at, next));
      at = next;
    }
    expect(toBigInt(s)).toBe(reference(data));
  });
});
