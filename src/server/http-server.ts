/**
 * The HTTP(S) server under `stowage serve`: node:http or node:https set up as S3 clients
 * need it (timeouts, header limits, half-closed connections, a connection cap that fits
 * the open-file limit), listening, and drained connection by connection at shutdown.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { StowageError } from '../errors.js';
import type { Logger } from '../log.js';
import { answerClientError } from '../s3api/client-error.js';
import type { AccessLogEntry } from '../s3api/front.js';
import { everyMinute } from './every-minute.js';
import type { TlsMaterial } from './tls.js';

/** What handles each request (`awaitingContinue`: the client waits for `100 Continue`). */
export type RequestListener = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  awaitingContinue?: boolean,
) => void;

/** What listenHttp takes. */
export interface HttpServerOptions {
  /** Certificate and key: HTTPS; none: plain HTTP. */
  tls: TlsMaterial | undefined;
  address: string;
  port: number;
  /** server.idleTimeoutSeconds, in milliseconds. */
  idleMs: number;
  /** Connections accepted at once (0: no cap); below maxConnections when the open-file limit lowered it. */
  cap: number;
  /** server.maxConnections as configured. */
  maxConnections: number;
  /** The process's open-file limit (file-limit.ts), undefined when unknown. */
  fileLimit: number | undefined;
  logger: Logger;
  listener: RequestListener;
  /** The access-log line of a request node:http could not parse. */
  onAccess: (entry: AccessLogEntry) => void;
}

/** A server that listens. */
export interface ListeningServer {
  port: number;
  /**
   * Stops accepting connections and closes each one once it has no response under way;
   * after `graceMs`, calls `onCut` and cuts those left. Resolves once all are closed.
   */
  drain(graceMs: number, onCut: () => void): Promise<void>;
}

/**
 * Creates the server, listens on `address`:`port` (port 0: a free one), and resolves once
 * it does. A port in use or a certificate node cannot load is E_CONFIG_INVALID.
 */
export async function listenHttp(o: HttpServerOptions): Promise<ListeningServer> {
  const { tls, idleMs, listener, logger, cap, fileLimit } = o;
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
  server.on('clientError', (err, socket) => answerClientError(err, socket, o.onAccess));
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
  const lowered = cap < o.maxConnections;
  if (lowered) {
    logger.warn(
      { maxConnections: o.maxConnections, openFileLimit: fileLimit, cap },
      `this process may open only ${fileLimit} files (ulimit -n): at most ${cap} connections are accepted, not server.maxConnections (${o.maxConnections}). Raise the limit (ulimit -n, LimitNOFILE= in a systemd unit, docker run --ulimit nofile=…) to take more`,
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
      server.listen(o.port, o.address, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new StowageError(
      'E_CONFIG_INVALID',
      code === 'EADDRINUSE'
        ? `${o.address}:${o.port} is already in use; choose another --port`
        : `cannot listen on ${o.address}:${o.port}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return {
    port: (server.address() as AddressInfo).port,
    drain: (graceMs, onCut) =>
      new Promise<void>((resolve) => {
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
          onCut();
          server.closeAllConnections();
        }, graceMs);
        server.once('close', () => {
          clearInterval(sweep);
          clearTimeout(cutTimer);
        });
        closeUnused();
      }),
  };
}
