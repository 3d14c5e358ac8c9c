/**
 * `stowage serve`: composes the engine, the S3 front end and the health endpoints into
 * one HTTP(S) server, and shuts it all down gracefully.
 */
import { promises as fsp } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { StowageConfig } from '../config/schema.js';
import { Engine } from '../engine/engine.js';
import { StowageError } from '../errors.js';
import { unredactedSibling, type Logger } from '../log.js';
import { createAuthenticate } from '../s3api/authenticate.js';
import type { CredentialLookup } from '../s3api/auth/types.js';
import { createAuthorize } from '../s3api/authorize.js';
import { publicAccessOf } from '../s3api/acl/index.js';
import { engineOptionsFrom } from '../config/engine-options.js';
import { databaseFile } from '../data-dir.js';
import { forgetBackupMarker } from '../engine/backup/backup.js';
import { FAILING_DISK_ADVICE, unreadableDatabase } from '../engine/db/unreadable.js';
import { MAX_QUEUED, whenItsTurn } from './pipelining.js';
import { connectionCap, openFileLimit } from './file-limit.js';
import { createS3Handler } from '../s3api/front.js';
import { hostNamesBucket } from '../s3api/router.js';
import type { LongAnswerTimes } from '../s3api/long-answer.js';
import { trustedProxies } from '../s3api/request-origin.js';
import { answerClientError } from '../s3api/client-error.js';
import type { IdentityLookup } from '../s3api/identity.js';
import { credentialsFile, loadRootCredentials, type RootCredentials } from './credentials.js';
import { certificateValidity, loadTlsMaterial } from './tls.js';
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
  /** When long copies start their answer (tests shorten S3's pacing; long-answer.ts). */
  longAnswer?: LongAnswerTimes;
  /** How long a shutdown lets requests under way finish (30 s; tests shorten it). */
  shutdownGraceMs?: number;
}

/** An opening of the data directory slower than this says what the database check cost. */
const SLOW_OPEN_MS = 3000;

/** Unauthenticated GETs of these paths answer health checks (a signed request is S3). */
function healthPath(
  req: http.IncomingMessage,
  virtualHostDomain: string | undefined,
): 'live' | 'ready' | undefined {
  if (req.method !== 'GET' && req.method !== 'HEAD') return undefined;
  const path =
    req.url === '/health' || req.url === '/health/live'
      ? 'live'
      : req.url === '/health/ready'
        ? 'ready'
        : undefined;
  // Looked at only for those paths (this runs for every request). A signed request, or
  // `GET /health` to bucket.<domain>, is S3: that bucket's object `health`.
  if (path === undefined || req.headers.authorization) return undefined;
  if (hostNamesBucket(req.headers.host, virtualHostDomain)) return undefined;
  return path;
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
  // The data directory's lock comes before the credentials: of servers started at once on
  // a new directory, only the one that runs may generate, write (or forget) credentials.json.
  // Before the data directory is opened: with too few files that failed with a stack trace.
  const fileLimit = openFileLimit();
  const cap = connectionCap(config.server.maxConnections, fileLimit);
  const engine = await Engine.open({
    ...engineOptionsFrom(config),
    region: config.server.region,
    verifyDatabase: config.server.checkDatabaseAtStart,
  });
  if (await forgetBackupMarker(config.dataDir)) {
    logger.info(
      { dataDir: config.dataDir },
      'serving a backup made by stowage engine backup: BACKUP.json removed, the directory is a data directory now',
    );
  }
  // Recovery's own time is on the line that reports it (below), not blamed on the check.
  const checkMs = engine.openTimes.databaseMs;
  if (config.server.checkDatabaseAtStart && checkMs > SLOW_OPEN_MS) {
    const size = (await fsp.stat(databaseFile(config.dataDir)).catch(() => undefined))?.size ?? 0;
    logger.warn(
      { checkMs, databaseBytes: size },
      `the check of meta.db (${(size / 1e6).toFixed(0)} MB) took ${(checkMs / 1000).toFixed(1)} s: it reads the whole file; server.checkDatabaseAtStart: false skips it`,
    );
  }
  let credentials: RootCredentials;
  try {
    credentials = await loadRootCredentials(config.dataDir, config.server);
  } catch (err) {
    await engine.close();
    throw err;
  }
  try {
    return await serve(config, logger, options, tls, credentials, engine, { fileLimit, cap });
  } catch (err) {
    // A root secret generated by a start that then failed (port taken) was never shown:
    // forget it, so the first start that serves makes and prints one. Still under the
    // lock: no other server can have read it meanwhile.
    if (credentials.source === 'generated') {
      await fsp.rm(credentialsFile(config.dataDir), { force: true });
    }
    await engine.close();
    throw err;
  }
}

async function serve(
  config: StowageConfig,
  logger: Logger,
  options: StartServerOptions,
  tls: ReturnType<typeof loadTlsMaterial> | undefined,
  credentials: RootCredentials,
  engine: Engine,
  /** The open-file limit and the connection cap that fits it (file-limit.ts). */
  { fileLimit, cap }: { fileLimit: number | undefined; cap: number },
): Promise<RunningServer> {
  if (engine.filesystem.shared) {
    logger.warn(
      { dataDir: config.dataDir, filesystem: engine.filesystem.type },
      `the data directory is on ${engine.filesystem.type}, a network or FUSE file system ` +
        '(engine.allowNetworkFilesystem): no other server may use it, from this machine or ' +
        'another, as its lock cannot tell',
    );
  }
  if (engine.filesystem.memory) {
    logger.warn(
      { dataDir: config.dataDir, filesystem: engine.filesystem.type },
      'the data directory is on tmpfs: everything stored is lost when the machine restarts',
    );
  }
  if (engine.recovery.uncleanShutdown) {
    const { recoveryMs } = engine.openTimes;
    logger.warn(
      { recovery: engine.recovery, recoveryMs },
      `recovered after an unclean shutdown in ${(recoveryMs / 1000).toFixed(1)} s (a scan of every object file; a clean stop spares the next start this)`,
    );
  }
  const validity = tls && certificateValidity(tls.cert, Date.now());
  if (validity) {
    logger.warn({ certFile: config.server.tls?.certFile }, `server.tls.certFile: ${validity}`);
  }
  // The root key, keys declared in the config and keys made with `stowage keys` (re-read
  // while running), plus the extra keys a caller passes.
  const keys: KeyDirectory = createKeyDirectory({
    dataDir: config.dataDir,
    config,
    root: credentials,
    logger,
  });
  const identities: IdentityLookup = (id) => keys.lookup(id) ?? options.identities?.(id);
  let draining = false;
  /** Set when the shutdown's grace period ends and the connections still open are cut. */
  let cut = false;
  /** SQLite found the metadata database damaged while serving (onServerError). */
  let damaged = false;
  /** The engine stopped writes (a failed sync of the metadata log), and the log said so. */
  let writesStoppedSaid = false;
  /** A request failed for want of file descriptors: said in the log once a minute. */
  const filesShort = everyMinute((failed, requestId?: string) =>
    logger.warn(
      { openFileLimit: fileLimit, failed, requestId },
      `requests fail with 503 SlowDown: this process has as many files open as its limit allows (ulimit -n ${fileLimit ?? 'unknown'}; ${failed} so far). Raise the limit, or lower server.maxConnections`,
    ),
  );
  /** What `/health/ready` answers: `ok`, or why this server should get no work. */
  const readiness = (): string =>
    draining ? 'draining' : damaged ? 'damaged' : engine.writesStopped ? 'writes stopped' : 'ok';
  const secure = config.server.tls !== undefined;
  // Access lines hold only fields the front chose (no headers, no secrets): no redaction.
  const accessLog = unredactedSibling(logger);
  const lookup: CredentialLookup = (id) => {
    const identity = identities(id);
    if (!identity) return undefined;
    const { secretAccessKey, root, arn } = identity;
    return root ? { secretAccessKey } : { secretAccessKey, userArn: arn };
  };
  const s3 = createS3Handler({
    engine,
    cutAtShutdown: () => cut,
    authenticate: createAuthenticate({
      lookup,
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
    post: { lookup },
    virtualHostDomain: config.server.virtualHostDomain,
    ...(config.server.trustedProxies.length > 0
      ? { trustedProxies: trustedProxies(config.server.trustedProxies) }
      : {}),
    encryptByDefault: config.server.defaultEncryption === 'AES256',
    onAccess: (entry) => accessLog.info(entry, 'request'),
    // The message and the stack of what went wrong (the cause too), redacted as any log.
    onServerError: (err, requestId) => {
      if (err.code === 'E_TOO_MANY_OPEN_FILES') {
        // Under a descriptor shortage every request may fail so: a line a minute, not a
        // stack trace each (a probe counted 133 in 30 s).
        filesShort(requestId);
        return;
      }
      // A write refused because writes are stopped is the access line's 503 alone: why is
      // said once, below.
      if (err.code !== 'E_WRITES_STOPPED') {
        logger.error({ err, requestId, code: err.code }, `request failed: ${err.message}`);
      }
      const stopped = engine.writesStopped;
      if (stopped && !writesStoppedSaid) {
        // Said once (from the write whose sync failed on), with what to do; readiness
        // answers 503 from now on.
        writesStoppedSaid = true;
        logger.error(
          { dataDir: config.dataDir, code: stopped.code },
          `${stopped.message}. /health/ready answers 503 until the server is restarted`,
        );
      }
      if (err.code === 'E_DATA_CORRUPT' && err.details.database === true && !damaged) {
        // Said once, with what to do; readiness answers 503 from now on, so that a load
        // balancer or an orchestrator stops sending work here.
        damaged = true;
        const disk = unreadableDatabase(config.dataDir);
        logger.error(
          { dataDir: config.dataDir },
          disk
            ? `${disk}: requests that read those pages fail, and /health/ready answers 503. Stop the server. ${FAILING_DISK_ADVICE}`
            : `the metadata database ${databaseFile(config.dataDir)} is damaged: requests that read the damaged pages fail, and /health/ready answers 503. Stop the server, keep a copy of the data directory as it is, and put a backup made with stowage engine backup in its place (docs/engine.md, "A damaged metadata database")`,
        );
      }
    },
    onNotice: (message) => logger.warn(message),
    ...(options.longAnswer ? { longAnswer: options.longAnswer } : {}),
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
      // closes first it never starts, and nothing is left to release (pipelining.ts).
      whenItsTurn(
        req,
        res,
        () => listener(req, res, awaitingContinue),
        () =>
          logger.warn(
            { remoteAddress: req.socket.remoteAddress },
            `closed a connection that pipelined more than ${MAX_QUEUED} requests without reading the answers`,
          ),
      );
      return;
    }
    const health = healthPath(req, config.server.virtualHostDomain);
    if (health) {
      const status = health === 'live' ? 'ok' : readiness();
      res.statusCode = status === 'ok' ? 200 : 503;
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ status }));
      return;
    }
    if (draining) res.setHeader('Connection', 'close');
    s3(req, res, awaitingContinue);
  };
  const idleMs = config.server.idleTimeoutSeconds * 1000;
  let server: http.Server;
  try {
    server = tls
      ? // A client that opens a connection and never starts the handshake is dropped after
        // the idle timeout, as a silent plain-HTTP connection is (node's default is 120 s).
        https.createServer(
          {
            ...tls,
            handshakeTimeout: idleMs,
            requireHostHeader: false,
            // node offers only http/1.1, so a client that offers only http/1.0 (curl
            // --http1.0) failed its handshake; both are served.
            ALPNProtocols: ['http/1.1', 'http/1.0'],
          },
          listener,
        )
      : // A missing Host gets an S3 error from the front (front.ts), not node's bare 400.
        http.createServer({ requireHostHeader: false }, listener);
  } catch (err) {
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
  // An Expect other than 100-continue (`Expect: 200`, an empty one) is ignored, as S3 does;
  // node:http would answer 417 Expectation Failed without a listener here.
  server.on('checkExpectation', (req, res) => listener(req, res));
  // Requests node:http cannot parse get an S3 error and an access-log line (client-error.ts).
  server.on('clientError', (err, socket) =>
    answerClientError(err, socket, (entry) => accessLog.info(entry, 'request')),
  );
  // Every connection, so that a shutdown can close those with no response under way. A
  // socket is busy while node:http has a response assigned to it (`_httpMessage`).
  const sockets = new Set<Socket>();
  // Over TLS, connections still in their handshake: node:http does not know them yet, so a
  // shutdown closes them here (a TLS socket names the TCP socket under it as `_parent`).
  const handshaking = new Set<Socket>();
  let tracksHandshakes = tls !== undefined;
  if (tls) {
    server.on('connection', (raw: Socket) => {
      if (!tracksHandshakes) return;
      handshaking.add(raw);
      raw.once('close', () => handshaking.delete(raw));
    });
  }
  server.on(tls ? 'secureConnection' : 'connection', (socket: Socket) => {
    if (tls) {
      const raw = (socket as Socket & { _parent?: Socket })._parent;
      if (raw) handshaking.delete(raw);
      else {
        // Not a node that names it: never close a connection that may be serving.
        tracksHandshakes = false;
        handshaking.clear();
      }
    }
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
  // With a listener here node:http no longer destroys a socket that timed out by itself.
  // One with a response under way is left to it while the server works on the request (a
  // long copy) or the client reads, however slowly; but a client that has read nothing for
  // the idle timeout while the response waits in the socket's buffer holds the connection,
  // a file and memory for nothing, and is cut, as S3 cuts it.
  server.on('timeout', (socket: Socket) => {
    if (!busy(socket) || socket.writableLength > 0) socket.destroy();
  });
  // Large uploads legitimately take long; only idle keep-alive sockets are timed out.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 65_000;
  // No count limit: the 16 KiB header section bounds a request. node's default of 2000, or
  // any count, would drop the headers past it unseen (Authorization, Expect) instead.
  server.maxHeadersCount = 0;
  // Connections beyond the cap are dropped as they arrive (node:http's 'drop'), said in
  // the log at most once a minute. The cap fits the open-file limit (file-limit.ts).
  const lowered = cap < config.server.maxConnections;
  if (lowered) {
    logger.warn(
      { maxConnections: config.server.maxConnections, openFileLimit: fileLimit, cap },
      `this process may open only ${fileLimit} files (ulimit -n): at most ${cap} connections are accepted, not server.maxConnections (${config.server.maxConnections}). Raise the limit (ulimit -n, LimitNOFILE= in a systemd unit, docker run --ulimit nofile=…) to take more`,
    );
  }
  if (cap > 0) {
    server.maxConnections = cap;
    const why = lowered ? `the open-file limit, ulimit -n ${fileLimit}` : 'server.maxConnections';
    server.on(
      'drop',
      everyMinute((dropped) =>
        logger.warn(
          { maxConnections: cap, dropped },
          `${cap} connections are open (${why}): new ones are dropped (${dropped} so far)`,
        ),
      ),
    );
  }
  // A client that half-closes after its request (`printf 'GET …' | nc -N`, a script's
  // shutdown(SHUT_WR)) still gets its answer, as from S3 or nginx: by default node:http
  // takes the FIN for an abort and ends the connection under the response. The switch is
  // node:http's own (set in its Server constructor) but not in its types or docs:
  // connection-edges.test.ts fails if a node release drops it.
  (server as http.Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.server.port, config.server.address, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
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
            for (const raw of handshaking) raw.destroy();
          };
          const sweep = setInterval(closeUnused, 100);
          const cutTimer = setTimeout(() => {
            cut = true;
            server.closeAllConnections();
          }, options.shutdownGraceMs ?? SHUTDOWN_GRACE_MS);
          server.once('close', () => {
            clearInterval(sweep);
            clearTimeout(cutTimer);
          });
          closeUnused();
        });
        await engine.close();
      })();
      return closing;
    },
  };
}

/**
 * Counts an event on each call, and calls `say` with the count (and the call's argument)
 * at most once a minute: for log lines an event could otherwise repeat thousands of times.
 */
function everyMinute<A>(say: (count: number, arg?: A) => void): (arg?: A) => void {
  let count = 0;
  let saidAt = Number.NEGATIVE_INFINITY;
  return (arg) => {
    count++;
    if (performance.now() - saidAt < 60_000) return;
    saidAt = performance.now();
    say(count, arg);
  };
}
