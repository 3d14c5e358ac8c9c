/**
 * CRC-64/NVME, the `x-amz-checksum-crc64nvme` algorithm (reflected, init and xorout all
 * ones). JavaScript has no 64-bit integers short of BigInt, which allocates and is far
 * too slow per byte, so the register is kept as two uint32 halves and the slicing tables
 * hold each 64-bit entry as a (low, high) pair.
 */

/** Low and high halves of the reflected polynomial 0x9A6C9329AC4BC9B5. */
const POLY_LO = 0xac4bc9b5;
const POLY_HI = 0x9a6c9329;

/** Bytes consumed per step of the main loop: one 64-bit register's worth. */
const SLICES = 8;

/**
 * `TABLE[2 * (k * 256 + b)]` and `TABLE[2 * (k * 256 + b) + 1]` are the low and high
 * halves of the register contribution of byte `b` followed by `k` zero bytes. The halves
 * sit next to each other so one lookup touches one cache line.
 */
const TABLE = buildTable();

function buildTable(): Uint32Array {
  const t = new Uint32Array(2 * 256 * SLICES);
  for (let b = 0; b < 256; b++) {
    let lo = b;
    let hi = 0;
    for (let i = 0; i < 8; i++) {
      const carry = lo & 1;
      lo = (lo >>> 1) | ((hi & 1) << 31);
      hi >>>= 1;
      if (carry) {
        lo ^= POLY_LO;
        hi ^= POLY_HI;
      }
    }
    t[2 * b] = lo >>> 0;
    t[2 * b + 1] = hi >>> 0;
  }
  for (let k = 1; k < SLICES; k++) {
    for (let b = 0; b < 256; b++) {
      const p = 2 * ((k - 1) * 256 + b);
      const lo = t[p]!;
      const hi = t[p + 1]!;
      const q = 2 * (lo & 0xff);
      t[2 * (k * 256 + b)] = t[q]! ^ ((lo >>> 8) | (hi << 24));
      t[2 * (k * 256 + b) + 1] = t[q + 1]! ^ (hi >>> 8);
    }
  }
  return t;
}

/** See crc32c.ts: word reads are only valid where the first byte is the low one. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * The CRC-64/NVME register between chunks, as `[low, high]` uint32 halves of the final
 * (xored-out) value. Callers treat it as opaque and pass it back in.
 */
export type Crc64State = readonly [lo: number, hi: number];

/** State to start a new CRC-64/NVME with: the CRC of no bytes, which is 0. */
export const CRC64_INIT: Crc64State = [0, 0];

/**
 * Continues a CRC-64/NVME over `data`. Like `zlib.crc32`, the state in and out is the
 * finished CRC of everything so far, so chunks can be fed one after another.
 */
export function crc64nvmeUpdate(state: Crc64State, data: Uint8Array): Crc64State {
  const t = TABLE;
  let lo = ~state[0] >>> 0;
  let hi = ~state[1] >>> 0;
  let i = 0;
  const end = data.length;

  if (LITTLE_ENDIAN && end >= 64) {
    // Uint32Array views must start on a 4-byte boundary of the underlying buffer.
    while ((data.byteOffset + i) & 3) {
      const q = 2 * ((lo ^ data[i++]!) & 0xff);
      lo = t[q]! ^ ((lo >>> 8) | (hi << 24));
      hi = t[q + 1]! ^ (hi >>> 8);
    }
    const words = ((end - i) >>> 3) << 1;
    const w = new Uint32Array(data.buffer, data.byteOffset + i, words);
    for (let j = 0; j < words; j += 2) {
      const a = w[j]! ^ lo;
      const b = w[j + 1]! ^ hi;
      // Offsets are 2 * 256 * k: table k starts at k * 0x200.
      const q7 = 0x0e00 | ((a & 0xff) << 1);
      const q6 = 0x0c00 | ((a >>> 7) & 0x1fe);
      const q5 = 0x0a00 | ((a >>> 15) & 0x1fe);
      const q4 = 0x0800 | ((a >>> 23) & 0x1fe);
      const q3 = 0x0600 | ((b & 0xff) << 1);
      const q2 = 0x0400 | ((b >>> 7) & 0x1fe);
      const q1 = 0x0200 | ((b >>> 15) & 0x1fe);
      const q0 = (b >>> 23) & 0x1fe;
      lo = t[q7]! ^ t[q6]! ^ t[q5]! ^ t[q4]! ^ t[q3]! ^ t[q2]! ^ t[q1]! ^ t[q0]!;
      hi =
        t[q7 + 1]! ^
        t[q6 + 1]! ^
        t[q5 + 1]! ^
        t[q4 + 1]! ^
        t[q3 + 1]! ^
        t[q2 + 1]! ^
        t[q1 + 1]! ^
        t[q0 + 1]!;
    }
    i += words << 2;
  }

  while (i < end) {
    const q = 2 * ((lo ^ data[i++]!) & 0xff);
    lo = t[q]! ^ ((lo >>> 8) | (hi << 24));
    hi = t[q + 1]! ^ (hi >>> 8);
  }
  return [~lo >>> 0, ~hi >>> 0];
}

/** Big-endian bytes of a CRC-64/NVME state, as S3 base64-encodes them. */
export function crc64ToBytes(state: Crc64State): Buffer<ArrayBuffer> {
  const out = Buffer.allocUnsafe(8);
  out.writeUInt32BE(state[1], 0);
  out.writeUInt32BE(state[0], 4);
  return out;
}

/**
 * One-shot CRC-64/NVME of `data` as a bigint (for tests and diagnostics; the streaming
 * path uses {@link crc64nvmeUpdate} and never builds a bigint).
 *
 * @example
 * crc64nvme(Buffer.from('123456789')); // 0xae8b14860a799888n
 */
export function crc64nvme(data: Uint8Array): bigint {
  const [lo, hi] = crc64nvmeUpdate(CRC64_INIT, data);
  return (BigInt(hi) << 32n) | BigInt(lo);
}
