/**
 * One streaming interface over the ten S3 checksum algorithms, so the write path can
 * hash each chunk once per requested algorithm without caring which one it is.
 */
import { createHash, type Hash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { ChecksumAlgorithm } from '../types.js';
import { crc32c } from './crc32c.js';
import { CRC64_INIT, crc64ToBytes, crc64nvmeUpdate, type Crc64State } from './crc64nvme.js';
import { XxhashChecksum } from './xxhash.js';

/** A checksum fed chunk by chunk. */
export interface IncrementalChecksum {
  /** Adds the next bytes. */
  update(chunk: Uint8Array): void;
  /** Raw big-endian digest of everything added so far (S3 base64-encodes these bytes). */
  digest(): Buffer<ArrayBuffer>;
}

/**
 * Every algorithm S3 accepts in `x-amz-checksum-<alg>`: the five of 2022–2024, then the
 * five S3 added in 2025 (the XXHASH ones need {@link loadXxhash} to have finished).
 */
export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = Object.freeze([
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

/** Digest length in bytes of each algorithm. */
export const CHECKSUM_BYTES: Readonly<Record<ChecksumAlgorithm, number>> = Object.freeze({
  CRC32: 4,
  CRC32C: 4,
  CRC64NVME: 8,
  SHA1: 20,
  SHA256: 32,
  SHA512: 64,
  MD5: 16,
  XXHASH64: 8,
  XXHASH3: 8,
  XXHASH128: 16,
});

/**
 * True when `s` names a checksum algorithm. Case-sensitive: S3 spells them upper case in
 * `x-amz-checksum-algorithm`, so callers upper-case header suffixes first.
 */
export function isChecksumAlgorithm(s: string): s is ChecksumAlgorithm {
  return Object.hasOwn(CHECKSUM_BYTES, s);
}

/** Big-endian bytes of a 32-bit CRC. */
function uint32Bytes(value: number): Buffer<ArrayBuffer> {
  const out = Buffer.allocUnsafe(4);
  out.writeUInt32BE(value >>> 0, 0);
  return out;
}

/** Adapts a 32-bit CRC function in zlib's `(data, previous) => next` style. */
class Crc32Checksum implements IncrementalChecksum {
  private value = 0;

  constructor(private readonly fn: (data: Uint8Array, value: number) => number) {}

  update(chunk: Uint8Array): void {
    this.value = this.fn(chunk, this.value);
  }

  digest(): Buffer<ArrayBuffer> {
    return uint32Bytes(this.value);
  }
}

class Crc64NvmeChecksum implements IncrementalChecksum {
  private state: Crc64State = CRC64_INIT;

  update(chunk: Uint8Array): void {
    this.state = crc64nvmeUpdate(this.state, chunk);
  }

  digest(): Buffer<ArrayBuffer> {
    return crc64ToBytes(this.state);
  }
}

/**
 * Wraps a node:crypto hash. Unlike a raw `Hash`, digest() may be called more than once
 * (it digests a copy), matching the CRC adapters, which never finalise.
 */
class CryptoChecksum implements IncrementalChecksum {
  private readonly hash: Hash;

  constructor(name: string) {
    this.hash = createHash(name);
  }

  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
  }

  digest(): Buffer<ArrayBuffer> {
    return this.hash.copy().digest();
  }
}

/** zlib.crc32 takes any ArrayBufferView; narrowed here to the adapter's signature. */
const zlibCrc32 = (data: Uint8Array, value: number): number => crc32(data, value);

/**
 * Starts an incremental checksum of `alg`. digest() may be called at any point, and
 * again after more updates.
 *
 * @example
 * const c = createChecksum('CRC32C');
 * c.update(Buffer.from('1234'));
 * c.update(Buffer.from('56789'));
 * c.digest().toString('hex'); // 'e3069283'
 */
export function createChecksum(alg: ChecksumAlgorithm): IncrementalChecksum {
  switch (alg) {
    case 'CRC32':
      return new Crc32Checksum(zlibCrc32);
    case 'CRC32C':
      return new Crc32Checksum(crc32c);
    case 'CRC64NVME':
      return new Crc64NvmeChecksum();
    case 'SHA1':
      return new CryptoChecksum('sha1');
    case 'SHA256':
      return new CryptoChecksum('sha256');
    case 'SHA512':
      return new CryptoChecksum('sha512');
    case 'MD5':
      return new CryptoChecksum('md5');
    case 'XXHASH64':
    case 'XXHASH3':
    case 'XXHASH128':
      return new XxhashChecksum(alg);
  }
}

/** Raw big-endian digest of `data` in one call. */
export function checksumBytes(alg: ChecksumAlgorithm, data: Uint8Array): Buffer<ArrayBuffer> {
  const c = createChecksum(alg);
  c.update(data);
  return c.digest();
}

/**
 * Base64 checksum of `data`, exactly as S3 sends it in `x-amz-checksum-<alg>`.
 *
 * @example
 * checksumBase64('CRC32', Buffer.from('123456789')); // 'y/Q5Jg=='
 */
export function checksumBase64(alg: ChecksumAlgorithm, data: Uint8Array): string {
  return checksumBytes(alg, data).toString('base64');
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * True when `base64` is the canonical base64 of exactly one `alg` digest. Canonical
 * means padded and with zero trailing bits: the engine compares checksums as strings
 * against `Buffer#toString('base64')`, so a value that decodes to the right bytes but is
 * spelled differently would otherwise fail later as a mismatch rather than as malformed.
 */
export function isValidChecksumValue(alg: ChecksumAlgorithm, base64: string): boolean {
  const bytes = CHECKSUM_BYTES[alg];
  if ((bytes as number | undefined) === undefined) return false;
  if (base64.length !== Math.ceil(bytes / 3) * 4 || !BASE64.test(base64)) return false;
  const decoded = Buffer.from(base64, 'base64');
  return decoded.length === bytes && decoded.toString('base64') === base64;
}
