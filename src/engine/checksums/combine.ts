/**
 * Multipart checksums. CompleteMultipartUpload must answer with a whole-object checksum
 * without re-reading the parts: COMPOSITE objects hash the part digests, FULL_OBJECT
 * objects combine the part CRCs arithmetically (as zlib's crc32_combine does).
 */
import { StowageError } from '../../errors.js';
import type { ChecksumAlgorithm } from '../types.js';
import { CHECKSUM_BYTES, checksumBase64 } from './hasher.js';

/** The algorithms that can be combined, and so the only ones valid for FULL_OBJECT. */
export type CrcAlgorithm = 'CRC32' | 'CRC32C' | 'CRC64NVME';

/** True for the CRC algorithms, which {@link combineCrc} supports. */
export function isCrcAlgorithm(alg: ChecksumAlgorithm): alg is CrcAlgorithm {
  return alg === 'CRC32' || alg === 'CRC32C' || alg === 'CRC64NVME';
}

/**
 * S3's COMPOSITE multipart checksum: the `alg` checksum of the concatenated raw part
 * digests, base64, then `-<number of parts>`.
 *
 * @example
 * compositeChecksum('CRC32C', [d1, d2, d3]); // base64(CRC32C(d1 || d2 || d3)) + '-3'
 */
export function compositeChecksum(alg: ChecksumAlgorithm, partDigests: readonly Buffer[]): string {
  const bytes = CHECKSUM_BYTES[alg];
  for (const [i, d] of partDigests.entries()) {
    if (d.length !== bytes) {
      throw new StowageError(
        'E_INTERNAL',
        `part digest ${i + 1} has ${d.length} bytes, not the ${bytes} of ${alg}`,
      );
    }
  }
  return `${checksumBase64(alg, Buffer.concat(partDigests))}-${partDigests.length}`;
}

/**
 * A 64-bit value as `[high, low]` uint32 halves. For the 32-bit CRCs `high` stays 0, so
 * one implementation serves all three without BigInt.
 */
type Pair = readonly [hi: number, lo: number];

/**
 * Polynomial arithmetic modulo a CRC polynomial, in the CRC's reflected bit order: the
 * top bit of the register is the x^0 coefficient and shifting right multiplies by x.
 */
interface Field {
  bits: 32 | 64;
  poly: Pair;
  /** `powers[k]` is x^(2^k) mod P, filled in on first use. */
  powers: Pair[];
}

const FIELDS: Record<CrcAlgorithm, Field> = {
  CRC32: { bits: 32, poly: [0, 0xedb88320], powers: [] },
  CRC32C: { bits: 32, poly: [0, 0x82f63b78], powers: [] },
  CRC64NVME: { bits: 64, poly: [0x9a6c9329, 0xac4bc9b5], powers: [] },
};

/** a * b mod P: zlib's multmodp, over the register's 32 or 64 bits. */
function multiply(f: Field, a: Pair, b: Pair): Pair {
  let [bh, bl] = b;
  let ph = 0;
  let pl = 0;
  const words = f.bits === 64 ? [a[0], a[1]] : [a[1]];
  for (const word of words) {
    for (let m = 0x80000000; m !== 0; m >>>= 1) {
      if (word & m) {
        ph ^= bh;
        pl ^= bl;
      }
      const carry = bl & 1;
      bl = (bl >>> 1) | (bh << 31);
      bh >>>= 1;
      if (carry) {
        bh ^= f.poly[0];
        bl ^= f.poly[1];
      }
    }
  }
  return [ph >>> 0, pl >>> 0];
}

/** The polynomial 1 (x^0), i.e. the register's top bit. */
function one(f: Field): Pair {
  return f.bits === 64 ? [0x80000000, 0] : [0, 0x80000000];
}

/** x^(2^k) mod P, squaring the previous power as needed. */
function power(f: Field, k: number): Pair {
  if (f.powers.length === 0) f.powers.push(f.bits === 64 ? [0x40000000, 0] : [0, 0x40000000]);
  while (f.powers.length <= k) {
    const prev = f.powers[f.powers.length - 1]!;
    f.powers.push(multiply(f, prev, prev));
  }
  return f.powers[k]!;
}

/**
 * x^(8 * bytes) mod P: the operator that advances a CRC over `bytes` zero bytes. Walks
 * the bits of `bytes` (square and multiply), so 5 GiB costs ~33 multiplications.
 */
function xPow8n(f: Field, bytes: number): Pair {
  let p = one(f);
  // Start at x^(2^3) = x^8: one byte.
  let k = 3;
  for (let n = bytes; n > 0; n = Math.floor(n / 2), k++) {
    if (n % 2 === 1) p = multiply(f, power(f, k), p);
  }
  return p;
}

function toPair(f: Field, alg: CrcAlgorithm, crc: Buffer, name: string): Pair {
  const bytes = f.bits / 8;
  if (crc.length !== bytes) {
    throw new StowageError(
      'E_INTERNAL',
      `${name} has ${crc.length} bytes, not the ${bytes} of ${alg}`,
    );
  }
  return f.bits === 64 ? [crc.readUInt32BE(0), crc.readUInt32BE(4)] : [0, crc.readUInt32BE(0)];
}

function fromPair(f: Field, p: Pair): Buffer<ArrayBuffer> {
  const out = Buffer.allocUnsafe(f.bits / 8);
  if (f.bits === 64) {
    out.writeUInt32BE(p[0], 0);
    out.writeUInt32BE(p[1], 4);
  } else {
    out.writeUInt32BE(p[1], 0);
  }
  return out;
}

/**
 * The CRC of A||B from crc(A), crc(B) and the length of B, all CRCs as raw big-endian
 * digests. This works because all three CRCs use the same all-ones init and xorout:
 * their effects cancel, leaving crc(A) * x^(8|B|) + crc(B) mod P.
 *
 * @example
 * const ab = combineCrc('CRC32', checksumBytes('CRC32', a), checksumBytes('CRC32', b), b.length);
 * // ab equals checksumBytes('CRC32', Buffer.concat([a, b]))
 */
export function combineCrc(
  alg: CrcAlgorithm,
  crcA: Buffer,
  crcB: Buffer,
  lengthB: number,
): Buffer<ArrayBuffer> {
  const f = FIELDS[alg];
  if ((f as Field | undefined) === undefined) {
    throw new StowageError('E_INTERNAL', `${String(alg)} is not a combinable CRC algorithm`);
  }
  if (!Number.isSafeInteger(lengthB) || lengthB < 0) {
    throw new StowageError('E_INTERNAL', `cannot combine a CRC over ${lengthB} bytes`);
  }
  const a = toPair(f, alg, crcA, 'crcA');
  const b = toPair(f, alg, crcB, 'crcB');
  const shifted = multiply(f, xPow8n(f, lengthB), a);
  return fromPair(f, [(shifted[0] ^ b[0]) >>> 0, (shifted[1] ^ b[1]) >>> 0]);
}

/**
 * The FULL_OBJECT CRC of a multipart object: its parts' CRCs folded with
 * {@link combineCrc}, in part order. No parts means the CRC of no bytes.
 */
export function combineCrcs(
  alg: CrcAlgorithm,
  parts: readonly { crc: Buffer; size: number }[],
): Buffer<ArrayBuffer> {
  let crc = fromPair(FIELDS[alg], [0, 0]);
  for (const p of parts) crc = combineCrc(alg, crc, p.crc, p.size);
  return crc;
}
