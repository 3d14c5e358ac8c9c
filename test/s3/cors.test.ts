/**
 * CORS enforcement against the in-process server: unauthenticated OPTIONS preflights
 * with raw fetch, PutBucketCors with @aws-sdk/client-s3, and actual requests through
 * presigned URLs (as a browser page would send them) carrying an Origin header.
 */
import {
  CreateBucketCommand,
  DeleteBucketCorsCommand,
  GetBucketCorsCommand,
  GetObjectCommand,
  PutBucketCorsCommand,
  PutObjectCommand,
  type CORSRule,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { signedFetch, signedRawRequest } from '../helpers/signed-fetch.js';

/** Seed 000 §1.4, with `http://localhost:*` for any local dev port. */
const SEED_RULES: CORSRule[] = [
  {
    AllowedOrigins: ['https://ziggie.cloud', 'https://*.ziggie.cloud', 'http://localhost:*'],
    AllowedMethods: ['GET', 'HEAD'],
    AllowedHeaders: ['*'],
    MaxAgeSeconds: 3600,
    ExposeHeaders: ['ETag'],
  },
];
const BUCKET = 'ziggie-cloud-assets';
const PLAIN = 'no-cors-here';
const KEY = 'textures/hero.png';
const VARY = 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
  await t.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await t.client.send(new CreateBucketCommand({ Bucket: PLAIN }));
  await t.client.send(
    new PutBucketCorsCommand({ Bucket: BUCKET, CORSConfiguration: { CORSRules: SEED_RULES } }),
  );
  await t.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: 'png bytes' }));
});
afterAll(async () => t.close());

function preflight(path: string, headers: Record<string, string>): Promise<Response> {
  return fetch(`${t.url}${path}`, { method: 'OPTIONS', headers });
}

async function errorOf(res: Response): Promise<{ status: number; code?: string; xml: string }> {
  const xml = await res.text();
  return { status: res.status, code: /<Code>([^<]*)<\/Code>/.exec(xml)?.[1], xml };
}

function corsHeaders(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    if (name.startsWith('access-control-') || name === 'vary') out[name] = value;
  });
  return out;
}

describe('preflight (OPTIONS, unauthenticated)', () => {
  it('allows a seed origin with the rule’s methods and the requested headers', async () => {
    const res = await preflight(`/${BUCKET}/${KEY}`, {
      Origin: 'https://cdn.ziggie.cloud',
      'Access-Control-Request-Method': 'GET',
      'Access-Control-Request-Headers': 'Range, X-Amz-Date',
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    expect(corsHeaders(res)).toEqual({
      'access-control-allow-origin': 'https://cdn.ziggie.cloud',
      'access-control-allow-methods': 'GET, HEAD',
      'access-control-allow-headers': 'range, x-amz-date',
      'access-control-allow-credentials': 'true',
      'access-control-expose-headers': 'ETag',
      'access-control-max-age': '3600',
      vary: VARY,
    });
  });

  it('answers for the bucket URL and for a key that does not exist', async () => {
    for (const path of [`/${BUCKET}`, `/${BUCKET}/`, `/${BUCKET}/no/such/key`]) {
      const res = await preflight(path, {
        Origin: 'http://localhost:5173',
        'Access-Control-Request-Method': 'HEAD',
      });
      expect(res.status, path).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    }
  });

  it('refuses an origin no rule allows with 403 AccessForbidden, without CORS headers', async () => {
    const res = await preflight(`/${BUCKET}/${KEY}`, {
      Origin: 'https://ziggie.cloud.evil.com',
      'Access-Control-Request-Method': 'GET',
    });
    const e = await errorOf(res);
    expect(e.status).toBe(403);
    expect(e.code).toBe('AccessForbidden');
    expect(e.xml).toContain('CORSResponse: This CORS request is not allowed.');
    expect(e.xml).toContain('<Method>GET</Method>');
    expect(e.xml).toContain('<ResourceType>OBJECT</ResourceType>');
    expect(corsHeaders(res)).toEqual({});
  });

  it('refuses a method the rule does not allow', async () => {
    const res = await preflight(`/${BUCKET}/${KEY}`, {
      Origin: 'https://ziggie.cloud',
      'Access-Control-Request-Method': 'PUT',
    });
    const e = await errorOf(res);
    expect([e.status, e.code]).toEqual([403, 'AccessForbidden']);
    expect(e.xml).toContain('<Method>PUT</Method>');
  });

  it('answers 403 "CORS is not enabled" for a bucket without a configuration', async () => {
    const res = await preflight(`/${PLAIN}/x`, {
      Origin: 'https://ziggie.cloud',
      'Access-Control-Request-Method': 'GET',
    });
    const e = await errorOf(res);
    expect([e.status, e.code]).toEqual([403, 'AccessForbidden']);
    expect(e.xml).toContain('CORSResponse: CORS is not enabled for this bucket.');
    expect(e.xml).toContain('<ResourceType>BUCKET</ResourceType>');
  });

  it('answers 403 "Bucket not found" for a bucket that does not exist (as S3 does)', async () => {
    const res = await preflight('/no-such-bucket-here/x', {
      Origin: 'https://ziggie.cloud',
      'Access-Control-Request-Method': 'GET',
    });
    const e = await errorOf(res);
    expect([e.status, e.code]).toEqual([403, 'AccessForbidden']);
    expect(e.xml).toContain('CORSResponse: Bucket not found');
  });

  it('answers 400 BadRequest without an Origin', async () => {
    const res = await preflight(`/${BUCKET}/${KEY}`, { 'Access-Control-Request-Method': 'GET' });
    const e = await errorOf(res);
    expect([e.status, e.code]).toEqual([400, 'BadRequest']);
    expect(e.xml).toContain('Insufficient information. Origin request header needed.');
  });

  it('answers 400 BadRequest for a missing or unknown Access-Control-Request-Method', async () => {
    const missing = await errorOf(
      await preflight(`/${BUCKET}/${KEY}`, { Origin: 'https://ziggie.cloud' }),
    );
    expect([missing.status, missing.code]).toEqual([400, 'BadRequest']);
    expect(missing.xml).toContain('Invalid Access-Control-Request-Method: null');
    const unknown = await errorOf(
      await preflight(`/${BUCKET}/${KEY}`, {
        Origin: 'https://ziggie.cloud',
        'Access-Control-Request-Method': 'PATCH',
      }),
    );
    expect([unknown.status, unknown.code]).toEqual([400, 'BadRequest']);
    expect(unknown.xml).toContain('Invalid Access-Control-Request-Method: PATCH');
  });

  it('refuses requested headers when the matching rule has no AllowedHeaders', async () => {
    const bucket = 'cors-no-headers';
    await t.client.send(new CreateBucketCommand({ Bucket: bucket }));
    await t.client.send(
      new PutBucketCorsCommand({
        Bucket: bucket,
        CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['*'], AllowedMethods: ['GET'] }] },
      }),
    );
    const denied = await preflight(`/${bucket}/k`, {
      Origin: 'https://anywhere.example',
      'Access-Control-Request-Method': 'GET',
      'Access-Control-Request-Headers': 'x-amz-meta-author',
    });
    expect(denied.status).toBe(403);
    const allowed = await preflight(`/${bucket}/k`, {
      Origin: 'https://anywhere.example',
      'Access-Control-Request-Method': 'GET',
    });
    expect(allowed.status).toBe(200);
    expect(corsHeaders(allowed)).toEqual({
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'GET',
      vary: VARY,
    });
  });

  it('sees a new configuration at once, and none after DeleteBucketCors', async () => {
    const bucket = 'cors-changes';
    await t.client.send(new CreateBucketCommand({ Bucket: bucket }));
    const ask = (): Promise<Response> =>
      preflight(`/${bucket}/k`, {
        Origin: 'https://ziggie.cloud',
        'Access-Control-Request-Method': 'PUT',
      });
    expect((await ask()).status).toBe(403);
    await t.client.send(
      new PutBucketCorsCommand({
        Bucket: bucket,
        CORSConfiguration: {
          CORSRules: [{ AllowedOrigins: ['https://ziggie.cloud'], AllowedMethods: ['PUT'] }],
        },
      }),
    );
    expect((await ask()).status).toBe(200);
    await t.client.send(new DeleteBucketCorsCommand({ Bucket: bucket }));
    const after = await errorOf(await ask());
    expect(after.xml).toContain('CORS is not enabled');
  });

  it('stores a rule with an empty AllowedOrigin (Terraform sends one); it allows no origin', async () => {
    const bucket = 'cors-empty-origin';
    await t.client.send(new CreateBucketCommand({ Bucket: bucket }));
    await t.client.send(
      new PutBucketCorsCommand({
        Bucket: bucket,
        CORSConfiguration: { CORSRules: [{ AllowedOrigins: [''], AllowedMethods: ['GET'] }] },
      }),
    );
    const got = await t.client.send(new GetBucketCorsCommand({ Bucket: bucket }));
    expect(got.CORSRules?.[0]?.AllowedOrigins).toEqual(['']);
    const res = await preflight(`/${bucket}/k`, {
      Origin: 'https://ziggie.cloud',
      'Access-Control-Request-Method': 'GET',
    });
    expect(res.status).toBe(403);
    expect((await errorOf(res)).xml).toContain('This CORS request is not allowed');
  });
});

describe('actual requests with an Origin', () => {
  async function presignedGet(key: string): Promise<string> {
    return getSignedUrl(t.client, new GetObjectCommand({ Bucket: BUCKET, Key: key }), {
      expiresIn: 300,
    });
  }

  it('adds the CORS headers to a successful GET from an allowed origin', async () => {
    const res = await fetch(await presignedGet(KEY), {
      headers: { Origin: 'https://ziggie.cloud' },
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('png bytes');
    expect(corsHeaders(res)).toEqual({
      'access-control-allow-origin': 'https://ziggie.cloud',
      'access-control-allow-methods': 'GET, HEAD',
      'access-control-allow-credentials': 'true',
      'access-control-expose-headers': 'ETag',
      'access-control-max-age': '3600',
      vary: VARY,
    });
    expect(res.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);
  });

  it('adds only Vary for an origin no rule allows and without an Origin, so a browser cache keeps them apart', async () => {
    const url = await presignedGet(KEY);
    const evil = await fetch(url, { headers: { Origin: 'https://evil.example' } });
    expect(evil.status).toBe(200);
    expect(corsHeaders(evil)).toEqual({ vary: VARY });
    await evil.arrayBuffer();
    const plain = await fetch(url);
    expect(plain.status).toBe(200);
    expect(corsHeaders(plain)).toEqual({ vary: VARY });
    await plain.arrayBuffer();
  });

  it('never fails a request over CORS: a PUT the rules do not allow still succeeds', async () => {
    const url = await getSignedUrl(
      t.client,
      new PutObjectCommand({ Bucket: BUCKET, Key: 'put-from-page.txt' }),
      { expiresIn: 300 },
    );
    const res = await fetch(url, {
      method: 'PUT',
      body: 'hello',
      headers: { Origin: 'https://ziggie.cloud' },
    });
    expect(res.status).toBe(200);
    // Vary (a response of a bucket with CORS rules), but no Access-Control-* header.
    expect(corsHeaders(res)).toEqual({ vary: VARY });
  });

  it('adds the CORS headers to error responses (NoSuchKey, a bad signature)', async () => {
    const missing = await fetch(await presignedGet('no/such/key'), {
      headers: { Origin: 'https://cdn.ziggie.cloud' },
    });
    const e = await errorOf(missing);
    expect([e.status, e.code]).toEqual([404, 'NoSuchKey']);
    expect(missing.headers.get('access-control-allow-origin')).toBe('https://cdn.ziggie.cloud');
    expect(missing.headers.get('access-control-expose-headers')).toBe('ETag');

    const forged = (await presignedGet(KEY)).replace(
      /X-Amz-Signature=([0-9a-f])/,
      (_m, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`,
    );
    const denied = await fetch(forged, { headers: { Origin: 'https://ziggie.cloud' } });
    const d = await errorOf(denied);
    expect([d.status, d.code]).toEqual([403, 'SignatureDoesNotMatch']);
    expect(denied.headers.get('access-control-allow-origin')).toBe('https://ziggie.cloud');
  });

  it('adds the CORS headers to refusals of the request line too (NotImplemented, a ".." key)', async () => {
    const origin = 'https://cdn.ziggie.cloud';
    const headers = { Origin: origin };
    const cases: Array<[Response, number, string]> = [
      [
        await signedFetch(t, 'GET', `/${BUCKET}/${KEY}?torrent`, { headers }),
        501,
        'NotImplemented',
      ],
      [await fetch(`${t.url}/${BUCKET}/${KEY}?torrent`, { headers }), 403, 'AccessDenied'],
    ];
    for (const [res, status, code] of cases) {
      const e = await errorOf(res);
      expect([e.status, e.code]).toEqual([status, code]);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    }
    // fetch() resolves a ".." segment itself: this one goes out as written.
    const dots = await signedRawRequest(t, 'GET', `/${BUCKET}/a/%2E%2E/${KEY}`, '', headers);
    expect([dots.status, /<Code>([^<]*)/.exec(dots.body)?.[1]]).toEqual([400, 'InvalidURI']);
    expect(dots.headers['access-control-allow-origin']).toBe(origin);
    // The bucket without CORS rules still gets none.
    const plain = await signedFetch(t, 'GET', `/${PLAIN}/k?torrent`, { headers });
    expect(plain.status).toBe(501);
    expect(plain.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('matches Access-Control-Request-Headers on an actual request, as S3 does (LocalStack test_cors_match_headers)', async () => {
    await t.client.send(
      new PutBucketCorsCommand({
        Bucket: PLAIN,
        CORSConfiguration: {
          CORSRules: [
            {
              AllowedOrigins: ['https://localhost:4200'],
              AllowedMethods: ['GET'],
              AllowedHeaders: ['x-amz-expected-bucket-owner'],
              MaxAgeSeconds: 3000,
            },
          ],
        },
      }),
    );
    await t.client.send(new PutObjectCommand({ Bucket: PLAIN, Key: 'h', Body: 'test-cors' }));
    try {
      const url = await getSignedUrl(t.client, new GetObjectCommand({ Bucket: PLAIN, Key: 'h' }), {
        expiresIn: 300,
      });
      const origin = 'https://localhost:4200';
      // A requested header no AllowedHeader names: the GET is answered without CORS headers
      // (only Vary).
      const refused = await fetch(url, {
        headers: { Origin: origin, 'Access-Control-Request-Headers': 'x-amz-request-payer' },
      });
      expect(refused.status).toBe(200);
      expect(await refused.text()).toBe('test-cors');
      expect(corsHeaders(refused)).toEqual({ vary: VARY });
      // The request's own headers are not checked: x-amz-request-payer sent as a header is fine.
      const plain = await fetch(url, { headers: { Origin: origin } });
      expect(plain.status).toBe(200);
      expect(plain.headers.get('access-control-allow-origin')).toBe(origin);
      await plain.arrayBuffer();
      const allowed = await fetch(url, {
        headers: {
          Origin: origin,
          'Access-Control-Request-Headers': 'X-Amz-Expected-Bucket-Owner',
        },
      });
      expect(allowed.headers.get('access-control-allow-origin')).toBe(origin);
      await allowed.arrayBuffer();
    } finally {
      await t.client.send(new DeleteBucketCorsCommand({ Bucket: PLAIN }));
    }
  });

  it('adds none for a bucket without a CORS configuration', async () => {
    const url = await getSignedUrl(t.client, new GetObjectCommand({ Bucket: PLAIN, Key: 'x' }), {
      expiresIn: 300,
    });
    const res = await fetch(url, { headers: { Origin: 'https://ziggie.cloud' } });
    expect(res.status).toBe(404);
    expect(corsHeaders(res)).toEqual({});
    await res.arrayBuffer();
  });
});
