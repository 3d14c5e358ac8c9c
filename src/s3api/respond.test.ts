import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { sendBody } from './respond.js';

const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;

/** A body of `total` bytes in 64 KiB chunks (byte i is i mod 251), counting what was pulled. */
function countingBody(total: number): { body: Readable; pulled: () => number } {
  let pos = 0;
  const body = new Readable({
    highWaterMark: MiB,
    read() {
      // Several chunks per call, as the decrypting reader yields a batch in one tick.
      for (let i = 0; i < 16 && pos < total; i++) {
        const n = Math.min(CHUNK, total - pos);
        const chunk = Buffer.allocUnsafe(n);
        for (let j = 0; j < n; j++) chunk[j] = (pos + j) % 251;
        pos += n;
        if (!this.push(chunk)) return;
      }
      if (pos >= total) this.push(null);
    },
  });
  return { body, pulled: () => pos };
}

let server: http.Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = undefined;
});

async function serve(total: number): Promise<{
  port: number;
  pulled: () => number;
  result: Promise<unknown>;
}> {
  const { body, pulled } = countingBody(total);
  let settle!: (v: unknown) => void;
  const result = new Promise((r) => (settle = r));
  server = http.createServer((_req, res) => {
    res.setHeader('Content-Length', total);
    sendBody(body, res).then(
      () => settle('finished'),
      (err: Error) => settle(err),
    );
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, pulled, result };
}

describe('sendBody', () => {
  it('stops pulling the body while the client does not read, and then sends every byte', async () => {
    const total = 256 * MiB;
    const { port, pulled, result } = await serve(total);
    const socket = net.connect(port, '127.0.0.1');
    socket.pause();
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    // Kernel socket buffers take what they take; after that the body must wait.
    let last = -1;
    for (let i = 0; i < 50 && pulled() !== last; i++) {
      last = pulled();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(pulled()).toBe(last);
    expect(pulled()).toBeLessThan(64 * MiB);
    let received = 0;
    let headerDone = false;
    let pending = Buffer.alloc(0);
    let mismatch = -1;
    await new Promise<void>((resolve, reject) => {
      socket.on('data', (chunk: Buffer) => {
        let data = chunk;
        if (!headerDone) {
          pending = Buffer.concat([pending, chunk]);
          const end = pending.indexOf('\r\n\r\n');
          if (end < 0) return;
          headerDone = true;
          data = pending.subarray(end + 4);
        }
        for (let j = 0; j < data.length && mismatch < 0; j += 4093) {
          if (data[j] !== (received + j) % 251) mismatch = received + j;
        }
        received += data.length;
        if (received >= total) resolve();
      });
      socket.on('error', reject);
      socket.resume();
    });
    socket.destroy();
    expect(mismatch).toBe(-1);
    expect(received).toBe(total);
    expect(await result).toBe('finished');
  });

  it('rejects with a premature close when the client goes away mid-body', async () => {
    const { port, result } = await serve(64 * MiB);
    const socket = net.connect(port, '127.0.0.1');
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((r) => socket.once('data', r));
    socket.destroy();
    const err = (await result) as NodeJS.ErrnoException;
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('ERR_STREAM_PREMATURE_CLOSE');
  });

  it('passes a failing body on and cuts the response', async () => {
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(CHUNK, 1));
        this.destroy(new Error('disk went away'));
      },
    });
    let settle!: (v: unknown) => void;
    const result = new Promise((r) => (settle = r));
    server = http.createServer((_req, res) => {
      res.setHeader('Content-Length', 4 * MiB);
      sendBody(failing, res).then(
        () => settle('finished'),
        (err: Error) => {
          res.destroy();
          settle(err);
        },
      );
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const got = await new Promise<{ bytes: number; error: boolean }>((resolve) => {
      http.get({ host: '127.0.0.1', port }, (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('error', () => resolve({ bytes, error: true }));
        res.on('end', () => resolve({ bytes, error: false }));
      });
    });
    expect(((await result) as Error).message).toBe('disk went away');
    expect(got.error).toBe(true);
    expect(got.bytes).toBeLessThan(4 * MiB);
  });
});
