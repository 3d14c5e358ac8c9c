import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openRequestBody } from './request-body.js';
import type { AuthResult, PayloadMode } from './types.js';

async function* source(...parts: string[]): AsyncGenerator<Buffer> {
  for (const part of parts) yield Buffer.from(part);
}

async function text(body: AsyncIterable<Buffer>): Promise<string> {
  let out = '';
  for await (const piece of body) out += piece.toString();
  return out;
}

function signedWith(payload: PayloadMode): AuthResult {
  return {
    kind: 'signed',
    accessKeyId: 'AK',
    via: 'header',
    payload,
    signingContext: {
      signingKey: Buffer.alloc(32),
      scope: '20260115/us-east-1/s3/aws4_request',
      amzDate: '20260115T000000Z',
      seedSignature: '0'.repeat(64),
    },
  };
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe('openRequestBody', () => {
  it('passes an unsigned payload through, with no trailers', async () => {
    const { body, trailers } = openRequestBody(
      source('he', 'llo'),
      signedWith({ type: 'unsigned' }),
      {},
    );
    expect(await text(body)).toBe('hello');
    expect(await trailers).toEqual({});
  });

  it('verifies a signed SHA-256', async () => {
    const ok = openRequestBody(
      source('hello'),
      signedWith({ type: 'sha256', hex: sha256('hello') }),
      {},
    );
    expect(await text(ok.body)).toBe('hello');
    const bad = openRequestBody(
      source('hellO'),
      signedWith({ type: 'sha256', hex: sha256('hello') }),
      {},
    );
    await expect(text(bad.body)).rejects.toMatchObject({ code: 'E_CONTENT_SHA256_MISMATCH' });
  });

  it('hands the check of a signed SHA-256 to the caller only when asked before the first read', async () => {
    const handed = openRequestBody(
      source('hellO'),
      signedWith({ type: 'sha256', hex: sha256('hello') }),
      // A presigned URL signs its hash in the query; a header beside it is not signed.
      { 'x-amz-content-sha256': sha256('hellO') },
    );
    // The signed value, for the engine to compare; the bytes pass unchecked.
    expect(handed.deferSha256!()).toBe(sha256('hello'));
    expect(await text(handed.body)).toBe('hellO');

    const kept = openRequestBody(
      source('hel', 'lO'),
      signedWith({ type: 'sha256', hex: sha256('hello') }),
      {},
    );
    const it = kept.body[Symbol.asyncIterator]();
    await it.next();
    // Too late: the body is already being checked, and stays so.
    expect(() => kept.deferSha256!()).toThrow(/after the body was read/);
    await expect(text({ [Symbol.asyncIterator]: () => it })).rejects.toMatchObject({
      code: 'E_CONTENT_SHA256_MISMATCH',
    });
    // Nothing to hand over for other payloads.
    const unsigned = openRequestBody(source('x'), signedWith({ type: 'unsigned' }), {});
    expect(unsigned.deferSha256).toBeUndefined();
  });

  it('decodes aws-chunked with x-amz-decoded-content-length and x-amz-trailer', async () => {
    const headers = {
      'x-amz-decoded-content-length': '5',
      'x-amz-trailer': 'x-amz-checksum-crc32',
    };
    const wire = '5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n';
    const decoded = openRequestBody(
      source(wire),
      signedWith({ type: 'streaming-unsigned-trailer' }),
      headers,
    );
    expect(await text(decoded.body)).toBe('hello');
    expect(await decoded.trailers).toEqual({ 'x-amz-checksum-crc32': 'NhCmhg==' });
    const short = openRequestBody(
      source(wire),
      signedWith({ type: 'streaming-unsigned-trailer' }),
      { ...headers, 'x-amz-decoded-content-length': '6' },
    );
    await expect(text(short.body)).rejects.toMatchObject({ code: 'E_INCOMPLETE_BODY' });
  });

  it('reads an anonymous body by its x-amz-content-sha256, but not a signed stream', async () => {
    const anonymous: AuthResult = { kind: 'anonymous' };
    expect(await text(openRequestBody(source('hi'), anonymous, {}).body)).toBe('hi');
    const hashed = openRequestBody(source('hi'), anonymous, {
      'x-amz-content-sha256': sha256('ho'),
    });
    await expect(text(hashed.body)).rejects.toMatchObject({ code: 'E_CONTENT_SHA256_MISMATCH' });
    const chunked = openRequestBody(source('2\r\nhi\r\n0\r\n\r\n'), anonymous, {
      'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
    });
    expect(await text(chunked.body)).toBe('hi');
    expect(() =>
      openRequestBody(source(''), anonymous, {
        'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
      }),
    ).toThrow(expect.objectContaining({ code: 'E_INVALID_REQUEST' }));
  });

  it('refuses a malformed x-amz-decoded-content-length as a length not given (S3: 411)', () => {
    for (const value of ['-1', 'five', '1e3', '99999999999999999']) {
      expect(() =>
        openRequestBody(source(''), signedWith({ type: 'streaming-unsigned-trailer' }), {
          'x-amz-decoded-content-length': value,
        }),
      ).toThrow(
        expect.objectContaining({
          code: 'E_MISSING_CONTENT_LENGTH',
          s3Code: 'MissingContentLength',
        }),
      );
    }
  });
});
