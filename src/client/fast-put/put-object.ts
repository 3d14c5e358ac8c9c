/**
 * PutObject of an in-memory body without the SDK's middleware stack, for uploads of many
 * small files: there the SDK's per-request work (endpoint rules, schema serde, user agent,
 * retry and auth-scheme middleware, its signer) cost the client ~0.6 ms of CPU per object,
 * more than `stowage serve` spends storing it.
 *
 * The SDK still decides everything about the store: the first PutObject to a bucket goes
 * through it, and its signed request tells where that bucket's objects live (scheme, host,
 * path prefix, signing region and service). Later PutObjects to the bucket are signed here
 * the way that request was and sent over the client's own keep-alive agent. Credentials come
 * from the client's provider on every request (it caches and refreshes them). What this
 * path cannot reproduce exactly goes through the SDK instead: an input field it does not
 * map, a header value outside printable ASCII, a body without Content-MD5, a route whose
 * request was not plain SigV4.
 *
 * Failures carry the SDK's error shape (`name` = the S3 code, `$metadata.httpStatusCode`,
 * `$response.headers`), so retries and src/client/errors.ts treat them alike.
 */
import http from 'node:http';
import https from 'node:https';
import {
  PutObjectCommand,
  type PutObjectCommandInput,
  type PutObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { decodeXmlText, HEADER_TOKEN, PRINTABLE_ASCII } from '../http-text.js';
import { encodeKeyPath, signRequest, type SigningCredentials } from './sign.js';

/** How the factory lets this folder send a client's requests itself. */
export interface FastPutTransport {
  httpAgent: http.Agent;
  httpsAgent: https.Agent;
  /** Idle time mid-request after which the request fails (as the SDK's socketTimeout). */
  socketTimeoutMs: number;
  userAgent: string;
}

/** Where one bucket's objects go, learnt from a request the SDK signed. */
interface Route {
  protocol: 'http:' | 'https:';
  hostname: string;
  port: number | undefined;
  host: string;
  /** The path before the encoded key: `/bucket/` (path-style) or `/` (virtual host). */
  prefix: string;
  region: string;
  service: string;
}

interface ClientState {
  transport: FastPutTransport;
  /** By bucket; null when that bucket's requests stay with the SDK. */
  routes: Map<string, Route | null>;
}

const clients = new WeakMap<S3Client, ClientState>();

/** Lets {@link putObject} send this client's PutObjects itself (see the module comment). */
export function enableFastPut(client: S3Client, transport: FastPutTransport): void {
  clients.set(client, { transport, routes: new Map() });
}

/** Input fields and the header each becomes; any other field sends the request via the SDK. */
const HEADER_OF: Record<string, string> = {
  ContentMD5: 'content-md5',
  ContentType: 'content-type',
  CacheControl: 'cache-control',
  StorageClass: 'x-amz-storage-class',
  ServerSideEncryption: 'x-amz-server-side-encryption',
  SSEKMSKeyId: 'x-amz-server-side-encryption-aws-kms-key-id',
  Tagging: 'x-amz-tagging',
};
const HANDLED = new Set([
  'Bucket',
  'Key',
  'Body',
  'ContentLength',
  'Metadata',
  ...Object.keys(HEADER_OF),
]);

/** What {@link putObject} answers: the output fields transfers read. */
export type PutObjectResult = Pick<
  PutObjectCommandOutput,
  'ETag' | 'VersionId' | 'ServerSideEncryption' | 'SSECustomerAlgorithm' | '$metadata'
>;

/**
 * Sends a PutObject whose body is in memory: without the SDK when the client allows it
 * and the bucket's route is known, through the SDK otherwise.
 *
 * @example
 * const res = await putObject(client, { Bucket: 'assets', Key: 'a.png', Body: bytes,
 *   ContentLength: bytes.length, ContentMD5: md5Base64 }, signal);
 */
export async function putObject(
  client: S3Client,
  input: PutObjectCommandInput & { Body: Uint8Array },
  abortSignal?: AbortSignal,
): Promise<PutObjectResult> {
  const state = clients.get(client);
  const route = state?.routes.get(input.Bucket!);
  const headers = state && route ? headersOf(input) : undefined;
  if (state && route && headers) {
    return send(state.transport, route, await credentialsOf(client), input, headers, abortSignal);
  }
  const command = new PutObjectCommand(input);
  let signed: SdkRequest | undefined;
  if (state && route === undefined && headersOf(input)) {
    command.middlewareStack.add(
      (next) => (args) => {
        signed = args.request as SdkRequest;
        return next(args);
      },
      { step: 'deserialize', priority: 'low', name: 'stowageFastPutRoute' },
    );
  }
  const res = await client.send(command, { abortSignal });
  if (state && signed && !state.routes.has(input.Bucket!)) {
    state.routes.set(input.Bucket!, routeOf(signed, input.Key!));
  }
  return res;
}

/** The request headers of `input` besides the signature's, or undefined for the SDK's path. */
function headersOf(
  input: PutObjectCommandInput & { Body: Uint8Array },
): Record<string, string> | undefined {
  if (input.ContentMD5 === undefined) return undefined;
  const headers: Record<string, string> = { 'content-length': String(input.Body.length) };
  for (const [field, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (!HANDLED.has(field)) return undefined;
    const name = HEADER_OF[field];
    if (name === undefined) continue;
    if (typeof value !== 'string' || !PRINTABLE_ASCII.test(value)) return undefined;
    headers[name] = value;
  }
  for (const [k, v] of Object.entries(input.Metadata ?? {})) {
    const name = `x-amz-meta-${k.toLowerCase()}`;
    if (!HEADER_TOKEN.test(name) || !PRINTABLE_ASCII.test(v) || name in headers) {
      return undefined;
    }
    headers[name] = v;
  }
  if (input.ContentLength !== undefined && input.ContentLength !== input.Body.length) {
    return undefined;
  }
  return headers;
}

interface SdkRequest {
  protocol?: string;
  hostname?: string;
  port?: number;
  path?: string;
  headers?: Record<string, string>;
}

/** The route the SDK's signed request shows, or null when it is not one this path can copy. */
function routeOf(req: SdkRequest, key: string): Route | null {
  const encoded = encodeKeyPath(key);
  const headers = Object.fromEntries(
    Object.entries(req.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
  );
  const scope = /^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request,/.exec(
    headers['authorization'] ?? '',
  );
  const path = req.path ?? '';
  if (
    !encoded ||
    !scope ||
    !path.endsWith(encoded) ||
    !path.slice(0, path.length - encoded.length).endsWith('/') ||
    (req.protocol !== 'http:' && req.protocol !== 'https:') ||
    !req.hostname ||
    !headers['host']
  ) {
    return null;
  }
  return {
    protocol: req.protocol,
    hostname: req.hostname,
    port: req.port,
    host: headers['host'],
    prefix: path.slice(0, path.length - encoded.length),
    region: scope[1]!,
    service: scope[2]!,
  };
}

async function credentialsOf(client: S3Client): Promise<SigningCredentials> {
  const provider = client.config.credentials as () => Promise<SigningCredentials>;
  return provider();
}

/** The response headers the result and errors read. */
function header(res: http.IncomingMessage, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function send(
  transport: FastPutTransport,
  route: Route,
  credentials: SigningCredentials,
  input: PutObjectCommandInput & { Body: Uint8Array },
  headers: Record<string, string>,
  signal: AbortSignal | undefined,
): Promise<PutObjectResult> {
  const req = { method: 'PUT', path: route.prefix + encodeKeyPath(input.Key!)!, headers };
  headers['host'] = route.host;
  signRequest(req, credentials, route.region, route.service, new Date());
  headers['user-agent'] = transport.userAgent;
  const https_ = route.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const request = (https_ ? https : http).request(
      {
        protocol: route.protocol,
        hostname: route.hostname,
        ...(route.port !== undefined ? { port: route.port } : {}),
        method: 'PUT',
        path: req.path,
        headers,
        agent: https_ ? transport.httpsAgent : transport.httpAgent,
        ...(signal ? { signal } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const $metadata = {
            httpStatusCode: status,
            requestId: header(res, 'x-amz-request-id'),
            extendedRequestId: header(res, 'x-amz-id-2'),
          };
          if (status >= 200 && status < 300) {
            resolve({
              ETag: header(res, 'etag'),
              VersionId: header(res, 'x-amz-version-id'),
              ServerSideEncryption: header(
                res,
                'x-amz-server-side-encryption',
              ) as PutObjectResult['ServerSideEncryption'],
              SSECustomerAlgorithm: header(res, 'x-amz-server-side-encryption-customer-algorithm'),
              $metadata,
            });
          } else {
            reject(errorOf(Buffer.concat(chunks).toString('utf8'), res, $metadata));
          }
        });
      },
    );
    request.setTimeout(transport.socketTimeoutMs, () => {
      const err = new Error(`no answer within ${transport.socketTimeoutMs} ms (socket timeout)`);
      err.name = 'TimeoutError';
      request.destroy(err);
    });
    request.on('error', reject);
    request.end(input.Body);
  });
}

/** An S3 error answer in the SDK's shape: `name` and `Code` the S3 code, the status in `$metadata`. */
function errorOf(
  body: string,
  res: http.IncomingMessage,
  $metadata: PutObjectResult['$metadata'],
): Error {
  const field = (name: string) => {
    const text = new RegExp(`<${name}>([^<]*)</${name}>`).exec(body)?.[1];
    return text === undefined ? undefined : decodeXmlText(text);
  };
  const code = field('Code') ?? 'UnknownError';
  const err = new Error(field('Message') ?? 'UnknownError');
  const requestId = field('RequestId');
  return Object.assign(err, {
    name: code,
    Code: code,
    $fault: ($metadata.httpStatusCode ?? 0) >= 500 ? 'server' : 'client',
    $metadata: requestId ? { ...$metadata, requestId } : $metadata,
    $response: { statusCode: res.statusCode, headers: res.headers },
  });
}
