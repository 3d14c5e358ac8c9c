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
