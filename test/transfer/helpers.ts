/**
 * Shared pieces of the transfer tests: a real server with small parts allowed, SDK clients
 * whose own retries are off (so src/transfer's retry layer is the one that works), files
 * of known bytes, a request counter, and a fault proxy for failures a real server cannot
 * be made to produce (503 storms, damaged bytes, a wrong ETag).
 */
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { writeFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { patternBytes } from '../helpers/engine.js';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';

/** Small parts so multipart tests stay quick (the server's minimum is lowered to match). */
export const PART = 64 * 1024;

/** A real server that accepts parts of {@link PART} bytes. */
export function startSmallPartServer(): Promise<TestServer> {
  return startTestServer({ engine: { minPartSizeBytes: PART } });
}

/** SDK client settings for `endpoint` with the SDK's own retries off. */
export function clientConfig(endpoint: string, maxAttempts = 1): S3ClientConfig {
  return {
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: TEST_KEY,
    maxAttempts,
  };
}

/** An SDK client for `endpoint` with the SDK's own retries off. */
export function clientFor(endpoint: string, maxAttempts = 1): S3Client {
  return new S3Client(clientConfig(endpoint, maxAttempts));
}

/** Counts the commands a client sends, by name (UploadPartCommand …). */
export function countCommands(client: S3Client): Map<string, number> {
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName);
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'stowageTestCounter' },
  );
  return counts;
}

/** Writes `size` deterministic bytes to `dir/name` and returns the path and bytes. */
export function makeFile(
  dir: string,
  name: string,
  size: number,
  seed = 7,
): { file: string; bytes: Buffer } {
  const bytes = patternBytes(size, seed);
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  return { file, bytes };
}

/** What the fault proxy does with one request. */
export type FaultAction =
  | { kind: 'forward' }
  | { kind: 'slowdown' }
  | { kind: 'flip-body-byte' }
  | { kind: 'wrong-etag' }
  /** Forwards the request, lets the server finish it, then cuts the connection. */
  | { kind: 'drop-response' };

/** A proxy in front of a real server; `decide` picks the fate of each request. */
export interface FaultProxy {
  url: string;
  counts: Record<FaultAction['kind'], number>;
  close(): Promise<void>;
}

const SLOW_DOWN_XML =
  '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>';

/** Starts a fault proxy forwarding to `target` (headers untouched, so SigV4 still holds). */
export async function startFaultProxy(
  target: string,
  decide: (req: IncomingMessage) => FaultAction,
): Promise<FaultProxy> {
  const upstream = new URL(target);
  const counts: FaultProxy['counts'] = {
    forward: 0,
    slowdown: 0,
    'flip-body-byte': 0,
    'wrong-etag': 0,
    'drop-response': 0,
  };
  const server: Server = createServer((req, res) => {
    const action = decide(req);
    counts[action.kind] += 1;
    if (action.kind === 'slowdown') {
      req.resume();
      req.on('end', () => {
        res.writeHead(503, {
          'content-type': 'application/xml',
          'content-length': Buffer.byteLength(SLOW_DOWN_XML),
        });
        res.end(req.method === 'HEAD' ? undefined : SLOW_DOWN_XML);
      });
      return;
    }
    const out = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (up) => {
        if (action.kind === 'drop-response') {
          up.resume();
          up.on('end', () => res.destroy());
          return;
        }
        const headers = { ...up.headers };
        if (action.kind === 'wrong-etag' && headers.etag)
          headers.etag = '"00000000000000000000000000000000"';
        res.writeHead(up.statusCode ?? 502, headers);
        let flipped = action.kind !== 'flip-body-byte';
        up.on('data', (chunk: Buffer) => {
          if (!flipped && chunk.length > 0) {
            chunk[0] = chunk[0]! ^ 0xff;
            flipped = true;
          }
          // Same length, so Content-Length still holds: the MD5 in an XML <ETag> becomes zeros.
          if (action.kind === 'wrong-etag') {
            chunk = Buffer.from(
              chunk
                .toString('latin1')
                .replace(/(<ETag>(?:&quot;|&#34;|")?)[0-9a-f]{32}/g, `$1${'0'.repeat(32)}`),
              'latin1',
            );
          }
          res.write(chunk);
        });
        up.on('end', () => res.end());
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
