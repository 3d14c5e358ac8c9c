import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyPayloadSha256 } from './payload-hash.js';

async function* pieces(data: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield new Uint8Array(data.subarray(i, i + size));
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('verifyPayloadSha256', () => {
  const data = randomBytes(100_000);

  it('passes the body through when its SHA-256 is the signed one (any hex case)', async () => {
    for (const expected of [sha256(data), sha256(data).toUpperCase()]) {
      const parts: Buffer[] = [];
      for await (const piece of verifyPayloadSha256(pieces(data, 4096), expected)) {
        expect(Buffer.isBuffer(piece)).toBe(true);
        parts.push(piece);
      }
      expect(Buffer.concat(parts).equals(data)).toBe(true);
    }
  });

  it('accepts an empty body with the SHA-256 of nothing', async () => {
    const parts: Buffer[] = [];
    for await (const piece of verifyPayloadSha256(
      pieces(Buffer.alloc(0), 1),
      sha256(Buffer.alloc(0)),
    )) {
      parts.push(piece);
    }
    expect(parts).toEqual([]);
  });

  it('throws XAmzContentSHA256Mismatch before handing out the last byte', async () => {
    const tampered = Buffer.from(data);
    tampered[99_999] = (tampered[99_999] ?? 0) ^ 1;
    let received = 0;
    const run = async () => {
      for await (const piece of verifyPayloadSha256(pieces(tampered, 4096), sha256(data))) {
        received += piece.length;
      }
    };
    await expect(run()).rejects.toMatchObject({
      code: 'E_CONTENT_SHA256_MISMATCH',
      httpStatus: 400,
      s3Code: 'XAmzContentSHA256Mismatch',
      details: {
        clientComputedContentSHA256: sha256(data),
        s3ComputedContentSHA256: sha256(tampered),
      },
    });
    expect(received).toBeLessThan(data.length);
  });

  it('fails an empty body against the hash of a non-empty one', async () => {
    const run = async () => {
      for await (const piece of verifyPayloadSha256(pieces(Buffer.alloc(0), 1), sha256(data))) {
        expect(piece).toBeUndefined();
      }
    };
    await expect(run()).rejects.toMatchObject({ code: 'E_CONTENT_SHA256_MISMATCH' });
  });
});
