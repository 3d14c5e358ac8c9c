/**
 * GetObject without the SDK's middleware stack, for downloads of many small objects: a
 * profile of `stowage cp --recursive` of 10,000 objects of 4 KiB showed the SDK's
 * per-request work (endpoint rules, schema serde and the response's deserialisation,
 * retry and auth-scheme middleware, its signer) at ~0.4 ms of the client's CPU per object.
 *
 * Routes are learnt as routes.ts says (a route learnt from a PutObject serves GETs too).
 * Only Bucket, Key, IfMatch and Range are sent this way; any other input field (a
 * VersionId, a response-* override, SSE-C, ChecksumMode…) goes through the SDK. The
 * result has the output fields downloads read, with the body as a stream of the bytes;
 * failures carry the SDK's error shape (response.ts).
 */
import http from 'node:http';
import https from 'node:https';
import {
  GetObjectCommand,
  type GetObjectCommandInput,
  type GetObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { PRINTABLE_ASCII } from '../http-text.js';
import { errorOf, header, metadataOf } from './response.js';
import { credentialsOf, routeFor, routeWatcher, type FastTransport, type Route } from './routes.js';
import { encodeKeyPath, signRequest, type SigningCredentials } from './sign.js';

/** Input fields and the header each becomes; any other field sends the request via the SDK. */
const HEADER_OF: Record<string, string> = { IfMatch: 'if-match', Range: 'range' };
const HANDLED = new Set(['Bucket', 'Key', ...Object.keys(HEADER_OF)]);

/** What {@link getObject} answers: the output fields downloads read, the body as bytes. */
export type GetObjectResult = Pick<
  GetObjectCommandOutput,
  | 'ETag'
  | 'ContentLength'
  | 'ContentRange'
  | 'ContentType'
  | 'LastModified'
  | 'Metadata'
  | 'ServerSideEncryption'
  | 'SSECustomerAlgorithm'
  | 'VersionId'
  | '$metadata'
> & { Body: AsyncIterable<Uint8Array> };

/**
 * Sends a GetObject: without the SDK when the client allows it and the bucket's route is
 * known, through the SDK otherwise. The body must be read (or the signal aborted) for the
 * connection to return to the agent.
 *
 * @example
 * const res = await getObject(client, { Bucket: 'assets', Key: 'a.png', IfMatch: etag });
 * for await (const piece of res.Body) write(piece);
 */
export async function getObject(
  client: S3Client,
  input: GetObjectCommandInput,
  abortSignal?: AbortSignal,
): Promise<GetObjectResult> {
  const { state, route } = routeFor(client, input.Bucket!);
  const headers = state && route ? headersOf(input) : undefined;
  if (state && route && headers) {
    return send(state.transport, route, await credentialsOf(client), input, headers, abortSignal);
  }
  const command = new GetObjectCommand(input);
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
  return { ...res, Body: res.Body as AsyncIterable<Uint8Array> };
}

/** The request headers of `input` besides the signature's, or undefined for the SDK's path. */
function headersOf(input: GetObjectCommandInput): Record<string, string> | undefined {
  const headers: Record<string, string> = {};
  for (const [field, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (!HANDLED.has(field)) return undefined;
    const name = HEADER_OF[field];
    if (name === undefined) continue;
    if (typeof value !== 'string' || !PRINTABLE_ASCII.test(value)) return undefined;
    headers[name] = value;
  }
  return headers;
}

/** The output fields of a 2xx answer, as the SDK deserialises them. */
function outputOf(res: http.IncomingMessage): Omit<GetObjectResult, 'Body'> {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers)) {
    if (name.startsWith('x-amz-meta-') && value !== undefined) {
      metadata[name.slice('x-amz-meta-'.length)] = Array.isArray(value) ? value.join(', ') : value;
    }
  }
  const length = header(res, 'content-length');
  const modified = header(res, 'last-modified');
  const lastModified = modified === undefined ? undefined : new Date(modified);
  return {
    ETag: header(res, 'etag'),
    ContentLength: length === undefined ? undefined : Number(length),
    ContentRange: header(res, 'content-range'),
    ContentType: header(res, 'content-type'),
    LastModified: lastModified && !Number.isNaN(lastModified.getTime()) ? lastModified : undefined,
    Metadata: metadata,
    ServerSideEncryption: header(
      res,
      'x-amz-server-side-encryption',
    ) as GetObjectResult['ServerSideEncryption'],
    SSECustomerAlgorithm: header(res, 'x-amz-server-side-encryption-customer-algorithm'),
    VersionId: header(res, 'x-amz-version-id'),
    $metadata: metadataOf(res),
  };
}

function send(
  transport: FastTransport,
  route: Route,
  credentials: SigningCredentials,
  input: GetObjectCommandInput,
  headers: Record<string, string>,
  signal: AbortSignal | undefined,
): Promise<GetObjectResult> {
  const req = { method: 'GET', path: route.prefix + encodeKeyPath(input.Key!)!, headers };
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
        method: 'GET',
        path: req.path,
        headers,
        agent: https_ ? transport.httpsAgent : transport.httpAgent,
        ...(signal ? { signal } : {}),
      },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          if (signal) abortBodyOn(signal, res);
          resolve({ ...outputOf(res), Body: res });
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () =>
          reject(errorOf(Buffer.concat(chunks).toString('utf8'), res, metadataOf(res))),
        );
      },
    );
    // Idle time on the socket, also while the caller reads the body (as the SDK's).
    request.setTimeout(transport.socketTimeoutMs, () => {
      const err = new Error(`no answer within ${transport.socketTimeoutMs} ms (socket timeout)`);
      err.name = 'TimeoutError';
      request.destroy(err);
    });
    request.on('error', reject);
    request.end();
  });
}

/**
 * Fails a body still being read with an AbortError when `signal` aborts (on its own the
 * body would fail as a connection reset, which retries would take for a network fault).
 */
function abortBodyOn(signal: AbortSignal, res: http.IncomingMessage): void {
  const onAbort = () => {
    const err = new Error('the GET was aborted');
    err.name = 'AbortError';
    res.destroy(err);
  };
  if (signal.aborted) {
    onAbort();
    return;
  }
  signal.addEventListener('abort', onAbort, { once: true });
  res.once('close', () => signal.removeEventListener('abort', onAbort));
}
