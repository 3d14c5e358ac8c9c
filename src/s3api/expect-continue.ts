/**
 * `Expect: 100-continue`. aws-cli, the AWS SDKs, rclone and curl send it with large
 * uploads and wait for `100 Continue` before sending the body. The server answers it only
 * when an operation starts reading the body, after authentication, authorization and the
 * operation's own checks. A request refused before that (a denied key, a missing bucket, a
 * full disk) gets its error at once, and the client never sends a body that would only be
 * read and dropped; node:http then closes the connection, since the client may still send
 * the body it announced.
 *
 * node:http sends `100 Continue` by itself unless the server has a 'checkContinue'
 * listener; `stowage serve` adds one (server/start.ts) that runs the ordinary handler and
 * tells the S3 front that this request is still waiting for it.
 */
import type { ServerResponse } from 'node:http';

/** `body`, with `100 Continue` sent to the client when it is first read. */
export async function* continueOnFirstRead<T>(
  body: AsyncIterable<T>,
  res: ServerResponse,
): AsyncGenerator<T> {
  if (!res.headersSent) res.writeContinue();
  yield* body;
}
