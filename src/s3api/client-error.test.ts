import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { answerClientError } from './client-error.js';

describe('answerClientError', () => {
  it('answers with an S3 error and closes the connection, though the client keeps its side open', async () => {
    // allowHalfOpen, as node:http's sockets are: end() alone would leave the socket open.
    const server = net.createServer({ allowHalfOpen: true });
    const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    // A client that never closes its side, even when the server closes its own.
    const client = net.connect({
      port: (server.address() as net.AddressInfo).port,
      host: '127.0.0.1',
      allowHalfOpen: true,
    });
    client.on('error', () => {});
    let text = '';
    client.on('data', (d: Buffer) => (text += d.toString()));
    const socket = await accepted;
    const closed = new Promise((r) => socket.once('close', r));
    answerClientError(
      Object.assign(new Error('timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }),
      socket,
    );
    await closed;
    expect(socket.destroyed).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    expect(text).toContain('<Code>RequestTimeout</Code>');
    client.destroy();
    server.close();
  });
});
