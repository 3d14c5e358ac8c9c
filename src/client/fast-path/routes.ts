/**
 * What the fast paths (put-object.ts, get-object.ts) share: the client's transport, and
 * where each bucket's objects live, learnt from a request the SDK signed.
 *
 * The SDK decides everything about the store: the first request of an operation on a
 * bucket goes through it, and its signed request shows the route (scheme, host, path
 * prefix, signing region and service), for path-style and virtual-hosted addressing
 * alike. Later requests to that bucket are signed here the way that request was and sent
 * over the client's own keep-alive agents. Credentials come from the client's provider on
 * every request (it caches and refreshes them).
 */
import type http from 'node:http';
import type https from 'node:https';
import type { S3Client } from '@aws-sdk/client-s3';
import { encodeKeyPath } from '../../sigv4/key-path.js';
import type { SigningCredentials } from './sign.js';

/** How the factory lets this folder send a client's requests itself. */
export interface FastTransport {
  httpAgent: http.Agent;
  httpsAgent: https.Agent;
  /** Idle time mid-request after which the request fails (as the SDK's socketTimeout). */
  socketTimeoutMs: number;
  userAgent: string;
}

/** Where one bucket's objects go. */
export interface Route {
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
  transport: FastTransport;
  /** By bucket; null when that bucket's requests stay with the SDK. */
  routes: Map<string, Route | null>;
}

const clients = new WeakMap<S3Client, ClientState>();

/** Lets this folder send this client's small PutObjects and GetObjects itself. */
export function enableFastPath(client: S3Client, transport: FastTransport): void {
  clients.set(client, { transport, routes: new Map() });
}

/**
 * The transport and route for `bucket`: `route` is a Route once learnt, null when the
 * bucket stays with the SDK, undefined when not known yet (`state` undefined: the client
 * has no fast path).
 */
export function routeFor(
  client: S3Client,
  bucket: string,
): { state: ClientState | undefined; route: Route | null | undefined } {
  const state = clients.get(client);
  return { state, route: state?.routes.get(bucket) };
}

/** The request the SDK signed, as its middleware sees it. */
interface SdkRequest {
  protocol?: string;
  hostname?: string;
  port?: number;
  path?: string;
  headers?: Record<string, string>;
}

/**
 * Keeps the request the SDK signs for a command (`keep`, from a middleware the caller adds
 * at the deserialize step) and learns the bucket's route from it (`learn`, once sent).
 */
export function routeWatcher(
  state: ClientState,
  bucket: string,
  key: string,
): { keep: (request: unknown) => void; learn: () => void } {
  let signed: SdkRequest | undefined;
  return {
    keep: (request) => {
      signed = request as SdkRequest;
    },
    learn: () => {
      if (signed && !state.routes.has(bucket)) state.routes.set(bucket, routeOf(signed, key));
    },
  };
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

export async function credentialsOf(client: S3Client): Promise<SigningCredentials> {
  const provider = client.config.credentials as () => Promise<SigningCredentials>;
  return provider();
}
