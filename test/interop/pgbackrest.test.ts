/**
 * Debian's pgBackRest 2.45 (PostgreSQL backups to an S3 repository) against `stowage serve`
 * over TLS, with the server's self-signed certificate as repo1-storage-ca-file: a
 * PostgreSQL 15 cluster run by a non-root user archives its WAL with `archive-push`;
 * stanza-create, check, a full backup, rows written, an incremental backup, `info
 * --output=json` listing both (and the objects seen through the S3 API), a restore of the
 * incremental into a new data directory (WAL fetched with `archive-get`) that starts and
 * holds exactly the rows written before the incremental, and a wrong secret key or a
 * missing bucket failing with pgBackRest's error naming S3's answer.
 *
 * pgBackRest 2.45 checks only DNS names in a certificate (it ignores IP address SANs) and
 * connects to the first address its endpoint resolves to, so the endpoint is `localhost`,
 * which must resolve to 127.0.0.1 first, the address the test server listens on.
 */
import { CreateBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { readFileSync, writeFileSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENSSL } from '../helpers/certificate.js';
import { ensureDebianPackages, type RunResult } from '../helpers/peers.js';
import {
  type Cluster,
  expectedRows,
  output,
  PgHost,
  POSTGRES_PACKAGES,
} from '../helpers/postgres.js';
import { startTlsTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';

const PGBACKREST = '/usr/bin/pgbackrest';
const BUCKET = 'pg-backups';
const STANZA = 'demo';

let t: TestServer;
let pg: PgHost;
let work: string;
let config: string;
/** Each cluster's data directory and port; stopped in afterAll. */
let source: Cluster;
let restored: Cluster;

/** Runs pgBackRest as the clusters' user, with `env` added. */
function runPgbackrest(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  return pg.run(PGBACKREST, [`--config=${config}`, `--stanza=${STANZA}`, ...args], env);
}

/** Runs pgBackRest with the test configuration; it must succeed. */
async function pgbackrest(...args: string[]): Promise<string> {
  const r = await runPgbackrest(args);
  expect(r.code, `pgbackrest ${args.join(' ')}\n${output(r)}`).toBe(0);
  return r.stdout;
}

interface InfoBackup {
  label: string;
  type: string;
  prior: string | null;
  error: boolean;
}

beforeAll(async () => {
  ensureDebianPackages({
    [PGBACKREST]: 'pgbackrest',
    ...POSTGRES_PACKAGES,
    [OPENSSL]: 'openssl',
  });
  // See the header: pgBackRest 2.45 tries only the first address of its endpoint.
  const first = await lookup('localhost');
  if (first.address !== '127.0.0.1') {
    throw new Error(
      `localhost resolves to ${first.address} first; pgBackRest 2.45 would not reach the test server on 127.0.0.1`,
    );
  }
  pg = PgHost.create('stowage-pgbackrest-');
  work = pg.work;
  let cert: string;
  ({ t, cert } = await startTlsTestServer(work));
  await t.client.send(new CreateBucketCommand({ Bucket: BUCKET }));

  source = await pg.cluster('data');
  restored = await pg.cluster('restored');
  for (const dir of ['log', 'lock', 'spool']) {
    pg.mkdir(path.join(work, dir));
  }
  config = path.join(work, 'pgbackrest.conf');
  writeFileSync(
    config,
    [
      '[global]',
      'repo1-type=s3',
      'repo1-path=/pgbackrest',
      `repo1-s3-bucket=${BUCKET}`,
      'repo1-s3-endpoint=localhost',
      `repo1-storage-port=${new URL(t.url).port}`,
      'repo1-s3-uri-style=path',
      'repo1-s3-region=us-east-1',
      `repo1-s3-key=${TEST_KEY.accessKeyId}`,
      `repo1-s3-key-secret=${TEST_KEY.secretAccessKey}`,
      `repo1-storage-ca-file=${cert}`,
      'repo1-retention-full=2',
      `log-path=${path.join(work, 'log')}`,
      `lock-path=${path.join(work, 'lock')}`,
      `spool-path=${path.join(work, 'spool')}`,
      'log-level-console=info',
      'log-level-file=off',
      'start-fast=y',
      '',
      `[${STANZA}]`,
      `pg1-path=${source.dir}`,
      `pg1-port=${source.port}`,
      `pg1-socket-path=${work}`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  pg.chown(config);

  await pg.startArchivingSource(
    source,
    `${PGBACKREST} --config=${config} --stanza=${STANZA} archive-push %p`,
  );
}, 600_000);

afterAll(async () => {
  await pg?.close();
  await t?.close();
});

describe('pgBackRest against stowage serve over TLS', () => {
  let fullLabel: string;
  let incrLabel: string;

  it('creates the stanza, and check archives a WAL segment into the bucket', async () => {
    await pgbackrest('stanza-create');
    const check = await pgbackrest('check');
    expect(check).toMatch(
      /WAL segment \w+ successfully archived to '\/pgbackrest\/archive\/demo\//,
    );
    const listed = await t.client.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `pgbackrest/archive/${STANZA}/` }),
    );
    const keys = (listed.Contents ?? []).map((o) => o.Key);
    expect(keys).toContain(`pgbackrest/archive/${STANZA}/archive.info`);
    expect(
      keys.some((k) => /\/15-1\/[0-9A-F]{16}\/[0-9A-F]{24}-[0-9a-f]{40}\.gz$/.test(k ?? '')),
    ).toBe(true);
  });

  it('takes a full backup, then an incremental one after rows are written', async () => {
    await pgbackrest('backup', '--type=full');
    await pg.insertPlayers(source.port, 101, 150);
    await pgbackrest('backup', '--type=incr');
    // Written after the incremental: a restore of it must not have them.
    await pg.insertPlayers(source.port, 151, 160);
  });

  it('info --output=json lists both backups, and their directories are in the bucket', async () => {
    const info = JSON.parse(await pgbackrest('info', '--output=json')) as {
      name: string;
      status: { code: number; message: string };
      backup: InfoBackup[];
    }[];
    expect(info).toHaveLength(1);
    expect(info[0]).toMatchObject({ name: STANZA, status: { code: 0, message: 'ok' } });
    const backups = info[0]!.backup;
    expect(backups.map((b) => [b.type, b.error])).toEqual([
      ['full', false],
      ['incr', false],
    ]);
    fullLabel = backups[0]!.label;
    incrLabel = backups[1]!.label;
    expect(incrLabel).toMatch(new RegExp(`^${fullLabel}_\\d{8}-\\d{6}I$`));
    expect(backups[1]!.prior).toBe(fullLabel);

    const listed = await t.client.send(
      new ListObjectsV2Command({
        Bucket: BUCKET,
        Prefix: `pgbackrest/backup/${STANZA}/`,
        Delimiter: '/',
      }),
    );
    const dirs = (listed.CommonPrefixes ?? []).map((p) => p.Prefix);
    expect(dirs).toEqual(
      expect.arrayContaining([
        `pgbackrest/backup/${STANZA}/${fullLabel}/`,
        `pgbackrest/backup/${STANZA}/${incrLabel}/`,
      ]),
    );
    const manifest = await t.client.send(
      new ListObjectsV2Command({
        Bucket: BUCKET,
        Prefix: `pgbackrest/backup/${STANZA}/${incrLabel}/backup.manifest`,
      }),
    );
    expect((manifest.Contents ?? []).map((o) => o.Key)).toEqual([
      `pgbackrest/backup/${STANZA}/${incrLabel}/backup.manifest`,
      `pgbackrest/backup/${STANZA}/${incrLabel}/backup.manifest.copy`,
    ]);
  });

  it('restores the incremental into a new data directory that starts with its rows', async () => {
    pg.mkdir(restored.dir, 0o700);
    const restore = await pgbackrest(
      'restore',
      `--pg1-path=${restored.dir}`,
      `--set=${incrLabel}`,
      '--type=immediate',
      '--target-action=promote',
    );
    expect(restore).toContain('restore command end: completed successfully');
    // pgBackRest wrote the recovery settings: WAL comes back through archive-get.
    expect(readFileSync(path.join(restored.dir, 'postgresql.auto.conf'), 'utf8')).toMatch(
      /restore_command = '.*archive-get %f "%p"'/,
    );
    await pg.startCluster(
      restored,
      'restored.log',
      `-c port=${restored.port} -c archive_mode=off -c listen_addresses=127.0.0.1`,
    );
    await pg.waitForPromotion(restored);
    expect(readFileSync(path.join(work, 'restored.log'), 'utf8')).toMatch(
      /restored log file "\w{24}" from archive/,
    );
    expect(await pg.players(restored.port)).toEqual(expectedRows(1, 150));
    // The source has the ten rows written after the incremental backup too.
    expect(await pg.players(source.port)).toEqual(expectedRows(1, 160));
  });

  it('a wrong secret key fails the backup with S3 403 SignatureDoesNotMatch', async () => {
    const r = await runPgbackrest(['backup', '--type=incr'], {
      PGBACKREST_REPO1_S3_KEY_SECRET: 'not-the-secret-key-000000000000000000000',
    });
    expect(r.code, output(r)).not.toBe(0);
    expect(output(r)).toMatch(/ERROR: \[\d+\]: unable to load info file/);
    expect(output(r)).toContain('HTTP request failed with 403 (Forbidden)');
    expect(output(r)).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('a bucket that does not exist fails a listing with S3 404 NoSuchBucket', async () => {
    const r = await runPgbackrest(['repo-ls', '--recurse'], {
      PGBACKREST_REPO1_S3_BUCKET: 'no-such-bucket',
    });
    expect(r.code, output(r)).not.toBe(0);
    expect(output(r)).toContain('HTTP request failed with 404 (Not Found)');
    expect(output(r)).toContain('<Code>NoSuchBucket</Code>');
    // The real repository is untouched: still the two backups.
    const info = JSON.parse(await pgbackrest('info', '--output=json')) as {
      backup: InfoBackup[];
    }[];
    expect(info[0]!.backup.map((b) => b.label)).toEqual([fullLabel, incrLabel]);
  });
});
