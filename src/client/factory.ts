/**
 * The one place an `S3Client` is made: every transfer and command gets the store's quirks
 * (path-style, checksum policy, sockets) the same way.
 */
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { BuildMiddleware, MetadataBearer } from '@smithy/types';
import { UNSIGNED_PAYLOAD } from '../sigv4/signing-key.js';
import { enableFastPath } from './fast-path/routes.js';
import { SDK_CHECKSUM_ALGORITHMS } from './sdk-checksums.js';
import type { ResolvedStore } from './types.js';

/**
 * SDK attempts per request. The SDK's 3 gives up within a second or two of throttling;
 * transfers add their own pacer on top (src/transfer/), so this stays modest.
 */
export const DEFAULT_MAX_ATTEMPTS = 5;

/** What a caller may tune besides the store's own settings. */
export interface CreateS3ClientOptions {
  /** SDK attempts per request (default {@link DEFAULT_MAX_ATTEMPTS}); 1 turns SDK retries off. */
  maxAttempts?: number;
  /** Milliseconds to wait for a TCP connection (default 10 s). */
  connectionTimeoutMs?: number;
  /** Milliseconds a socket may sit idle mid-request before the request fails (default 2 min). */
  socketTimeoutMs?: number;
  /**
   * The caller sends Content-MD5 with every request body, as the transfer layer does
   * (src/transfer/). Then:
   * - the SDK adds no CRC32 of its own to uploads, whatever the store's checksum policy:
   *   the MD5 already lets the store reject a damaged body, and the CRC32 cost both ends CPU
   *   per request (and made every body `aws-chunked` for streams). Responses are still
   *   checked as the policy says.
   * - PutObject and UploadPart are signed with `x-amz-content-sha256: UNSIGNED-PAYLOAD`
   *   instead of the body's SHA-256. The signed Content-MD5 still binds the body to the
   *   signature (the store rejects a body whose MD5 differs, and nobody can make a second
   *   body with a given MD5), and neither end spends a SHA-256 pass on it: 0.76 s of the
   *   client's and 0.8 s of `stowage serve`'s CPU per GiB uploaded.
   * - `putObject` and `getObject` (src/client/fast-path/) may send this client's small
   *   PutObjects and its GetObjects without the SDK's middleware stack, over the same agents.
   */
  bodiesCarryMd5?: boolean;
}

/**
 * Creates an SDK client for a resolved store. Call `client.destroy()` when done: it closes the
 * keep-alive sockets.
 *
 * - `forcePathStyle`: `host/bucket/key`, needed by MinIO, Ceph RGW and `stowage serve` unless
 *   wildcard DNS points `bucket.host` at them.
 * - `checksumPolicy`: WHEN_REQUIRED stops the SDK from sending CRC32 trailers
 *   (`aws-chunked` with `x-amz-trailer`) and from failing GETs whose response carries no checksum;
 *   older or partial S3 implementations reject or omit those.
 * - `maxSockets`: one keep-alive agent per client, so parallel transfers reuse connections.
 *
 * @example
 * const s3 = createS3Client(await resolveStore({ config, env: process.env, homeDir: os.homedir() }));
 * await s3.send(new ListBucketsCommand({}));
 * s3.destroy();
 */
export function createS3Client(
  store: ResolvedStore,
  options: CreateS3ClientOptions = {},
): S3Client {
  const agentOptions = { keepAlive: true, maxSockets: store.maxSockets, keepAliveMsecs: 1000 };
  const httpAgent = new http.Agent(agentOptions);
  const httpsAgent = new https.Agent(
    store.caBundle === undefined
      ? agentOptions
      : // Trusted besides Node's own roots, so that one bundle serves AWS and a private CA.
        { ...agentOptions, ca: [...tls.rootCertificates, store.caBundle.certificates] },
  );
  const socketTimeoutMs = options.socketTimeoutMs ?? 120_000;
  const config: S3ClientConfig = {
    region: store.region,
    forcePathStyle: store.forcePathStyle,
    requestChecksumCalculation: options.bodiesCarryMd5 ? 'WHEN_REQUIRED' : store.checksumPolicy,
    responseChecksumValidation: store.checksumPolicy,
    // Validating a GET of an object stored with SHA512 or an XXHASH needs these.
    checksumAlgorithms: SDK_CHECKSUM_ALGORITHMS,
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    customUserAgent: USER_AGENT,
    requestHandler: {
      httpAgent,
      httpsAgent,
      connectionTimeout: options.connectionTimeoutMs ?? 10_000,
      socketTimeout: socketTimeoutMs,
    },
  };
  if (store.endpoint !== undefined) config.endpoint = store.endpoint;
  const creds = store.credentials;
  if (creds.kind === 'static') {
    config.credentials = {
      accessKeyId: creds.accessKeyId,
      secretAccessKey: creds.secretAccessKey,
      ...(creds.sessionToken ? { sessionToken: creds.sessionToken } : {}),
    };
  } else {
    // The SDK's own chain reads the profile (SSO, assumed roles, credential_process).
    config.profile = creds.profile;
  }
  const client = new S3Client(config);
  if (options.bodiesCarryMd5) {
    client.middlewareStack.add(unsignedWhenMd5, {
      step: 'build',
      name: 'stowageUnsignedWhenMd5',
      override: true,
    });
    enableFastPath(client, { httpAgent, httpsAgent, socketTimeoutMs, userAgent: USER_AGENT });
  }
  return client;
}

/** Shows up in the store's access logs, so operators can tell Stowage's traffic apart. */
const USER_AGENT = 'stowage';

const UNSIGNED_OPERATIONS = new Set(['PutObjectCommand', 'UploadPartCommand']);

/** See {@link CreateS3ClientOptions.bodiesCarryMd5}. */
const unsignedWhenMd5: BuildMiddleware<object, MetadataBearer> = (next, context) => (args) => {
  const headers = (args.request as { headers?: Record<string, string> }).headers;
  if (
    headers &&
    UNSIGNED_OPERATIONS.has(context.commandName ?? '') &&
    Object.keys(headers).some((h) => h.toLowerCase() === 'content-md5')
  ) {
    headers['x-amz-content-sha256'] = UNSIGNED_PAYLOAD;
  }
  return next(args);
};
