/**
 * Decoding of `aws-chunked` bodies (AWS S3 "Signature calculations for the Authorization
 * header: transferring payload in multiple chunks" and "... including trailing headers"):
 *
 * ```
 * <hex size>[;chunk-signature=<sig>]\r\n<data>\r\n     one per chunk
 * 0[;chunk-signature=<sig>]\r\n                        the final, empty chunk
 * [<name>:<value>\r\n ...]                             trailers (trailer modes)
 * [x-amz-trailer-signature:<sig>\r\n]                  (signed-trailer mode)
 * \r\n
 * ```
 */
import { createHash, type Hash } from 'node:crypto';
import { StowageError } from '../../errors.js';
import { ByteReader } from './byte-reader.js';
import { releaseLastAfterEnd } from './pieces.js';
import {
  buildStringToSign,
  EMPTY_SHA256,
  sha256Hex,
  sign,
  signaturesEqual,
} from '../../sigv4/signing-key.js';
import type { SigningContext, StreamingMode } from './types.js';

/** How to decode one aws-chunked body. */
export interface AwsChunkedOptions {
  /** The payload mode from `x-amz-content-sha256`. */
  mode: StreamingMode;
  /** Required for the signed modes: the chunk signatures chain from its seed signature. */
  signing?: SigningContext;
  /** `x-amz-decoded-content-length`: the decoded size must be exactly this. */
  decodedLength?: number;
  /** Names from `x-amz-trailer`: every one must arrive, and no other. */
  trailerNames?: string[];
}

/** A decoded body and, once it has been read to the end, its trailers. */
export interface DecodedBody {
  /** The payload. Throws a StowageError on any violation, before its last byte. */
  body: AsyncGenerator<Buffer>;
  /**
   * Trailers by lowercased name (e.g. `x-amz-checksum-crc32`), without the trailer
   * signature. Settles when the body has been decoded; rejects if decoding fails or the
   * body is abandoned. A rejection nobody awaits is handled, so it cannot crash the process.
   */
  trailers: Promise<Record<string, string>>;
}

/** A chunk header is ~90 bytes and a trailer line a name and a base64 checksum. */
const MAX_LINE_BYTES = 4096;
const MAX_TRAILERS = 16;
const SIGNATURE_EXTENSION = 'chunk-signature=';
const TRAILER_SIGNATURE = 'x-amz-trailer-signature';

/**
 * Decodes an aws-chunked body as it streams, verifying every chunk signature and the
 * trailer signature in the signed modes. Memory is bounded whatever the chunk size: data
 * is passed on as views of the incoming pieces, never gathered per chunk. The source is
 * never ended, even on failure, so that the server can still answer with the error.
 *
 * @example
 * const { body, trailers } = decodeAwsChunked(req, {
 *   mode: 'streaming-unsigned-trailer',
 *   decodedLength: 5,
 *   trailerNames: ['x-amz-checksum-crc32'],
 * });
 * for await (const piece of body) blob.write(piece);
 * const { 'x-amz-checksum-crc32': crc } = await trailers;
 */
export function decodeAwsChunked(
  source: AsyncIterable<Uint8Array>,
  options: AwsChunkedOptions,
): DecodedBody {
  if (options.mode !== 'streaming-unsigned-trailer' && !options.signing) {
    throw new StowageError(
      'E_INTERNAL',
      `decodeAwsChunked: ${options.mode} needs the signing context`,
    );
  }
  let resolve!: (trailers: Record<string, string>) => void;
  let reject!: (error: unknown) => void;
  const trailers = new Promise<Record<string, string>>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  trailers.catch(() => {});

  async function* run(): AsyncGenerator<Buffer> {
    let settled = false;
    try {
      resolve(yield* decodeChunks(source, options));
      settled = true;
    } catch (error) {
      reject(error);
      settled = true;
      throw error;
    } finally {
      if (!settled) reject(incomplete('the body was not read to the end'));
    }
  }
  return { body: releaseLastAfterEnd(run()), trailers };
}

function incomplete(problem: string): StowageError {
  return new StowageError('E_INCOMPLETE_BODY', `Incomplete aws-chunked body: ${problem}`);
}

function invalid(problem: string): StowageError {
  return new StowageError('E_INVALID_REQUEST', `Malformed aws-chunked body: ${problem}`);
}

function badSignature(problem: string, details: Record<string, unknown> = {}): StowageError {
  return new StowageError(
    'E_SIGNATURE_DOES_NOT_MATCH',
    `The request signature we calculated does not match the signature you provided: ${problem}`,
    { details },
  );
}

async function* decodeChunks(
  source: AsyncIterable<Uint8Array>,
  options: AwsChunkedOptions,
): AsyncGenerator<Buffer, Record<string, string>> {
  const reader = new ByteReader(source[Symbol.asyncIterator]());
  const signing = options.mode === 'streaming-unsigned-trailer' ? undefined : options.signing;
  let previous = signing?.seedSignature ?? '';
  let total = 0;
  try {
    for (let index = 0; ; index++) {
      const line = await reader.readLine(MAX_LINE_BYTES);
      if (line === 'eof') throw incomplete(`the body ended before the header of chunk ${index}`);
      if (line === 'too-long') {
        throw new StowageError(
          'E_INVALID_CHUNK_SIZE',
          `Malformed aws-chunked body: the header of chunk ${index} is not terminated by CRLF within ${MAX_LINE_BYTES} bytes`,
        );
      }
      const { size, signature } = parseChunkHeader(line.toString('latin1'), index, !!signing);
      if (options.decodedLength !== undefined && total + size > options.decodedLength) {
        throw invalid(
          `the chunks carry more than the ${options.decodedLength} bytes of x-amz-decoded-content-length`,
        );
      }
      const hash = signing ? createHash('sha256') : undefined;
      for (let remaining = size; remaining > 0;) {
        const piece = await reader.readUpTo(remaining);
        if (!piece) throw incomplete(`the body ended inside chunk ${index}`);
        hash?.update(piece);
        remaining -= piece.length;
        yield piece;
      }
      total += size;
      if (signing && hash && signature !== undefined) {
        previous = verifyChunk(signing, previous, signature, hash, index);
      }
      if (size === 0) break;
      const end = await reader.readLine(0);
      if (end === 'eof') throw incomplete(`the body ended after the data of chunk ${index}`);
      if (end === 'too-long') throw invalid(`the data of chunk ${index} is not followed by CRLF`);
    }
    if (options.decodedLength !== undefined && total !== options.decodedLength) {
      throw incomplete(
        `the chunks carry ${total} bytes, x-amz-decoded-content-length says ${options.decodedLength}`,
      );
    }
    const trailers = await readTrailers(reader, options, previous);
    if (!(await reader.atEnd())) throw invalid('data follows the end of the body');
    return trailers;
  } finally {
    reader.release();
  }
}

/** `<hex size>` or `<hex size>;chunk-signature=<sig>`. */
function parseChunkHeader(
  line: string,
  index: number,
  signed: boolean,
): { size: number; signature?: string } {
  const semi = line.indexOf(';');
  const sizeText = semi < 0 ? line : line.slice(0, semi);
  // 13 hex digits stay below 2^53, so parseInt is exact.
  if (!/^[0-9a-fA-F]{1,13}$/.test(sizeText)) {
    throw new StowageError(
      'E_INVALID_CHUNK_SIZE',
      `Malformed aws-chunked body: chunk ${index} has the invalid size "${sizeText.slice(0, 40)}"`,
    );
  }
  const size = parseInt(sizeText, 16);
  const extension = semi < 0 ? undefined : line.slice(semi + 1);
  if (!signed) {
    if (extension !== undefined) {
      throw invalid(`chunk ${index} has an extension, unsigned-trailer chunks have none`);
    }
    return { size };
  }
  if (extension === undefined || !extension.startsWith(SIGNATURE_EXTENSION)) {
    throw badSignature(`chunk ${index} has no chunk-signature`, { chunk: index });
  }
  return { size, signature: extension.slice(SIGNATURE_EXTENSION.length) };
}

/** Checks one chunk signature (AWS "Defining the chunk body"); returns it as the next seed. */
function verifyChunk(
  signing: SigningContext,
  previous: string,
  provided: string,
  hash: Hash,
  index: number,
): string {
  const stringToSign = buildStringToSign(
    'AWS4-HMAC-SHA256-PAYLOAD',
    signing.amzDate,
    signing.scope,
    previous,
    EMPTY_SHA256,
    hash.digest('hex'),
  );
  if (!signaturesEqual(sign(signing.signingKey, stringToSign), provided)) {
    throw badSignature(`the signature of chunk ${index} is wrong`, { chunk: index, stringToSign });
  }
  return provided;
}

/**
 * Reads the trailer section up to its empty line. In the signed-trailer mode its
 * signature covers `name:value\n` for each trailer, in the order sent, and chains from the
 * final chunk's signature (AWS "Signature calculations ... including trailing headers").
 */
async function readTrailers(
  reader: ByteReader,
  options: AwsChunkedOptions,
  previous: string,
): Promise<Record<string, string>> {
  const declared = new Set(
    (options.trailerNames ?? []).map((n) => n.trim().toLowerCase()).filter((n) => n !== ''),
  );
  const trailers = new Map<string, string>();
  let canonical = '';
  let trailerSignature: string | undefined;
  for (let count = 0; ; count++) {
    const line = await reader.readLine(MAX_LINE_BYTES);
    if (line === 'eof') throw incomplete('the body ended before the empty line that closes it');
    if (line === 'too-long' || count > MAX_TRAILERS)
      throw invalid('the trailer section is too long');
    if (line.length === 0) break;
    const text = line.toString('latin1');
    const colon = text.indexOf(':');
    if (colon <= 0) throw invalid(`the trailer line "${text.slice(0, 60)}" has no name`);
    const name = text.slice(0, colon).trim();
    const lower = name.toLowerCase();
    // Values are trimmed: some clients end a checksum line with LF before the CRLF.
    const value = text.slice(colon + 1).trim();
    if (trailerSignature !== undefined)
      throw invalid(`trailer "${name}" follows the trailer signature`);
    if (lower === TRAILER_SIGNATURE && options.mode === 'streaming-signed-trailer') {
      trailerSignature = value;
      continue;
    }
    if (options.mode === 'streaming-signed' || !declared.has(lower)) {
      throw invalid(`trailer "${name}" was not declared in x-amz-trailer`);
    }
    if (trailers.has(lower)) throw invalid(`trailer "${name}" is sent twice`);
    trailers.set(lower, value);
    canonical += `${name}:${value}\n`;
  }
  const missing = [...declared].filter((n) => !trailers.has(n));
  if (missing.length > 0) {
    throw incomplete(`trailer ${missing.join(', ')} was declared in x-amz-trailer but not sent`);
  }
  if (options.mode === 'streaming-signed-trailer' && options.signing) {
    if (trailerSignature === undefined)
      throw badSignature('the x-amz-trailer-signature is missing');
    const stringToSign = buildStringToSign(
      'AWS4-HMAC-SHA256-TRAILER',
      options.signing.amzDate,
      options.signing.scope,
      previous,
      sha256Hex(Buffer.from(canonical, 'latin1')),
    );
    if (!signaturesEqual(sign(options.signing.signingKey, stringToSign), trailerSignature)) {
      throw badSignature('the trailer signature is wrong', { stringToSign });
    }
  }
  return Object.fromEntries(trailers);
}
