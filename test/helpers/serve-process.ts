/**
 * `stowage serve` as a user runs it, for tests: the built CLI in a subprocess on a free
 * port, started with `--json` so its first line on stdout says where it listens and with
 * which key. Every process started here is SIGKILLed by `killAllServers` (call it in
 * afterAll), so a failed test never leaves a server behind.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export const BIN = path.resolve('bin/stowage.cjs');

export interface ServeInfo {
  url: string;
  accessKeyId: string;
  secretAccessKeyShownOnce?: string;
}

export interface Started {
  child: ChildProcess;
  info: ServeInfo;
  stderr: () => string;
}

const children: ChildProcess[] = [];

/** node's arguments for `stowage --json serve` on `dataDir` (port 0: a free one). */
export function serveArgs(dataDir: string, port = 0): string[] {
  return [BIN, '--json', 'serve', '--port', String(port), '--data-dir', dataDir];
}

/** SIGKILLs every server this module started that is still running. */
export function killAllServers(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

/**
 * Starts `stowage --json serve --port <port> --data-dir <dataDir>` (port 0: a free one);
 * resolves once it listens. `stderr`: a file descriptor for the server's stderr (its log)
 * instead of a pipe read here. `wrapper`: a command that runs node (`['prlimit',
 * '--nofile=200:200']`).
 */
export function serve(
  dataDir: string,
  env: Record<string, string> = {},
  port = 0,
  stderr?: number,
  wrapper: string[] = [],
): Promise<Started> {
  if (!existsSync(path.resolve('dist/cli/main.js')))
    throw new Error('dist/ is missing: run `npm run build` (npm test does)');
  return new Promise((resolve, reject) => {
    const args = serveArgs(dataDir, port);
    const child = spawn(
      wrapper[0] ?? process.execPath,
      wrapper.length > 0 ? [...wrapper.slice(1), process.execPath, ...args] : args,
      {
        env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', ...env },
        stdio: ['ignore', 'pipe', stderr ?? 'pipe'],
      },
    );
    children.push(child);
    let out = '';
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      try {
        resolve({ child, info: JSON.parse(out) as ServeInfo, stderr: () => err });
      } catch {
        // not a whole JSON document yet
      }
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
}

/** Resolves with the exit code (null after a signal) once `child` has exited. */
export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** An SDK client for a started server, path-style, with the given secret. */
export function clientOf(info: ServeInfo, secretAccessKey: string, maxAttempts = 3): S3Client {
  return new S3Client({
    endpoint: info.url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: info.accessKeyId, secretAccessKey },
    maxAttempts,
  });
}

/**
 * `stowage engine check --deep` on a stopped server's data directory, in a child process
 * as a user runs it (`env` adds variables, e.g. STOWAGE_CONFIG); its exit code and output.
 */
export function deepCheck(
  dataDir: string,
  env: Record<string, string> = {},
): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, [BIN, 'engine', 'check', '--deep'], {
    env: { PATH: process.env.PATH, STOWAGE_DATA_DIR: dataDir, ...env },
    encoding: 'utf8',
  });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}
