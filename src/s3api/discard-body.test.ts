/**
 * discardUnreadBody with a real node:http server and a raw socket client. The handler does
 * what the S3 front does when a body reader gives up: it has read one piece through
 * borrowPieces (which leaves the request's async iterator behind), then answers an error.
 */
import http from 'node:http';
import type net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectRaw } from '../../test/helpers/raw-socket.js';
import { borrowPieces } from './auth/pieces.js';
import { discardUnreadBody, type DiscardLimits } from './discard-body.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const LIMITS: DiscardLimits = { maxBytes: 256 * KiB, idleMs: 300, maxMs: 1500 };

let server: http.Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = undefined;
});

/** A server whose PUTs fail after the first piece of the body; GETs answer "ok". */
async function serve(): Promise<number> {
  server = http.createServer((req, res) => {
    if (req.method !== 'PUT') {
      res.end('ok');
      return;
    }
    void (async () => {
      for await (const piece of borrowPieces(req)) {
        if (piece.length > 0) break;
      }
      discardUnreadBody(req, LIMITS);
      res.statusCode = 400;
      res.end('refused');
    })();
  });
  // As `stowage serve` sets it: an idle keep-alive connection would otherwise be closed
  // after Node's default of 5 s, and hide a connection that is never read again.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

const putHead = (length: number): string =>
  `PUT /b/k HTTP/1.1\r\nHost: x\r\nContent-Length: ${length}\r\n\r\n`;

/** Writes `total` bytes in 64 KiB pieces, waiting for drain; stops if the socket goes. */
async function send(socket: net.Socket, total: number): Promise<number> {
  const piece = Buffer.alloc(64 * KiB, 'x');
  let sent = 0;
  while (sent < total && !socket.destroyed) {
    const n = Math.min(piece.length, total - sent);
    sent += n;
    if (!socket.write(piece.subarray(0, n))) {
      await Promise.race([
        new Promise((r) => socket.once('drain', r)),
        new Promise((r) => socket.once('close', r)),
      ]);
    }
  }
  return sent;
}

describe('discardUnreadBody', () => {
  it('drops the rest of a refused body, so the connection serves the next request', async () => {
    const port = await serve();
    const c = await connectRaw(port);
    c.socket.write(putHead(200 * KiB));
    await send(c.socket, 200 * KiB);
    await c.waitFor(/400 Bad Request[\s\S]*refused/, 'error answer');
    // The same connection: the server must have read past the body to see this request.
    c.socket.write('GET /next HTTP/1.1\r\nHost: x\r\n\r\n');
    await c.waitFor(/200 OK[\s\S]*ok$/, 'answer to the next request on the same connection');
    c.socket.destroy();
  });

  it('cuts the connection once more than maxBytes would have to be dropped', async () => {
    const port = await serve();
    const c = await connectRaw(port);
    c.socket.write(putHead(16 * MiB));
    const sending = send(c.socket, 16 * MiB);
    await c.closedWithin(3000);
    const sent = await sending;
    // The server gave up long before the body's end, and answered before it did.
    expect(sent).toBeLessThan(16 * MiB);
    expect(c.text()).toMatch(/^HTTP\/1\.1 400 /);
    await new Promise<void>((r, j) =>
      server!.getConnections((err, n) => (err ? j(err) : (expect(n).toBe(0), r()))),
    );
  });

  it('cuts the connection at its time limit, however slowly the rest keeps coming', async () => {
    const port = await serve();
    const c = await connectRaw(port);
    c.socket.write(putHead(MiB));
    await send(c.socket, 100 * KiB);
    await c.waitFor(/400 Bad Request/, 'error answer');
    // A byte every 100 ms: never idle for the 300 ms limit, never near maxBytes.
    const started = Date.now();
    const drip = setInterval(() => c.socket.destroyed || c.socket.write('x'), 100);
    await c.closedWithin(5000);
    clearInterval(drip);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('cuts the connection when the client stops sending the rest', async () => {
    const port = await serve();
    const c = await connectRaw(port);
    c.socket.write(putHead(MiB));
    await send(c.socket, 100 * KiB);
    await c.waitFor(/400 Bad Request/, 'error answer');
    // Nothing more is sent: the server closes after its idle limit (300 ms here).
    await c.closedWithin(3000);
    expect(c.socket.destroyed).toBe(true);
  });
});
