/**
 * Pipelined requests: node:http parses every request a connection sends, and sends the
 * answers in order. The server starts a request only when its turn comes (so a queued one
 * neither holds an object open nor buffers a body), which also hides the queue from
 * node:http's own flood guard: that one stops reading when unsent answers pile up, and the
 * queued requests have written nothing yet. A client that sent thousands of GETs in one go
 * and never read the answers made the server hold every one: 20 connections of 20,000
 * presigned GETs of a 300 KB object took 562 MB here (a probe measured 763 MB). No S3
 * client pipelines (the SDKs, aws-cli, rclone, curl wait for each answer), so a connection
 * with more than {@link MAX_QUEUED} requests waiting is closed, as a flood.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Requests that may wait on one connection; one more closes it. */
export const MAX_QUEUED = 128;

const waiting = new WeakMap<object, number>();

/**
 * Runs `start` when `res` gets the connection; closes a connection flooding the queue
 * (once, calling `onFlood`).
 */
export function whenItsTurn(
  req: IncomingMessage,
  res: ServerResponse,
  start: () => void,
  onFlood: () => void,
): void {
  const socket = req.socket;
  const queued = (waiting.get(socket) ?? 0) + 1;
  waiting.set(socket, queued);
  if (queued > MAX_QUEUED) {
    if (!socket.destroyed) onFlood();
    socket.destroy();
    return;
  }
  res.once('socket', () => {
    waiting.set(socket, (waiting.get(socket) ?? 1) - 1);
    start();
  });
}
