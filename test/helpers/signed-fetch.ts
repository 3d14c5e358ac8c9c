/**
 * fetch() with Signature V4 headers (the test server's root key): for requests no SDK
 * sends as such, such as a HEAD with partNumber, two checksum headers, or a POST Object.
 */
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { TEST_KEY } from './server.js';

/** A SigV4 signer for S3 in us-east-1, as the SDK signs (path not re-escaped). */
export function s3Signer(credentials: { accessKeyId: string; secretAccessKey: string }) {
  return new SignatureV4({
    credentials,
    region: 'us-east-1',
    service: 's3',
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: false,
  });
}

const signer = s3Signer(TEST_KEY);

/**
 * Sends `method pathAndQuery` to the server at `target.url`, signed. `contentMd5` adds the
 * body's Content-MD5 (S3 requires one on some bucket-document PUTs).
 */
export async function signedFetch(
  target: { url: string },
  method: string,
  pathAndQuery: string,
  options: {
    body?: string | Buffer;
    headers?: Record<string, string>;
    contentMd5?: boolean;
    /** Signs with other credentials (a wrong secret, for errors). */
    credentials?: { accessKeyId: string; secretAccessKey: string };
    /** Signs as of this time (a skewed clock). */
    signingDate?: Date;
    /** Aborts the request (a client that goes away). */
    signal?: AbortSignal;
    /**
     * Sends non-ASCII header values as their UTF-8 bytes, signed over those bytes, as curl
     * and Go clients send them (fetch alone sends one Latin-1 byte per character).
     */
    utf8Headers?: boolean;
  } = {},
): Promise<Response> {
  const url = new URL(pathAndQuery, target.url);
  const body = options.body ?? '';
  const headers: Record<string, string> = {
    host: url.host,
    'x-amz-content-sha256': createHash('sha256').update(body).digest('hex'),
    ...options.headers,
  };
  if (options.contentMd5) headers['content-md5'] = createHash('md5').update(body).digest('base64');
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  const use = options.credentials ? s3Signer(options.credentials) : signer;
  const signed = await use.sign(
    {
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query,
      headers,
    },
    options.signingDate ? { signingDate: options.signingDate } : {},
  );
  const sent = options.utf8Headers
    ? Object.fromEntries(
        Object.entries(signed.headers).map(([k, v]) => [
          k,
          Buffer.from(v, 'utf8').toString('latin1'),
        ]),
      )
    : signed.headers;
  return fetch(url, {
    method,
    headers: sent,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(method === 'GET' || method === 'HEAD' ? {} : { body }),
  });
}

/**
 * The header lines (`name: value\r\n` each) of `method path` signed with the root key for
 * the server at `target.url`, host included, for a request written by hand on a socket.
 */
export async function signedHeaderLines(
  target: { url: string },
  request: {
    method: string;
    path: string;
    query?: Record<string, string>;
    headers: Record<string, string>;
  },
): Promise<string> {
  const { hostname, port, host } = new URL(target.url);
  const signed = await signer.sign({
    method: request.method,
    protocol: 'http:',
    hostname,
    port: Number(port),
    path: request.path,
    query: request.query ?? {},
    headers: { host, ...request.headers },
  });
  return Object.entries(signed.headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
}

/**
 * Sends `method rawPath` signed, through node:http, which sends the path exactly as given:
 * fetch() and URL resolve `..` and `%2E%2E` segments before anything is sent.
 */
export async function signedRawRequest(
  target: { url: string },
  method: string,
  rawPath: string,
  body = '',
  /** Sent unsigned beside the signed ones (an Origin, say). */
  extraHeaders: Record<string, string> = {},
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  const { hostname, port, host } = new URL(target.url);
  const signed = await signer.sign({
    method,
    protocol: 'http:',
    hostname,
    port: Number(port),
    path: rawPath,
    query: {},
    headers: { host, 'x-amz-content-sha256': createHash('sha256').update(body).digest('hex') },
  });
  return new Promise((resolve, reject) => {
    const headers = { ...signed.headers, ...extraHeaders };
    const req = http.request({ hostname, port, method, path: rawPath, headers });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body: text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
