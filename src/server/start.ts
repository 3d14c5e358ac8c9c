/**
 * `stowage serve`: composes the engine, the S3 front end and the health endpoints into
 * one HTTP(S) server, and shuts it all down gracefully.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { StowageConfig } from '../config/schema.js';
import { Engine } from '../engine/engine.js';
import { StowageError } from '../errors.js';
import { unredactedSibling, type Logger } from '../log.js';
import { createAuthenticate } from '../s3api/authenticate.js';
import { createAuthorize } from '../s3api/authorize.js';
import { publicAccessOf } from '../s3api/acl/index.js';
import { createS3Handler } from '../s3api/front.js';
import { answerClientError } from '../s3api/client-error.js';
import type { IdentityLookup } from '../s3api/identity.js';
import { loadRootCredentials, type RootCredentials } from './credentials.js';
import { loadTlsMaterial } from './tls.js';
import { createKeyDirectory, type KeyDirectory } from './keys/directory.js';

/** How long a shutdown waits for in-flight requests before cutting connections. */
const SHUTDOWN_GRACE_MS = 30_000;

/** A running server. */
export interface RunningServer {
  /** Base URL, e.g. http://127.0.0.1:9000 */
  url: string;
  port: number;
  engine: Engine;
  credentials: RootCredentials;
  /** The access keys the server knows (root, declared, created with `stowage keys`). */
  keys: KeyDirectory;
  /** Stops accepting, finishes in-flight requests, closes the engine. Idempotent. */
  close(): Promise<void>;
}

/** What startServer takes besides the config. */
export interface StartServerOptions {
  /** Access keys besides the root key (tests use it to add keys with identity policies). */
  identities?: IdentityLookup;
}

/** Unauthenticated GETs of these paths answer health checks (a signed request is S3). */
function healthPath(req: http.IncomingMessage): 'live' | 'ready' | undefined {
  if (req.method !== 'GET' && req.method !== 'HEAD') return undefined;
  if (req.headers.authorization || (req.url ?? '').includes('X-Amz-Signature')) return undefined;
  if (req.url === '/health' || req.url === '/health/live') return 'live';
  if (req.url === '/health/ready') return 'ready';
  return undefined;
}

/**
 * Starts the server described by `config`.
 *
 * @example
 * const server = await startServer(await loadConfig(), logger);
 * console.log(server.url); // http://127.0.0.1:9000
 * await server.close();
 */
export async function startServer(
  config: StowageConfig,
  logger: Logger,
  options: StartServerOptions = {},
): Promise<RunningServer> {
  // Checked first: a bad certificate or key stops the start before anything is created.
  const tls = config.server.tls ? loadTlsMaterial(config.server.tls) : undefined;
  const credentials = await loadRootCredentials(config.dataDir, config.server);
  const engine = await Engine.open({
    dataDir: config.dataDir,
    fsync: config.engine.fsync,
    region: config.server.region,
    limits: {
      minPartSizeBytes: config.engine.minPartSizeBytes,
      maxPutSizeBytes: config.engine.maxPutSizeBytes,
      maxObjectSizeBytes: config.engine.maxObjectSizeBytes,
    },
  });
  if (engine.recovery.uncleanShutdown) {
    logger.warn({ recovery: engine.recovery }, 'recovered after an unclean shutdown');
  }
  // The root key, keys declared in the config and keys made with `stowage keys` (re-read
  // while running), plus the extra keys a caller passes.
  let keys: KeyDirectory;
  try {
    keys = createKeyDirectory({ dataDir: config.dataDir, config, root: credentials, logger });
  } catch (err) {
    await engine.close();
    throw err;
  }
  const identities: IdentityLookup = (id) => keys.lookup(id) ?? options.identities?.(id);
  let draining = false;
  const secure = config.server.tls !== undefined;
  // Access lines hold only fields the front chose (no headers, no secrets): no redaction.
  const accessLog = unredactedSibling(logger);
  const s3 = createS3Handler({
    engine,
    authenticate: createAuthenticate({
      lookup: (id) => {
        const identity = identities(id);
        return identity ? { secretAccessKey: identity.secretAccessKey } : undefined;
      },
      // One server holds buckets of every region (seed 002 runs `aws s3 mb --region
      // eu-north-1`), so a signature scoped to any region is accepted.
      bodyIdleMs: config.server.idleTimeoutSeconds * 1000,
    }),
    authorize: createAuthorize({
      identities,
      engine,
      publicAcl: (bucket, key, versionId, authenticated) =>
        publicAccessOf(engine, bucket, key, versionId, authenticated),
    }),
    virtualHostDomain: config.server.virtualHostDomain,
    onAccess: (entry) => accessLog.info(entry, 'request'),
  });
  const listener = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    awaitingContinue = false,
  ): void => {
    if (!res.socket) {
      // A pipelined request: node:http sends its response only after those before it on
      // the connection. It is handled when its turn comes ('socket'), not now, so that it
      // neither holds an object open nor buffers a body meanwhile; if the connection
      // closes first it never starts, and nothing is left to release.
      res.once('socket', () => listener(req, res, awaitingContinue));
      return;
    }
    const health = healthPath(req);
    if (health) {
      const ok = health === 'live' || !draining;
      res.statusCode = ok ? 200 : 503;
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ status: ok ? 'ok' : 'draining' }));
      return;
    }
    if (draining) res.setHeader('Connection', 'close');
    s3(req, res, awaitingContinue);
  };
  let server: http.Server;
  try {
    server = tls ? https.createServer(tls, listener) : http.createServer(listener);
  } catch (err) {
    await engine.close();
    throw new StowageError(
      'E_CONFIG_INVALID',
      `cannot load the TLS certificate or key: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  // `100 Continue` goes out only once an operation reads the body (s3api/expect-continue.ts).
  server.on('checkContinue', (req, res) => listener(req, res, true));
  // Requests node:http cannot parse get an S3 error and an access-log line (client-error.ts).
  server.on('clientError', (err, socket) =>
    answerClientError(err, socket, (entry) => accessLog.info(entry, 'request')),
  );
  // Every connection, so that a shutdown can close those with no response under way. A
  // socket is busy while node:http has a response assigned to it (`_httpMessage`).
  const sockets = new Set<Socket>();
  const idleMs = config.server.idleTimeoutSeconds * 1000;
  server.on(tls ? 'secureConnection' : 'connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    // node:http times out a connection's headers only once it has sent a byte of them, so
    // a connection that sends nothing would stay open for ever (thousands of them are a
    // slowloris attack). Any connection silent this long with no response under way is
    // closed; after a response node:http's keep-alive timeout takes over the socket timer.
    socket.setTimeout(idleMs);
  });
  const busy = (socket: Socket): boolean =>
    (socket as Socket & { _httpMessage?: unknown })._httpMessage != null;
  // With a listener here node:http no longer destroys a socket that timed out by itself:
  // one with a response under way is left to it (a client reading a large GET slowly).
  server.on('timeout', (socket: Socket) => {
    if (!busy(socket)) socket.destroy();
  });
  // Large uploads legitimately take long; only idle keep-alive sockets are timed out.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 65_000;
  server.maxHeadersCount = 200;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.server.port, config.server.address, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await engine.close();
    const code = (err as NodeJS.ErrnoException).code;
    throw new StowageError(
      'E_CONFIG_INVALID',
      code === 'EADDRINUSE'
        ? `${config.server.address}:${config.server.port} is already in use; choose another --port`
        : `cannot listen on ${config.server.address}:${config.server.port}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const port = (server.address() as AddressInfo).port;
  const host = config.server.address.includes(':')
    ? `[${config.server.address}]`
    : config.server.address;
  let closing: Promise<void> | undefined;
  return {
    url: `${secure ? 'https' : 'http'}://${host}:${port}`,
    port,
    engine,
    credentials,
    keys,
    close() {
      closing ??= (async () => {
        draining = true;
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          // Connections still busy now become idle when their request ends; close them
          // then. A connection with no response under way (silent since it connected, or
          // half-way through sending headers) has nothing to finish, and is closed too.
          // After the grace period, whatever is left is cut.
          // (Idle keep-alive connections are among them: no closeIdleConnections needed.)
          const closeUnused = (): void => {
            for (const socket of sockets) if (!busy(socket)) socket.destroy();
          };
          const sweep = setInterval(closeUnused, 100);
          const cut = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
          server.once('close', () => {
            clearInterval(sweep);
            clearTimeout(cut);
          });
          closeUnused();
        });
        await engine.close();
      })();
      return closing;
    },
  };
}
