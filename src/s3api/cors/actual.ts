/**
 * CORS headers on an actual (non-preflight) request. S3 adds them when the request has an
 * `Origin` and a rule allows that origin and method, on success and on error alike (the
 * front end's error writer keeps `Access-Control-*` and `Vary`), so a script can read
 * the error. CORS never fails a request: no match, no bucket or no configuration simply
 * means no headers; the browser then withholds the response from the page.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Engine } from '../../engine/engine.js';
import { CORS_VARY, corsResponseHeaders, findCorsRule, parseRequestHeaders } from './match.js';
import { readBucketCors } from './rules.js';

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Sets the CORS response headers for `req` on `res`, if any rule of `bucket` allows it.
 *
 * Every response from a bucket with CORS rules says `Vary: Origin, …`, also when the
 * request has no `Origin` or no rule allows it (S3 says it only beside the other CORS
 * headers). Otherwise a browser that fetched an asset without `Origin` (a plain `<img>`,
 * CSS) keeps that response in its cache and answers a later `fetch()` or `crossorigin`
 * load of the same URL from it, without CORS headers: the page's load fails until the
 * cache entry expires. Costs one cached bucket-document lookup.
 */
export function applyCorsHeaders(
  engine: Engine,
  bucket: string | undefined,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  if (bucket === undefined) return;
  let cors;
  try {
    cors = readBucketCors(engine, bucket);
  } catch {
    // The request itself will meet the same engine failure and report it.
    return;
  }
  if (cors.kind !== 'rules') return;
  res.setHeader('Vary', CORS_VARY);
  const origin = headerOf(req, 'origin');
  if (origin === undefined || origin === '') return;
  // S3 matches an actual request on Access-Control-Request-Method and
  // Access-Control-Request-Headers when they are sent (as it would a preflight), and does
  // not check the actual request's own headers against AllowedHeaders.
  const query = {
    origin,
    method: headerOf(req, 'access-control-request-method') ?? req.method ?? 'GET',
    requestHeaders: parseRequestHeaders(headerOf(req, 'access-control-request-headers')),
  };
  const match = findCorsRule(cors.rules, query);
  if (!match) return;
  for (const [name, value] of Object.entries(corsResponseHeaders(match, query)))
    res.setHeader(name, value);
}
