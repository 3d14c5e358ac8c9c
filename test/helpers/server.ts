/** Test helpers: a real `stowage serve` in-process on 127.0.0.1 with a temp data dir. */
import { S3Client } from '@aws-sdk/client-s3';
import { chmodSync, readFileSync } from 'node:fs';
import https from 'node:https';
import { configSchema, type StowageConfig } from '../../src/config/schema.js';
import { createLogger } from '../../src/log.js';
import type { IdentityLookup } from '../../src/s3api/identity.js';
import type { LongAnswerTimes } from '../../src/s3api/long-answer.js';
import {
  startServer,
  type RunningServer,
  type StartServerOptions,
} from '../../src/server/start.js';
import { makeCertificate } from './certificate.js';
import { tempDir } from './engine.js';

/** Fixed test credentials (tests only; a real server generates its own). */
export const TEST_KEY = {
  accessKeyId: 'STWTESTKEY0000000001',
  secretAccessKey: 'test-secret-key-0000000000000000000000',
};

/** A started server plus an SDK client for it. */
export interface TestServer {
  server: RunningServer;
  url: string;
  dataDir: string;
  client: S3Client;
  close(): Promise<void>;
}

/** Starts a server on a free port. `overrides` patch the config (deep for `server`/`engine`). */
export async function startTestServer(
  overrides: {
    engine?: Partial<StowageConfig['engine']>;
    server?: Partial<StowageConfig['server']>;
    /** Access keys besides TEST_KEY (the root key), with their identity policies. */
    identities?: IdentityLookup;
    /** The SDK client's agent over TLS (one that trusts the server's certificate). */
    httpsAgent?: https.Agent;
    /** When long copies start their answer (S3's 10 s when absent). */
    longAnswer?: LongAnswerTimes;
  } = {},
): Promise<TestServer> {
  const { dir, cleanup } = tempDir('stowage-srv-');
  const config = configSchema.parse({
    dataDir: dir,
    log: { level: 'silent' },
    engine: { fsync: false, ...overrides.engine },
    server: {
      port: 0,
      rootAccessKeyId: TEST_KEY.accessKeyId,
      rootSecretAccessKey: TEST_KEY.secretAccessKey,
      ...overrides.server,
    },
  }) as StowageConfig;
  const server = await startServer(config, createLogger({ level: 'silent' }), {
    identities: overrides.identities,
    ...(overrides.longAnswer ? { longAnswer: overrides.longAnswer } : {}),
  });
  const client = new S3Client({
    endpoint: server.url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: TEST_KEY,
    ...(overrides.httpsAgent ? { requestHandler: { httpsAgent: overrides.httpsAgent } } : {}),
  });
  return {
    server,
    url: server.url,
    dataDir: dir,
    client,
    async close() {
      client.destroy();
      await server.close();
      cleanup();
    },
  };
}

/**
 * A server over TLS with a self-signed certificate made in `dir`, and an SDK client that
 * trusts it. The certificate is readable by every user (a peer may run as another one, as
 * the PostgreSQL tools do); its key is not.
 */
export async function startTlsTestServer(dir: string): Promise<{ t: TestServer; cert: string }> {
  const { cert, key } = makeCertificate(dir, 'server');
  chmodSync(cert, 0o644);
  const t = await startTestServer({
    server: { tls: { certFile: cert, keyFile: key } },
    httpsAgent: new https.Agent({ ca: readFileSync(cert) }),
  });
  return { t, cert };
}

/**
 * A server on a free port over `dataDir`, logging at `info` (access lines included) into
 * `lines`, one string per line; `options` as startServer takes them. The caller closes it.
 */
export async function startLoggingServer(
  dataDir: string,
  options: StartServerOptions = {},
): Promise<{ server: RunningServer; lines: string[] }> {
  const config = configSchema.parse({
    dataDir,
    engine: { fsync: false },
    server: {
      port: 0,
      rootAccessKeyId: TEST_KEY.accessKeyId,
      rootSecretAccessKey: TEST_KEY.secretAccessKey,
    },
  }) as StowageConfig;
  const lines: string[] = [];
  const destination = { write: (line: string) => void lines.push(line) };
  const server = await startServer(config, createLogger({ level: 'info', destination }), options);
  return { server, lines };
}
