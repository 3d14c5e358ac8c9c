import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { isStowageError } from '../../errors.js';
import { openRequestBody } from './request-body.js';
import { authenticateRequest } from './sigv4.js';

/**
 * Requests recorded from botocore (the engine of aws-cli and boto3) by
 * test/fixtures/sigv4/botocore-vectors.py: header-signed PutObject (SHA-256 payloads over
 * http, aws-chunked with a CRC32 trailer over https), HeadObject, ListObjectsV2 and
 * presigned URLs, for keys full of reserved and unicode characters.
 */
interface Vectors {
  botocore: string;
  accessKeyId: string;
  secretAccessKey: string;
  nowMs: number;
  requests: {
    kind: 'header' | 'query' | 'sigv2-query';
    method: string;
    rawPath: string;
    rawQuery: string;
    headers: Record<string, string>;
    bodyBase64: string;
  }[];
}

const vectors = JSON.parse(
  readFileSync(
    new URL('../../../test/fixtures/sigv4/botocore-vectors.json', import.meta.url),
    'utf8',
  ),
) as Vectors;
const signed = vectors.requests.filter((r) => r.kind !== 'sigv2-query');
const lookup = (id: string) =>
  id === vectors.accessKeyId ? { secretAccessKey: vectors.secretAccessKey } : undefined;

async function* once(data: Buffer): AsyncGenerator<Buffer> {
  yield data;
}

describe(`requests signed by botocore ${vectors.botocore}`, () => {
  it('has header-signed, aws-chunked and presigned requests to check', () => {
    const modes = new Set(vectors.requests.map((r) => r.headers['x-amz-content-sha256'] ?? r.kind));
    expect(modes).toContain('STREAMING-UNSIGNED-PAYLOAD-TRAILER');
    expect(modes).toContain('query');
    expect(vectors.requests.length).toBeGreaterThan(100);
  });

  it('authenticates every one, and its body verifies', async () => {
    for (const r of signed) {
      const label = `${r.method} ${r.rawPath}?${r.rawQuery.slice(0, 80)}`;
      const auth = authenticateRequest(r, lookup, vectors.nowMs, { region: 'us-east-1' });
      expect(auth, label).toMatchObject({ kind: 'signed', via: r.kind });
      const data = Buffer.from(r.bodyBase64, 'base64');
      const { body, trailers } = openRequestBody(once(data), auth, r.headers);
      const parts: Buffer[] = [];
      for await (const piece of body) parts.push(piece);
      const decoded = Buffer.concat(parts);
      const received = await trailers;
      if (r.headers['x-amz-trailer']) {
        const crc = Buffer.alloc(4);
        crc.writeUInt32BE(crc32(decoded) >>> 0);
        expect(received, label).toEqual({ 'x-amz-checksum-crc32': crc.toString('base64') });
        expect(decoded.length, label).toBe(Number(r.headers['x-amz-decoded-content-length']));
      } else {
        expect(decoded.equals(data), label).toBe(true);
      }
    }
  });

  it('refuses the SigV2 URL botocore presigns by default, saying why', () => {
    const sigv2 = vectors.requests.find((r) => r.kind === 'sigv2-query');
    expect(sigv2?.rawQuery).toContain('AWSAccessKeyId=');
    expect(() => authenticateRequest(sigv2!, lookup, vectors.nowMs)).toThrow(
      expect.objectContaining({
        code: 'E_INVALID_REQUEST',
        message: expect.stringMatching(/Signature Version 2/),
      }),
    );
  });

  it('refuses every one once a byte of its signature changes', () => {
    for (const r of signed) {
      const tampered =
        r.kind === 'header'
          ? {
              ...r,
              headers: {
                ...r.headers,
                authorization: (r.headers.authorization ?? '').replace(/.$/, (c) =>
                  c === '0' ? '1' : '0',
                ),
              },
            }
          : {
              ...r,
              rawQuery: r.rawQuery.replace(
                /(X-Amz-Signature=)(.)/,
                (_, p, c) => p + (c === '0' ? '1' : '0'),
              ),
            };
      try {
        authenticateRequest(tampered, lookup, vectors.nowMs);
        expect.unreachable(`${r.method} ${r.rawPath} was accepted`);
      } catch (error) {
        expect(isStowageError(error, 'E_SIGNATURE_DOES_NOT_MATCH'), String(error)).toBe(true);
      }
    }
  });
});
