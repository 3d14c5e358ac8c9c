/**
 * Signature V4 headers for a hand-written PUT whose body is aws-chunked with an unsigned
 * trailer (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`, HTTP chunked transfer): tests that need to
 * send a body no SDK would send (a malformed frame halfway) sign it with this. It declares
 * `decodedLength` bytes (x-amz-decoded-content-length, which S3 requires with aws-chunked;
 * null leaves the header out).
 */
import { s3Signer } from './signed-fetch.js';

export async function signAwsChunkedPut(
  endpoint: string,
  path: string,
  credentials: { accessKeyId: string; secretAccessKey: string },
  decodedLength: number | null = 100 * 65_536,
): Promise<Record<string, string>> {
  const { hostname, port } = new URL(endpoint);
  const signed = await s3Signer(credentials).sign({
    method: 'PUT',
    protocol: 'http:',
    hostname,
    port: Number(port),
    path,
    query: {},
    headers: {
      host: `${hostname}:${port}`,
      'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      'content-encoding': 'aws-chunked',
      'transfer-encoding': 'chunked',
      ...(decodedLength === null ? {} : { 'x-amz-decoded-content-length': String(decodedLength) }),
    },
  });
  return signed.headers;
}

/**
 * An unsigned-trailer aws-chunked body of `data` in one chunk, then `trailerLines`
 * (`name:value`), with the headers that announce it; `declared` is the x-amz-trailer.
 */
export function unsignedTrailerRequest(
  data: Buffer,
  declared: string,
  trailerLines: string[],
): { body: Buffer; headers: Record<string, string> } {
  return {
    body: Buffer.concat([
      Buffer.from(`${data.length.toString(16)}\r\n`),
      data,
      Buffer.from(`\r\n0\r\n${trailerLines.map((l) => `${l}\r\n`).join('')}\r\n`),
    ]),
    headers: {
      'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': String(data.length),
      'x-amz-trailer': declared,
    },
  };
}
