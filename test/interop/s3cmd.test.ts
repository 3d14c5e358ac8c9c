/**
 * Debian's s3cmd (2.3, SigV4, path-style) against `stowage serve` with its own config
 * file: mb, put (single and multipart), ls, info, get, sync both ways with --check-md5,
 * del and rb.
 */
import { HeadBucketCommand, HeadObjectCommand, ListBucketsCommand } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patternBytes } from '../helpers/engine.js';
import { readTree } from '../helpers/tree.js';
import { ensureDebianPackages, runPeer, type RunResult } from '../helpers/peers.js';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';

const S3CMD = '/usr/bin/s3cmd';
const BUCKET = 's3cmd-interop';
const MIB = 1024 * 1024;

let t: TestServer;
let work: string;
let config: string;

const md5 = (b: Buffer | string): string => createHash('md5').update(b).digest('hex');

function file(rel: string, content: string | Buffer): string {
  const p = path.join(work, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, content);
  return p;
}

async function s3cmd(...args: string[]): Promise<RunResult> {
  return runPeer(
    S3CMD,
    ['--config', config, ...args],
    { HOME: work },
    {
      cwd: work,
      timeoutMs: 60_000,
    },
  );
}

/** Runs an s3cmd command that must succeed; returns its stdout. */
async function ok(...args: string[]): Promise<string> {
  const r = await s3cmd(...args);
  expect(r.code, `s3cmd ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

const byFirst = ([a]: [string, unknown], [b]: [string, unknown]): number =>
  a < b ? -1 : a > b ? 1 : 0;

/** `s3cmd ls -r` as [uri, size] pairs, sorted. */
async function listRecursive(uri: string): Promise<Array<[string, number]>> {
  return (await ok('ls', '-r', uri))
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const m = /^\S+ \S+\s+(\d+)\s+(s3:\/\/.+)$/.exec(l);
      expect(m, l).not.toBeNull();
      return [m![2]!, Number(m![1])] as [string, number];
    })
    .sort(byFirst);
}

/** The fields of `s3cmd info`, by label. */
async function info(uri: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const line of (await ok('info', uri)).split('\n')) {
    const m = /^\s+([^:]+):\s+(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

beforeAll(async () => {
  ensureDebianPackages({ [S3CMD]: 's3cmd' });
  t = await startTestServer();
  work = mkdtempSync(path.join(tmpdir(), 'stowage-s3cmd-'));
  const hostPort = new URL(t.url).host;
  config = file(
    's3cfg',
    [
      '[default]',
      `access_key = ${TEST_KEY.accessKeyId}`,
      `secret_key = ${TEST_KEY.secretAccessKey}`,
      `host_base = ${hostPort}`,
      `host_bucket = ${hostPort}`,
      'use_https = False',
      'signature_v2 = False',
      'bucket_location = us-east-1',
      '',
    ].join('\n'),
  );
}, 600_000);

afterAll(async () => {
  await t?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('s3cmd against stowage serve', () => {
  const small = 'notes für später.txt';
  const smallBody = 'a small file — with UTF-8\n';
  const big = patternBytes(20 * MIB, 5);

  it('mb creates the bucket', async () => {
    expect(await ok('mb', `s3://${BUCKET}`)).toContain(`Bucket 's3://${BUCKET}/' created`);
    await t.client.send(new HeadBucketCommand({ Bucket: BUCKET }));
    const dup = await s3cmd('mb', `s3://${BUCKET}`);
    expect(dup.code).not.toBe(0);
    expect(dup.stderr).toMatch(/BucketAlreadyOwnedByYou|already exists/);
  });

  it('put uploads a small file and a 20 MiB file in 5 MiB parts', async () => {
    file(small, smallBody);
    file('big.bin', big);
    expect(await ok('put', small, `s3://${BUCKET}/${small}`)).toContain('upload:');
    expect(
      await ok('put', '--multipart-chunk-size-mb=5', 'big.bin', `s3://${BUCKET}/backups/big.bin`),
    ).toContain(`-> 's3://${BUCKET}/backups/big.bin' (${big.length} bytes`);
    const s = await t.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: small }));
    expect(s.ETag).toBe(`"${md5(smallBody)}"`);
    const b = await t.client.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: 'backups/big.bin' }),
    );
    expect(b.ContentLength).toBe(big.length);
    expect(b.ETag).toMatch(/^"[0-9a-f]{32}-4"$/);
  });

  it('ls lists the bucket, one level and recursively', async () => {
    const top = (await ok('ls', `s3://${BUCKET}`)).split('\n').filter((l) => l.trim() !== '');
    expect(top).toHaveLength(2);
    expect(top[0]).toMatch(new RegExp(`^\\s+DIR\\s+s3://${BUCKET}/backups/$`));
    expect(top[1]).toMatch(new RegExp(`\\s${Buffer.byteLength(smallBody)}\\s+s3://${BUCKET}/`));
    expect(await listRecursive(`s3://${BUCKET}`)).toEqual([
      [`s3://${BUCKET}/backups/big.bin`, big.length],
      [`s3://${BUCKET}/${small}`, Buffer.byteLength(smallBody)],
    ]);
    expect(await ok('ls')).toMatch(new RegExp(`s3://${BUCKET}$`, 'm'));
  });

  it('info shows sizes and MD5s', async () => {
    const s = await info(`s3://${BUCKET}/${small}`);
    expect(s['File size']).toBe(String(Buffer.byteLength(smallBody)));
    expect(s['MD5 sum']).toBe(md5(smallBody));
    const b = await info(`s3://${BUCKET}/backups/big.bin`);
    expect(b['File size']).toBe(String(big.length));
    expect(b['MD5 sum']).toBe(md5(big));
    expect(b['Storage']).toBe('STANDARD');
  });

  it('get downloads the same bytes', async () => {
    await ok('get', `s3://${BUCKET}/${small}`, path.join(work, 'got-small.txt'));
    await ok('get', `s3://${BUCKET}/backups/big.bin`, path.join(work, 'got-big.bin'));
    expect(readFileSync(path.join(work, 'got-small.txt'), 'utf8')).toBe(smallBody);
    expect(readFileSync(path.join(work, 'got-big.bin')).equals(big)).toBe(true);
  });

  it('sync --check-md5 uploads a tree, then only what changed, and downloads it back', async () => {
    const names = [
      'assets/a b/one.txt',
      'assets/a b/two.txt',
      'assets/çà/ü 1.txt',
      'assets/çà/ü 2.txt',
      'assets/x/deep/three.bin',
      'top.txt',
    ];
    for (const [i, n] of names.entries())
      file(`tree/${n}`, n.endsWith('.bin') ? patternBytes(4096, i + 1) : `content ${i}\n`);
    const dir = path.join(work, 'tree');
    const remote = `s3://${BUCKET}/tree/`;
    const first = await ok('sync', '--check-md5', `${dir}/`, remote);
    expect(first.match(/upload:/g)).toHaveLength(names.length);
    expect(await listRecursive(remote)).toEqual(
      names
        .map((n): [string, number] => [`${remote}${n}`, statSync(path.join(dir, n)).size])
        .sort(byFirst),
    );

    // Same size, other bytes: only --check-md5 notices.
    file('tree/top.txt', 'CONTENT 5\n');
    rmSync(path.join(dir, 'assets/a b/one.txt'));
    file('tree/assets/new file.txt', 'new\n');
    const second = await ok('sync', '--check-md5', '--delete-removed', `${dir}/`, remote);
    expect(
      second
        .split('\n')
        .filter((l) => /^(upload|delete):/.test(l))
        .map((l) => l.replace(/ \(.*$/, ''))
        .sort(),
    ).toEqual([
      `delete: '${remote}assets/a b/one.txt'`,
      `upload: '${dir}/assets/new file.txt' -> '${remote}assets/new file.txt'`,
      `upload: '${dir}/top.txt' -> '${remote}top.txt'`,
    ]);
    const local = readTree(dir);
    expect(await listRecursive(remote)).toEqual(
      [...local].map(([k, v]): [string, number] => [`${remote}${k}`, v.length]).sort(byFirst),
    );
    const third = await ok('sync', '--check-md5', '--delete-removed', `${dir}/`, remote);
    expect(third).not.toMatch(/upload:|delete:/);

    const down = path.join(work, 'down');
    await ok('sync', '--check-md5', remote, `${down}/`);
    const got = readTree(down);
    expect([...got.keys()].sort()).toEqual([...local.keys()].sort());
    for (const [k, v] of local) expect(got.get(k)?.equals(v), k).toBe(true);
  });

  it("an error shows the server's own message, not a Signature V2 refusal", async () => {
    // s3cmd retries a request refused with InvalidArgument using SigV2; the server refuses
    // SigV2 with the exact text AWS uses, on which s3cmd goes back to SigV4 for good.
    file('deep.txt', 'archived');
    await ok(
      'put',
      '--storage-class=DEEP_ARCHIVE',
      path.join(work, 'deep.txt'),
      `s3://${BUCKET}/deep.txt`,
    );
    const refused = await s3cmd(
      'restore',
      '--restore-priority=expedited',
      `s3://${BUCKET}/deep.txt`,
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('InvalidArgument');
    expect(refused.stderr).toMatch(/Expedited/);
    expect(refused.stderr).not.toMatch(/authorization mechanism|Signature Version 2/);
    await ok('del', `s3://${BUCKET}/deep.txt`);
  });

  it('setlifecycle reports the document stored (S3 answers 200)', async () => {
    const lifecycle = file(
      'lifecycle.xml',
      '<LifecycleConfiguration><Rule><ID>logs</ID><Filter><Prefix>logs/</Prefix></Filter>' +
        '<Status>Enabled</Status><Expiration><Days>7</Days></Expiration></Rule></LifecycleConfiguration>',
    );
    expect(await ok('setlifecycle', lifecycle, `s3://${BUCKET}`)).toContain(
      'Lifecycle Policy updated',
    );
    await ok('dellifecycle', `s3://${BUCKET}`);
  });

  it('del removes objects and rb the empty bucket', async () => {
    expect(await ok('del', `s3://${BUCKET}/${small}`)).toContain(
      `delete: 's3://${BUCKET}/${small}'`,
    );
    await ok('del', '--recursive', '--force', `s3://${BUCKET}/tree/`);
    expect(await listRecursive(`s3://${BUCKET}`)).toEqual([
      [`s3://${BUCKET}/backups/big.bin`, big.length],
    ]);
    const notEmpty = await s3cmd('rb', `s3://${BUCKET}`);
    expect(notEmpty.code).not.toBe(0);
    expect(notEmpty.stderr).toMatch(/BucketNotEmpty/);
    await ok('del', `s3://${BUCKET}/backups/big.bin`);
    expect(await ok('rb', `s3://${BUCKET}`)).toContain(`Bucket 's3://${BUCKET}/' removed`);
    expect((await t.client.send(new ListBucketsCommand({}))).Buckets ?? []).toEqual([]);
    const gone = await s3cmd('ls', `s3://${BUCKET}`);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toMatch(/NoSuchBucket|does not exist/);
  });
});
