/**
 * PreflightCors: a browser's `OPTIONS` before a cross-origin request. S3 answers it
 * without authentication, from the bucket's CORS rules alone, and never looks up the key.
 *
 * Answers, in the order S3 checks them (recorded against S3 by LocalStack and s3-tests):
 * no `Origin` → 400 BadRequest; no bucket → 403 AccessForbidden "CORSResponse: Bucket not
 * found"; no configuration → 403 "CORSResponse: CORS is not enabled for this bucket.";
 * no or an unknown `Access-Control-Request-Method` → 400 BadRequest; no rule allows the
 * request → 403 "CORSResponse: This CORS request is not allowed…"; else 200, empty body.
 */
import { StowageError } from '../../errors.js';
import { bucketOf, header, type S3Request } from '../context.js';
import { CORS_METHODS } from '../documents/cors.js';
import { sendEmpty } from '../respond.js';
import { corsResponseHeaders, findCorsRule, parseRequestHeaders } from './match.js';
import { readBucketCors } from './rules.js';

const NOT_ALLOWED =
  'CORSResponse: This CORS request is not allowed. This is usually because the evalution of ' +
  'Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers ' +
  "are not whitelisted by the resource's CORS spec.";

function forbidden(message: string, method: string, resourceType: 'BUCKET' | 'OBJECT'): never {
  throw new StowageError('E_CORS_FORBIDDEN', message, { details: { method, resourceType } });
}

/** Answers an `OPTIONS` preflight for a bucket or an object. */
export function preflightCors(r: S3Request): void {
  // Nothing in the body matters; drain it so the connection can be reused.
  r.req.resume();
  const origin = header(r, 'origin');
  if (origin === undefined || origin === '') {
    throw new StowageError(
      'E_BAD_REQUEST',
      'Insufficient information. Origin request header needed.',
    );
  }
  const requested = header(r, 'access-control-request-method');
  const bucket = bucketOf(r);
  const cors = readBucketCors(r.engine, bucket);
  if (cors.kind === 'no-bucket')
    forbidden('CORSResponse: Bucket not found', requested ?? 'OPTIONS', 'BUCKET');
  if (cors.kind === 'no-config')
    forbidden(
      'CORSResponse: CORS is not enabled for this bucket.',
      requested ?? 'OPTIONS',
      'BUCKET',
    );
  if (requested === undefined || !(CORS_METHODS as readonly string[]).includes(requested)) {
    throw new StowageError(
      'E_BAD_REQUEST',
      `Invalid Access-Control-Request-Method: ${requested ?? 'null'}`,
    );
  }
  const query = {
    origin,
    method: requested,
    requestHeaders: parseRequestHeaders(header(r, 'access-control-request-headers')),
  };
  const match = findCorsRule(cors.rules, query);
  if (!match) forbidden(NOT_ALLOWED, requested, r.route.key === undefined ? 'BUCKET' : 'OBJECT');
  for (const [name, value] of Object.entries(corsResponseHeaders(match, query)))
    r.res.setHeader(name, value);
  sendEmpty(r.res, 200);
}
