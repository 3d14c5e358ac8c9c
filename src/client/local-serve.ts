/**
 * Finds the local `stowage serve` a newcomer started, so `stowage ls` works with no setup:
 * its address and port from the config (`server.address`, `server.port`, default
 * 127.0.0.1:9000), its root keys from the config or from `<dataDir>/credentials.json`, which
 * the server writes on first start (src/server/credentials.ts). Nothing is generated here:
 * a data directory the server never started in has no credentials to find.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { StowageConfig } from '../config/schema.js';
import { StowageError } from '../errors.js';
import type { StaticCredentials } from './types.js';

/** The name src/server/credentials.ts gives the file of generated root credentials. */
const CREDENTIALS_FILE = 'credentials.json';

/** The part of the config that says where the local server is. */
export type LocalServeConfig = Pick<StowageConfig, 'dataDir' | 'server'>;

/** A local server's endpoint and root credentials. */
export interface LocalServe {
  endpoint: string;
  region: string;
  credentials: StaticCredentials;
  /** e.g. `local stowage serve (keys from /srv/stowage-data/credentials.json)`. */
  source: string;
}

/** Either the server that was found, or why none was (for the "no credentials" error). */
export type LocalServeDiscovery = { found: LocalServe } | { notFound: string };

/** The URL a client uses to reach a server bound to `address`. */
export function localEndpoint(config: LocalServeConfig): string {
  const { address, port, tls } = config.server;
  // A server bound to every interface is reachable on loopback.
  const host = address === '0.0.0.0' || address === '::' || address === '' ? '127.0.0.1' : address;
  const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `${tls ? 'https' : 'http'}://${hostPart}:${port}`;
}

async function readDataDirKeys(file: string): Promise<StaticCredentials | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StowageError('E_CONFIG_INVALID', `cannot read ${file}: ${(err as Error).message}`, {
      cause: err,
      details: { file },
    });
  }
  let parsed: { accessKeyId?: unknown; secretAccessKey?: unknown };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch (err) {
    throw new StowageError('E_CONFIG_INVALID', `${file} is not valid JSON`, { cause: err });
  }
  if (typeof parsed.accessKeyId !== 'string' || typeof parsed.secretAccessKey !== 'string') {
    throw new StowageError(
      'E_CONFIG_INVALID',
      `${file} does not hold accessKeyId and secretAccessKey`,
    );
  }
  return {
    kind: 'static',
    accessKeyId: parsed.accessKeyId,
    secretAccessKey: parsed.secretAccessKey,
  };
}

/**
 * Looks for a local `stowage serve` described by `config`. It does not connect: a server that
 * is not running shows up as a connection error naming this endpoint on first use.
 *
 * @example
 * const found = await discoverLocalServe(config);
 * if ('found' in found) console.log(found.found.endpoint); // http://127.0.0.1:9000
 */
export async function discoverLocalServe(config: LocalServeConfig): Promise<LocalServeDiscovery> {
  const { server } = config;
  if (server.port === 0) {
    return {
      notFound:
        'server.port is 0 (a free port chosen at start), so the local server cannot be found',
    };
  }
  const endpoint = localEndpoint(config);
  if (server.rootAccessKeyId && server.rootSecretAccessKey) {
    return {
      found: {
        endpoint,
        region: server.region,
        credentials: {
          kind: 'static',
          accessKeyId: server.rootAccessKeyId,
          secretAccessKey: server.rootSecretAccessKey,
        },
        source: 'local stowage serve (root keys from the config)',
      },
    };
  }
  const file = path.join(config.dataDir, CREDENTIALS_FILE);
  const keys = await readDataDirKeys(file);
  if (!keys) return { notFound: `no ${file} (stowage serve writes it on first start)` };
  return {
    found: {
      endpoint,
      region: server.region,
      credentials: keys,
      source: `local stowage serve (keys from ${file})`,
    },
  };
}
