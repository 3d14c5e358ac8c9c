/**
 * cp, mv, rm and sync, run in-process against our embedded server and against Ceph RGW
 * (through a stowage.yaml store with path-style and WHEN_REQUIRED checksums), checked with
 * a separate S3 client. Then usage errors, hostile local trees, and a CLI process killed
 * mid-upload whose re-run sends only the missing parts.
 */
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  chmodSync as chmod,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { ListMultipartUploadsCommand, ListPartsCommand } from '@aws-sdk/client-s3';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keysOf } from '../helpers/list-keys.js';
import { storesYaml } from '../helpers/store-yaml.js';
import { tempDir } from '../helpers/engine.js';
import { cliFor } from '../helpers/cli-target.js';
import { runCli, type CliResult } from '../helpers/run-cli.js';
import { describeS3Targets, type S3Target } from '../helpers/s3-targets.js';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';

const home = tempDir('stowage-transfer-home-');
afterAll(() => home.cleanup());

let dirCount = 0;
/** A fresh local directory with `files` (relative path → content). */
function tree(files: Record<string, string | Buffer>): string {
  const root = path.join(home.dir, `tree-${++dirCount}`);
  mkdirSync(root, { recursive: true });
  for (const [rel, body] of Object.entries(files)) {
    const p = path.join(root, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, body);
  }
  return root;
}

async function body(s3: S3Client, bucket: string, key: string): Promise<string> {
  const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return r.Body!.transformToString();
}

const lines = (text: string) => text.split('\n').filter((l) => l !== '');

describeS3Targets('transfer commands', (getTarget) => {
  let cli: (args: string[], stdin?: AsyncIterable<Uint8Array>) => Promise<CliResult>;
  let s3: S3Client;
  let bucket: string;
  let target: S3Target;

  beforeAll(async () => {
    target = getTarget();
    cli = cliFor(target, home.dir);
    s3 = target.newClient();
    bucket = target.uniqueBucket('xfer');
    expect((await cli(['mb', `s3://${bucket}`])).code).toBe(0);
  });

  it('cp uploads one file with metadata, content type, cache control and class, and downloads it', async () => {
    const dir = tree({ 'hero.png': 'png-bytes' });
    // RGW 16 knows only the STANDARD class unless placement targets are configured.
    const cls = target.kind === 'rgw' ? 'STANDARD' : 'STANDARD_IA';
    const up = await cli([
      'cp',
      path.join(dir, 'hero.png'),
      `s3://${bucket}/img/`,
      '--metadata',
      'project=game,owner=ana',
      '--content-type',
      'image/x-test',
      '--cache-control',
      'max-age=60',
      '--storage-class',
      cls,
    ]);
    expect(up.stderr).toMatch(/^Completed: 1 uploaded; 9 Bytes in/m);
    expect(up.stdout).toBe(
      `upload: ${path.join(dir, 'hero.png')} to s3://${bucket}/img/hero.png\n`,
    );
    expect(up.code).toBe(0);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'img/hero.png' }));
    expect(head.Metadata).toMatchObject({ project: 'game', owner: 'ana' });
    expect(head.Metadata?.['stowage-sha256']).toMatch(/^[0-9a-f]{64}$/);
    expect(head.ContentType).toBe('image/x-test');
    expect(head.CacheControl).toBe('max-age=60');
    expect(head.StorageClass ?? 'STANDARD').toBe(cls);

    const down = await cli(['cp', `s3://${bucket}/img/hero.png`, `${dir}/copy/`, '--json']);
    expect(down.code).toBe(0);
    const items = lines(down.stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(items[0]).toMatchObject({ type: 'download', ok: true, bytes: 9 });
    expect(items[1]).toMatchObject({ summary: { downloaded: 1, failed: 0, bytes: 9 } });
    expect(readFileSync(path.join(dir, 'copy/hero.png'), 'utf8')).toBe('png-bytes');
  });

  it('cp --recursive uploads a tree with --exclude/--include in order, and copies store → store', async () => {
    const dir = tree({
      'a.txt': 'a',
      'b.log': 'b',
      'keep.log': 'k',
      'sub/c.txt': 'c',
      'sub/d.tmp': 'd',
    });
    const r = await cli([
      'cp',
      dir,
      `s3://${bucket}/tree`,
      '--recursive',
      '--exclude',
      '*.log',
      '--include',
      'keep.log',
      '--exclude',
      '*.tmp',
    ]);
    expect(r.code).toBe(0);
    expect(await keysOf(s3, bucket, 'tree/')).toEqual([
      'tree/a.txt',
      'tree/keep.log',
      'tree/sub/c.txt',
    ]);
    expect(lines(r.stdout)).toContain(`upload: ${dir}/sub/c.txt to s3://${bucket}/tree/sub/c.txt`);

    const copy = await cli(['cp', `s3://${bucket}/tree/`, `s3://${bucket}/tree2/`, '--recursive']);
    expect(copy.code).toBe(0);
    expect(lines(copy.stdout)).toContain(
      `copy: s3://${bucket}/tree/a.txt to s3://${bucket}/tree2/a.txt`,
    );
    expect(await keysOf(s3, bucket, 'tree2/')).toEqual([
      'tree2/a.txt',
      'tree2/keep.log',
      'tree2/sub/c.txt',
    ]);
    expect(await body(s3, bucket, 'tree2/sub/c.txt')).toBe('c');
  });

  it('mv moves files up and objects down, deleting each source after its copy', async () => {
    const dir = tree({ 'm1.txt': 'one', 'n/m2.txt': 'two' });
    const up = await cli(['mv', dir, `s3://${bucket}/moved/`, '--recursive']);
    expect(up.code).toBe(0);
    expect(lines(up.stdout)[0]).toMatch(/^move: /);
    expect(existsSync(path.join(dir, 'm1.txt'))).toBe(false);
    expect(existsSync(path.join(dir, 'n/m2.txt'))).toBe(false);
    expect(await keysOf(s3, bucket, 'moved/')).toEqual(['moved/m1.txt', 'moved/n/m2.txt']);

    const down = await cli(['mv', `s3://${bucket}/moved/m1.txt`, `${dir}/back.txt`]);
    expect(down.code).toBe(0);
    expect(readFileSync(path.join(dir, 'back.txt'), 'utf8')).toBe('one');
    expect(await keysOf(s3, bucket, 'moved/')).toEqual(['moved/n/m2.txt']);
  });

  it('mv onto itself is refused before anything runs, single or recursive; the objects stay', async () => {
    for (const k of ['self/p.txt', 'self/sub/q.txt']) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: 'precious' }));
    }
    const cases: [string[], RegExp][] = [
      [
        ['mv', `s3://${bucket}/self/p.txt`, `s3://${bucket}/self/p.txt`, '--metadata', 'a=b'],
        /cannot mv s3:\/\/[^ ]+\/self\/p\.txt onto itself/,
      ],
      [
        ['mv', `s3://${bucket}/self/p.txt`, `s3://${bucket}/self/`, '--content-type', 'text/x'],
        /cannot mv s3:\/\/[^ ]+\/self\/p\.txt onto itself/,
      ],
      [
        ['mv', `s3://${bucket}/self`, `s3://${bucket}/self/`, '--recursive', '--metadata', 'a=b'],
        /cannot mv s3:\/\/[^ ]+\/self\/ onto itself/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/\(E_USAGE\)/);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
    }
    expect(await keysOf(s3, bucket, 'self/')).toEqual(['self/p.txt', 'self/sub/q.txt']);
    expect(await body(s3, bucket, 'self/p.txt')).toBe('precious');
    // cp onto itself with a property change is legal S3, and still allowed.
    const cp = await cli([
      'cp',
      `s3://${bucket}/self/p.txt`,
      `s3://${bucket}/self/p.txt`,
      '--metadata',
      'a=b',
    ]);
    expect(cp.code).toBe(0);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'self/p.txt' }));
    expect(head.Metadata).toMatchObject({ a: 'b' });
  });

  it('sync --delete and mv --recursive between overlapping prefixes of one bucket are refused; the objects stay', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'ovl/sub/keep.txt', Body: 'k' }));
    const refused: string[][] = [
      ['sync', `s3://${bucket}/ovl/sub`, `s3://${bucket}/ovl`, '--delete'],
      ['sync', `s3://${bucket}/ovl`, `s3://${bucket}/ovl/sub/`, '--delete'],
      ['sync', `s3://${bucket}/ovl/`, `s3://${bucket}/ovl`, '--delete'],
      ['sync', `s3://${bucket}`, `s3://${bucket}/ovl`, '--delete'],
      ['mv', `s3://${bucket}/ovl/sub`, `s3://${bucket}/ovl`, '--recursive'],
      ['mv', `s3://${bucket}/ovl`, `s3://${bucket}/ovl/sub/deeper`, '--recursive'],
    ];
    for (const args of refused) {
      const r = await cli(args);
      expect(r.stderr).toMatch(/overlap \(one holds the other\).*\(E_USAGE\)/);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
    }
    expect(await keysOf(s3, bucket, 'ovl')).toEqual(['ovl/sub/keep.txt']);
    // 'ovl/' and 'ovl-2/' share characters, not a prefix: no overlap.
    const apart = await cli(['sync', `s3://${bucket}/ovl`, `s3://${bucket}/ovl-2`, '--delete']);
    expect(apart.code).toBe(0);
    expect(await keysOf(s3, bucket, 'ovl')).toEqual(['ovl-2/sub/keep.txt', 'ovl/sub/keep.txt']);
  });

  it('cp s3://b/k - streams the object to stdout and nothing else; "-" elsewhere is refused', async () => {
    // 20 MiB of numbered lines: three 8 MiB ranges, and any reordering shows.
    const text = Array.from(
      { length: 20 * 1024 },
      (_, i) => `${String(i).padStart(1023, '.')}\n`,
    ).join('');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'std/big.txt', Body: text }));
    const before = readdirSync(home.dir);
    const r = await cli(['cp', `s3://${bucket}/std/big.txt`, '-']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBe(text.length);
    expect(r.stdout === text).toBe(true);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'std/empty', Body: '' }));
    expect(await cli(['cp', `s3://${bucket}/std/empty`, '-'])).toEqual({
      code: 0,
      stdout: '',
      stderr: '',
    });
    const missing = await cli(['cp', `s3://${bucket}/std/nope`, '-']);
    expect(missing.code).toBe(3);
    expect(missing.stdout).toBe('');

    const refused: [string[], RegExp][] = [
      [
        ['sync', '-', `s3://${bucket}/std/`],
        /sync: "-" \(standard input or output\) works only with cp of one object/,
      ],
      [['mv', `s3://${bucket}/std/big.txt`, '-'], /mv: "-" .* works only with cp of one object/],
      [
        ['cp', `s3://${bucket}/std/`, '-', '--recursive'],
        /cp --recursive: "-" .* works only with cp/,
      ],
      [
        ['cp', `s3://${bucket}/std/big.txt`, '-', '--json'],
        /--json cannot be used with \\?"-\\?": standard output/,
      ],
    ];
    for (const [args, message] of refused) {
      const x = await cli(args);
      expect(x.code).toBe(2);
      expect(x.stdout + x.stderr).toMatch(message);
    }
    // No file named '-' was written, and the object mv was refused for is still there.
    expect(readdirSync(home.dir)).toEqual(before);
    expect(await keysOf(s3, bucket, 'std/')).toEqual(['std/big.txt', 'std/empty']);
  });

  it('cp - s3://b/k stores standard input: one PUT up to the part size, parts above it', async () => {
    /** `bytes` in chunks of `size` (the last shorter), as a pipe delivers them. */
    async function* chunks(bytes: Buffer, size: number): AsyncGenerator<Uint8Array> {
      for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
    }
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const head = (key: string) => s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));

    const short = Buffer.from('hello from a pipe\n');
    const one = await cli(['cp', '-', `s3://${bucket}/in/short.txt`], chunks(short, 5));
    expect(one).toEqual({
      code: 0,
      stdout: `upload: - to s3://${bucket}/in/short.txt\n`,
      stderr: '',
    });
    expect(await body(s3, bucket, 'in/short.txt')).toBe(short.toString());
    const h1 = await head('in/short.txt');
    expect(h1.ETag).toBe(`"${createHash('md5').update(short).digest('hex')}"`);
    expect(h1.Metadata?.['stowage-sha256']).toBe(sha(short));
    expect(h1.Metadata?.['stowage-mtime']).toBeUndefined();

    // 20 MiB + 3 in odd chunks: parts of 8 MiB, 8 MiB and the rest, in order.
    const long = Buffer.alloc(20 * 1024 * 1024 + 3);
    for (let i = 0; i + 4 <= long.length; i += 4096) long.writeUInt32BE(i / 4096, i);
    const many = await cli(
      [
        'cp',
        '-',
        `s3://${bucket}/in/long.bin`,
        '--metadata',
        'origin=pipe',
        '--content-type',
        'application/x-tar',
        '--json',
      ],
      chunks(long, 1_000_003),
    );
    expect(many.stderr).toBe('');
    expect(many.code).toBe(0);
    const [item, last] = lines(many.stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(item).toEqual({
      type: 'upload',
      ok: true,
      status: 'ok',
      key: 'in/long.bin',
      source: '-',
      destination: `s3://${bucket}/in/long.bin`,
      bytes: long.length,
    });
    // The summary line every transfer command ends its --json output with.
    expect(last).toEqual({
      summary: expect.objectContaining({
        uploaded: 1,
        failed: 0,
        bytes: long.length,
        dryrun: false,
      }),
    });
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'in/long.bin' }));
    expect(sha(Buffer.from(await got.Body!.transformToByteArray()))).toBe(sha(long));
    expect(got.ETag).toMatch(/-3"$/);
    expect(got.ContentType).toBe('application/x-tar');
    // S3 fixes metadata before the first part, when the stream's hash is not known yet.
    expect(got.Metadata).toEqual({ origin: 'pipe' });

    // Exactly one part's worth is one PUT; nothing at all is an empty object.
    const eight = long.subarray(0, 8 * 1024 * 1024);
    expect((await cli(['cp', '-', `s3://${bucket}/in/eight`], chunks(eight, 65536))).code).toBe(0);
    expect((await head('in/eight')).ETag).not.toMatch(/-/);
    expect((await cli(['cp', '-', `s3://${bucket}/in/empty`])).code).toBe(0);
    expect((await head('in/empty')).ContentLength).toBe(0);

    // --dryrun reads nothing and writes nothing.
    const dry = await cli(['cp', '-', `s3://${bucket}/in/dry`, '--dryrun'], chunks(short, 5));
    expect(dry.stdout).toBe(`(dryrun) upload: - to s3://${bucket}/in/dry\n`);

    const refused: [string[], RegExp][] = [
      [
        ['cp', '-', path.join(home.dir, 'local-copy')],
        /can only be uploaded to s3:\/\/bucket\/key/,
      ],
      [['cp', '-', '-'], /the source or the destination, not both/],
      [['cp', '-', `s3://${bucket}/in/`], /names a prefix; standard input needs an object key/],
      [
        ['cp', '-', `s3://${bucket}/in/x`, '--expected-size', '12GB'],
        /invalid --expected-size "12GB"/,
      ],
      [
        ['cp', '-', `s3://${bucket}/in/x`, '--expected-size', String(5 * 1024 ** 4 + 1)],
        /an S3 object holds at most 5 TiB/,
      ],
      [
        ['cp', path.join(home.dir, 'none'), `s3://${bucket}/in/x`, '--expected-size', '5'],
        /--expected-size applies only to an upload from standard input/,
      ],
      // mv never reads standard input: it does not offer the option at all.
      [
        ['mv', 'a', `s3://${bucket}/in/x`, '--expected-size', '5'],
        /unknown option '--expected-size'/,
      ],
      [
        ['mv', '-', `s3://${bucket}/in/x`],
        /mv: "-" .* works only with cp of one object: cp s3:\/\/bucket\/key - or cp - s3:\/\/bucket\/key/,
      ],
    ];
    for (const [args, message] of refused) {
      const x = await cli(args, chunks(short, 5));
      expect(x.stdout + x.stderr).toMatch(message);
      expect(x.code).toBe(2);
    }
    expect(existsSync(path.join(home.dir, 'local-copy'))).toBe(false);
    expect(await keysOf(s3, bucket, 'in/')).toEqual([
      'in/eight',
      'in/empty',
      'in/long.bin',
      'in/short.txt',
    ]);
  });

  it('rm --recursive --dryrun deletes nothing; rm --recursive deletes what the filters allow', async () => {
    const dir = tree({ 'x1.txt': '1', 'x2.txt': '2', 'keep.me': 'k' });
    expect((await cli(['cp', dir, `s3://${bucket}/rm/`, '--recursive'])).code).toBe(0);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'rmx', Body: 'not under rm/' }));
    const dry = await cli([
      'rm',
      `s3://${bucket}/rm`,
      '--recursive',
      '--dryrun',
      '--exclude',
      '*.me',
    ]);
    expect(dry.code).toBe(0);
    expect(lines(dry.stdout)).toEqual([
      `(dryrun) delete: s3://${bucket}/rm/x1.txt`,
      `(dryrun) delete: s3://${bucket}/rm/x2.txt`,
    ]);
    expect(await keysOf(s3, bucket, 'rm')).toHaveLength(4);
    const real = await cli(['rm', `s3://${bucket}/rm`, '--recursive', '--exclude', '*.me']);
    expect(real.code).toBe(0);
    expect(real.stderr).toMatch(/Completed: 2 deleted, 1 skipped/);
    expect(await keysOf(s3, bucket, 'rm')).toEqual(['rm/keep.me', 'rmx']);
    const one = await cli(['rm', `s3://${bucket}/rmx`]);
    expect(one.stdout).toBe(`delete: s3://${bucket}/rmx\n`);
    expect(await keysOf(s3, bucket, 'rm')).toEqual(['rm/keep.me']);
  });

  it("--exclude '*' --include 'logs/*' selects keys under logs/ only: sync --delete and rm --recursive keep the object 'logs'", async () => {
    for (const k of ['flt/logs', 'flt/other.bin', 'flt/logs/old.txt']) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: 'precious' }));
    }
    const dir = tree({ 'logs/new.txt': 'n', 'top.txt': 't' });
    const filters = ['--exclude', '*', '--include', 'logs/*'];
    const synced = await cli(['sync', dir, `s3://${bucket}/flt`, '--delete', ...filters]);
    expect(synced.code).toBe(0);
    expect(lines(synced.stdout).sort()).toEqual([
      `delete: s3://${bucket}/flt/logs/old.txt`,
      `upload: ${dir}/logs/new.txt to s3://${bucket}/flt/logs/new.txt`,
    ]);
    expect(await keysOf(s3, bucket, 'flt/')).toEqual([
      'flt/logs',
      'flt/logs/new.txt',
      'flt/other.bin',
    ]);
    const removed = await cli(['rm', `s3://${bucket}/flt`, '--recursive', ...filters]);
    expect(removed.code).toBe(0);
    expect(await keysOf(s3, bucket, 'flt/')).toEqual(['flt/logs', 'flt/other.bin']);
  });

  it('cp --recursive down never writes through a symbolic link to a directory at the destination, as sync', async () => {
    for (const k of ['lnk/sub/a.txt', 'lnk/top.txt']) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: k }));
    }
    const outside = tree({ 'a.txt': 'mine' });
    const local = tree({});
    symlinkSync(outside, path.join(local, 'sub'));
    for (const verb of ['cp', 'sync']) {
      const r = await cli(
        verb === 'cp'
          ? ['cp', `s3://${bucket}/lnk`, local, '--recursive']
          : ['sync', `s3://${bucket}/lnk`, local],
      );
      expect(r.stderr).toMatch(
        /warning: skipping s3:\/\/[^ ]+\/lnk\/sub\/a\.txt: destination "sub\/" is not usable \(symbolic link/,
      );
      expect(r.code).toBe(0);
      expect(readFileSync(path.join(outside, 'a.txt'), 'utf8')).toBe('mine');
      expect(readFileSync(path.join(local, 'top.txt'), 'utf8')).toBe('lnk/top.txt');
    }
  });

  it('sync up transfers only what changed, including a same-size edit with a newer mtime', async () => {
    const dir = tree({ 'a.txt': 'aaaa', 'b.txt': 'bbbb', 'c/d.txt': 'dddd' });
    const first = await cli(['sync', dir, `s3://${bucket}/site`]);
    expect(first.code).toBe(0);
    expect(lines(first.stdout)).toHaveLength(3);
    const again = await cli(['sync', dir, `s3://${bucket}/site`]);
    expect(again.stdout).toBe('');
    expect(again.stderr).toMatch(/Completed: 3 skipped; 0 Bytes/);
    writeFileSync(path.join(dir, 'b.txt'), 'BBBB');
    const future = Date.now() / 1000 + 120;
    utimesSync(path.join(dir, 'b.txt'), future, future);
    const changed = await cli(['sync', dir, `s3://${bucket}/site`]);
    expect(changed.code).toBe(0);
    expect(changed.stdout).toBe(`upload: ${dir}/b.txt to s3://${bucket}/site/b.txt\n`);
    expect(await body(s3, bucket, 'site/b.txt')).toBe('BBBB');
    // Dated in the future, b.txt stays newer than its object; the stowage-mtime the upload
    // stored says it is the same file, so it is not sent again and again.
    const settled = await cli(['sync', dir, `s3://${bucket}/site`]);
    expect(settled.stdout).toBe('');
    writeFileSync(path.join(dir, 'b.txt'), 'bBbB');
    utimesSync(path.join(dir, 'b.txt'), future + 60, future + 60);
    const edited = await cli(['sync', dir, `s3://${bucket}/site`]);
    expect(edited.stdout).toBe(`upload: ${dir}/b.txt to s3://${bucket}/site/b.txt\n`);
    expect(await body(s3, bucket, 'site/b.txt')).toBe('bBbB');
  });

  it('sync --delete never deletes excluded keys; --max-delete blocks every deletion', async () => {
    const dir = tree({ 'k1.txt': '1', 'k2.txt': '2', 'k3.txt': '3', 'k4.txt': '4' });
    expect((await cli(['sync', dir, `s3://${bucket}/del`])).code).toBe(0);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'del/remote.keep', Body: 'r' }));
    for (const k of ['k1.txt', 'k2.txt', 'k3.txt']) rmSync(path.join(dir, k));
    const blocked = await cli([
      'sync',
      dir,
      `s3://${bucket}/del`,
      '--delete',
      '--max-delete',
      '2',
      '--exclude',
      '*.keep',
    ]);
    expect(blocked.code).toBe(4);
    expect(blocked.stderr).toMatch(/would delete 3 objects, more than --max-delete 2/);
    expect(await keysOf(s3, bucket, 'del/')).toHaveLength(5);
    const dry = await cli([
      'sync',
      dir,
      `s3://${bucket}/del`,
      '--delete',
      '--dryrun',
      '--exclude',
      '*.keep',
    ]);
    expect(lines(dry.stdout)).toEqual([
      `(dryrun) delete: s3://${bucket}/del/k1.txt`,
      `(dryrun) delete: s3://${bucket}/del/k2.txt`,
      `(dryrun) delete: s3://${bucket}/del/k3.txt`,
    ]);
    const real = await cli(['sync', dir, `s3://${bucket}/del`, '--delete', '--exclude', '*.keep']);
    expect(real.code).toBe(0);
    expect(await keysOf(s3, bucket, 'del/')).toEqual(['del/k4.txt', 'del/remote.keep']);
  });

  it('sync down, then store → store, and --checksum sees equal content', async () => {
    const dir = tree({ 'p/one.bin': 'one', 'p/two.bin': 'two!' });
    expect((await cli(['sync', dir, `s3://${bucket}/src`])).code).toBe(0);
    const local = path.join(home.dir, `down-${++dirCount}`);
    const down = await cli(['sync', `s3://${bucket}/src/`, local]);
    expect(down.code).toBe(0);
    expect(readFileSync(path.join(local, 'p/two.bin'), 'utf8')).toBe('two!');
    expect((await cli(['sync', `s3://${bucket}/src/`, local])).stdout).toBe('');
    const copy = await cli(['sync', `s3://${bucket}/src`, `s3://${bucket}/dst`]);
    expect(copy.code).toBe(0);
    expect(lines(copy.stdout).sort()).toEqual([
      `copy: s3://${bucket}/src/p/one.bin to s3://${bucket}/dst/p/one.bin`,
      `copy: s3://${bucket}/src/p/two.bin to s3://${bucket}/dst/p/two.bin`,
    ]);
    const future = Date.now() / 1000 + 300;
    utimesSync(path.join(dir, 'p/one.bin'), future, future);
    const sums = await cli(['sync', dir, `s3://${bucket}/src`, '--checksum']);
    expect(sums.code).toBe(0);
    expect(sums.stdout).toBe('');
  });
  it('sync --delete down converges when an object replaced a folder of the same name; without --delete it fails alone', async () => {
    const prefix = `s3://${bucket}/swap`;
    const dir = tree({ 'a/b/c.txt': 'c', 'a/d.txt': 'd', 'keep.txt': 'k' });
    expect((await cli(['sync', dir, prefix])).code).toBe(0);
    const local = path.join(home.dir, `down-${++dirCount}`);
    expect((await cli(['sync', prefix, local])).code).toBe(0);
    // In the store the folder a/ becomes an object a.
    expect((await cli(['rm', `${prefix}/a/`, '--recursive'])).code).toBe(0);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'swap/a', Body: 'now a file' }));

    const plain = await cli(['sync', prefix, local]);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain(
      `cannot download to ${path.join(local, 'a')}: it is a directory that is not empty (E_LOCAL_NOT_A_FILE)`,
    );
    expect(readFileSync(path.join(local, 'a/d.txt'), 'utf8')).toBe('d');

    const mirrored = await cli(['sync', prefix, local, '--delete']);
    expect(mirrored.code).toBe(0);
    expect(lines(mirrored.stdout).sort()).toEqual([
      `delete: ${path.join(local, 'a/b/c.txt')}`,
      `delete: ${path.join(local, 'a/d.txt')}`,
      `download: ${prefix}/a to ${path.join(local, 'a')}`,
    ]);
    expect(readFileSync(path.join(local, 'a'), 'utf8')).toBe('now a file');
    expect(readdirSync(local).sort()).toEqual(['a', 'keep.txt']);
    expect((await cli(['sync', prefix, local, '--delete'])).stdout).toBe('');
  });

  it("stowage's partial-download files are never uploaded, and such keys never downloaded into a tree", async () => {
    // A bucket holding both `x` and `x.stowage-partial`: a download of the tree writing the
    // second would overwrite the first's partial file in flight, and `x` would get its bytes.
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'coll/x', Body: big }));
    for (const k of ['x.stowage-partial', 'x.stowage-partial.json', 'X.STOWAGE-PARTIAL']) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `coll/${k}`, Body: 'small' }));
    }
    const local = path.join(home.dir, `coll-${++dirCount}`);
    const down = await cli(['sync', `s3://${bucket}/coll`, local]);
    expect(down.stderr).toMatch(
      /warning: skipping s3:\/\/.*\/coll\/x\.stowage-partial: named like stowage's partial-download files/,
    );
    expect(down.code).toBe(0);
    expect(readdirSync(local)).toEqual(['x']);
    expect(readFileSync(path.join(local, 'x')).equals(big)).toBe(true);
    const copied = await cli(['cp', `s3://${bucket}/coll`, `${local}-cp`, '--recursive']);
    expect(copied.code).toBe(0);
    expect(readdirSync(`${local}-cp`)).toEqual(['x']);

    // A directory with leftovers of an interrupted download: only the real file goes up.
    const dir = tree({
      'a.bin': 'a',
      'a.bin.stowage-partial': 'half',
      'a.bin.stowage-partial.json': '{}',
      'a.bin.stowage-partial.json.0123abcd.tmp': '{}',
      'a.bin.stowage-partial.lock': '12345\n',
    });
    const up = await cli(['sync', dir, `s3://${bucket}/left`, '--delete']);
    expect(up.code).toBe(0);
    expect(up.stderr).toMatch(
      /warning: skipping .*a\.bin\.stowage-partial: partial download of stowage/,
    );
    expect(await keysOf(s3, bucket, 'left/')).toEqual(['left/a.bin']);
  });
});

describe('transfer commands: errors and hostile trees [stowage]', () => {
  let srv: TestServer;
  const bucket = 'hostile';
  const env = () => ({
    HOME: home.dir,
    AWS_ACCESS_KEY_ID: TEST_KEY.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_KEY.secretAccessKey,
  });
  const cli = (args: string[]) =>
    runCli(['--endpoint-url', srv.url, ...args], { env: env(), cwd: home.dir });

  beforeAll(async () => {
    srv = await startTestServer();
    expect((await cli(['mb', `s3://${bucket}`])).code).toBe(0);
  });
  afterAll(() => srv.close());

  it.each([
    [['cp', 'a', 'b'], /both local paths/],
    [['cp', 'http://x/y', 's3://hostile/'], /unsupported URL "http:\/\/x\/y"/],
    [['cp', 's3:/hostile/a', '.'], /invalid S3 URL "s3:\/hostile\/a"/],
    [['cp', 'x', 's3://hostile/', '--sse', 'DES'], /invalid --sse "DES"/],
    [['cp', 'x', 's3://hostile/', '--metadata', 'novalue'], /invalid --metadata "novalue"/],
    [
      ['cp', 'x', 's3://hostile/', '--metadata-directive', 'MERGE'],
      /invalid --metadata-directive "MERGE"/,
    ],
    [['cp', 'x', 's3://hostile/', '--bandwidth-limit', 'fast'], /invalid --bandwidth-limit "fast"/],
    [['cp', 's3://hostile/dir/', '.'], /names a prefix.*--recursive/],
    [['sync', '.', 's3://hostile/', '--max-delete', '-1'], /invalid --max-delete "-1"/],
    [['sync', './missing-dir', 's3://hostile/'], /the source ".\/missing-dir" does not exist/],
    [['sync', '.', 's3://hostile/', '--exclude', ''], /--exclude needs a non-empty pattern/],
    [['rm', 's3://hostile/'], /names a prefix.*--recursive/],
  ])('%j is a usage error (exit 2)', async (args, message) => {
    const r = await cli(args);
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
  });

  it('a tree with a symlink, a bad name and a newline name: per-item results, exit 1, the rest uploaded', async () => {
    const dir = tree({ 'ok.txt': 'ok', 'line\nbreak.txt': 'nl', 'z.txt': 'z' });
    symlinkSync(path.join(dir, 'ok.txt'), path.join(dir, 'link'));
    writeFileSync(
      Buffer.concat([Buffer.from(`${dir}/bad`), Buffer.from([0xff]), Buffer.from('.txt')]),
      'x',
    );
    const r = await cli(['sync', dir, `s3://${bucket}/h`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/warning: skipping .*link: symbolic link \(not followed\)/);
    expect(r.stderr).toMatch(/failed: .*bad\\xff\.txt.*\(E_INVALID_KEY\)/);
    expect(r.stderr).toMatch(/1 item\(s\) failed:/);
    // The failure list names the file as the error does, not with U+FFFD for the bad byte.
    expect(r.stderr).toContain(`\n  "${dir}/bad\\xff.txt": `);
    expect(r.stderr).not.toContain('\ufffd');
    // --quiet: each failure once, as it happens; no list, no summary.
    const q = await cli(['--quiet', 'sync', dir, `s3://${bucket}/hq`]);
    expect(q.code).toBe(1);
    expect(q.stdout).toBe('');
    expect(q.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^failed: .*bad\\xff\.txt.*\(E_INVALID_KEY\)$/),
    ]);
    expect(r.stdout).toContain(`"${dir}/line\\nbreak.txt"`);
    const s3 = srv.client;
    expect(await keysOf(s3, bucket, 'h/')).toEqual(['h/line\nbreak.txt', 'h/ok.txt', 'h/z.txt']);
  });

  it('ls prints a key with a newline or ESC quoted and escaped, never raw', async () => {
    const key = 'ctl/evil\u001b[2Jname\nsecond line';
    await srv.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x' }));
    const r = await cli(['ls', `s3://${bucket}/ctl/`, '--recursive']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('\u001b');
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stdout).toContain(JSON.stringify(key));
    const level = await cli(['ls', `s3://${bucket}/ctl/`]);
    expect(level.stdout).toContain(JSON.stringify('evil\u001b[2Jname\nsecond line'));
  });

  it('a run that cannot start prints only its error: no summary, one JSON document', async () => {
    const dir = tree({ 'f.txt': 'x' });
    const text = await cli(['sync', dir, 's3://no-such-bucket-here/p']);
    expect(text.code).toBe(3);
    expect(text.stderr).toMatch(/bucket "no-such-bucket-here" does not exist \(E_NO_SUCH_BUCKET\)/);
    expect(text.stderr).not.toMatch(/Completed/);
    const json = await cli(['--json', 'sync', dir, 's3://no-such-bucket-here/p']);
    expect(json.code).toBe(3);
    const docs = json.stdout.trim().split('\n');
    expect(docs).toHaveLength(1);
    expect(JSON.parse(docs[0]!)).toMatchObject({ error: { code: 'E_NO_SUCH_BUCKET' } });
  });

  it('a recursive cp or mv that cannot work at all (no such bucket, a wrong secret) prints only its error, with its code; mv keeps every file', async () => {
    const files = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`f${i}.txt`, `${i}`]));
    const dir = tree(files);
    for (const verb of ['cp', 'mv']) {
      const r = await cli([verb, dir, 's3://no-such-bucket-here/p/', '--recursive']);
      expect([verb, r.code]).toEqual([verb, 3]);
      // One line: the error where the run met it, no per-file failures, no summary.
      expect(r.stderr).toMatch(
        /^stowage: [^\n]*bucket "no-such-bucket-here" does not exist \(E_NO_SUCH_BUCKET\)\n$/,
      );
      expect(r.stdout).toBe('');
      const json = await cli(['--json', verb, dir, 's3://no-such-bucket-here/p/', '--recursive']);
      expect(json.code).toBe(3);
      const docs = json.stdout.trim().split('\n');
      expect(docs).toHaveLength(1);
      expect(JSON.parse(docs[0]!)).toMatchObject({ error: { code: 'E_NO_SUCH_BUCKET' } });
    }
    expect(readdirSync(dir)).toHaveLength(40);
    const wrongSecret = await runCli(
      ['--endpoint-url', srv.url, 'cp', dir, `s3://${bucket}/wrong/`, '--recursive'],
      { env: { ...env(), AWS_SECRET_ACCESS_KEY: 'not-the-secret' }, cwd: home.dir },
    );
    expect(wrongSecret.code).toBe(6);
    expect(wrongSecret.stderr).toMatch(/^stowage: .*\(E_SIGNATURE_DOES_NOT_MATCH\)\n$/);
    expect(await keysOf(srv.client, bucket, 'wrong/')).toEqual([]);
    // A single rm is a command of its own too: its error's code.
    const rm = await cli(['rm', 's3://no-such-bucket-here/x']);
    expect(rm.code).toBe(3);
    expect(rm.stderr).toMatch(/\(E_NO_SUCH_BUCKET\)/);
  });

  it("a single cp that fails exits with its error's code (cli.md); one item of many fails with 1", async () => {
    const dir = tree({ 'f1.txt': '1', 'f2.txt': '2' });
    const r = await cli(['cp', path.join(dir, 'f1.txt'), `s3://${bucket}/one/`]);
    expect(r.code).toBe(0);
    const missing = await cli(['cp', path.join(dir, 'nope.txt'), `s3://${bucket}/one/`]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/upload failed: .*nope\.txt.*\(E_LOCAL_NOT_FOUND\)/);
    const noKey = await cli(['cp', `s3://${bucket}/one/nope.txt`, path.join(dir, 'x.txt')]);
    expect(noKey.code).toBe(3);
    expect(noKey.stderr).toMatch(/\(E_NO_SUCH_KEY\)/);
    // Among many (a recursive run), one failed item makes the run exit 1.
    chmod(path.join(dir, 'f2.txt'), 0o000);
    const many = await runAsNobody([
      '--endpoint-url',
      srv.url,
      'cp',
      '--recursive',
      dir,
      `s3://${bucket}/many/`,
    ]);
    chmod(path.join(dir, 'f2.txt'), 0o644);
    expect(many.stderr).toMatch(/f2\.txt.*\(E_LOCAL_UNREADABLE\)/);
    expect(many.code).toBe(1);
  });

  it('an unreadable file (run as an unprivileged user when we are root) fails alone', async () => {
    const dir = tree({ 'r1.txt': 'one', 'secret.txt': 'no', 'r2.txt': 'two' });
    chmod(path.join(dir, 'secret.txt'), 0o000);
    if (process.geteuid?.() === 0) {
      // Root reads everything; the walk then decides from the mode bits as 'nobody' would.
      const r = await runAsNobody(['--endpoint-url', srv.url, 'sync', dir, `s3://${bucket}/u`]);
      expect(r.stderr).toMatch(/secret\.txt.*\(E_LOCAL_UNREADABLE\)/);
      expect(r.code).toBe(1);
    } else {
      const r = await cli(['sync', dir, `s3://${bucket}/u`]);
      expect(r.stderr).toMatch(/secret\.txt.*\(E_LOCAL_UNREADABLE\)/);
      expect(r.code).toBe(1);
    }
    expect(await keysOf(srv.client, bucket, 'u/')).toEqual(['u/r1.txt', 'u/r2.txt']);
  });

  it('a CLI killed mid-upload resumes: the re-run sends only the missing parts', async () => {
    const file = path.join(home.dir, 'big.bin');
    const part = 5 * 1024 * 1024;
    writeFileSync(file, Buffer.alloc(6 * part, 7));
    const cfg = path.join(home.dir, 'resume.yaml');
    writeFileSync(
      cfg,
      storesYaml({
        here: { endpoint: srv.url, credentials: TEST_KEY, partSizeBytes: part },
      }),
    );
    const args = ['--config', cfg, '--store', 'here', 'cp', file, `s3://${bucket}/big.bin`];
    const stateDir = path.join(home.dir, '.cache/stowage/transfers');
    await runAndKillAfterParts([...args, '--bandwidth-limit', '4M'], stateDir, 2);
    const id = (
      await srv.client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'big.bin' }))
    ).Uploads?.[0]?.UploadId;
    const before = await srv.client.send(
      new ListPartsCommand({ Bucket: bucket, Key: 'big.bin', UploadId: id }),
    );
    expect((before.Parts ?? []).length).toBeGreaterThanOrEqual(2);
    expect((before.Parts ?? []).length).toBeLessThan(6);
    const r = await runCli(args, { env: { HOME: home.dir }, cwd: home.dir });
    expect(r.stderr).not.toMatch(/failed/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\(resumed [2-5] parts\)/);
    const head = await srv.client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'big.bin' }));
    expect(head.ContentLength).toBe(statSync(file).size);
    expect(head.ETag).toMatch(/-6"$/);
  }, 90_000);

  it('a CLI killed mid-download resumes from the partial file and the bytes check out', async () => {
    const src = path.join(home.dir, 'dl-src.bin');
    // 5 MiB ranges and a bandwidth cap: the contiguous prefix on disk grows a range at a
    // time, so there is a moment to kill the CLI between the first range and the last.
    // Ranges run 4 at a time within a window of 8 past the prefix (40 MiB): with 80 MiB
    // the first range is done, and the prefix on disk, while 40 MiB or more are still to
    // come, even when that range is the slowest of its window (as on a loaded machine).
    const bytes = Buffer.alloc(80 * 1024 * 1024);
    for (let i = 0; i < bytes.length; i += 4) bytes.writeUInt32LE((i * 2654435761) >>> 0, i);
    writeFileSync(src, bytes);
    expect((await cli(['cp', src, `s3://${bucket}/dl.bin`])).code).toBe(0);
    const out = path.join(home.dir, 'dl-out.bin');
    const sidecar = `${out}.stowage-partial.json`;
    const cfg = path.join(home.dir, 'resume-dl.yaml');
    writeFileSync(
      cfg,
      storesYaml({
        here: { endpoint: srv.url, credentials: TEST_KEY, partSizeBytes: 5 * 1024 * 1024 },
      }),
    );
    const args = ['--config', cfg, '--store', 'here', 'cp', `s3://${bucket}/dl.bin`, out];
    // The sidecar records the contiguous prefix already safe on disk; kill once it has one.
    await runAndKillWhen([...args, '--bandwidth-limit', '4M'], 'a 5 MiB prefix', () => {
      const kept = existsSync(sidecar)
        ? ((JSON.parse(readFileSync(sidecar, 'utf8') || '{}') as { prefixBytes?: number })
            .prefixBytes ?? 0)
        : 0;
      return kept >= 5 * 1024 * 1024;
    });
    expect(existsSync(out)).toBe(false);
    const r = await runCli(args, { env: { HOME: home.dir }, cwd: home.dir });
    expect(r.stderr).not.toMatch(/failed/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\(resumed \d+ bytes\)/);
    expect(readFileSync(out).equals(bytes)).toBe(true);
    expect(existsSync(`${out}.stowage-partial`)).toBe(false);
  }, 90_000);
});

/** The CLI from source in a child process (vite-node), for kills and other users. */
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ENTRY = path.join(repo, 'test/fixtures/cli/stowage-cli.ts');
const VITE_NODE = path.join(
  path.dirname(createRequire(import.meta.url).resolve('vite-node/package.json')),
  'vite-node.mjs',
);

function spawnCli(
  args: string[],
  extra: { uid?: number; gid?: number; env?: Record<string, string> } = {},
) {
  return spawn(process.execPath, [VITE_NODE, ENTRY, ...args], {
    cwd: repo,
    env: { PATH: process.env.PATH ?? '', HOME: home.dir, ...extra.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(extra.uid !== undefined ? { uid: extra.uid, gid: extra.gid } : {}),
  });
}

function runAsNobody(args: string[]): Promise<CliResult> {
  const nobodyHome = path.join(home.dir, 'nobody');
  mkdirSync(nobodyHome, { recursive: true });
  chmod(nobodyHome, 0o777);
  chmod(home.dir, 0o755);
  const proc = spawnCli(args, {
    uid: 65534,
    gid: 65534,
    env: {
      HOME: nobodyHome,
      AWS_ACCESS_KEY_ID: TEST_KEY.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_KEY.secretAccessKey,
    },
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) =>
    proc.once('exit', (code) => resolve({ code: code ?? -1, stdout, stderr })),
  );
}

/** Parts recorded in the (one) upload state file under `dir`. */
function recordedParts(dir: string): number {
  if (!existsSync(dir)) return 0;
  let most = 0;
  for (const name of readdirSync(dir)) {
    if (!/^upload-.*\.json$/.test(name)) continue;
    try {
      const state = JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as {
        parts?: Record<string, unknown>;
      };
      most = Math.max(most, Object.keys(state.parts ?? {}).length);
    } catch {
      // Caught mid-rename or empty: look again.
    }
  }
  return most;
}

/** Runs the CLI in a child process and SIGKILLs it once `ready()` holds (at most 60 s). */
async function runAndKillWhen(args: string[], what: string, ready: () => boolean): Promise<void> {
  const proc = spawnCli(args);
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      if (proc.exitCode !== null)
        throw new Error(`the CLI exited before it was killed:\n${stderr}`);
      if (Date.now() > deadline) throw new Error(`no ${what} within 60 s:\n${stderr}`);
      if (ready()) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    proc.kill('SIGKILL');
    await new Promise((r) =>
      proc.exitCode !== null || proc.signalCode ? r(undefined) : proc.once('exit', r),
    );
  }
}

/** The CLI records each acknowledged part in its resume state; kill once it holds `parts`. */
function runAndKillAfterParts(args: string[], stateDir: string, parts: number): Promise<void> {
  return runAndKillWhen(args, `${parts} parts`, () => recordedParts(stateDir) >= parts);
}

describe('cp - s3://… when it cannot finish cleanly [stowage]', () => {
  let t: TestServer;
  const NO_ABORT = {
    accessKeyId: 'STWNOABORTKEY0000001',
    secretAccessKey: 'no-abort-secret-0123456789',
  };
  beforeAll(async () => {
    t = await startTestServer({
      server: {
        accessKeys: [
          {
            name: 'no-abort',
            ...NO_ABORT,
            // Common in the wild: write and read, but not s3:AbortMultipartUpload.
            policy: JSON.stringify({
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Action: ['s3:PutObject', 's3:GetObject', 's3:ListBucket'],
                  Resource: '*',
                },
              ],
            }),
          },
        ],
      } as never,
    });
    await t.client.send(new CreateBucketCommand({ Bucket: 'stdin' }));
  });
  afterAll(() => t.close());
  const cliAs = (key: typeof NO_ABORT, args: string[], stdin: AsyncIterable<Uint8Array>) =>
    runCli(['--endpoint-url', t.url, ...args], {
      env: {
        HOME: home.dir,
        AWS_ACCESS_KEY_ID: key.accessKeyId,
        AWS_SECRET_ACCESS_KEY: key.secretAccessKey,
      },
      cwd: home.dir,
      stdin,
    });

  it('a source that fails after two parts: a read error naming stdin, and the upload it could not abort is named', async () => {
    async function* dying(): AsyncGenerator<Uint8Array> {
      yield Buffer.alloc(20 * 1024 * 1024, 1);
      throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
    }
    const r = await cliAs(NO_ABORT, ['cp', '-', 's3://stdin/dies $HOME.bin'], dying());
    const uploads =
      (await t.client.send(new ListMultipartUploadsCommand({ Bucket: 'stdin' }))).Uploads ?? [];
    expect(uploads.map((u) => u.Key)).toEqual(['dies $HOME.bin']);
    expect(r.stderr).toContain(
      `stowage: warning: multipart upload ${uploads[0]!.UploadId} of s3://stdin/dies $HOME.bin could not be aborted (`,
    );
    // A command to paste: this store's endpoint, the key quoted for the shell.
    expect(r.stderr).toContain(
      `aws s3api abort-multipart-upload --endpoint-url ${t.url} --bucket stdin --key 'dies $HOME.bin' --upload-id ${uploads[0]!.UploadId}, or a lifecycle rule`,
    );
    expect(r.stderr).toMatch(
      /cannot read standard input: EIO: i\/o error, read \(E_LOCAL_UNREADABLE\)/,
    );
    expect(r.code).toBe(6);
    await expect(
      t.client.send(new HeadObjectCommand({ Bucket: 'stdin', Key: 'dies $HOME.bin' })),
    ).rejects.toMatchObject({
      name: 'NotFound',
    });
  });

  it('interrupted once the object is being stored, it says the key may hold the new object', async () => {
    async function* short(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('a small backup\n');
      // Ctrl-C once the stream has ended: the PutObject that stores it is under way.
      setImmediate(() => process.emit('SIGINT'));
    }
    const r = await cliAs(TEST_KEY, ['cp', '-', 's3://stdin/late.txt'], short());
    expect(r.stderr).toBe(
      'stowage: interrupted by SIGINT while the store was completing the upload: s3://stdin/late.txt may hold the new object; check it with stowage ls s3://stdin/late.txt\n',
    );
    expect(r.code).toBe(130);
  });
});
