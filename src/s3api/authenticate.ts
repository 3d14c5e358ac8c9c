/**
 * Glue between node:http and the SigV4 module: authenticates a request and opens its
 * payload (verified as it streams, so a bad signature or hash fails the read and the
 * engine stores nothing).
 */
import { StowageError } from '../errors.js';
import { commaList } from '../header-value.js';
import { authenticateRequest } from './auth/sigv4.js';
import { hoistedHeaders } from './auth/hoisted-headers.js';
import { idleLimited } from './auth/idle-timeout.js';
import { openRequestBody } from './auth/request-body.js';
import type { CredentialLookup } from './auth/types.js';
import type { Authenticate } from './front.js';
import { kmsNeedsSignature, namesKms } from './handlers/encryption-headers.js';

/** Options of createAuthenticate. */
export interface AuthenticateOptions {
  lookup: CredentialLookup;
  /** The region this server signs for. */
  region?: string;
  /** Clock for signature dates (tests move it). */
  now?: () => number;
  /** A body that stops arriving for this long fails with RequestTimeout (server.idleTimeoutSeconds). */
  bodyIdleMs: number;
}

/** Builds the front end's authenticate step. */
export function createAuthenticate(options: AuthenticateOptions): Authenticate {
  const now = options.now ?? Date.now;
  return (req, rawPath, rawQuery) => {
    // headersDistinct keeps repeated headers apart (AWS joins them with ',', node with ', ').
    const headers: Record<string, string | string[]> = {};
    for (const [name, values] of Object.entries(req.headersDistinct)) {
      if (values) headers[name] = values.length === 1 ? values[0]! : values;
    }
    const auth = authenticateRequest(
      { method: req.method ?? 'GET', rawPath, rawQuery, headers },
      options.lookup,
      now(),
      options.region === undefined ? {} : { region: options.region },
    );
    // As S3: SSE-KMS needs a signed request. It is also what lets a bucket policy fixed by
    // s3:x-amz-server-side-encryption-aws-kms-key-id count as not public (policy/public.ts):
    // an anonymous caller must not be able to meet that condition by sending the header.
    if (auth.kind !== 'signed' && namesKms(req.headers)) throw kmsNeedsSignature();
    // A presigned URL's hoisted headers count as sent. A header sent as well must say the
    // same: Content-MD5 need not be signed, and must not replace the digest the URL pins.
    if (auth.kind === 'signed' && auth.via === 'query') {
      for (const [name, value] of hoistedHeaders(rawQuery)) {
        const sent = req.headers[name];
        if (sent === undefined) req.headers[name] = value;
        else if (sent !== value) throw hoistedConflict(name);
      }
    }
    const { body, trailers, deferSha256 } = openRequestBody(
      idleLimited(req, options.bodyIdleMs),
      auth,
      headers,
    );
    const declared = req.headers['x-amz-trailer'];
    const trailerAlgorithms = commaList(declared)
      .map((s) => s.toLowerCase())
      .filter((s) => s.startsWith('x-amz-checksum-'))
      .map((s) => s.slice('x-amz-checksum-'.length).toUpperCase());
    return {
      principal:
        auth.kind === 'signed'
          ? {
              kind: 'key',
              accessKeyId: auth.accessKeyId,
              ...(auth.userArn ? { userArn: auth.userArn } : {}),
            }
          : { kind: 'anonymous' },
      body,
      trailers,
      trailerAlgorithms,
      ...(deferSha256 ? { deferSha256 } : {}),
    };
  };
}

/** A header that differs from the value a presigned URL signed for it. */
function hoistedConflict(name: string): StowageError {
  const shown = name === 'content-md5' ? 'Content-MD5' : name;
  return new StowageError(
    'E_INVALID_ARGUMENT',
    `the request's ${shown} header differs from the ${shown} signed into the presigned URL`,
    { details: { argumentName: shown } },
  );
}
