import { prng, randomBytes } from '../../../test/helpers/random.js';
import { Xxh3_128, Xxh3_64, Xxh64 } from '@aws-sdk/checksums/xxh';
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ChecksumAlgorithm } from '../types.js';
import {
  CHECKSUM_ALGORITHMS,
  CHECKSUM_BYTES,
  checksumBase64,
  checksumBytes,
  createChecksum,
  isChecksumAlgorithm,
  isValidChecksumValue,
} from './hasher.js';
import { loadXxhash } from './xxhash.js';

beforeAll(() => loadXxhash());

const CRC_POLYS = {
  CRC32: { poly: 0xedb88320n, bits: 32n },
  CRC32C: { poly: 0x82f63b78n, bits: 32n },
  CRC64NVME: { poly: 0x9a6c9329ac4bc9b5n, bits: 64n },
} as const;

/** The AWS SDK's own JavaScript XXHASH implementations: what its clients send. */
const SDK_XXHASH = { XXHASH64: Xxh64, XXHASH3: Xxh3_64, XXHASH128: Xxh3_128 } as const;

/**
 * Independent reference for every algorithm: the CRCs bit by bit from their definitions
 * (reflected, init and xorout all ones), the SHAs and MD5 from node:crypto, the XXHASHes
 * from the AWS SDK's JavaScript ports (not the WebAssembly the server runs).
 */
async function reference(alg: ChecksumAlgorithm, data: Uint8Array): Promise<Buffer> {
  if (alg === 'SHA1' || alg === 'SHA256' || alg === 'SHA512' || alg === 'MD5') {
    return createHash(alg.toLowerCase()).update(data).digest();
  }
  if (alg === 'XXHASH64' || alg === 'XXHASH3' || alg === 'XXHASH128') {
    const h = new SDK_XXHASH[alg]();
    h.update(data);
    return Buffer.from(await h.digest());
  }
  const { poly, bits } = CRC_POLYS[alg];
  const mask = (1n << bits) - 1n;
  let c = mask;
  for (const byte of data) {
    c ^= BigInt(byte);
    for (let i = 0; i < 8; i++) c = c & 1n ? (c >> 1n) ^ poly : c >> 1n;
  }
  return Buffer.from((c ^ mask).toString(16).padStart(Number(bits) / 4, '0'), 'hex');
}

describe('createChecksum', () => {
  it.each([
    ['CRC32', 'cbf43926'],
    ['CRC32C', 'e3069283'],
    ['CRC64NVME', 'ae8b14860a799888'],
    ['SHA1', 'f7c3bc1d808e04732adf679965ccc34ca7ae3441'],
    ['SHA256', '15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225'],
    [
      'SHA512',
      'd9e6762dd1c8eaf6d61b3c6192fc408d4d6d5f1176d0c29169bc24e71c3f274a' +
        'd27fcd5811b313d681f7e55ec02d73d499c95455b6b5bb503acf574fba8ffe85',
    ],
    ['MD5', '25f9e794323b453885f5181f1b624d0b'],
    // Canonical (big-endian) digests, as Debian's xxhsum -H1 / -H3 / -H2 prints them.
    ['XXHASH64', '8cb841db40e6ae83'],
    ['XXHASH3', '72dcb18b67a17dff'],
    ['XXHASH128', '33119477ede5dcd5e9716427681d5860'],
  ] as const)('gives the check value of %s for "123456789"', (alg, hex) => {
    const c = createChecksum(alg);
    c.update(Buffer.from('123456789'));
    expect(c.digest().toString('hex')).toBe(hex);
  });

  it.each(CHECKSUM_ALGORITHMS)('digests no bytes like the reference (%s)', async (alg) => {
    const d = createChecksum(alg).digest();
    expect(d).toHaveLength(CHECKSUM_BYTES[alg]);
    expect(d.equals(await reference(alg, new Uint8Array(0)))).toBe(true);
  });

  it.each(CHECKSUM_ALGORITHMS)(
    '%s: a 100-byte buffer split at every offset gives the one-shot value',
    (alg) => {
      const data = randomBytes(prng(1), 100);
      const whole = checksumBytes(alg, data);
      for (let cut = 0; cut <= data.length; cut++) {
        const c = createChecksum(alg);
        c.update(data.subarray(0, cut));
        c.update(data.subarray(cut));
        expect(c.digest().equals(whole), `cut at ${cut}`).toBe(true);
      }
    },
  );

  it.each(CHECKSUM_ALGORITHMS)(
    '%s matches the reference on random buffers of length 0..5000',
    async (alg) => {
      const rand = prng(2);
      for (let n = 0; n < 40; n++) {
        const data = randomBytes(rand, Math.floor(rand() * 5001));
        const expected = await reference(alg, data);
        expect(checksumBytes(alg, data).equals(expected), `length ${data.length}`).toBe(true);
      }
    },
  );

  it.each(CHECKSUM_ALGORITHMS)(
    '%s: digest() can be called again and the checksum continued',
    (alg) => {
      const c = createChecksum(alg);
      c.update(Buffer.from('1234'));
      expect(c.digest().equals(checksumBytes(alg, Buffer.from('1234')))).toBe(true);
      expect(c.digest().equals(checksumBytes(alg, Buffer.from('1234')))).toBe(true);
      c.update(Buffer.from('56789'));
      expect(c.digest().equals(checksumBytes(alg, Buffer.from('123456789')))).toBe(true);
    },
  );
});

describe('checksumBase64', () => {
  // Values as S3 returns them in x-amz-checksum-*, checked against a bit-by-bit Python
  // implementation; CRC32/CRC32C of "Hello" and CRC-64 of "aaaaaaaaaa" are aws-crt vectors.
  it.each([
    ['CRC32', 'Hello world', 'i9aeUg=='],
    ['CRC32C', 'Hello world', 'crUfeA=='],
    ['CRC64NVME', 'Hello world', 'OOJZ0D8xKts='],
    ['SHA1', 'Hello world', 'e1AsOh9IyGCa4hLN+2Od7jlnP14='],
    ['SHA256', 'Hello world', 'ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw='],
    ['CRC32', 'Hello', '99GJgg=='],
    ['CRC32C', 'Hello', 'gdkOGw=='],
    ['CRC64NVME', 'aaaaaaaaaa', 'DBqAA21lxVU='],
    ['CRC32', '', 'AAAAAA=='],
    ['CRC64NVME', '', 'AAAAAAAAAAA='],
  ] as const)('%s of "%s" is %s', (alg, text, expected) => {
    expect(checksumBase64(alg, Buffer.from(text))).toBe(expected);
  });
});

describe('isChecksumAlgorithm', () => {
  it('accepts exactly the ten S3 names', () => {
    for (const alg of CHECKSUM_ALGORITHMS) expect(isChecksumAlgorithm(alg)).toBe(true);
    expect(CHECKSUM_ALGORITHMS).toEqual([
      'CRC32',
      'CRC32C',
      'CRC64NVME',
      'SHA1',
      'SHA256',
      'SHA512',
      'MD5',
      'XXHASH64',
      'XXHASH3',
      'XXHASH128',
    ]);
    for (const s of [
      'crc32',
      'md5',
      'CRC64',
      'XXHASH',
      'XXH3',
      'SHA384',
      '',
      'toString',
      '__proto__',
      'constructor',
    ]) {
      expect(isChecksumAlgorithm(s), s).toBe(false);
    }
  });
});

describe('isValidChecksumValue', () => {
  it.each(CHECKSUM_ALGORITHMS)('accepts a real %s value', (alg) => {
    expect(isValidChecksumValue(alg, checksumBase64(alg, Buffer.from('x')))).toBe(true);
  });

  it('rejects values of the wrong decoded length', () => {
    expect(isValidChecksumValue('CRC32', 'AAAAAAAAAAA=')).toBe(false);
    expect(isValidChecksumValue('CRC64NVME', 'AAAAAA==')).toBe(false);
    expect(isValidChecksumValue('SHA256', 'e1AsOh9IyGCa4hLN+2Od7jlnP14=')).toBe(false);
    expect(isValidChecksumValue('SHA1', 'ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw=')).toBe(
      false,
    );
    expect(isValidChecksumValue('CRC32', '')).toBe(false);
    expect(isValidChecksumValue('CRC32', 'AAAAA===')).toBe(false);
    // eight base64 characters without padding are six bytes, not a CRC32
    expect(isValidChecksumValue('CRC32', 'a1b2c3d4')).toBe(false);
    expect(isValidChecksumValue('CRC64NVME', 'AAAAAAAAAAAA')).toBe(false);
  });

  it('rejects text that is not canonical base64', () => {
    for (const bad of [
      'i9ae',
      'i9aeUg',
      'i9aeUg=',
      'i9aeUg===',
      'i9ae Ug=',
      ' i9aeUg==',
      'i9aeUg==\n',
      'i9a-Ug==',
      'i9a_Ug==',
      'i9ae!g==',
      'i9aeUh==',
      '=i9aeUg=',
    ]) {
      expect(isValidChecksumValue('CRC32', bad), JSON.stringify(bad)).toBe(false);
    }
  });

  it('rejects an unknown algorithm instead of throwing', () => {
    expect(isValidChecksumValue('SHA384' as ChecksumAlgorithm, 'AAAAAA==')).toBe(false);
  });
});

describe('XXHASH checksums', () => {
  it('keep their own state while sharing one WebAssembly hasher', () => {
    const data = randomBytes(prng(3), 300_000);
    const a = createChecksum('XXHASH3');
    const b = createChecksum('XXHASH3');
    const c = createChecksum('XXHASH128');
    // Interleaved updates of three streams, in 10,000-byte pieces, two of one algorithm.
    for (let at = 0; at < data.length; at += 10_000) {
      a.update(data.subarray(at, at + 10_000));
      b.update(data.subarray(0, 0));
      c.update(data.subarray(at, at + 10_000));
    }
    expect(a.digest().equals(checksumBytes('XXHASH3', data))).toBe(true);
    expect(b.digest().equals(checksumBytes('XXHASH3', new Uint8Array(0)))).toBe(true);
    expect(c.digest().equals(checksumBytes('XXHASH128', data))).toBe(true);
  });

  it('gives the published vectors of "abc" and of no bytes', () => {
    expect(checksumBytes('XXHASH64', Buffer.from('abc')).toString('hex')).toBe('44bc2cf5ad770999');
    expect(checksumBytes('XXHASH3', Buffer.from('abc')).toString('hex')).toBe('78af5f94892f3950');
    expect(checksumBytes('XXHASH128', Buffer.alloc(0)).toString('hex')).toBe(
      '99aa06d3014798d86001c324468d497f',
    );
  });
});
