/**
 * Debian's barman-cli-cloud 3.4 (Barman's cloud scripts, on boto3) keeping PostgreSQL
 * backups in a bucket of `stowage serve` over TLS, with the server's self-signed
 * certificate as boto3's `ca_bundle`: a PostgreSQL 15 cluster run by a non-root user
 * archives its WAL with `barman-cloud-wal-archive` as archive_command; two named backups
 * with `barman-cloud-backup`, rows written before and between them; `barman-cloud-backup-list
 * --format json` listing both (and their objects seen through the S3 API); a restore of the
 * FIRST backup with `barman-cloud-restore` into a new data directory that replays WAL
 * fetched by `barman-cloud-wal-restore` as restore_command, starts, and holds exactly the
 * rows written before that backup; `barman-cloud-backup-delete` with a REDUNDANCY 1
 * retention policy removing the older backup's objects and the WAL only it needed; and a
 * wrong secret key failing with S3's 403 in barman's error.
 *
 * Credentials and the CA live in ~/.aws of the clusters' user (HOME is the work directory),
 * as they would for the postgres user, so the archive_command needs no environment.
 */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENSSL } from '../helpers/certificate.js';
import { keysOf } from '../helpers/list-keys.js';
import { ensureDebianPackages, type RunResult } from '../helpers/peers.js';
import {
  type Cluster,
  expectedRows,
  output,
  PgHost,
  POSTGRES_PACKAGES,
} from '../helpers/postgres.js';
import { startTlsTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';

const BIN = '/usr/bin';
const BUCKET = 'pg-backups';
/** barman-cloud's destination: the bucket and a prefix; objects go under `<prefix>/<server>/`. */
const DESTINATION = `s3://${BUCKET}/barman`;
const SERVER = 'pg-main';

let t: TestServer;
let pg: PgHost;
let work: string;
/** Each cluster's data directory and port; stopped in afterAll. */
let source: Cluster;
let restored: Cluster;

interface ListedBackup {
  backup_id: string;
  backup_name: string | null;
  status: string;
  begin_wal: string;
  end_wal: string;
}

/** Runs `barman-cloud-<tool> --endpoint-url … args` as the clusters' user, with `env` added. */
function runBarman(
  tool: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<RunResult> {
  return pg.run(`${BIN}/barman-cloud-${tool}`, ['--endpoint-url', t.url, ...args], env);
}

/** Runs a barman-cloud script; it must succeed. */
async function barman(tool: string, ...args: string[]): Promise<string> {
  const r = await runBarman(tool, args);
  expect(r.code, `barman-cloud-${tool} ${args.join(' ')}\n${output(r)}`).toBe(0);
  return r.stdout;
}

async function backupList(): Promise<ListedBackup[]> {
  const out = await barman('backup-list', '--format', 'json', DESTINATION, SERVER);
  return (JSON.parse(out) as { backups_list: ListedBackup[] }).backups_list;
}

const keysUnder = (prefix: string): Promise<string[]> => keysOf(t.client, BUCKET, prefix);

/** The key barman-cloud-wal-archive -z gives a WAL segment. */
function walKey(segment: string): string {
  return `barman/${SERVER}/wals/${segment.slice(0, 16)}/${segment}.gz`;
}

beforeAll(async () => {
  ensureDebianPackages({
    [`${BIN}/barman-cloud-backup`]: 'barman-cli-cloud',
    // barman-cloud-backup talks to PostgreSQL with psycopg2, which the package only suggests.
    '/usr/lib/python3/dist-packages/psycopg2/__init__.py': 'python3-psycopg2',
    '/usr/lib/python3/dist-packages/boto3/__init__.py': 'python3-boto3',
    ...POSTGRES_PACKAGES,
    [OPENSSL]: 'openssl',
  });
  pg = PgHost.create('stowage-barman-');
  work = pg.work;
  let cert: string;
  ({ t, cert } = await startTlsTestServer(work));
  await t.client.send(new CreateBucketCommand({ Bucket: BUCKET }));

  // What the postgres user's ~/.aws would hold.
  const aws = path.join(work, '.aws');
  pg.mkdir(aws, 0o700);
  for (const [file, lines] of Object.entries({
    credentials: [
      '[default]',
      `aws_access_key_id = ${TEST_KEY.accessKeyId}`,
      `aws_secret_access_key = ${TEST_KEY.secretAccessKey}`,
    ],
    config: ['[default]', 'region = us-east-1', `ca_bundle = ${cert}`],
  })) {
    writeFileSync(path.join(aws, file), [...lines, ''].join('\n'), { mode: 0o600 });
    pg.chown(path.join(aws, file));
  }

  source = await pg.cluster('data');
  restored = await pg.cluster('restored');
  await pg.startArchivingSource(
    source,
    `${BIN}/barman-cloud-wal-archive --endpoint-url ${t.url} -z ${DESTINATION} ${SERVER} %p`,
  );
}, 600_000);

afterAll(async () => {
  await pg?.close();
  await t?.close();
});

describe('barman-cloud against stowage serve over TLS', () => {
  let first: ListedBackup;
  let second: ListedBackup;

  it('archive_command archives a finished WAL segment into the bucket', async () => {
    const segment = await pg.psql(source.port, 'SELECT pg_walfile_name(pg_switch_wal())');
    expect(segment).toMatch(/^[0-9A-F]{24}$/);
    // pg_stat_archiver: the last segment archived (names are fixed-width hex, so a later
    // one sorts after) and the last that failed.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const stat = await pg.psql(
        source.port,
        'SELECT last_archived_wal, last_failed_wal FROM pg_stat_archiver',
      );
      if (stat.split('|')[0]! >= segment) break;
      expect(Date.now(), `WAL ${segment} not archived after 30 s (${stat})`).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(await keysUnder(`barman/${SERVER}/wals/`)).toContain(walKey(segment));
  });

  it('takes a backup, then a second one after rows are written', async () => {
    const backup = ['-h', work, '-p', String(source.port), '--immediate-checkpoint', '-z'];
    await barman('backup', ...backup, '-n', 'nightly-1', DESTINATION, SERVER);
    await pg.insertPlayers(source.port, 101, 150);
    await barman('backup', ...backup, '-n', 'nightly-2', DESTINATION, SERVER);
    // Written after the second backup.
    await pg.insertPlayers(source.port, 151, 160);
  });

  it('backup-list shows both backups, and their objects are in the bucket', async () => {
    const backups = await backupList();
    expect(backups.map((b) => [b.backup_name, b.status])).toEqual([
      ['nightly-1', 'DONE'],
      ['nightly-2', 'DONE'],
    ]);
    [first, second] = backups as [ListedBackup, ListedBackup];
    expect(first.backup_id).toMatch(/^\d{8}T\d{6}$/);
    expect(second.begin_wal > first.end_wal).toBe(true);
    for (const b of backups) {
      expect((await keysUnder(`barman/${SERVER}/base/${b.backup_id}/`)).sort()).toEqual([
        `barman/${SERVER}/base/${b.backup_id}/backup.info`,
        `barman/${SERVER}/base/${b.backup_id}/data.tar.gz`,
      ]);
    }
    const table = await barman('backup-list', DESTINATION, SERVER);
    expect(table).toMatch(new RegExp(`^${first.backup_id} .* nightly-1\\s*$`, 'm'));
    expect(table).toMatch(new RegExp(`^${second.backup_id} .* nightly-2\\s*$`, 'm'));
  });

  it('restores the first backup into a new data directory that starts with its rows', async () => {
    pg.mkdir(restored.dir, 0o700);
    await barman('restore', DESTINATION, SERVER, 'nightly-1', restored.dir);
    // What barman's docs have the operator write: WAL comes back through wal-restore, and
    // recovery stops as soon as the backup is consistent (no later WAL is replayed).
    const restoreCommand = `${BIN}/barman-cloud-wal-restore --endpoint-url ${t.url} ${DESTINATION} ${SERVER} %f %p`;
    writeFileSync(
      path.join(restored.dir, 'postgresql.auto.conf'),
      [
        `restore_command = '${restoreCommand}'`,
        "recovery_target = 'immediate'",
        "recovery_target_action = 'promote'",
        '',
      ].join('\n'),
      { flag: 'a' },
    );
    writeFileSync(path.join(restored.dir, 'recovery.signal'), '');
    pg.chown(path.join(restored.dir, 'recovery.signal'));
    await pg.startCluster(
      restored,
      'restored.log',
      `-c port=${restored.port} -c archive_mode=off -c listen_addresses=127.0.0.1`,
    );
    await pg.waitForPromotion(restored);
    const log = readFileSync(path.join(work, 'restored.log'), 'utf8');
    expect(log).toContain(`restored log file "${first.begin_wal}" from archive`);
    expect(log).toContain('recovery stopping after reaching consistency');
    expect(await pg.players(restored.port)).toEqual(expectedRows(1, 100));
    // The source has every row.
    expect(await pg.players(source.port)).toEqual(expectedRows(1, 160));
  });

  it('backup-delete with REDUNDANCY 1 removes the older backup and the WAL only it needed', async () => {
    expect(await keysUnder(walKey(first.begin_wal))).toEqual([walKey(first.begin_wal)]);
    const out = await runBarman('backup-delete', ['-r', 'REDUNDANCY 1', DESTINATION, SERVER]);
    expect(out.code, output(out)).toBe(0);
    expect((await backupList()).map((b) => b.backup_id)).toEqual([second.backup_id]);
    expect(await keysUnder(`barman/${SERVER}/base/${first.backup_id}/`)).toEqual([]);
    expect(await keysUnder(`barman/${SERVER}/base/${second.backup_id}/`)).toHaveLength(2);
    const wals = await keysUnder(`barman/${SERVER}/wals/`);
    expect(wals).not.toContain(walKey(first.begin_wal));
    expect(wals).toContain(walKey(second.begin_wal));
  });

  it('a wrong secret key fails with S3 403 on the bucket check', async () => {
    const r = await runBarman('backup-list', [DESTINATION, SERVER], {
      AWS_ACCESS_KEY_ID: TEST_KEY.accessKeyId,
      AWS_SECRET_ACCESS_KEY: 'not-the-secret-key-000000000000000000000',
    });
    expect(r.code, output(r)).not.toBe(0);
    expect(output(r)).toContain(
      'An error occurred (403) when calling the HeadBucket operation: Forbidden',
    );
    // The right key still lists the remaining backup.
    expect((await backupList()).map((b) => b.backup_name)).toEqual(['nightly-2']);
  });
});
