/**
 * A raw TCP connection for tests that need to see HTTP on the wire (interim answers,
 * `Connection: close`, the server cutting a connection): everything the server sent so
 * far, as text, and its close. Write errors after the server cut the connection (EPIPE,
 * ECONNRESET) are expected in such tests and swallowed.
 */
import net from 'node:net';

export interface RawConnection {
  socket: net.Socket;
  /** Everything received so far (latin1). */
  text(): string;
  /** Resolves when the connection has closed. */
  closed: Promise<void>;
  /** Resolves when the connection closes; rejects if it is still open after `ms`. */
  closedWithin(ms: number): Promise<void>;
  /** Resolves once `re` matches what was received; rejects after 5 s. */
  waitFor(re: RegExp, what?: string): Promise<void>;
}

/**
 * Connects to `host:port`. With `allowHalfOpen` the socket keeps sending after the server's
 * FIN (as HTTP clients that are still sending a body do) until it is ended.
 */
export async function connectRaw(
  port: number,
  host = '127.0.0.1',
  options: { allowHalfOpen?: boolean } = {},
): Promise<RawConnection> {
  const socket = net.connect({ port, host, allowHalfOpen: options.allowHalfOpen === true });
  await new Promise((r) => socket.once('connect', r));
  let text = '';
  socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  return {
    socket,
    text: () => text,
    closed,
    closedWithin: (ms) =>
      Promise.race([
        closed,
        new Promise<void>((_, reject) =>
          setTimeout(
            () => reject(new Error(`the server left the connection open for ${ms} ms`)),
            ms,
          ).unref(),
        ),
      ]),
    waitFor: async (re, what = String(re)) => {
      const deadline = Date.now() + 5000;
      while (!re.test(text)) {
        if (Date.now() > deadline) {
          throw new Error(`no ${what} within 5 s; got: ${text.slice(-200)}`);
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    },
  };
}
