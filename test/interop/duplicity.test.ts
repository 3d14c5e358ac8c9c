/**
 * Debian's duplicity 0.8.22 (its boto3 backend, `boto3+s3://bucket/prefix` with
 * `--s3-endpoint-url`) against `stowage serve` over TLS, trusting the server's self-signed
 * certificate through AWS_CA_BUNDLE, with GPG symmetric encryption from PASSPHRASE: a full
 * backup of a generated tree whose 12 MiB file spans several 6 MiB volumes, each uploaded
 * as a multipart upload (5 MiB parts; the ETags in the bucket say so); an incremental
 * after a file is changed in place, one added and one deleted; `verify --compare-data`
 * finding 0 differences (and the one difference a local edit makes); a restore of the
 * latest state with an empty cache (everything from the bucket) equal byte for byte to the
 * tree; `restore --time` of the full bringing back the deleted file and the old bytes;
 * `collection-status` showing one chain of a full and an incremental; and a wrong secret
 * key failing with S3's 403 in duplicity's error.
 */
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENSSL } from '../helpers/certificate.js';
import { ensureDebianPackages, runPeer, type RunResult } from '../helpers/peers.js';
import { prng, randomBytes } from '../helpers/random.js';
import { startTlsTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';
import { readTree } from '../helpers/tree.js';

const DUPLICITY = '/usr/bin/duplicity';
const GPG = '/usr/bin/gpg';
const BUCKET = 'studio-backups';
const PREFIX = 'n8n';
const URL_ = `boto3+s3://${BUCKET}/${PREFIX}`;
const MiB = 1024 * 1024;

let t: TestServer;
let work: string;
let cert: string;
let src: string;
/** sha256 of every file of the tree at the full backup, and at the incremental. */
let atFull: Record<string, string>;
let atIncremental: Record<string, string>;
/** The full backup's time as duplicity names it (e.g. 20261206T085517Z). */
let fullTime: string;
/** How many volumes the full backup has. */
let fullVolumes: number;

function output(r: RunResult): string {
  return `${r.stdout}\n${r.stderr}`;
}

/** sha256 of every file under `dir`, by relative path. */
function hashes(dir: string): Record<string, string> {
  return Object.fromEntries(
    [...readTree(dir)].map(([k, v]) => [k, createHash('sha256').update(v).digest('hex')]),
  );
}

/** Runs duplicity against the test server; `archive` is its local metadata cache. */
function runDuplicity(
  args: string[],
  { archive = 'cache', env = {} }: { archive?: string; env?: Record<string, string> } = {},
): Promise<RunResult> {
  return runPeer(
    DUPLICITY,
    [
      ...args,
      ...['--s3-endpoint-url', t.url, '--archive-dir', path.join(work, archive)],
      ...['--name', 'studio', '--num-retries', '1'],
    ],
    {
      HOME: path.join(work, 'home'),
      GNUPGHOME: path.join(work, 'gnupg'),
      PASSPHRASE: 'correct horse battery staple',
      AWS_ACCESS_KEY_ID: TEST_KEY.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_KEY.secretAccessKey,
      AWS_CA_BUNDLE: cert,
      AWS_CONFIG_FILE: path.join(work, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(work, 'no-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      ...env,
    },
    { cwd: work, timeoutMs: 55_000 },
  );
}

/** Runs duplicity; it must succeed. */
async function duplicity(...args: string[]): Promise<string> {
  const r = await runDuplicity(args);
  expect(r.code, `duplicity ${args.join(' ')}\n${output(r)}`).toBe(0);
  return r.stdout;
}

async function listKeys(): Promise<string[]> {
  const listed = await t.client.send(
    new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${PREFIX}/` }),
  );
  expect(listed.IsTruncated).toBe(false);
  return (listed.Contents ?? []).map((o) => o.Key!.slice(PREFIX.length + 1));
}

beforeAll(async () => {
  ensureDebianPackages({ [DUPLICITY]: 'duplicity', [GPG]: 'gnupg', [OPENSSL]: 'openssl' });
  // The boto3 backend needs boto3, which duplicity only suggests.
  ensureDebianPackages({ '/usr/lib/python3/dist-packages/boto3/__init__.py': 'python3-boto3' });
  work = mkdtempSync(path.join(tmpdir(), 'stowage-duplicity-'));
  for (const dir of ['home', 'gnupg']) mkdirSync(path.join(work, dir), { mode: 0o700 });
  ({ t, cert } = await startTlsTestServer(work));
  await t.client.send(new CreateBucketCommand({ Bucket: BUCKET }));

  // The tree: a 12 MiB file (several volumes), small files, an empty one, non-ASCII names.
  const rand = prng(24);
  src = path.join(work, 'src');
  for (const dir of ['', 'workflows', 'credentials', 'empty-dir'])
    mkdirSync(path.join(src, dir), { recursive: true });
  writeFileSync(path.join(src, 'database.sqlite'), randomBytes(rand, 12 * MiB));
  writeFileSync(path.join(src, 'workflows', 'nightly export.json'), '{"nodes":[1,2,3]}\n');
  writeFileSync(path.join(src, 'workflows', 'résumé – ünïcode.json'), '{"name":"Zoë"}\n');
  writeFileSync(path.join(src, 'credentials', 'old-token.bin'), randomBytes(rand, 70_000));
  writeFileSync(path.join(src, 'credentials', 'empty'), '');
}, 600_000);

afterAll(async () => {
  await t?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('duplicity against stowage serve over TLS', () => {
  it('takes an encrypted full backup in several volumes, each a multipart upload', async () => {
    atFull = hashes(src);
    const out = await duplicity(
      'full',
      ...['--volsize', '6', '--s3-multipart-chunk-size', '5'],
      src,
      URL_,
    );
    expect(out).toMatch(/^Errors 0$/m);
    expect(out).toMatch(/^SourceFiles 9$/m); // the root, 3 directories and 5 files
    const keys = await listKeys();
    const volumes = keys.filter((k) =>
      /^duplicity-full\.\d{8}T\d{6}Z\.vol\d+\.difftar\.gpg$/.test(k),
    );
    expect(volumes.length).toBeGreaterThanOrEqual(3);
    fullVolumes = volumes.length;
    fullTime = /^duplicity-full\.(\d{8}T\d{6}Z)\./.exec(volumes[0]!)![1]!;
    expect(keys.sort()).toEqual(
      [
        `duplicity-full-signatures.${fullTime}.sigtar.gpg`,
        `duplicity-full.${fullTime}.manifest.gpg`,
        ...volumes,
      ].sort(),
    );
    // The volumes over 5 MiB went up in parts: a multipart ETag ends with -<parts>.
    let multipart = 0;
    for (const volume of volumes) {
      const head = await t.client.send(
        new HeadObjectCommand({ Bucket: BUCKET, Key: `${PREFIX}/${volume}` }),
      );
      if (head.ContentLength! >= 5 * MiB) {
        expect(head.ETag, volume).toMatch(/^"[0-9a-f]{32}-2"$/);
        multipart++;
      }
    }
    expect(multipart).toBeGreaterThanOrEqual(2);
    // Encrypted: the manifest in the bucket is an OpenPGP message, not the file list.
    const manifest = await t.client.send(
      new GetObjectCommand({
        Bucket: BUCKET,
        Key: `${PREFIX}/duplicity-full.${fullTime}.manifest.gpg`,
      }),
    );
    const bytes = Buffer.from(await manifest.Body!.transformToByteArray());
    expect(bytes[0]! & 0x80, 'an OpenPGP packet header').toBe(0x80);
    expect(bytes.includes('database.sqlite')).toBe(false);
  });

  it('takes an incremental after a change in place, an addition and a deletion', async () => {
    // duplicity names backups by the second: keep the incremental's time apart.
    await new Promise((r) => setTimeout(r, 1100));
    const db = readFileSync(path.join(src, 'database.sqlite'));
    db.write('rewritten page', 7 * MiB);
    writeFileSync(path.join(src, 'database.sqlite'), db);
    writeFileSync(path.join(src, 'workflows', 'nightly export.json'), '{"nodes":[1,2,3,4]}\n');
    writeFileSync(path.join(src, 'workflows', 'added.json'), '{"added":true}\n');
    unlinkSync(path.join(src, 'credentials', 'old-token.bin'));
    atIncremental = hashes(src);
    const out = await duplicity('incremental', '--volsize', '6', src, URL_);
    expect(out).toMatch(/^Errors 0$/m);
    // added.json, and the two directories whose entries changed.
    expect(out).toMatch(/^NewFiles 3$/m);
    expect(out).toMatch(/^DeletedFiles 1$/m);
    expect(out).toMatch(/^ChangedFiles 2$/m);
    const incs = (await listKeys()).filter((k) => k.startsWith(`duplicity-inc.${fullTime}.to.`));
    expect(incs.some((k) => k.endsWith('.manifest.gpg'))).toBe(true);
    expect(incs.some((k) => /\.vol1\.difftar\.gpg$/.test(k))).toBe(true);
  });

  it('verify --compare-data finds 0 differences, and the one a local edit makes', async () => {
    const out = await duplicity('verify', '--compare-data', URL_, src);
    expect(out).toMatch(/^Verify complete: 9 files compared, 0 differences found\.$/m);

    const file = path.join(src, 'workflows', 'added.json');
    writeFileSync(file, '{"added":false}\n');
    try {
      const r = await runDuplicity(['verify', '--compare-data', URL_, src]);
      expect(r.code, output(r)).toBe(1);
      expect(output(r)).toMatch(/^Verify complete: 9 files compared, 1 difference found\.$/m);
      expect(output(r)).toContain('workflows/added.json');
    } finally {
      writeFileSync(file, '{"added":true}\n');
    }
  });

  it('restores the latest state with an empty cache, byte for byte', async () => {
    const dest = path.join(work, 'restored-latest');
    const r = await runDuplicity(['restore', URL_, dest], { archive: 'fresh-cache' });
    expect(r.code, output(r)).toBe(0);
    expect(r.stdout).toContain('Synchronizing remote metadata to local cache');
    expect(hashes(dest)).toEqual(atIncremental);
    expect(existsSync(path.join(dest, 'empty-dir'))).toBe(true);
  });

  it('restore --time of the full brings back the deleted file and the old bytes', async () => {
    const dest = path.join(work, 'restored-full');
    // --time takes W3C datetimes; the full's name is its time in UTC.
    const [, y, mo, d, h, mi, sec] = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(
      fullTime,
    )!;
    await duplicity('restore', '--time', `${y}-${mo}-${d}T${h}:${mi}:${sec}Z`, URL_, dest);
    const restored = hashes(dest);
    expect(restored).toEqual(atFull);
    expect(restored['credentials/old-token.bin']).toBeDefined();
    expect(restored['database.sqlite']).not.toBe(atIncremental['database.sqlite']);
  });

  it('collection-status shows one chain: the full and one incremental', async () => {
    const out = await duplicity('collection-status', URL_);
    expect(out).toContain('Found primary backup chain with matching signature chain:');
    const sets = out
      .split('\n')
      .map((l) => /^\s*(Full|Incremental)\s+.*\s(\d+)\s*$/.exec(l))
      .filter((m) => m !== null)
      .map((m) => [m[1], Number(m[2])]);
    expect(sets).toEqual([
      ['Full', fullVolumes],
      ['Incremental', 1],
    ]);
    expect(out).toMatch(/^Found 0 secondary backup chains?\.$/m);
    expect(out).toContain('No orphaned or incomplete backup sets found.');
  });

  it('a wrong secret key fails with S3 403 on the bucket check', async () => {
    const r = await runDuplicity(['collection-status', URL_], {
      archive: 'wrong-key-cache',
      env: { AWS_SECRET_ACCESS_KEY: 'not-the-secret-key-000000000000000000000' },
    });
    expect(r.code, output(r)).not.toBe(0);
    expect(output(r)).toContain(
      'An error occurred (403) when calling the HeadBucket operation: Forbidden',
    );
  });
});
