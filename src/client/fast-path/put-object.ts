/**
 * PutObject of an in-memory body without the SDK's middleware stack, for uploads of many
 * small files: there the SDK's per-request work (endpoint rules, schema serde, user agent,
 * retry and auth-scheme middleware, its signer) cost the client ~0.6 ms of CPU per object,
 * more than `stowage serve` spends storing it.
 *
 * Routes are learnt as routes.ts says. What this path cannot reproduce exactly goes
 * through the SDK instead: an input field it does not map, a header value outside
 * printable ASCII, a body without Content-MD5, a route whose request was not plain SigV4.
 * Failures carry the SDK's error shape (response.ts).
 */
import http from 'node:http';
import https from 'node:https';
import {
  PutObjectCommand,
  type PutObjectCommandInput,
  type PutObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { HEADER_TOKEN, PRINTABLE_ASCII } from '../http-text.js';
import { errorOf, header, metadataOf } from './response.js';
import { credentialsOf, routeFor, routeWatcher, type FastTransport, type Route } from './routes.js';
import { encodeKeyPath, signRequest, type SigningCredentials } from './sign.js';

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
  const { state, route } = routeFor(client, input.Bucket!);
  const headers = state && route ? headersOf(input) : undefined;
  if (state && route && headers) {
    return send(state.transport, route, await credentialsOf(client), input, headers, abortSignal);
  }
  const command = new PutObjectCommand(input);
  const watch =
    state && route === undefined && headersOf(input)
      ? routeWatcher(state, input.Bucket!, input.Key!)
      : undefined;
  if (watch) {
    command.middlewareStack.add(
      (next) => (args) => {
        watch.keep(args.request);
        return next(args);
      },
      { step: 'deserialize', priority: 'low', name: 'stowageFastPathRoute' },
    );
  }
  const res = await client.send(command, { abortSignal });
  watch?.learn();
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

function send(
  transport: FastTransport,
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
          const $metadata = metadataOf(res);
          const status = $metadata.httpStatusCode;
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
