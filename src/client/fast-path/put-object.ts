/**
 * PutObject of an in-memory body without the SDK's middleware stack, for uploads of many
 * small files: there the SDK's per-request work (endpoint rules, schema serde, user agent,
 * retry and auth-scheme middleware, its signer) cost the client ~0.6 ms of CPU per object,
 * more than `stowage serve` spends storing it.
 *
 * Routes are learnt as routes.ts says. What this path cannot reproduce exactly goes
 * through the SDK instead: an input field it does not map, a header value outside
 * printable ASCII, a body without Content-MD5, a route whose request was not plain SigV4.
 * Failures carry the SDK's error shape (response.ts).
 */
import { once } from 'node:events';
import {
  PutObjectCommand,
  type PutObjectCommandInput,
  type PutObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { HEADER_TOKEN, PRINTABLE_ASCII } from '../http-text.js';
import { mapFields, sendFast } from './request.js';
import { header, metadataOf } from './response.js';

/** Input fields and the header each becomes; any other field sends the request via the SDK. */
const HEADER_OF: Record<string, string> = {
  ContentMD5: 'content-md5',
  ContentType: 'content-type',
  CacheControl: 'cache-control',
  StorageClass: 'x-amz-storage-class',
  ServerSideEncryption: 'x-amz-server-side-encryption',
  SSEKMSKeyId: 'x-amz-server-side-encryption-aws-kms-key-id',
  Tagging: 'x-amz-tagging',
};
const HANDLED = new Set([
  'Bucket',
  'Key',
  'Body',
  'ContentLength',
  'Metadata',
  ...Object.keys(HEADER_OF),
]);

/** What {@link putObject} answers: the output fields transfers read. */
export type PutObjectResult = Pick<
  PutObjectCommandOutput,
  'ETag' | 'VersionId' | 'ServerSideEncryption' | 'SSECustomerAlgorithm' | '$metadata'
>;

/**
 * Sends a PutObject whose body is in memory: without the SDK when the client allows it
 * and the bucket's route is known, through the SDK otherwise.
 *
 * @example
 * const res = await putObject(client, { Bucket: 'assets', Key: 'a.png', Body: bytes,
 *   ContentLength: bytes.length, ContentMD5: md5Base64 }, signal);
 */
export async function putObject(
  client: S3Client,
  input: PutObjectCommandInput & { Body: Uint8Array },
  abortSignal?: AbortSignal,
): Promise<PutObjectResult> {
  return sendFast({
    client,
    bucket: input.Bucket!,
    key: input.Key!,
    method: 'PUT',
    headers: headersOf(input),
    body: input.Body,
    signal: abortSignal,
    onOk: async (res): Promise<PutObjectResult> => {
      res.resume();
      await once(res, 'end');
      return {
        ETag: header(res, 'etag'),
        VersionId: header(res, 'x-amz-version-id'),
        ServerSideEncryption: header(
          res,
          'x-amz-server-side-encryption',
        ) as PutObjectResult['ServerSideEncryption'],
        SSECustomerAlgorithm: header(res, 'x-amz-server-side-encryption-customer-algorithm'),
        $metadata: metadataOf(res),
      };
    },
    viaSdk: () => {
      const command = new PutObjectCommand(input);
      return { command, send: (signal) => client.send(command, { abortSignal: signal }) };
    },
  });
}

/** The request headers of `input` besides the signature's, or undefined for the SDK's path. */
function headersOf(
  input: PutObjectCommandInput & { Body: Uint8Array },
): Record<string, string> | undefined {
  if (input.ContentMD5 === undefined) return undefined;
  const headers: Record<string, string> = { 'content-length': String(input.Body.length) };
  if (!mapFields(input, HANDLED, HEADER_OF, headers)) return undefined;
  for (const [k, v] of Object.entries(input.Metadata ?? {})) {
    const name = `x-amz-meta-${k.toLowerCase()}`;
    if (!HEADER_TOKEN.test(name) || !PRINTABLE_ASCII.test(v) || name in headers) {
      return undefined;
    }
    headers[name] = v;
  }
  if (input.ContentLength !== undefined && input.ContentLength !== input.Body.length) {
    return undefined;
  }
  return headers;
}
