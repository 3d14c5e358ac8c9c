/** Picks how to read and verify a request body from what authentication found. */
import { StowageError } from '../../errors.js';
import { decodeAwsChunked, type DecodedBody } from './aws-chunked.js';
import { headerValue } from './canonical.js';
import { verifyPayloadSha256 } from './payload-hash.js';
import { parsePayloadMode } from './payload-mode.js';
import { borrowPieces } from './pieces.js';
import type { AuthResult, HeaderMap, PayloadMode } from './types.js';

const NO_TRAILERS = Promise.resolve<Record<string, string>>({});

/** A request's verified payload. */
export interface RequestBody extends DecodedBody {
  /**
   * For a body with a signed SHA-256 only: hands its check to the caller, who must pass
   * the returned value (the signed hash: a presigned URL's own, never an unsigned header
   * sent beside it) to whatever stores the body, to be compared before anything is kept
   * (the engine's `sha256` option: it hashes every body with SHA-256 anyway, so this
   * saves hashing each upload twice). Call it before reading the body; afterwards `body`
   * passes the bytes on unchecked.
   */
  deferSha256?: () => string;
}

/**
 * The verified payload of a request: passed through for UNSIGNED-PAYLOAD, hashed and
 * checked for a signed SHA-256, decoded from aws-chunked (with chunk signatures checked)
 * for the streaming modes. Anonymous requests may still declare a SHA-256 or an
 * unsigned-trailer body; a signed streaming body needs a signature to chain from.
 * `source` is never ended here, even on failure: the caller answers with the error, then
 * drains the request or closes the connection.
 *
 * @example
 * const auth = authenticateRequest(request, lookup, Date.now());
 * const { body, trailers } = openRequestBody(req, auth, req.headers);
 * await engine.putObject({ bucket, key, body });
 */
export function openRequestBody(
  source: AsyncIterable<Uint8Array>,
  auth: AuthResult,
  headers: HeaderMap,
): RequestBody {
  const payload = auth.kind === 'signed' ? auth.payload : anonymousPayload(headers);
  const declared = headerValue(headers, 'x-amz-trailer');
  if (payload.type === 'unsigned' || payload.type === 'sha256') {
    refuseTrailerWithout(declared, headers);
  }
  switch (payload.type) {
    case 'unsigned':
      return { body: borrowPieces(source), trailers: NO_TRAILERS };
    case 'sha256':
      return deferrableSha256(
        source,
        payload.hex,
        headerValue(headers, 'x-amz-content-sha256') ?? payload.hex,
      );
    default:
      return decodeAwsChunked(source, {
        mode: payload.type,
        signing: auth.kind === 'signed' ? auth.signingContext : undefined,
        decodedLength: decodedLengthOf(headers),
        trailerNames: trailerNamesOf(declared),
      });
  }
}

/**
 * A body checked against its signed SHA-256 as it streams, unless the check is handed
 * over (deferSha256) before the first read.
 */
function deferrableSha256(
  source: AsyncIterable<Uint8Array>,
  hex: string,
  sent: string,
): RequestBody {
  let deferred = false;
  let started = false;
  async function* body(): AsyncGenerator<Buffer> {
    started = true;
    yield* deferred ? borrowPieces(source) : verifyPayloadSha256(source, hex, sent);
  }
  return {
    body: body(),
    trailers: NO_TRAILERS,
    deferSha256: () => {
      if (started) throw new StowageError('E_INTERNAL', 'deferSha256 after the body was read');
      deferred = true;
      // As sent (its case) when the header is the signed value, for the error's details.
      return sent.toLowerCase() === hex.toLowerCase() ? sent : hex;
    },
  };
}

function anonymousPayload(headers: HeaderMap): PayloadMode {
  const value = headerValue(headers, 'x-amz-content-sha256');
  const payload = value === undefined ? { type: 'unsigned' as const } : parsePayloadMode(value);
  if (payload.type === 'streaming-signed' || payload.type === 'streaming-signed-trailer') {
    throw new StowageError(
      'E_INVALID_REQUEST',
      `x-amz-content-sha256 is ${value} but the request is not signed`,
    );
  }
  return payload;
}

/**
 * The names in `x-amz-trailer` (`declared`). S3 takes only checksum trailers (`x-amz-checksum-*`);
 * any other name (`content-md5`, `x-amz-content-sha256`, `foo`) is refused, as S3 does,
 * rather than received and ignored (a `content-md5` trailer would then go unchecked).
 */
function trailerNamesOf(declared: string | undefined): string[] | undefined {
  const names = declared?.split(',');
  for (const name of names ?? []) {
    const n = name.trim().toLowerCase();
    if (n !== '' && !n.startsWith('x-amz-checksum-')) {
      throw new StowageError(
        'E_INVALID_REQUEST',
        `The value specified in the x-amz-trailer header is not supported: "${name.trim().slice(0, 60)}"`,
      );
    }
  }
  return names;
}

/**
 * A trailer declared on a body that cannot carry one (not aws-chunked with a trailer) would
 * never be read, so the checksum it promised would go unchecked: S3 refuses it.
 */
function refuseTrailerWithout(declared: string | undefined, headers: HeaderMap): void {
  if (declared === undefined || declared.trim() === '') return;
  // Only a request with a body (a GET that carries the header has nothing to check).
  const length = headerValue(headers, 'content-length');
  if (headerValue(headers, 'transfer-encoding') === undefined && (length ?? '0') === '0') return;
  throw new StowageError(
    'E_MALFORMED_TRAILER',
    `x-amz-trailer names ${JSON.stringify(declared.slice(0, 60))} but x-amz-content-sha256 is ` +
      `not a STREAMING-…-TRAILER mode, so the body carries no trailer`,
  );
}

/** `x-amz-decoded-content-length`, the size of the payload inside the aws-chunked framing. */
function decodedLengthOf(headers: HeaderMap): number | undefined {
  const value = headerValue(headers, 'x-amz-decoded-content-length');
  if (value === undefined) return undefined;
  if (!/^\d{1,16}$/.test(value) || !Number.isSafeInteger(Number(value))) {
    // S3 answers as for a length not given at all (OpenStack Swift's AWS-mode tests).
    throw new StowageError(
      'E_MISSING_CONTENT_LENGTH',
      `x-amz-decoded-content-length must be a number of bytes, got "${value.slice(0, 40)}"`,
    );
  }
  return Number(value);
}
