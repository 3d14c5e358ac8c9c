/**
 * PostgreSQL 15 clusters for the interop tests of backup tools (pgBackRest, barman-cloud).
 * PostgreSQL refuses to run as root, so the clusters, and the tools that read their data
 * directories, run as a system user through setpriv, each cluster on its own port on
 * 127.0.0.1 with its Unix socket in the test's work directory (owned by that user). The
 * test data is a `players` table whose rows `expectedRows` spells out.
 */
import { execFileSync } from 'node:child_process';
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { runPeer, type RunResult } from './peers.js';
import { freePort } from './rgw-support.js';

export const PG_BIN = '/usr/lib/postgresql/15/bin';
export const SETPRIV = '/usr/bin/setpriv';
export const USERADD = '/usr/sbin/useradd';
/** PostgreSQL refuses to run as root: the clusters belong to this user. */
export const PG_USER = 'stowage-pg';

/** What `ensureDebianPackages` needs for PostgreSQL clusters run by PG_USER. */
export const POSTGRES_PACKAGES: Record<string, string> = {
  [`${PG_BIN}/initdb`]: 'postgresql-15',
  [`${PG_BIN}/psql`]: 'postgresql-client-15',
  [SETPRIV]: 'util-linux',
  [USERADD]: 'passwd',
};

/** A cluster's data directory and port (empty until the test picks them). */
export interface Cluster {
  dir: string;
  port: number;
}

/** Both streams of a finished command, for assertion messages and error matching. */
export function output(r: RunResult): string {
  return `${r.stdout}\n${r.stderr}`;
}

/** The rows of `players`, in id order, as `PgHost.psql` prints them. */
export function expectedRows(from: number, to: number): string[] {
  const rows: string[] = [];
  for (let id = from; id <= to; id++) rows.push(`${id}|Zoë #${id}|${id * 7}`);
  return rows;
}

function pgUserExists(): boolean {
  try {
    execFileSync('id', ['-u', PG_USER], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Creates PG_USER (a system user without a home or a shell) unless it exists. Test files
 * run in parallel: a useradd that fails because another file's useradd got there first
 * (the user exists, or /etc/passwd is locked for a moment) is tried again.
 */
function ensurePgUser(): { uid: number; gid: number } {
  for (let attempt = 1; !pgUserExists(); attempt++) {
    try {
      execFileSync(USERADD, ['--system', '--user-group', '--no-create-home', PG_USER], {
        stdio: 'pipe',
      });
    } catch (err) {
      if (pgUserExists()) break;
      if (attempt >= 20) throw err;
      execFileSync('sleep', ['0.2']);
    }
  }
  return {
    uid: Number(execFileSync('id', ['-u', PG_USER]).toString()),
    gid: Number(execFileSync('id', ['-g', PG_USER]).toString()),
  };
}

/** PG_USER and a temp work directory it owns (its HOME and the clusters' socket directory). */
export class PgHost {
  /** The data directories of the clusters started, for close. */
  private readonly started = new Set<string>();

  private constructor(
    readonly work: string,
    readonly uid: number,
    readonly gid: number,
  ) {}

  /** Creates PG_USER if needed and a work directory `<tmp>/<prefix>XXXXXX` owned by it. */
  static create(prefix: string): PgHost {
    const { uid, gid } = ensurePgUser();
    const work = mkdtempSync(path.join(tmpdir(), prefix));
    chownSync(work, uid, gid);
    return new PgHost(work, uid, gid);
  }

  /** Hands a file or directory to PG_USER. */
  chown(file: string): void {
    chownSync(file, this.uid, this.gid);
  }

  /** Creates a directory owned by PG_USER. */
  mkdir(dir: string, mode = 0o755): void {
    mkdirSync(dir, { mode });
    this.chown(dir);
  }

  /** Runs a command as PG_USER with an explicit environment (HOME is the work directory). */
  run(
    command: string,
    args: string[],
    env: Record<string, string> = {},
    timeoutMs = 60_000,
  ): Promise<RunResult> {
    return runPeer(
      SETPRIV,
      [
        ...['--reuid', String(this.uid), '--regid', String(this.gid), '--clear-groups'],
        ...['--', command, ...args],
      ],
      { HOME: this.work, ...env },
      { cwd: this.work, timeoutMs },
    );
  }

  /** Runs SQL in a cluster (over its Unix socket); it must succeed. */
  async psql(port: number, sql: string): Promise<string> {
    const r = await this.run(`${PG_BIN}/psql`, [
      ...['-X', '-q', '-A', '-t', '-F', '|', '-v', 'ON_ERROR_STOP=1'],
      ...['-h', this.work, '-p', String(port), '-d', 'postgres', '-c', sql],
    ]);
    expect(r.code, `psql ${sql}\n${output(r)}`).toBe(0);
    return r.stdout.trim();
  }

  /**
   * initdb's a new cluster that listens on 127.0.0.1 and in the work directory, without
   * fsync, with `settings` (postgresql.conf lines) appended.
   */
  async initCluster(cluster: Cluster, settings: string[]): Promise<void> {
    const init = await this.run(`${PG_BIN}/initdb`, [
      ...['-D', cluster.dir, '--auth=trust', '--encoding=UTF8', '--no-locale', '--no-sync'],
    ]);
    expect(init.code, `initdb\n${output(init)}`).toBe(0);
    writeFileSync(
      path.join(cluster.dir, 'postgresql.conf'),
      [
        `port = ${cluster.port}`,
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${this.work}'`,
        'fsync = off',
        ...settings,
        '',
      ].join('\n'),
      { flag: 'a' },
    );
  }

  /**
   * The source cluster of a backup test: initdb'd in `dir`, archiving its WAL with
   * `archiveCommand`, started, with rows 1–100 in `players`.
   */
  async startArchivingSource(cluster: Cluster, archiveCommand: string): Promise<void> {
    await this.initCluster(cluster, [
      'wal_level = replica',
      'archive_mode = on',
      `archive_command = '${archiveCommand}'`,
    ]);
    await this.startCluster(cluster, 'source.log');
    await this.createPlayers(cluster.port);
    await this.insertPlayers(cluster.port, 1, 100);
  }

  /** Starts a cluster (its server log in the work directory); it must come up. */
  async startCluster(cluster: Cluster, log: string, options = ''): Promise<void> {
    this.started.add(cluster.dir);
    const logFile = path.join(this.work, log);
    const r = await this.run(`${PG_BIN}/pg_ctl`, [
      ...['-D', cluster.dir, '-l', logFile, '-w', '-t', '60'],
      ...(options ? ['-o', options] : []),
      'start',
    ]);
    const logText = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    expect(r.code, `pg_ctl start ${cluster.dir}\n${output(r)}\n${logText}`).toBe(0);
  }

  /** Waits until a cluster that recovers from an archive has been promoted. */
  async waitForPromotion(cluster: Cluster, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await this.psql(cluster.port, 'SELECT pg_is_in_recovery()')) !== 'f') {
      expect(
        Date.now(),
        `the restored cluster is still in recovery after ${timeoutMs / 1000} s`,
      ).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** A cluster to be: data directory `name` in the work directory, and a free port. */
  async cluster(name: string): Promise<Cluster> {
    return { dir: path.join(this.work, name), port: await freePort() };
  }

  /**
   * Stops every cluster started and removes the work directory (for afterAll: also after a
   * failed test).
   */
  async close(): Promise<void> {
    for (const dir of this.started) await this.stopCluster(dir);
    rmSync(this.work, { recursive: true, force: true });
  }

  /** Stops a cluster if it runs: pg_ctl, then SIGKILL to a postmaster that is left. */
  async stopCluster(dir: string): Promise<void> {
    const pidFile = path.join(dir, 'postmaster.pid');
    if (!dir || !existsSync(pidFile)) return;
    await this.run(`${PG_BIN}/pg_ctl`, ['-D', dir, '-m', 'immediate', '-w', '-t', '30', 'stop']);
    if (!existsSync(pidFile)) return;
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  async createPlayers(port: number): Promise<void> {
    await this.psql(
      port,
      'CREATE TABLE players (id int PRIMARY KEY, name text NOT NULL, score int NOT NULL)',
    );
  }

  async insertPlayers(port: number, from: number, to: number): Promise<void> {
    await this.psql(
      port,
      `INSERT INTO players SELECT g, 'Zoë #' || g, g * 7 FROM generate_series(${from}, ${to}) g`,
    );
  }

  /** The rows of `players`, in id order (compare with `expectedRows`). */
  async players(port: number): Promise<string[]> {
    return (await this.psql(port, 'SELECT id, name, score FROM players ORDER BY id')).split('\n');
  }
}
