/**
 * Sending one request of a fast path (put-object.ts, get-object.ts): either signed here and
 * sent over the client's agents once the bucket's route is known, or through the SDK, which
 * then shows the route (routes.ts).
 */
import http from 'node:http';
import https from 'node:https';
import type { S3Client } from '@aws-sdk/client-s3';
import type { MetadataBearer, MiddlewareStack } from '@smithy/types';
import { PRINTABLE_ASCII } from '../http-text.js';
import { errorOf, metadataOf } from './response.js';
import { credentialsOf, routeFor, routeWatcher } from './routes.js';
import { encodeKeyPath } from '../../sigv4/key-path.js';
import { signRequest } from './sign.js';

/** What a fast path passes for one request. */
export interface FastRequest<T, I extends object, O extends MetadataBearer> {
  client: S3Client;
  bucket: string;
  key: string;
  method: 'GET' | 'PUT';
  /** The request's headers besides the signature's; undefined: only the SDK can send it. */
  headers: Record<string, string> | undefined;
  body?: Uint8Array;
  signal: AbortSignal | undefined;
  /** The result of a 2xx answer (the caller reads or drains the body). */
  onOk: (res: http.IncomingMessage) => T | Promise<T>;
  /** The SDK's command for the same request, with what to return of its output. */
  viaSdk: () => SdkCall<T, I, O>;
}

/** A command to send through the SDK and how to turn its output into the result. */
export interface SdkCall<T, I extends object, O extends MetadataBearer> {
  command: { middlewareStack: MiddlewareStack<I, O> };
  send: (abortSignal: AbortSignal | undefined) => Promise<T>;
}

/**
 * Adds to `headers` the header `headerOf` names for each field of `input`. False when a
 * field is neither in `handled` nor mapped, or a value is not printable ASCII: such a
 * request goes through the SDK.
 */
export function mapFields(
  input: object,
  handled: ReadonlySet<string>,
  headerOf: Readonly<Record<string, string>>,
  headers: Record<string, string>,
): boolean {
  for (const [field, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (!handled.has(field)) return false;
    const name = headerOf[field];
    if (name === undefined) continue;
    if (typeof value !== 'string' || !PRINTABLE_ASCII.test(value)) return false;
    headers[name] = value;
  }
  return true;
}

/** Sends `r` without the SDK when the bucket's route is known, else through the SDK. */
export async function sendFast<T, I extends object, O extends MetadataBearer>(
  r: FastRequest<T, I, O>,
): Promise<T> {
  const { state, route } = routeFor(r.client, r.bucket);
  // A key with no UTF-8 form (a lone surrogate) is the SDK's to refuse.
  const encodedKey = encodeKeyPath(r.key);
  if (state && route && r.headers && encodedKey !== undefined) {
    const headers = r.headers;
    const credentials = await credentialsOf(r.client);
    const req = { method: r.method, path: route.prefix + encodedKey, headers };
    headers['host'] = route.host;
    signRequest(req, credentials, route.region, route.service, new Date());
    headers['user-agent'] = state.transport.userAgent;
    const transport = state.transport;
    const https_ = route.protocol === 'https:';
    return new Promise<T>((resolve, reject) => {
      const request = (https_ ? https : http).request(
        {
          protocol: route.protocol,
          hostname: route.hostname,
          ...(route.port !== undefined ? { port: route.port } : {}),
          method: r.method,
          path: req.path,
          headers,
          agent: https_ ? transport.httpsAgent : transport.httpAgent,
          ...(r.signal ? { signal: r.signal } : {}),
        },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            Promise.resolve()
              .then(() => r.onOk(res))
              .then(resolve, reject);
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
      // Idle time on the socket, also while a body is read (as the SDK's socketTimeout).
      request.setTimeout(transport.socketTimeoutMs, () => {
        const err = new Error(`no answer within ${transport.socketTimeoutMs} ms (socket timeout)`);
        err.name = 'TimeoutError';
        request.destroy(err);
      });
      request.on('error', reject);
      request.end(r.body);
    });
  }
  const call = r.viaSdk();
  const watch =
    state && route === undefined && r.headers ? routeWatcher(state, r.bucket, r.key) : undefined;
  if (watch) {
    call.command.middlewareStack.add(
      (next) => (args) => {
        watch.keep(args.request);
        return next(args);
      },
      { step: 'deserialize', priority: 'low', name: 'stowageFastPathRoute' },
    );
  }
  const result = await call.send(r.signal);
  watch?.learn();
  return result;
}
