import { prng } from '../../../test/helpers/random.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { isStowageError } from '../../errors.js';
import {
  combineCrc,
  combineCrcs,
  compositeChecksum,
  isCrcAlgorithm,
  type CrcAlgorithm,
} from './combine.js';
import { CHECKSUM_ALGORITHMS, checksumBytes } from './hasher.js';
import { loadXxhash } from './xxhash.js';

beforeAll(() => loadXxhash());

const CRCS: readonly CrcAlgorithm[] = ['CRC32', 'CRC32C', 'CRC64NVME'];

const POLYS: Record<CrcAlgorithm, { poly: bigint; bits: number }> = {
  CRC32: { poly: 0xedb88320n, bits: 32 },
  CRC32C: { poly: 0x82f63b78n, bits: 32 },
  CRC64NVME: { poly: 0x9a6c9329ac4bc9b5n, bits: 64 },
};

/**
 * zlib 1.2.x's crc32_combine (GF(2) operator matrices, squared per bit of the length)
 * over BigInt: a different method from combine.ts's polynomial multiplication, so the
 * two can check each other on lengths too big to hash directly.
 */
function referenceCombine(alg: CrcAlgorithm, crc1: Buffer, crc2: Buffer, len2: bigint): Buffer {
  const { poly, bits } = POLYS[alg];
  const times = (mat: bigint[], vec: bigint): bigint => {
    let sum = 0n;
    for (let i = 0; vec !== 0n; vec >>= 1n, i++) if (vec & 1n) sum ^= mat[i]!;
    return sum;
  };
  const square = (mat: bigint[]): bigint[] => mat.map((v) => times(mat, v));
  let c1 = BigInt(`0x${crc1.toString('hex')}`);
  const c2 = BigInt(`0x${crc2.toString('hex')}`);
  if (len2 > 0n) {
    // The operator for one zero bit, then two, then four...
    let odd = [poly];
    for (let n = 0; n < bits - 1; n++) odd.push(1n << BigInt(n));
    let even = square(odd);
    odd = square(even);
    for (;;) {
      even = square(odd);
      if (len2 & 1n) c1 = times(even, c1);
      len2 >>= 1n;
      if (len2 === 0n) break;
      odd = square(even);
      if (len2 & 1n) c1 = times(odd, c1);
      len2 >>= 1n;
      if (len2 === 0n) break;
    }
  }
  return Buffer.from((c1 ^ c2).toString(16).padStart(bits / 4, '0'), 'hex');
}

let big: Buffer | undefined;
/** 3 MB of random bytes, made on first use so tests that do not need it stay quick. */
function bigBuffer(): Buffer {
  if (!big) {
    const rand = prng(42);
    big = Buffer.alloc(3_000_000);
    for (let i = 0; i < big.length; i += 4) big.writeUInt32LE(Math.floor(rand() * 2 ** 32), i);
  }
  return big;
}

describe('combineCrc', () => {
  it.each(CRCS)('%s: combining the CRCs of two halves gives the CRC of the whole', (alg) => {
    const rand = prng(1);
    const data = bigBuffer().subarray(0, 5000);
    for (let n = 0; n < 200; n++) {
      const cut = Math.floor(rand() * (data.length + 1));
      const a = data.subarray(0, cut);
      const b = data.subarray(cut);
      const combined = combineCrc(alg, checksumBytes(alg, a), checksumBytes(alg, b), b.length);
      expect(combined.toString('hex'), `cut at ${cut}`).toBe(
        checksumBytes(alg, data).toString('hex'),
      );
    }
  });

  it.each(CRCS)('%s: lengthB = 0 returns crcA', (alg) => {
    const crcA = checksumBytes(alg, Buffer.from('123456789'));
    const crcB = checksumBytes(alg, Buffer.alloc(0));
    expect(combineCrc(alg, crcA, crcB, 0).equals(crcA)).toBe(true);
  });

  it.each(CRCS)('%s: empty A gives crcB', (alg) => {
    const crcB = checksumBytes(alg, Buffer.from('123456789'));
    expect(combineCrc(alg, checksumBytes(alg, Buffer.alloc(0)), crcB, 9).equals(crcB)).toBe(true);
  });

  it.each(CRCS)('%s: works for multi-megabyte B', (alg) => {
    const data = bigBuffer();
    const whole = checksumBytes(alg, data);
    for (const cut of [0, 1, 7, 65_536, 1_000_003, 2_999_999, 3_000_000]) {
      const a = data.subarray(0, cut);
      const b = data.subarray(cut);
      const combined = combineCrc(alg, checksumBytes(alg, a), checksumBytes(alg, b), b.length);
      expect(combined.toString('hex'), `cut at ${cut}`).toBe(whole.toString('hex'));
    }
  });

  it.each(CRCS)('%s: agrees with zlib-style matrix combination up to 2^53 - 1 bytes', (alg) => {
    const crcA = checksumBytes(alg, Buffer.from('part one'));
    const crcB = checksumBytes(alg, Buffer.from('part two'));
    const gib = 2 ** 30;
    for (const len of [
      1,
      255,
      2 ** 31,
      2 ** 32 - 1,
      2 ** 32,
      2 ** 32 + 1,
      5 * gib,
      5 * gib + 3,
      2 ** 53 - 1,
    ]) {
      expect(combineCrc(alg, crcA, crcB, len).toString('hex'), `length ${len}`).toBe(
        referenceCombine(alg, crcA, crcB, BigInt(len)).toString('hex'),
      );
    }
  });

  it('is fast enough for 10,000 parts of 5 GiB', () => {
    const crc = checksumBytes('CRC64NVME', Buffer.from('x'));
    const started = performance.now();
    for (let i = 0; i < 10_000; i++) combineCrc('CRC64NVME', crc, crc, 5 * 2 ** 30);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('rejects digests of the wrong length and bad lengths', () => {
    const four = Buffer.alloc(4);
    const eight = Buffer.alloc(8);
    const attempts: Array<() => unknown> = [
      () => combineCrc('CRC32', eight, four, 1),
      () => combineCrc('CRC32C', four, eight, 1),
      () => combineCrc('CRC64NVME', four, four, 1),
      () => combineCrc('CRC32', four, four, -1),
      () => combineCrc('CRC32', four, four, 1.5),
      () => combineCrc('CRC32', four, four, Number.NaN),
      () => combineCrc('CRC32', four, four, 2 ** 53),
      () => combineCrc('SHA1' as CrcAlgorithm, four, four, 1),
    ];
    for (const attempt of attempts) {
      let caught: unknown;
      try {
        attempt();
      } catch (err) {
        caught = err;
      }
      expect(isStowageError(caught, 'E_INTERNAL'), String(attempt)).toBe(true);
    }
  });
});

describe('combineCrcs', () => {
  it.each(CRCS)('%s: folds part CRCs into the CRC of the whole object', (alg) => {
    const rand = prng(7);
    const data = bigBuffer().subarray(0, 200_000);
    const parts: Array<{ crc: Buffer; size: number }> = [];
    for (let at = 0; at < data.length;) {
      const next = Math.min(data.length, at + Math.floor(rand() * 30_000));
      parts.push({ crc: checksumBytes(alg, data.subarray(at, next)), size: next - at });
      at = next;
    }
    expect(combineCrcs(alg, parts).equals(checksumBytes(alg, data))).toBe(true);
  });

  it('gives the CRC of no bytes for no parts', () => {
    expect(combineCrcs('CRC32', []).toString('hex')).toBe('00000000');
    expect(combineCrcs('CRC64NVME', []).toString('hex')).toBe('0000000000000000');
  });
});

describe('compositeChecksum', () => {
  const parts = [Buffer.alloc(10, 'a'), Buffer.alloc(20, 'b'), Buffer.alloc(5, 'c')];

  it.each(CHECKSUM_ALGORITHMS)(
    '%s: is the checksum of the concatenated part digests, then -N',
    (alg) => {
      const digests = parts.map((p) => checksumBytes(alg, p));
      const expected = checksumBytes(alg, Buffer.concat(digests)).toString('base64');
      expect(compositeChecksum(alg, digests)).toBe(`${expected}-3`);
      expect(compositeChecksum(alg, digests)).toMatch(/^[A-Za-z0-9+/]+={0,2}-3$/);
    },
  );

  it.each([
    // From an independent Python implementation.
    ['CRC32', 'MCV32g==-3'],
    ['CRC32C', '1MUmNA==-3'],
    ['CRC64NVME', 'mxnXbJ504D4=-3'],
    ['SHA256', 'i3KjszA793lQXepaUJtFhyL/oZT47dUMHs4qnqxNqN4=-3'],
  ] as const)('%s: matches a known value', (alg, expected) => {
    expect(
      compositeChecksum(
        alg,
        parts.map((p) => checksumBytes(alg, p)),
      ),
    ).toBe(expected);
  });

  it('counts a single part', () => {
    expect(compositeChecksum('CRC32', [checksumBytes('CRC32', parts[0]!)])).toMatch(/-1$/);
  });

  it('rejects part digests of the wrong length', () => {
    let caught: unknown;
    try {
      compositeChecksum('SHA256', [checksumBytes('SHA1', parts[0]!)]);
    } catch (err) {
      caught = err;
    }
    expect(isStowageError(caught, 'E_INTERNAL')).toBe(true);
  });
});

describe('isCrcAlgorithm', () => {
  it('is true for the three CRCs only', () => {
    expect(CHECKSUM_ALGORITHMS.filter(isCrcAlgorithm)).toEqual(['CRC32', 'CRC32C', 'CRC64NVME']);
  });
});
