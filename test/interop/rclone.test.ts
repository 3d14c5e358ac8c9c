/**
 * Debian's rclone (1.60, Go SDK v1) against `stowage serve`, configured only through
 * RCLONE_CONFIG_STW_* variables: mkdir, copy (with a multipart upload), ls/lsjson, check,
 * sync, copy back and byte-compare, delete and purge.
 */
import { HeadObjectCommand, ListBucketsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patternBytes } from '../helpers/engine.js';
import { readTree } from '../helpers/tree.js';
import { ensureDebianPackages, runPeer, type RunResult } from '../helpers/peers.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { rcloneEnv } from '../helpers/rclone.js';

const RCLONE = '/usr/bin/rclone';
const BUCKET = 'rclone-interop';
const MIB = 1024 * 1024;
/** Makes rclone split the 20 MiB file into four 5 MiB parts. */
const MULTIPART = ['--s3-upload-cutoff', '5M', '--s3-chunk-size', '5M'];

let t: TestServer;
let work: string;
let src: string;
let env: Record<string, string>;

const md5 = (b: Buffer | string): string => createHash('md5').update(b).digest('hex');

function writeFile(root: string, rel: string, content: string | Buffer): void {
  const p = path.join(root, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, content);
}

async function rclone(...args: string[]): Promise<RunResult> {
  return runPeer(RCLONE, args, env, { cwd: work, timeoutMs: 60_000 });
}

/** Runs an rclone command that must succeed; returns its stdout. */
async function ok(...args: string[]): Promise<string> {
  const r = await rclone(...args);
  expect(r.code, `rclone ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

interface LsJsonEntry {
  Path: string;
  Size: number;
  IsDir: boolean;
  ModTime: string;
  Hashes?: { md5?: string };
}

/** The remote's files as path -> [size, md5], from `rclone lsjson -R --hash --files-only`. */
async function remoteFiles(remote: string): Promise<Map<string, [number, string | undefined]>> {
  const entries = JSON.parse(
    await ok('lsjson', '-R', '--hash', '--files-only', remote),
  ) as LsJsonEntry[];
  return new Map(entries.map((e) => [e.Path, [e.Size, e.Hashes?.md5]]));
}

function localFiles(dir: string): Map<string, [number, string]> {
  return new Map([...readTree(dir)].map(([k, v]) => [k, [v.length, md5(v)]]));
}

const sorted = <V>(m: Map<string, V>): Array<[string, V]> =>
  [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

beforeAll(async () => {
  ensureDebianPackages({ [RCLONE]: 'rclone' });
  t = await startTestServer();
  work = mkdtempSync(path.join(tmpdir(), 'stowage-rclone-'));
  env = rcloneEnv(t.url, work);
  src = path.join(work, 'src');
  // 49 small files in nested directories, with spaces and non-ASCII names, plus one
  // 20 MiB file.
  for (let i = 0; i < 12; i++) writeFile(src, `top-${i}.txt`, `top level file ${i}\n`);
  for (let i = 0; i < 12; i++)
    writeFile(src, `sprites/hero/frame ${i}.png`, patternBytes(100 + i * 37, i + 1));
  for (let i = 0; i < 12; i++)
    writeFile(src, `ünïcødé/日本語/ファイル ${i}.txt`, `unicode ${i} — ✓\n`);
  for (let i = 0; i < 12; i++)
    writeFile(src, `deep/a/b/c/with spaces ${i}.bin`, patternBytes(3000 + i, 100 + i));
  writeFile(src, 'empty.txt', '');
  writeFile(src, 'big/backup.tar', patternBytes(20 * MIB, 7));
}, 600_000);

afterAll(async () => {
  await t?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('rclone against stowage serve', () => {
  it('mkdir creates the bucket', async () => {
    await ok('mkdir', `stw:${BUCKET}`);
    const roots = JSON.parse(await ok('lsjson', 'stw:')) as LsJsonEntry[];
    expect(roots.map((r) => [r.Path, r.IsDir])).toEqual([[BUCKET, true]]);
    const buckets = await t.client.send(new ListBucketsCommand({}));
    expect(buckets.Buckets?.map((b) => b.Name)).toEqual([BUCKET]);
  });

  it('copy uploads the tree, the big file in 5 MiB parts', async () => {
    await ok('copy', src, `stw:${BUCKET}/data`, ...MULTIPART);
    const big = await t.client.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: 'data/big/backup.tar' }),
    );
    expect(big.ContentLength).toBe(20 * MIB);
    expect(big.ETag).toMatch(/^"[0-9a-f]{32}-4"$/);
    // rclone keeps the whole file's MD5 in metadata for multipart uploads.
    expect(big.Metadata?.md5chksum).toBe(
      createHash('md5')
        .update(readFileSync(path.join(src, 'big/backup.tar')))
        .digest('base64'),
    );
    const small = await t.client.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: 'data/ünïcødé/日本語/ファイル 3.txt' }),
    );
    expect(small.ETag).toBe(`"${md5('unicode 3 — ✓\n')}"`);
  });

  it('ls and lsjson list exactly the local files, sizes, MD5s and modification times', async () => {
    const local = localFiles(src);
    expect(local.size).toBe(50);
    const ls = (await ok('ls', `stw:${BUCKET}/data`))
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => {
        const m = /^\s*(\d+) (.+)$/.exec(l);
        expect(m, l).not.toBeNull();
        return [m![2]!, Number(m![1])] as [string, number];
      })
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    expect(ls).toEqual(sorted(local).map(([k, [size]]) => [k, size]));
    expect(sorted(await remoteFiles(`stw:${BUCKET}/data`))).toEqual(sorted(local));

    const top = JSON.parse(await ok('lsjson', `stw:${BUCKET}/data`)) as LsJsonEntry[];
    expect(top.filter((e) => e.IsDir).map((e) => e.Path)).toEqual([
      'big',
      'deep',
      'sprites',
      'ünïcødé',
    ]);
    const entry = top.find((e) => e.Path === 'top-3.txt')!;
    const localMtime = statSync(path.join(src, 'top-3.txt')).mtimeMs;
    expect(Math.abs(Date.parse(entry.ModTime) - localMtime)).toBeLessThan(1000);
  });

  it('check reports 0 differences, and finds a changed object', async () => {
    const r = await rclone('check', src, `stw:${BUCKET}/data`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/0 differences found/);
    expect(r.stderr).toMatch(/50 matching files/);

    // Same size, other bytes, written behind rclone's back: check compares MD5s.
    await t.client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'data/top-5.txt', Body: 'top level file X\n' }),
    );
    const bad = await rclone('check', src, `stw:${BUCKET}/data`);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/1 differences found/);
    expect(bad.stderr).toMatch(/top-5\.txt/);
  });

  it('sync mirrors modified, added and deleted local files', async () => {
    // Same size as before with a new mtime: only the MD5 tells it apart.
    writeFile(src, 'top-1.txt', 'TOP LEVEL FILE 1\n');
    const later = new Date(Date.now() + 60_000);
    utimesSync(path.join(src, 'top-1.txt'), later, later);
    writeFile(src, 'sprites/hero/frame 2.png', patternBytes(999, 42));
    rmSync(path.join(src, 'top-0.txt'));
    rmSync(path.join(src, 'deep/a/b/c/with spaces 4.bin'));
    rmSync(path.join(src, 'ünïcødé/日本語'), { recursive: true });
    writeFile(src, 'new dir/added file.txt', 'added after the first copy\n');

    await ok('sync', src, `stw:${BUCKET}/data`, ...MULTIPART);
    const local = localFiles(src);
    expect(local.size).toBe(50 - 2 - 12 + 1);
    expect(sorted(await remoteFiles(`stw:${BUCKET}/data`))).toEqual(sorted(local));
    const r = await rclone('check', src, `stw:${BUCKET}/data`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/0 differences found/);
    // A second sync has nothing to do.
    const again = await rclone('sync', src, `stw:${BUCKET}/data`, '-v', ...MULTIPART);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toMatch(/Copied|Deleted/);
  });

  it('copy back to a fresh directory gives the same bytes', async () => {
    const back = path.join(work, 'back');
    await ok('copy', `stw:${BUCKET}/data`, back);
    const want = readTree(src);
    const got = readTree(back);
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [k, v] of want) expect(got.get(k)?.equals(v), k).toBe(true);
  });

  it('delete removes matching files, purge removes the rest and the bucket', async () => {
    await ok('delete', `stw:${BUCKET}/data`, '--include', '*.txt');
    const left = await remoteFiles(`stw:${BUCKET}/data`);
    const wanted = [...localFiles(src).keys()].filter((k) => !k.endsWith('.txt')).sort();
    expect([...left.keys()].sort()).toEqual(wanted);
    await ok('purge', `stw:${BUCKET}`);
    const buckets = await t.client.send(new ListBucketsCommand({}));
    expect(buckets.Buckets ?? []).toEqual([]);
    const gone = await rclone('lsjson', `stw:${BUCKET}`);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toMatch(/directory not found/);
  });
});
