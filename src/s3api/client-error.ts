/**
 * Requests node:http cannot parse (its 'clientError' event): a header section over the
 * limit, a repeated Content-Length, a malformed request line. node:http's own answer is a
 * bare status line that no S3 client can report; this one is the S3 error document every
 * other error gets (respond.ts), with a request id, and the access log gets a line for it
 * like for any other request.
 */
import type { Duplex } from 'node:stream';
import { STATUS_CODES, type ServerResponse } from 'node:http';
import { StowageError } from '../errors.js';
import { randomHex } from '../random-bytes.js';
import type { AccessLogEntry } from './front.js';
import { headerSectionTooLarge } from './header-section.js';
import { plainIp } from './ip-addresses.js';
import { errorDocument } from './respond.js';

const GONE = new Set(['ECONNRESET', 'EPIPE', 'HPE_INVALID_EOF_STATE']);

/** The error a parse failure is answered with, naming the problem. */
export function clientErrorOf(err: Error & { code?: string; reason?: string }): StowageError {
  // Over node:http's 16 KiB, so over S3's 8 KiB too.
  if (err.code === 'HPE_HEADER_OVERFLOW') return headerSectionTooLarge();
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return new StowageError('E_REQUEST_TIMEOUT', 'The request headers were not received in time');
  }
  return new StowageError(
    'E_INVALID_REQUEST',
    `The request is not valid HTTP/1.1: ${err.reason ?? err.message}`,
  );
}

/**
 * Answers a request node:http could not parse, then closes the connection (what follows the
 * bad bytes cannot be trusted to start a request). A socket that can no longer be written
 * (the client went away) is just destroyed.
 */
export function answerClientError(
  err: Error & { code?: string; reason?: string },
  socket: Duplex,
  onAccess?: (entry: AccessLogEntry) => void,
): void {
  // A client that went away, or closed its side in the middle of a request (a cut-off
  // upload, already answered and logged by the front as IncompleteBody): nothing to answer.
  // A TLS failure (a handshake that timed out or went wrong) has no HTTP to answer: a
  // plaintext reply would never be flushed, and the socket would stay open for ever.
  if (!socket.writable || GONE.has(err.code ?? '') || /^ERR_(TLS|SSL)_/.test(err.code ?? '')) {
    socket.destroy();
    return;
  }
  // Bytes that follow a request still being answered (a PUT whose body came with no
  // Content-Length, so node:http took it for the next request): answer that request first,
  // as HTTP/1.1 answers in order, then this error.
  const pending = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (pending && !pending.writableFinished) {
    let answered = false;
    const after = (): void => {
      if (answered) return;
      answered = true;
      answerClientError(err, socket, onAccess);
    };
    pending.once('finish', after);
    pending.once('close', after);
    return;
  }
  const requestId = randomHex(8).toUpperCase();
  const error = clientErrorOf(err);
  const status = error.httpStatus;
  const xml = errorDocument(error, requestId);
  // node:http sockets are half-open: end() alone would wait for the client to close its
  // side, which a slowloris client never does. Close once the answer is flushed.
  const answer = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    'Content-Type: application/xml',
    `Content-Length: ${Buffer.byteLength(xml)}`,
    `x-amz-request-id: ${requestId}`,
    `x-amz-id-2: ${requestId}`,
    'Server: Stowage',
    'Connection: close',
    '',
    xml,
  ].join('\r\n');
  socket.end(answer, () => socket.destroy());
  // The peer, as the request's forwarding headers could not be read.
  const peer = (socket as Duplex & { remoteAddress?: string }).remoteAddress;
  onAccess?.({
    requestId,
    method: '-',
    path: '-',
    status,
    code: error.s3Code,
    durationMs: 0,
    bytesSent: Buffer.byteLength(answer),
    ...(peer === undefined ? {} : { remoteAddress: plainIp(peer) }),
  });
}
