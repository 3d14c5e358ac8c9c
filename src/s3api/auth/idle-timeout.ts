/**
 * A request body that must keep arriving: a client that stops sending for `ms` while the
 * server waits for its next bytes gets S3's RequestTimeout, so a stalled or 1-byte-a-second
 * upload cannot hold a connection, a temp file and its reserved space for ever. Only time
 * spent waiting on the client counts, not time the server spends storing what came. One
 * timer per body, re-armed on each wait (no timer per chunk).
 */
import { StowageError } from '../../errors.js';

export function idleLimited(
  source: AsyncIterable<Uint8Array>,
  ms: number,
): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
      const it = source[Symbol.asyncIterator]();
      let timer: NodeJS.Timeout | undefined;
      /** Rejects the wait in progress; undefined while none is. */
      let expire: ((err: StowageError) => void) | undefined;
      const onIdle = (): void => {
        // After the whole process stood still (SIGSTOP, a paused VM, a swap storm), timers
        // run before the bytes that came meanwhile are read: a body still arriving was cut
        // (a resource probe). One turn of the event loop reads them first; only a wait
        // still unanswered after it expires.
        const waiting = expire;
        setImmediate(() => {
          if (expire !== waiting) return;
          expire?.(
            new StowageError(
              'E_REQUEST_TIMEOUT',
              `Your socket connection to the server was not read from or written to within the timeout period (${ms / 1000} s without a byte of the body). Idle connections will be closed.`,
            ),
          );
        });
      };
      return {
        next(): Promise<IteratorResult<Uint8Array>> {
          const expired = new Promise<never>((_, reject) => (expire = reject));
          if (timer) timer.refresh();
          // Unref'd: a body the server stopped reading (refused half-way) calls neither next()
          // nor return() again, and its timer must not hold up a shutdown for `ms`.
          else timer = setTimeout(onIdle, ms).unref();
          return Promise.race([it.next(), expired]).then(
            (r) => {
              expire = undefined;
              if (r.done) clearTimeout(timer);
              return r;
            },
            (err: unknown) => {
              expire = undefined;
              clearTimeout(timer);
              throw err;
            },
          );
        },
        return(value?: unknown): Promise<IteratorResult<Uint8Array>> {
          clearTimeout(timer);
          return it.return?.(value) ?? Promise.resolve({ done: true, value: undefined });
        },
      };
    },
  };
}
