/**
 * Bodies read whole before they are used: configuration documents, DeleteObjects,
 * CompleteMultipartUpload, tagging and restore requests. Like an object's, such a body is
 * checked against the Content-MD5 and x-amz-checksum-* the client sent before it is
 * used, so a document damaged on the way is refused (BadDigest), never stored.
 */
import { createHash } from 'node:crypto';
import { StreamMemory } from '../engine/blobs/stream-memory.js';
import { checksumBytes } from '../engine/checksums/index.js';
import { assertChecksumValues, assertContentMd5, verifyDigests } from '../engine/objects/input.js';
import type { ChecksumAlgorithm } from '../engine/types.js';
import { isBodyAbort, StowageError } from '../errors.js';
import { header, type S3Request } from './context.js';
import { checksumsFrom, payloadChecksums } from './handlers/object-headers.js';

/**
 * For the operations S3 takes only with an integrity check of the body (some bucket
 * documents, object retention and legal hold): a Content-MD5 or an x-amz-checksum-*
 * (header or trailer). Without either S3 answers 400 InvalidRequest.
 */
export function requireBodyChecksum(r: S3Request): void {
  if (header(r, 'content-md5') !== undefined || r.trailerAlgorithms.length > 0) return;
  if (Object.keys(checksumsFrom(r)).length > 0) return;
  throw new StowageError(
    'E_INVALID_REQUEST',
    'Missing required header for this request: Content-MD5 OR x-amz-checksum-*',
  );
}

/**
 * Bytes of request documents being received at once, across every request of this process.
 * Each is read whole (up to 2 MiB for a DeleteObjects), and a client that sends most of one
 * and stops holds it until the idle timeout: with no other bound than the connection cap,
 * 4096 such requests could hold 8 GiB. Past this budget a request is answered `503
 * SlowDown`, which S3 clients retry, and nothing is done.
 */
export const DOCUMENT_MEMORY_BYTES = 64 * 1024 * 1024;
const documentMemory = new StreamMemory(DOCUMENT_MEMORY_BYTES);

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
  let held = 0;
  try {
    for await (const c of r.body) {
      n += c.byteLength;
      if (n > maxBytes)
        throw new StowageError(
          'E_MALFORMED_XML',
          `the request body is larger than ${maxBytes} bytes`,
        );
      if (!documentMemory.tryTake(c.byteLength)) {
        throw new StowageError(
          'E_DOCUMENT_MEMORY_FULL',
          `Please reduce your request rate: the server is receiving ${DOCUMENT_MEMORY_BYTES / 1024 / 1024} MiB of request documents at once, as many as it holds in memory`,
        );
      }
      held += c.byteLength;
      chunks.push(Buffer.from(c));
    }
  } catch (err) {
    // A client gone mid-body is an incomplete body (logged as the client's), as for a
    // PutObject; it was an InternalError here.
    if (!(err instanceof StowageError) && isBodyAbort(err)) {
      throw new StowageError(
        'E_INCOMPLETE_BODY',
        'the request body ended before its declared length (the client went away)',
        { cause: err },
      );
    }
    throw err;
  } finally {
    documentMemory.give(held);
  }
  const body = Buffer.concat(chunks);
  await checkDigests(r, body, bodyChecksums);
  return body;
}

/**
 * The engine's own check of a body's digests (verifyDigests), fed with the digests of
 * this body: its MD5 and the checksums the client named.
 */
async function checkDigests(r: S3Request, body: Buffer, bodyChecksums: boolean): Promise<void> {
  const md5 = header(r, 'content-md5');
  if (md5 !== undefined) assertContentMd5(md5);
  const sent = bodyChecksums ? await payloadChecksums(r) : undefined;
  if (sent) assertChecksumValues(sent);
  const checksums: Partial<Record<ChecksumAlgorithm, Buffer>> = {};
  for (const alg of Object.keys(sent ?? {}) as ChecksumAlgorithm[]) {
    checksums[alg] = checksumBytes(alg, body);
  }
  const digests = { md5: createHash('md5').update(body).digest(), checksums };
  await verifyDigests(digests, md5, sent);
}
