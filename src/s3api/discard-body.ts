/**
 * What happens to the rest of a request body the server refused (an error answered before
 * or while the body was read). The bytes are read and dropped, so that the client, which
 * may still be sending, sees the error answer and can reuse the connection; but not
 * forever: past a byte limit, when the client stops sending for a while, or after a time
 * limit however the bytes come, the connection is cut instead.
 *
 * The body readers (auth/pieces.ts) iterate the request and, on purpose, never end it when
 * they stop early. The iterator they leave behind keeps a 'readable' listener on the
 * request, and while one is attached `resume()` does nothing: before this module, the rest
 * of such a body was never read, the connection stayed open with the client's bytes
 * queued in the kernel, and a graceful shutdown waited its full grace period for it.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/** Limits of the draining. */
export interface DiscardLimits {
  /** Bytes read and dropped at most; past that the connection is cut. */
  maxBytes: number;
  /** Cut the connection when no byte has arrived for this long. */
  idleMs: number;
  /** Cut it this long after the draining began, however the bytes trickle in. */
  maxMs: number;
}

/**
 * A part of aws-cli's (8 MiB) or rclone's (5 MiB) multipart uploads, and more: those
 * clients see the error of a refused part instead of a reset connection.
 */
export const DISCARD_LIMITS: DiscardLimits = {
  maxBytes: 64 * 1024 * 1024,
  idleMs: 10_000,
  // nginx's lingering_time: a client dripping a byte now and then is not read for ever.
  maxMs: 30_000,
};

/** Reads and drops the unread rest of `req`'s body, within `limits` (see the module). */
export function discardUnreadBody(req: IncomingMessage, limits = DISCARD_LIMITS): void {
  if (req.complete || req.destroyed) return;
  // Whoever was reading has stopped: its listeners go, so that the bytes can flow.
  req.removeAllListeners('readable');
  req.removeAllListeners('data');
  let dropped = 0;
  const cut = (): void => {
    clearTimeout(idle);
    clearTimeout(deadline);
    req.socket.destroy();
  };
  const idle = setTimeout(cut, limits.idleMs);
  idle.unref();
  const deadline = setTimeout(cut, limits.maxMs);
  deadline.unref();
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > limits.maxBytes) cut();
    else idle.refresh();
  });
  // 'close' follows 'end', and also comes when the connection goes.
  req.once('close', () => {
    clearTimeout(idle);
    clearTimeout(deadline);
  });
  lingerBeforeClosing(req);
  req.resume();
}

/**
 * On a connection the answer closes (HTTP/1.0, `Connection: close`), node:http destroys the
 * socket once the answer is written: the client, still sending, then gets a reset, which
 * can throw away the answer before it reads it (curl: "Broken pipe" instead of the 403;
 * nginx with its HTTP/1.0 default: 502). As web servers do ("lingering close"), the answer
 * and a FIN go out, and the socket is destroyed only once the rest of the body has been
 * read and dropped (or the limits above cut it).
 */
function lingerBeforeClosing(req: IncomingMessage): void {
  const socket = req.socket as Socket & { destroySoon?: () => void };
  const destroySoon = socket.destroySoon?.bind(socket);
  if (!destroySoon) return;
  socket.destroySoon = () => {
    if (req.complete || req.destroyed) {
      destroySoon();
      return;
    }
    socket.end();
    // 'close' comes once the body has ended, or when the client or a limit cut it.
    req.once('close', destroySoon);
  };
}
