/**
 * GetObject without the SDK's middleware stack, for downloads of many small objects: a
 * profile of `stowage cp --recursive` of 10,000 objects of 4 KiB showed the SDK's
 * per-request work (endpoint rules, schema serde and the response's deserialisation,
 * retry and auth-scheme middleware, its signer) at ~0.4 ms of the client's CPU per object.
 *
 * Routes are learnt as routes.ts says (a route learnt from a PutObject serves GETs too).
 * Only Bucket, Key, IfMatch and Range are sent this way; any other input field (a
 * VersionId, a response-* override, SSE-C, ChecksumMode…) goes through the SDK. The
 * result has the output fields downloads read, with the body as a stream of the bytes;
 * failures carry the SDK's error shape (response.ts).
 */
import type http from 'node:http';
import {
  GetObjectCommand,
  type GetObjectCommandInput,
  type GetObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { mapFields, sendFast } from './request.js';
import { header, metadataOf } from './response.js';

/** Input fields and the header each becomes; any other field sends the request via the SDK. */
const HEADER_OF: Record<string, string> = { IfMatch: 'if-match', Range: 'range' };
const HANDLED = new Set(['Bucket', 'Key', ...Object.keys(HEADER_OF)]);

/** What {@link getObject} answers: the output fields downloads read, the body as bytes. */
export type GetObjectResult = Pick<
  GetObjectCommandOutput,
  | 'ETag'
  | 'ContentLength'
  | 'ContentRange'
  | 'ContentType'
  | 'LastModified'
  | 'Metadata'
  | 'ServerSideEncryption'
  | 'SSECustomerAlgorithm'
  | 'VersionId'
  | '$metadata'
> & { Body: AsyncIterable<Uint8Array> };

/**
 * Sends a GetObject: without the SDK when the client allows it and the bucket's route is
 * known, through the SDK otherwise. The body must be read (or the signal aborted) for the
 * connection to return to the agent.
 *
 * @example
 * const res = await getObject(client, { Bucket: 'assets', Key: 'a.png', IfMatch: etag });
 * for await (const piece of res.Body) write(piece);
 */
export async function getObject(
  client: S3Client,
  input: GetObjectCommandInput,
  abortSignal?: AbortSignal,
): Promise<GetObjectResult> {
  return sendFast({
    client,
    bucket: input.Bucket!,
    key: input.Key!,
    method: 'GET',
    headers: headersOf(input),
    signal: abortSignal,
    onOk: (res): GetObjectResult => {
      if (abortSignal) abortBodyOn(abortSignal, res);
      return { ...outputOf(res), Body: res };
    },
    viaSdk: () => {
      const command = new GetObjectCommand(input);
      return {
        command,
        send: async (signal) => {
          const res = await client.send(command, { abortSignal: signal });
          return { ...res, Body: res.Body as AsyncIterable<Uint8Array> };
        },
      };
    },
  });
}

/** The request headers of `input` besides the signature's, or undefined for the SDK's path. */
function headersOf(input: GetObjectCommandInput): Record<string, string> | undefined {
  const headers: Record<string, string> = {};
  return mapFields(input, HANDLED, HEADER_OF, headers) ? headers : undefined;
}

/** The output fields of a 2xx answer, as the SDK deserialises them. */
function outputOf(res: http.IncomingMessage): Omit<GetObjectResult, 'Body'> {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers)) {
    if (name.startsWith('x-amz-meta-') && value !== undefined) {
      metadata[name.slice('x-amz-meta-'.length)] = Array.isArray(value) ? value.join(', ') : value;
    }
  }
  const length = header(res, 'content-length');
  const modified = header(res, 'last-modified');
  const lastModified = modified === undefined ? undefined : new Date(modified);
  return {
    ETag: header(res, 'etag'),
    ContentLength: length === undefined ? undefined : Number(length),
    ContentRange: header(res, 'content-range'),
    ContentType: header(res, 'content-type'),
    LastModified: lastModified && !Number.isNaN(lastModified.getTime()) ? lastModified : undefined,
    Metadata: metadata,
    ServerSideEncryption: header(
      res,
      'x-amz-server-side-encryption',
    ) as GetObjectResult['ServerSideEncryption'],
    SSECustomerAlgorithm: header(res, 'x-amz-server-side-encryption-customer-algorithm'),
    VersionId: header(res, 'x-amz-version-id'),
    $metadata: metadataOf(res),
  };
}

/**
 * Fails a body still being read with an AbortError when `signal` aborts (on its own the
 * body would fail as a connection reset, which retries would take for a network fault).
 */
function abortBodyOn(signal: AbortSignal, res: http.IncomingMessage): void {
  const onAbort = () => {
    const err = new Error('the GET was aborted');
    err.name = 'AbortError';
    res.destroy(err);
  };
  if (signal.aborted) {
    onAbort();
    return;
  }
  signal.addEventListener('abort', onAbort, { once: true });
  res.once('close', () => signal.removeEventListener('abort', onAbort));
}
