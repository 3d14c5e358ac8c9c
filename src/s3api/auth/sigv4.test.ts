import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { isStowageError, type ErrorCode } from '../../errors.js';
import { authenticateRequest } from './sigv4.js';
import { encodeKeyPath } from '../../sigv4/key-path.js';
import { deriveSigningKey } from '../../sigv4/signing-key.js';
import type { AuthOptions, AuthRequest, AuthResult, HeaderMap } from './types.js';

const KEY = {
  accessKeyId: 'STWTESTKEY0000000001',
  secretAccessKey: 'sEcReT/+kEy0000000000000000000000000000',
};
const lookup = (id: string) => (id === KEY.accessKeyId ? KEY : undefined);
const NOW = Date.UTC(2026, 0, 15, 12, 30, 45);
const HOST = '127.0.0.1:9000';
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** Keys no S3 server may get wrong: reserved characters, unicode, path look-alikes. */
const HOSTILE_KEYS = [
  'plain.txt',
  'with space.txt',
  'plus+sign',
  'tilde~file',
  "bang!star*quote'paren()",
  'ünïcödé/中文/😀.png',
  'e\u0301-combining',
  'percent%20literal%2Fand%',
  'semi;colon,comma=eq&amp',
  'question?hash#frag',
  '[brackets]{braces}<angle>"quote"',
  'back\\slash^caret`tick|pipe',
  '$dollar@at:colon',
  'dots/../x/./y',
  'trailing/',
  'double//slash',
  '  leading and trailing  ',
  'tab\tand\u0001control',
  'x'.repeat(900),
];

/** The S3 serializer's key encoding (the fast PutObject path checks it equals the SDK's). */
const encodeKey = (key: string): string => encodeKeyPath(key)!;

/** How @smithy's query builder puts a query object on the wire. */
function wireQuery(query: Record<string, string | string[]>): string {
  const escape = (s: string) =>
    encodeURIComponent(s).replace(
      /[!'()*]/g,
      (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
    );
  return Object.entries(query)
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${escape(k)}=${escape(x)}`))
    .join('&');
}

function signer(secretAccessKey = KEY.secretAccessKey, region = 'us-east-1'): SignatureV4 {
  // uriEscapePath: false is how @aws-sdk/client-s3 configures SigV4 for S3.
  return new SignatureV4({
    credentials: { accessKeyId: KEY.accessKeyId, secretAccessKey },
    region,
    service: 's3',
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: false,
  });
}

interface SignOptions {
  method?: string;
  path?: string;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
  secret?: string;
  region?: string;
  dateMs?: number;
}

/** Signs a request with the Authorization header, and returns it as node:http would see it. */
async function signHeader(o: SignOptions = {}): Promise<AuthRequest> {
  const path = o.path ?? '/bucket/key.txt';
  const query = o.query ?? {};
  const signed = await signer(o.secret, o.region).sign(
    {
      method: o.method ?? 'GET',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: 9000,
      path,
      query,
      headers: { host: HOST, 'x-amz-content-sha256': EMPTY_SHA256, ...o.headers },
    },
    { signingDate: new Date(o.dateMs ?? NOW) },
  );
  return toNode(o.method ?? 'GET', path, wireQuery(query), signed.headers);
}

/** Presigns a request, and returns it as node:http would see it. */
async function signQuery(o: SignOptions & { expiresIn?: number } = {}): Promise<AuthRequest> {
  const path = o.path ?? '/bucket/key.txt';
  const presigned = await signer(o.secret, o.region).presign(
    {
      method: o.method ?? 'GET',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: 9000,
      path,
      query: o.query ?? {},
      // As @aws-sdk/s3-request-presigner does: S3 presigned URLs sign UNSIGNED-PAYLOAD (the
      // signer hoists this header into the query).
      headers: { host: HOST, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', ...o.headers },
    },
    { signingDate: new Date(o.dateMs ?? NOW), expiresIn: o.expiresIn ?? 900 },
  );
  return toNode(
    o.method ?? 'GET',
    path,
    wireQuery(presigned.query as Record<string, string>),
    presigned.headers,
  );
}

function toNode(
  method: string,
  rawPath: string,
  rawQuery: string,
  headers: Record<string, string>,
): AuthRequest {
  const lower: HeaderMap = {};
  for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = v;
  return { method, rawPath, rawQuery, headers: lower };
}

function auth(req: AuthRequest, nowMs = NOW, options: AuthOptions = {}): AuthResult {
  return authenticateRequest(req, lookup, nowMs, options);
}

/** The StowageError code `fn` throws (fails the test if it returns). */
function codeOf(fn: () => unknown): ErrorCode {
  try {
    fn();
  } catch (error) {
    if (isStowageError(error)) return error.code;
    throw error;
  }
  throw new Error('expected an error, got success');
}

function errorOf(fn: () => unknown): Error & { code: ErrorCode; details: Record<string, unknown> } {
  try {
    fn();
  } catch (error) {
    if (isStowageError(error)) return error;
    throw error;
  }
  throw new Error('expected an error, got success');
}

function withHeader(req: AuthRequest, name: string, value: string | undefined): AuthRequest {
  return { ...req, headers: { ...req.headers, [name]: value } };
}

function replaceAt(s: string, i: number, c: string): string {
  return s.slice(0, i) + c + s.slice(i + 1);
}

/** A different character of the same class, so the tampered request stays well-formed. */
function otherChar(c: string): string {
  if (/[0-9]/.test(c)) return c === '7' ? '8' : '7';
  if (/[a-z]/.test(c)) return c === 'q' ? 'r' : 'q';
  return c === 'Q' ? 'R' : 'Q';
}

describe('authenticateRequest: the examples of the AWS S3 SigV4 documentation', () => {
  const awsLookup = (id: string) =>
    id === 'AKIAIOSFODNN7EXAMPLE'
      ? { secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' }
      : undefined;
  const docNow = Date.UTC(2013, 4, 24);
  const credential = 'Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request';
  const base = {
    host: 'examplebucket.s3.amazonaws.com',
    'x-amz-date': '20130524T000000Z',
    'x-amz-content-sha256': EMPTY_SHA256,
  };
  const ok = (req: AuthRequest) =>
    authenticateRequest(req, awsLookup, docNow, { region: 'us-east-1' });

  it('GET Object with a Range header', () => {
    const result = ok({
      method: 'GET',
      rawPath: '/test.txt',
      rawQuery: '',
      headers: {
        ...base,
        range: 'bytes=0-9',
        authorization: `AWS4-HMAC-SHA256 ${credential},SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41`,
      },
    });
    expect(result).toMatchObject({
      kind: 'signed',
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      via: 'header',
      payload: { type: 'sha256', hex: EMPTY_SHA256 },
    });
  });

  it('PUT Object of test$file.text, whether the client sent "$" or "%24"', () => {
    const payload = '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072';
    for (const rawPath of ['/test$file.text', '/test%24file.text']) {
      const result = ok({
        method: 'PUT',
        rawPath,
        rawQuery: '',
        headers: {
          ...base,
          date: 'Fri, 24 May 2013 00:00:00 GMT',
          'x-amz-storage-class': 'REDUCED_REDUNDANCY',
          'x-amz-content-sha256': payload,
          authorization: `AWS4-HMAC-SHA256 ${credential},SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd`,
        },
      });
      expect(result).toMatchObject({ kind: 'signed', payload: { type: 'sha256', hex: payload } });
    }
  });

  it('GET Bucket lifecycle (a parameter without a value) and list objects', () => {
    const signedHeaders = 'SignedHeaders=host;x-amz-content-sha256;x-amz-date';
    const lifecycle = ok({
      method: 'GET',
      rawPath: '/',
      rawQuery: 'lifecycle',
      headers: {
        ...base,
        authorization: `AWS4-HMAC-SHA256 ${credential},${signedHeaders},Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543`,
      },
    });
    expect(lifecycle.kind).toBe('signed');
    const list = ok({
      method: 'GET',
      rawPath: '/',
      rawQuery: 'max-keys=2&prefix=J',
      headers: {
        ...base,
        authorization: `AWS4-HMAC-SHA256 ${credential},${signedHeaders},Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7`,
      },
    });
    expect(list.kind).toBe('signed');
  });

  it('a presigned GET Object URL', () => {
    const rawQuery =
      'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request' +
      '&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host' +
      '&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';
    const req = { method: 'GET', rawPath: '/test.txt', rawQuery, headers: { host: base.host } };
    expect(ok(req)).toMatchObject({ kind: 'signed', via: 'query', payload: { type: 'unsigned' } });
    expect(codeOf(() => authenticateRequest(req, awsLookup, docNow + 86_401_000))).toBe(
      'E_ACCESS_DENIED',
    );
  });
});

describe('authenticateRequest: requests signed by @smithy/signature-v4', () => {
  it('accepts hostile keys signed in the Authorization header', async () => {
    for (const key of HOSTILE_KEYS) {
      const req = await signHeader({ method: 'PUT', path: `/bucket/${encodeKey(key)}` });
      expect(auth(req), key).toMatchObject({ kind: 'signed', accessKeyId: KEY.accessKeyId });
    }
  });

  it('accepts a client that signs its path verbatim, reserved characters unencoded', async () => {
    const req = await signHeader({ path: "/bucket/a!b$c@d:e,f;g=h'(i)*~" });
    expect(auth(req).kind).toBe('signed');
  });

  it('accepts a Host signed without the port the request was sent to (git-annex), nothing else', async () => {
    // git-annex 10.2023 sends `Host: 127.0.0.1:9000` and signs `host:127.0.0.1`.
    for (const sign of [signHeader, signQuery]) {
      const portless = await sign({ headers: { host: '127.0.0.1' } });
      expect(auth(withHeader(portless, 'host', '127.0.0.1:9000')).kind).toBe('signed');
      const ipv6 = await sign({ headers: { host: '[::1]' } });
      expect(auth(withHeader(ipv6, 'host', '[::1]:9000')).kind).toBe('signed');
      // Another host, or another port, is still another request.
      const other = await sign({ headers: { host: '127.0.0.2' } });
      expect(codeOf(() => auth(withHeader(other, 'host', '127.0.0.1:9000')))).toBe(
        'E_SIGNATURE_DOES_NOT_MATCH',
      );
      const otherPort = await sign({ headers: { host: '127.0.0.1:9001' } });
      expect(codeOf(() => auth(withHeader(otherPort, 'host', '127.0.0.1:9000')))).toBe(
        'E_SIGNATURE_DOES_NOT_MATCH',
      );
      // A port signed that the request does not carry is no match either.
      const withPort = await sign({ headers: { host: '127.0.0.1:9000' } });
      expect(codeOf(() => auth(withHeader(withPort, 'host', '127.0.0.1')))).toBe(
        'E_SIGNATURE_DOES_NOT_MATCH',
      );
    }
  });

  it('accepts hostile query strings', async () => {
    const queries: Record<string, string | string[]>[] = [
      { 'list-type': '2', prefix: 'a b+c/ü', delimiter: '/', 'continuation-token': 'abc==/+x' },
      { uploads: '' },
      { 'response-content-disposition': 'attachment; filename="ü x.txt"', versionId: 'null' },
      { 'x-id': 'GetObject', 'response-cache-control': "no-cache, max-age=0 !*'()" },
      { A: '1', a: '2', 'a-b': '3', a_b: '4', 'a.b': '5', '~': '6' },
      { tag: ['b', 'a', 'a b', ''] },
      { 'key with spaces': 'value with spaces', '': 'empty name' },
      { emoji: '😀', 'tab\there': 'new\nline' },
    ];
    for (const query of queries) {
      const req = await signHeader({ path: '/bucket/key', query });
      expect(auth(req), JSON.stringify(query)).toMatchObject({ kind: 'signed' });
      const presigned = await signQuery({ path: '/bucket/key', query });
      expect(auth(presigned), JSON.stringify(query)).toMatchObject({
        kind: 'signed',
        via: 'query',
      });
    }
  });

  it('accepts presigned URLs for hostile keys', async () => {
    for (const key of HOSTILE_KEYS) {
      const req = await signQuery({ method: 'PUT', path: `/bucket/${encodeKey(key)}` });
      expect(auth(req), key).toMatchObject({ kind: 'signed', via: 'query' });
    }
  });

  it('signs headers as AWS canonicalises them: trimmed, runs of spaces collapsed', async () => {
    const req = await signHeader({
      headers: { 'x-amz-meta-note': '  a   lot \t of   space  ', 'content-type': 'text/plain' },
    });
    expect(auth(req).kind).toBe('signed');
    // A proxy that normalises the whitespace does not break the signature.
    expect(auth(withHeader(req, 'x-amz-meta-note', 'a lot of space')).kind).toBe('signed');
  });

  it('maps x-amz-content-sha256 to the payload mode and hands out the signing context', async () => {
    const cases = [
      ['UNSIGNED-PAYLOAD', { type: 'unsigned' }],
      ['STREAMING-AWS4-HMAC-SHA256-PAYLOAD', { type: 'streaming-signed' }],
      ['STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', { type: 'streaming-signed-trailer' }],
      ['STREAMING-UNSIGNED-PAYLOAD-TRAILER', { type: 'streaming-unsigned-trailer' }],
      ['A'.repeat(64), { type: 'sha256', hex: 'a'.repeat(64) }],
    ] as const;
    for (const [value, payload] of cases) {
      const req = await signHeader({ method: 'PUT', headers: { 'x-amz-content-sha256': value } });
      const result = auth(req);
      if (result.kind !== 'signed') throw new Error('not signed');
      expect(result.payload).toEqual(payload);
      expect(result.signingContext).toEqual({
        signingKey: deriveSigningKey(KEY.secretAccessKey, '20260115', 'us-east-1', 's3'),
        scope: '20260115/us-east-1/s3/aws4_request',
        amzDate: '20260115T123045Z',
        seedSignature: /Signature=([0-9a-f]{64})/.exec(String(req.headers.authorization))?.[1],
      });
    }
  });

  it('accepts any region unless one is configured', async () => {
    const req = await signHeader({ region: 'eu-central-1' });
    expect(auth(req).kind).toBe('signed');
    expect(auth(req, NOW, { region: 'eu-central-1' }).kind).toBe('signed');
    const error = errorOf(() => auth(req, NOW, { region: 'us-east-1' }));
    expect(error.code).toBe('E_AUTHORIZATION_HEADER_MALFORMED');
    expect(error.message).toContain("the region 'eu-central-1' is wrong; expecting 'us-east-1'");
    expect(error.details.region).toBe('us-east-1');
  });

  it('joins repeated headers with "," as SigV4 does (node headersDistinct)', async () => {
    const req = await signHeader({ headers: { 'x-amz-meta-list': 'a,b' } });
    const distinct = { ...req, headers: { ...req.headers, 'x-amz-meta-list': ['a', ' b '] } };
    expect(auth(distinct).kind).toBe('signed');
  });
});

describe('authenticateRequest: any single-byte change breaks the signature', () => {
  it('header auth: method, every path and query byte, a signed header, the date, the signature', async () => {
    const req = await signHeader({
      method: 'PUT',
      path: '/bucket/photos/2026/cat%20pic.jpg',
      query: { versionId: 'v123abc', tagging: '' },
      headers: { 'x-amz-meta-owner': 'alice', 'content-type': 'image/jpeg' },
    });
    expect(auth(req).kind).toBe('signed');
    const mismatch = (r: AuthRequest) =>
      expect(codeOf(() => auth(r))).toBe('E_SIGNATURE_DOES_NOT_MATCH');

    mismatch({ ...req, method: 'POST' });
    mismatch({ ...req, method: 'put' });
    for (let i = 0; i < req.rawPath.length; i++) {
      if (/[A-Za-z0-9]/.test(req.rawPath[i] ?? '')) {
        mismatch({ ...req, rawPath: replaceAt(req.rawPath, i, otherChar(req.rawPath[i] ?? '')) });
      }
    }
    for (let i = 0; i < req.rawQuery.length; i++) {
      if (/[A-Za-z0-9]/.test(req.rawQuery[i] ?? '')) {
        mismatch({
          ...req,
          rawQuery: replaceAt(req.rawQuery, i, otherChar(req.rawQuery[i] ?? '')),
        });
      }
    }
    mismatch({ ...req, rawQuery: `${req.rawQuery}&extra=1` });
    mismatch(withHeader(req, 'x-amz-meta-owner', 'alicf'));
    mismatch(withHeader(req, 'content-type', 'image/jpeg2'));
    mismatch(withHeader(req, 'host', '127.0.0.1:9001'));
    mismatch(withHeader(req, 'x-amz-date', '20260115T123046Z'));
    mismatch(withHeader(req, 'x-amz-content-sha256', 'UNSIGNED-PAYLOAD'));
    const authorization = String(req.headers.authorization);
    const at = authorization.indexOf('Signature=') + 'Signature='.length;
    for (let i = at; i < authorization.length; i++) {
      const c = authorization[i] ?? '';
      mismatch(
        withHeader(req, 'authorization', replaceAt(authorization, i, c === 'a' ? 'b' : 'a')),
      );
    }
  });

  it('header auth with a wrong secret, and no secret or expected signature in the error', async () => {
    const req = await signHeader({ secret: 'not-the-secret' });
    const error = errorOf(() => auth(req));
    expect(error.code).toBe('E_SIGNATURE_DOES_NOT_MATCH');
    const good = await signHeader();
    const expected = /Signature=([0-9a-f]{64})/.exec(String(good.headers.authorization))?.[1] ?? '';
    const everything = `${error.message} ${JSON.stringify(error.details)} ${String(error.stack)}`;
    expect(everything).not.toContain(KEY.secretAccessKey);
    expect(everything).not.toContain(expected);
    expect(error.details.canonicalRequest).toContain('host:127.0.0.1:9000');
    expect(error.details.stringToSign).toMatch(/^AWS4-HMAC-SHA256\n20260115T123045Z\n/);
  });

  it('presigned: every byte of the query and path either breaks the signature or is refused', async () => {
    const req = await signQuery({ method: 'GET', path: '/bucket/a%20b.txt', expiresIn: 3600 });
    expect(auth(req).kind).toBe('signed');
    for (const field of ['rawPath', 'rawQuery'] as const) {
      for (let i = 0; i < req[field].length; i++) {
        const c = req[field][i] ?? '';
        if (!/[A-Za-z0-9]/.test(c)) continue;
        const tampered = { ...req, [field]: replaceAt(req[field], i, otherChar(c)) };
        expect(() => auth(tampered), `${field}[${i}]`).toThrow();
      }
    }
    expect(codeOf(() => auth({ ...req, method: 'PUT' }))).toBe('E_SIGNATURE_DOES_NOT_MATCH');
    expect(codeOf(() => auth(withHeader(req, 'host', 'evil.example')))).toBe(
      'E_SIGNATURE_DOES_NOT_MATCH',
    );
  });
});

describe('authenticateRequest: presigned URLs from @aws-sdk/s3-request-presigner', () => {
  const client = new S3Client({
    region: 'us-east-1',
    endpoint: `http://${HOST}`,
    forcePathStyle: true,
    credentials: KEY,
  });

  function fromUrl(method: string, url: string): AuthRequest {
    const rest = url.slice(`http://${HOST}`.length);
    const q = rest.indexOf('?');
    return {
      method,
      rawPath: rest.slice(0, q),
      rawQuery: rest.slice(q + 1),
      headers: { host: HOST },
    };
  }

  it('accepts GetObject and PutObject URLs for hostile keys', async () => {
    for (const key of HOSTILE_KEYS.filter((k) => !k.includes('..'))) {
      const get = await getSignedUrl(client, new GetObjectCommand({ Bucket: 'bucket', Key: key }), {
        signingDate: new Date(NOW),
        expiresIn: 600,
      });
      expect(auth(fromUrl('GET', get)), key).toMatchObject({ kind: 'signed', via: 'query' });
      const put = await getSignedUrl(
        client,
        new PutObjectCommand({ Bucket: 'bucket', Key: key, ContentType: 'text/plain' }),
        { signingDate: new Date(NOW), expiresIn: 600 },
      );
      const result = auth(fromUrl('PUT', put));
      expect(result, key).toMatchObject({ kind: 'signed', payload: { type: 'unsigned' } });
      expect(codeOf(() => auth(fromUrl('PUT', put), NOW + 601_000))).toBe('E_ACCESS_DENIED');
    }
  });

  it('accepts response-* overrides in GetObject URLs', async () => {
    const url = await getSignedUrl(
      client,
      new GetObjectCommand({
        Bucket: 'bucket',
        Key: 'report.pdf',
        ResponseContentDisposition: 'attachment; filename="Bericht für Q1.pdf"',
        ResponseContentType: 'application/pdf',
      }),
      { signingDate: new Date(NOW), expiresIn: 60 },
    );
    expect(auth(fromUrl('GET', url)).kind).toBe('signed');
  });
});

describe('authenticateRequest: errors, with the codes S3 uses', () => {
  it('no authentication at all is anonymous', () => {
    expect(
      auth({ method: 'GET', rawPath: '/b/k', rawQuery: 'a=1', headers: { host: HOST } }),
    ).toEqual({
      kind: 'anonymous',
    });
  });

  it('an unknown access key is InvalidAccessKeyId (403)', async () => {
    const req = await signHeader();
    const error = errorOf(() => authenticateRequest(req, () => undefined, NOW));
    expect(error.code).toBe('E_INVALID_ACCESS_KEY_ID');
    expect(error).toMatchObject({ httpStatus: 403, s3Code: 'InvalidAccessKeyId' });
    const presigned = await signQuery();
    expect(codeOf(() => authenticateRequest(presigned, () => undefined, NOW))).toBe(
      'E_INVALID_ACCESS_KEY_ID',
    );
  });

  it('a clock more than 15 minutes off is RequestTimeTooSkewed (403)', async () => {
    const req = await signHeader();
    expect(auth(req, NOW + 14 * 60_000).kind).toBe('signed');
    expect(auth(req, NOW - 15 * 60_000).kind).toBe('signed');
    for (const now of [NOW + 15 * 60_000 + 1, NOW - 16 * 60_000]) {
      const error = errorOf(() => auth(req, now));
      expect(error.code).toBe('E_REQUEST_TIME_TOO_SKEWED');
      expect(error).toMatchObject({ httpStatus: 403, s3Code: 'RequestTimeTooSkewed' });
    }
    expect(codeOf(() => auth(req, NOW + 60_000, { maxSkewMs: 30_000 }))).toBe(
      'E_REQUEST_TIME_TOO_SKEWED',
    );
  });

  it('a malformed Authorization header or scope is AuthorizationHeaderMalformed (400)', async () => {
    const req = await signHeader();
    const authorization = String(req.headers.authorization);
    const scope = '20260115/us-east-1/s3/aws4_request';
    const variants = [
      authorization.replace(/Credential=[^,]*, /, ''),
      authorization.replace(/SignedHeaders=[^,]*, /, ''),
      authorization.replace(/, Signature=.*/, ''),
      `${authorization}, Signature=${'0'.repeat(64)}`,
      authorization.replace('SignedHeaders=', 'Whatever=x, SignedHeaders='),
      authorization.replace('SignedHeaders=host', 'SignedHeaders=Host'),
      authorization.replace(/SignedHeaders=[^,]*/, 'SignedHeaders='),
      authorization.replace(scope, '20260115/us-east-1/s3'),
      authorization.replace(scope, '20260115/us-east-1/ec2/aws4_request'),
      authorization.replace(scope, '20260115/us-east-1/s3/aws4_reqest'),
      authorization.replace(scope, '20260114/us-east-1/s3/aws4_request'),
      authorization.replace(scope, '2026011/us-east-1/s3/aws4_request'),
      authorization.replace(scope, '/us-east-1/s3/aws4_request'),
      authorization.replace(scope, '20260115/us-east-1//aws4_request'),
      'AWS4-HMAC-SHA256',
      'AWS4-HMAC-SHA256   ',
    ];
    for (const value of variants) {
      const error = errorOf(() => auth(withHeader(req, 'authorization', value)));
      expect(error.code, value).toBe('E_AUTHORIZATION_HEADER_MALFORMED');
      expect(error).toMatchObject({ httpStatus: 400, s3Code: 'AuthorizationHeaderMalformed' });
    }
    const twice = {
      ...req,
      headers: { ...req.headers, authorization: [authorization, authorization] },
    };
    expect(codeOf(() => auth(twice))).toBe('E_AUTHORIZATION_HEADER_MALFORMED');
  });

  it('an empty region is taken when none is configured, as MinIO and Ceph RGW take it', async () => {
    // libcloud's MinIO driver signs with `Credential=AKID/20260115//s3/aws4_request`.
    const req = await signHeader({ region: '' });
    expect(String(req.headers.authorization)).toContain('/20260115//s3/aws4_request');
    expect(auth(req)).toMatchObject({ kind: 'signed', accessKeyId: KEY.accessKeyId });
    // A request signed for us-east-1 but sent with its region removed does not verify.
    const regionless = String((await signHeader()).headers.authorization).replace(
      '/us-east-1/',
      '//',
    );
    expect(errorOf(() => auth(withHeader(req, 'authorization', regionless)))).toMatchObject({
      s3Code: 'SignatureDoesNotMatch',
    });
    // A server with a configured region wants that one, as S3 wants a non-empty one.
    const configured = errorOf(() => auth(req, NOW, { region: 'us-east-1' }));
    expect(configured).toMatchObject({ httpStatus: 400, s3Code: 'AuthorizationHeaderMalformed' });
  });

  it('SigV2 and SigV4a are refused with a message that says so', async () => {
    const req = await signHeader();
    const v2 = errorOf(() =>
      auth(withHeader(req, 'authorization', `AWS ${KEY.accessKeyId}:c2lnbmF0dXJl`)),
    );
    expect(v2.code).toBe('E_INVALID_REQUEST');
    // Exactly S3's text, which s3cmd matches to go back to SigV4.
    expect(v2.message).toBe(
      'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.',
    );
    expect(v2.details).toMatchObject({ mechanism: 'SigV2' });
    const v4a = errorOf(() =>
      auth(
        withHeader(
          req,
          'authorization',
          'AWS4-ECDSA-P256-SHA256 Credential=x/y, SignedHeaders=host, Signature=00',
        ),
      ),
    );
    expect(v4a.code).toBe('E_INVALID_REQUEST');
    expect(v4a.message).toContain('SigV4a');
    expect(codeOf(() => auth(withHeader(req, 'authorization', 'Bearer abc')))).toBe(
      'E_INVALID_ARGUMENT',
    );
    const v2Query = errorOf(() =>
      auth({
        method: 'GET',
        rawPath: '/b/k',
        rawQuery: `AWSAccessKeyId=${KEY.accessKeyId}&Expires=1767225600&Signature=abc%3D`,
        headers: { host: HOST },
      }),
    );
    expect(v2Query.code).toBe('E_INVALID_REQUEST');
    expect(v2Query.message).toMatch(/Signature Version 2/);
  });

  it('both an Authorization header and presign parameters is InvalidArgument', async () => {
    const req = await signHeader();
    const presigned = await signQuery();
    expect(codeOf(() => auth({ ...req, rawQuery: presigned.rawQuery }))).toBe('E_INVALID_ARGUMENT');
  });

  it('header auth needs x-amz-content-sha256 with a valid value, and a valid date', async () => {
    const req = await signHeader();
    const missing = errorOf(() => auth(withHeader(req, 'x-amz-content-sha256', undefined)));
    expect(missing.code).toBe('E_INVALID_REQUEST');
    expect(missing.message).toContain('x-amz-content-sha256');
    expect(codeOf(() => auth(withHeader(req, 'x-amz-content-sha256', 'abc')))).toBe(
      'E_INVALID_ARGUMENT',
    );
    expect(codeOf(() => auth(withHeader(req, 'x-amz-date', undefined)))).toBe('E_ACCESS_DENIED');
    expect(codeOf(() => auth(withHeader(req, 'x-amz-date', '2026-01-15T12:30:45Z')))).toBe(
      'E_ACCESS_DENIED',
    );
    expect(codeOf(() => auth(withHeader(req, 'x-amz-date', '20260231T123045Z')))).toBe(
      'E_ACCESS_DENIED',
    );
  });

  it('takes the time from Date when there is no x-amz-date', async () => {
    const req = await signHeader();
    const dateOnly = withHeader(
      withHeader(req, 'x-amz-date', undefined),
      'date',
      new Date(NOW).toUTCString(),
    );
    // The signature covered x-amz-date, so it no longer matches, but the time was read.
    expect(codeOf(() => auth(dateOnly))).toBe('E_SIGNATURE_DOES_NOT_MATCH');
    expect(codeOf(() => auth(dateOnly, NOW + 3_600_000))).toBe('E_REQUEST_TIME_TOO_SKEWED');
    const unzoned = withHeader(dateOnly, 'date', 'Thu Jan 15 2026 12:30:45');
    expect(codeOf(() => auth(unzoned))).toBe('E_ACCESS_DENIED');
  });

  it('x-amz-* headers and host must be signed (AccessDenied, naming them)', async () => {
    const req = await signHeader();
    const extra = errorOf(() => auth(withHeader(req, 'x-amz-acl', 'public-read')));
    expect(extra.code).toBe('E_ACCESS_DENIED');
    expect(extra.details.headersNotSigned).toEqual(['x-amz-acl']);
    const presigned = await signQuery({ method: 'PUT' });
    const copy = errorOf(() => auth(withHeader(presigned, 'x-amz-copy-source', '/other/secret')));
    expect(copy.code).toBe('E_ACCESS_DENIED');
    expect(copy.message).toContain('x-amz-copy-source');
    const noHost = await signHeader({ headers: {} });
    const authorization = String(noHost.headers.authorization).replace(
      'SignedHeaders=host;',
      'SignedHeaders=',
    );
    const error = errorOf(() => auth(withHeader(noHost, 'authorization', authorization)));
    expect(error.code).toBe('E_ACCESS_DENIED');
    expect(error.details.headersNotSigned).toEqual(['host']);
  });

  it('bad presign parameters are AuthorizationQueryParametersError (400)', async () => {
    const req = await signQuery({ expiresIn: 3600 });
    const set = (name: string, value: string | undefined) => {
      const params = req.rawQuery.split('&').filter((p) => !p.startsWith(`${name}=`));
      if (value !== undefined) params.push(`${name}=${value}`);
      return { ...req, rawQuery: params.join('&') };
    };
    const variants = [
      set('X-Amz-Expires', undefined),
      set('X-Amz-Date', undefined),
      set('X-Amz-SignedHeaders', undefined),
      set('X-Amz-Algorithm', undefined),
      set('X-Amz-Signature', undefined),
      set('X-Amz-Credential', undefined),
      set('X-Amz-Expires', '604801'),
      set('X-Amz-Expires', '-5'),
      set('X-Amz-Expires', 'soon'),
      set('X-Amz-Algorithm', 'AWS4-HMAC-SHA1'),
      set('X-Amz-Date', '2026-01-15T12:30:45Z'),
      set('X-Amz-SignedHeaders', 'HOST'),
      set('X-Amz-Credential', `${KEY.accessKeyId}%2F20260115%2Fus-east-1%2Fs3`),
      set('X-Amz-Credential', `${KEY.accessKeyId}%2F20260115%2Fus-east-1%2Fsqs%2Faws4_request`),
      set('X-Amz-Credential', `${KEY.accessKeyId}%2F20260116%2Fus-east-1%2Fs3%2Faws4_request`),
      { ...req, rawQuery: `${req.rawQuery}&X-Amz-Expires=60` },
    ];
    for (const variant of variants) {
      const error = errorOf(() => auth(variant));
      expect(error.code, variant.rawQuery).toBe('E_AUTHORIZATION_QUERY_MALFORMED');
      expect(error).toMatchObject({ httpStatus: 400, s3Code: 'AuthorizationQueryParametersError' });
    }
    expect(codeOf(() => auth(req, NOW, { region: 'eu-west-1' }))).toBe(
      'E_AUTHORIZATION_QUERY_MALFORMED',
    );
    // A week is the longest lifetime SigV4 allows, and it is accepted.
    const week = await signQuery({ expiresIn: 604_800 });
    expect(auth(week, NOW + 604_799_000).kind).toBe('signed');
  });

  it('an expired or not-yet-valid presigned URL is AccessDenied (403)', async () => {
    const req = await signQuery({ expiresIn: 60 });
    expect(auth(req, NOW + 60_000).kind).toBe('signed');
    const expired = errorOf(() => auth(req, NOW + 60_001));
    expect(expired).toMatchObject({ code: 'E_ACCESS_DENIED', message: 'Request has expired' });
    expect(expired).toMatchObject({ httpStatus: 403, s3Code: 'AccessDenied' });
    expect(auth(req, NOW - 15 * 60_000).kind).toBe('signed');
    const early = errorOf(() => auth(req, NOW - 15 * 60_000 - 1));
    expect(early).toMatchObject({ code: 'E_ACCESS_DENIED', message: 'Request is not valid yet' });
    // X-Amz-Expires=0 has always expired, even at the second it was signed (as on S3).
    const zero = await signQuery({ expiresIn: 0 });
    expect(zero.rawQuery).toContain('X-Amz-Expires=0');
    expect(errorOf(() => auth(zero, NOW))).toMatchObject({
      code: 'E_ACCESS_DENIED',
      message: 'Request has expired',
    });
  });
});
