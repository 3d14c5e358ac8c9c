/**
 * Signature V4 headers for a hand-written PUT whose body is aws-chunked with an unsigned
 * trailer (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`, HTTP chunked transfer): tests that need to
 * send a body no SDK would send (a malformed frame halfway) sign it with this.
 */
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';

export async function signAwsChunkedPut(
  endpoint: string,
  path: string,
  credentials: { accessKeyId: string; secretAccessKey: string },
): Promise<Record<string, string>> {
  const { hostname, port } = new URL(endpoint);
  const signed = await new SignatureV4({
    credentials,
    region: 'us-east-1',
    service: 's3',
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: false,
  }).sign({
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
    },
  });
  return signed.headers;
}
