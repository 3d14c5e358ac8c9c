import { describe, expect, it } from 'vitest';
import { parseCorsRules } from '../documents/cors.js';
import {
  corsResponseHeaders,
  findCorsRule,
  parseRequestHeaders,
  wildcardMatches,
  type CorsQuery,
} from './match.js';

/** Seed 000 §1.4, with the brief's `http://localhost:*` in place of one fixed port. */
const SEED = parseCorsRules(`<CORSConfiguration><CORSRule>
  <AllowedOrigin>https://ziggie.cloud</AllowedOrigin>
  <AllowedOrigin>https://*.ziggie.cloud</AllowedOrigin>
  <AllowedOrigin>http://localhost:*</AllowedOrigin>
  <AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod>
  <AllowedHeader>*</AllowedHeader>
  <MaxAgeSeconds>3600</MaxAgeSeconds>
  <ExposeHeader>ETag</ExposeHeader>
</CORSRule></CORSConfiguration>`);

function q(origin: string, method = 'GET', headers: string[] = []): CorsQuery {
  return { origin, method, requestHeaders: headers };
}

describe('wildcardMatches (S3: one `*` matches any characters, anchored at both ends)', () => {
  it.each([
    ['https://*.ziggie.cloud', 'https://cdn.ziggie.cloud', true],
    ['https://*.ziggie.cloud', 'https://a.b.ziggie.cloud', true],
    // `*` matches the empty run too, as S3 does (s3-tests `prefix*` matches `prefix`).
    ['https://*.ziggie.cloud', 'https://.ziggie.cloud', true],
    ['https://*.ziggie.cloud', 'https://ziggie.cloud', false],
    ['https://*.ziggie.cloud', 'https://ziggie.cloud.evil.com', false],
    ['https://*.ziggie.cloud', 'https://evilziggie.cloud', false],
    ['https://*.ziggie.cloud', 'http://cdn.ziggie.cloud', false],
    ['https://*.ziggie.cloud', 'https://cdn.ziggie.cloud/', false],
    ['http://localhost:*', 'http://localhost:3000', true],
    ['http://localhost:*', 'http://localhost:', true],
    ['http://localhost:*', 'http://localhost', false],
    ['http://localhost:*', 'https://localhost:3000', false],
    ['start*end', 'startend', true],
    ['start*end', '0start12end', false],
    ['*', 'anything at all', true],
    ['https://ziggie.cloud', 'https://ziggie.cloud', true],
    // Origins compare case-sensitively; browsers send them lowercased.
    ['https://ziggie.cloud', 'https://Ziggie.cloud', false],
    // The prefix and suffix must not overlap.
    ['ab*ba', 'aba', false],
  ])('%s vs %s → %s', (pattern, value, expected) => {
    expect(wildcardMatches(pattern, value)).toBe(expected);
  });
});

describe('findCorsRule with the seed rules', () => {
  it('allows the listed origins for GET and HEAD', () => {
    for (const origin of [
      'https://ziggie.cloud',
      'https://cdn.ziggie.cloud',
      'http://localhost:3000',
      'http://localhost:5173',
    ]) {
      expect(findCorsRule(SEED, q(origin)), origin).toBeDefined();
      expect(findCorsRule(SEED, q(origin, 'HEAD')), origin).toBeDefined();
    }
  });

  it('refuses other origins and methods', () => {
    expect(findCorsRule(SEED, q('https://ziggie.cloud.evil.com'))).toBeUndefined();
    expect(findCorsRule(SEED, q('https://evil.com'))).toBeUndefined();
    expect(findCorsRule(SEED, q('http://ziggie.cloud'))).toBeUndefined();
    expect(findCorsRule(SEED, q('https://ziggie.cloud', 'PUT'))).toBeUndefined();
    expect(findCorsRule(SEED, q('https://ziggie.cloud', 'OPTIONS'))).toBeUndefined();
  });

  it('allows any requested header through AllowedHeader `*`', () => {
    const m = findCorsRule(SEED, q('https://cdn.ziggie.cloud', 'GET', ['range', 'x-amz-date']));
    expect(m?.anyOrigin).toBe(false);
  });
});

describe('findCorsRule: headers and rule order', () => {
  const rules = parseCorsRules(`<CORSConfiguration>
    <CORSRule><ID>put</ID>
      <AllowedOrigin>https://app.example</AllowedOrigin>
      <AllowedMethod>PUT</AllowedMethod>
      <AllowedHeader>Content-Type</AllowedHeader>
      <AllowedHeader>x-AMZ-meta-*</AllowedHeader>
    </CORSRule>
    <CORSRule><ID>first-get</ID>
      <AllowedOrigin>https://app.example</AllowedOrigin>
      <AllowedMethod>GET</AllowedMethod>
    </CORSRule>
    <CORSRule><ID>any-get</ID>
      <AllowedOrigin>*</AllowedOrigin>
      <AllowedMethod>GET</AllowedMethod>
      <AllowedHeader>*</AllowedHeader>
      <ExposeHeader>ETag</ExposeHeader>
      <ExposeHeader>x-amz-version-id</ExposeHeader>
    </CORSRule>
  </CORSConfiguration>`);

  it('matches requested headers without regard to case, with a `*` in the pattern', () => {
    const m = findCorsRule(
      rules,
      q('https://app.example', 'PUT', parseRequestHeaders('Content-Type, X-Amz-Meta-Author')),
    );
    expect(m?.rule.id).toBe('put');
  });

  it('refuses a requested header no AllowedHeader matches', () => {
    expect(
      findCorsRule(rules, q('https://app.example', 'PUT', ['content-type', 'x-amz-acl'])),
    ).toBeUndefined();
  });

  it('takes the first rule that matches, even when a later one would say more', () => {
    const m = findCorsRule(rules, q('https://app.example', 'GET'));
    expect(m?.rule.id).toBe('first-get');
    expect(m?.anyOrigin).toBe(false);
  });

  it('skips a rule without AllowedHeaders when headers are requested', () => {
    const m = findCorsRule(rules, q('https://app.example', 'GET', ['range']));
    expect(m?.rule.id).toBe('any-get');
    expect(m?.anyOrigin).toBe(true);
  });
});

describe('parseRequestHeaders', () => {
  it('trims, lowercases and drops empty names, keeping order', () => {
    expect(parseRequestHeaders(' X-Amz-Date ,content-type,, ')).toEqual([
      'x-amz-date',
      'content-type',
    ]);
    expect(parseRequestHeaders(undefined)).toEqual([]);
  });
});

describe('corsResponseHeaders', () => {
  it('echoes the origin and allows credentials for a named origin', () => {
    const query = q('https://cdn.ziggie.cloud', 'GET', ['x-amz-date', 'range']);
    const m = findCorsRule(SEED, query);
    expect(m).toBeDefined();
    expect(corsResponseHeaders(m!, query)).toEqual({
      'Access-Control-Allow-Origin': 'https://cdn.ziggie.cloud',
      'Access-Control-Allow-Methods': 'GET, HEAD',
      'Access-Control-Allow-Credentials': 'true',
      'Access-Control-Allow-Headers': 'x-amz-date, range',
      'Access-Control-Expose-Headers': 'ETag',
      'Access-Control-Max-Age': '3600',
      Vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
    });
  });

  it('answers `*` without credentials for an AllowedOrigin of `*`', () => {
    const rules = parseCorsRules(
      '<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>',
    );
    const query = q('http://random:1234');
    const h = corsResponseHeaders(findCorsRule(rules, query)!, query);
    expect(h['Access-Control-Allow-Origin']).toBe('*');
    expect(h['Access-Control-Allow-Credentials']).toBeUndefined();
    expect(h['Access-Control-Max-Age']).toBeUndefined();
    expect(h['Access-Control-Expose-Headers']).toBeUndefined();
    expect(h['Access-Control-Allow-Headers']).toBeUndefined();
  });
});
