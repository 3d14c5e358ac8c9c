/**
 * CORS rule matching as S3 does it (the bucket's `<CORSConfiguration>` rules, evaluated in
 * order; the first rule that allows the request wins).
 *
 * - An AllowedOrigin holds at most one `*`, which matches any run of characters, the empty
 *   run included; the pattern is anchored at both ends and compared case-sensitively.
 *   So `https://*.ziggie.cloud` matches `https://cdn.ziggie.cloud` and `https://a.b.ziggie.cloud`
 *   but neither `https://ziggie.cloud` nor `https://ziggie.cloud.evil.com`.
 * - The method is the one the browser announces in `Access-Control-Request-Method`
 *   (a preflight; S3 also honours that header on an actual request), else the request's.
 * - Each header named in `Access-Control-Request-Headers` must match an AllowedHeader,
 *   without regard to case; an AllowedHeader may hold one `*`. A rule without
 *   AllowedHeaders allows no requested header. An actual request's headers are not checked.
 */
import { commaList } from '../../header-value.js';
import type { CorsRule } from '../documents/cors.js';

/** What a request asks for, as far as CORS is concerned. */
export interface CorsQuery {
  /** The `Origin` header. */
  origin: string;
  /** `Access-Control-Request-Method`, or the request's own method. */
  method: string;
  /** Header names from `Access-Control-Request-Headers`, trimmed and lowercased. */
  requestHeaders: string[];
}

/** The rule that allows a request, and whether it allowed it through a bare `*` origin. */
export interface CorsMatch {
  rule: CorsRule;
  /** True when the matching AllowedOrigin is `*`: S3 then answers `Access-Control-Allow-Origin: *`. */
  anyOrigin: boolean;
}

/** Whether `value` matches `pattern`, where one `*` in the pattern stands for any characters. */
export function wildcardMatches(pattern: string, value: string): boolean {
  const star = pattern.indexOf('*');
  if (star < 0) return pattern === value;
  const prefix = pattern.slice(0, star);
  const suffix = pattern.slice(star + 1);
  return (
    value.length >= prefix.length + suffix.length &&
    value.startsWith(prefix) &&
    value.endsWith(suffix)
  );
}

/** Splits `Access-Control-Request-Headers` into trimmed, lowercased names (empty ones dropped). */
export function parseRequestHeaders(value: string | undefined): string[] {
  return commaList(value).map((h) => h.toLowerCase());
}

function headerAllowed(rule: CorsRule, header: string): boolean {
  return rule.allowedHeaders.some((p) => wildcardMatches(p.toLowerCase(), header));
}

/** The first rule that allows the request, or undefined. */
export function findCorsRule(rules: readonly CorsRule[], q: CorsQuery): CorsMatch | undefined {
  for (const rule of rules) {
    if (!(rule.allowedMethods as readonly string[]).includes(q.method)) continue;
    const origin = rule.allowedOrigins.find((p) => wildcardMatches(p, q.origin));
    if (origin === undefined) continue;
    if (!q.requestHeaders.every((h) => headerAllowed(rule, h))) continue;
    return { rule, anyOrigin: origin === '*' };
  }
  return undefined;
}

/** What a response from a bucket with CORS rules varies by. */
export const CORS_VARY = 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method';

/**
 * The headers S3 adds for a matched rule. `Access-Control-Allow-Headers` echoes the
 * requested names (lowercased, in the order requested); the rest come from the rule.
 */
export function corsResponseHeaders(match: CorsMatch, q: CorsQuery): Record<string, string> {
  const { rule } = match;
  const out: Record<string, string> = {
    'Access-Control-Allow-Origin': match.anyOrigin ? '*' : q.origin,
    'Access-Control-Allow-Methods': rule.allowedMethods.join(', '),
    Vary: CORS_VARY,
  };
  // A credentialed request may not be answered with `*`; S3 allows credentials otherwise.
  if (!match.anyOrigin) out['Access-Control-Allow-Credentials'] = 'true';
  if (q.requestHeaders.length > 0)
    out['Access-Control-Allow-Headers'] = q.requestHeaders.join(', ');
  if (rule.exposeHeaders.length > 0)
    out['Access-Control-Expose-Headers'] = rule.exposeHeaders.join(', ');
  if (rule.maxAgeSeconds !== undefined) out['Access-Control-Max-Age'] = String(rule.maxAgeSeconds);
  return out;
}
