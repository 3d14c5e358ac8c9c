/** Reading the answers of the requests the fast paths send themselves. */
import type http from 'node:http';
import { decodeXmlText } from '../http-text.js';

/** One response header (the first, if repeated). */
export function header(res: http.IncomingMessage, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The SDK's `$metadata` of a response. */
export interface ResponseMetadata {
  httpStatusCode: number;
  requestId: string | undefined;
  extendedRequestId: string | undefined;
}

export function metadataOf(res: http.IncomingMessage): ResponseMetadata {
  return {
    httpStatusCode: res.statusCode ?? 0,
    requestId: header(res, 'x-amz-request-id'),
    extendedRequestId: header(res, 'x-amz-id-2'),
  };
}

/** The code the SDK gives an error answer without a body (a HEAD's, a 304's). */
const CODE_OF_STATUS: Record<number, string> = {
  304: 'NotModified',
  403: 'Forbidden',
  404: 'NotFound',
  412: 'PreconditionFailed',
};

/**
 * An S3 error answer in the SDK's shape: `name` and `Code` the S3 code, the status in
 * `$metadata`, so retries and src/client/errors.ts treat it as the SDK's own.
 */
export function errorOf(
  body: string,
  res: http.IncomingMessage,
  $metadata: ResponseMetadata,
): Error {
  const field = (name: string) => {
    const text = new RegExp(`<${name}>([^<]*)</${name}>`).exec(body)?.[1];
    return text === undefined ? undefined : decodeXmlText(text);
  };
  const code = field('Code') ?? CODE_OF_STATUS[$metadata.httpStatusCode] ?? 'UnknownError';
  const err = new Error(field('Message') ?? 'UnknownError');
  const requestId = field('RequestId');
  return Object.assign(err, {
    name: code,
    Code: code,
    $fault: $metadata.httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: requestId ? { ...$metadata, requestId } : $metadata,
    $response: { statusCode: res.statusCode, headers: res.headers },
  });
}
