/**
 * `stowage serve`: composes the engine, the S3 front end and the health endpoints into
 * one HTTP(S) server, and shuts it all down gracefully.
 */
import { promises as fsp } from 'node:fs';
import http from 'node:http';
import type { StowageConfig } from '../config/schema.js';
import { Engine } from '../engine/engine.js';
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
import type { IdentityLookup } from '../s3api/identity.js';
import { credentialsFile, loadRootCredentials, type RootCredentials } from './credentials.js';
import { certificateValidity, loadTlsMaterial } from './tls.js';
import { createKeyDirectory, type KeyDirectory } from './keys/directory.js';
import { everyMinute } from './every-minute.js';
import { listenHttp, type RequestListener } from './http-server.js';

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
  const listener: RequestListener = (req, res, awaitingContinue = false) => {
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
  const server = await listenHttp({
    tls,
    address: config.server.address,
    port: config.server.port,
    idleMs: config.server.idleTimeoutSeconds * 1000,
    cap,
    maxConnections: config.server.maxConnections,
    fileLimit,
    logger,
    listener,
    onAccess: (entry) => accessLog.info(entry, 'request'),
  });
  const port = server.port;
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
        await server.drain(options.shutdownGraceMs ?? SHUTDOWN_GRACE_MS, () => (cut = true));
        await engine.close();
      })();
      return closing;
    },
  };
}
