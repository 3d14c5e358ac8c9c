/**
 * Bodies read whole before they are used: configuration documents, DeleteObjects,
 * CompleteMultipartUpload, tagging and restore requests. Like an object's, such a body is
 * checked against the Content-MD5 and x-amz-checksum-* the client sent before it is
 * used, so a document damaged on the way is refused (BadDigest), never stored.
 */
import { createHash } from 'node:crypto';
import { checksumBase64 } from '../engine/checksums/index.js';
import { assertChecksumValues, assertContentMd5 } from '../engine/objects/input.js';
import type { ChecksumAlgorithm } from '../engine/types.js';
import { StowageError } from '../errors.js';
import { header, type S3Request } from './context.js';
import { payloadChecksums } from './handlers/object-headers.js';

/**
 * Reads the whole request body (up to `maxBytes`) and checks the digests sent with it.
 * `bodyChecksums: false` leaves the x-amz-checksum-* headers alone: on
 * CompleteMultipartUpload they are the whole object's checksum, not the body's.
 */
export async function readSmallBody(
  r: S3Request,
  maxBytes = 2 * 1024 * 1024,
  { bodyChecksums = true }: { bodyChecksums?: boolean } = {},
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of r.body) {
    n += c.byteLength;
    if (n > maxBytes)
      throw new StowageError(
        'E_MALFORMED_XML',
        `the request body is larger than ${maxBytes} bytes`,
      );
    chunks.push(Buffer.from(c));
  }
  const body = Buffer.concat(chunks);
  await verifyDigests(r, body, bodyChecksums);
  return body;
}

async function verifyDigests(r: S3Request, body: Buffer, checksums: boolean): Promise<void> {
  const md5 = header(r, 'content-md5');
  if (md5 !== undefined) {
    assertContentMd5(md5);
    if (createHash('md5').update(body).digest('base64') !== md5.trim()) {
      throw new StowageError(
        'E_BAD_DIGEST',
        'the Content-MD5 you specified did not match what was received',
      );
    }
  }
  if (!checksums) return;
  const sent = await payloadChecksums(r);
  assertChecksumValues(sent);
  for (const [alg, value] of Object.entries(sent) as Array<
    [ChecksumAlgorithm, string | undefined]
  >) {
    if (value !== undefined && checksumBase64(alg, body) !== value) {
      throw new StowageError(
        'E_CHECKSUM_MISMATCH',
        `the ${alg} you specified did not match the calculated checksum`,
        { details: { algorithm: alg } },
      );
    }
  }
}
