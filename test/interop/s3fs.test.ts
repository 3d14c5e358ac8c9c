/**
 * Debian's s3fs-fuse (1.90) mounts a bucket of `stowage serve` as a file system, with the
 * options of seed 000's ComfyUI mount (passwd_file, url, use_cache, allow_other,
 * use_path_request_style). Files written through the mount become objects with the names
 * and bytes written, names with spaces, `+`, `%`, `#`, `?` and non-ASCII included; objects
 * another client stored appear as files under their directories; a 40 MiB file goes up in
 * parts, `mv` copies it server-side, and a write in its middle is stored whole; chmod,
 * symlinks, append and truncate keep s3fs's metadata; directories are made, renamed and
 * removed; a second mount reads back everything the first wrote. Over TLS, s3fs mounts with
 * the server's certificate (CURL_CA_BUNDLE) and refuses the server without it. A wrong
 * secret or a missing bucket stops the mount with the server's answer in s3fs's log.
 *
 * The server runs in this process, so nothing here touches the mount with a synchronous
 * (or thread-pool) file call, nor spawns a child in it: that would wait on s3fs, which
 * waits on this process's server. Every file operation on the mount runs in a bash child
 * that changes into it, as a user's would.
 */
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificate } from '../helpers/certificate.js';
import { patternBytes } from '../helpers/engine.js';
import { keysOf } from '../helpers/list-keys.js';
import { ensureDebianPackages, runPeer } from '../helpers/peers.js';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';

const S3FS = '/usr/bin/s3fs';
const FUSERMOUNT = '/usr/bin/fusermount';
const BUCKET = 'comfyui-output';
const MIB = 1024 * 1024;

const md5 = (b: Buffer | string): string => createHash('md5').update(b).digest('hex');

/** A running s3fs process and the directory it mounts. */
interface Mount {
  dir: string;
  child: ChildProcess;
  log: () => string;
}

let t: TestServer;
let work: string;
let passwd: string;
const mounts: Mount[] = [];

async function isMounted(dir: string): Promise<boolean> {
  const table = await readFile('/proc/mounts', 'utf8');
  return table.split('\n').some((line) => line.split(' ')[1] === dir);
}

/**
 * Runs `s3fs <bucket> <dir> -f` with the seed's options and waits until the kernel lists
 * the mount. Rejects with s3fs's log when s3fs exits first.
 */
async function mount(
  bucket: string,
  url: string,
  name: string,
  env: Record<string, string> = {},
): Promise<Mount> {
  const dir = path.join(work, name);
  mkdirSync(dir, { recursive: true });
  const args = [
    bucket,
    dir,
    '-f',
    '-o',
    `passwd_file=${passwd}`,
    '-o',
    `url=${url}`,
    '-o',
    `use_cache=${path.join(work, `${name}-cache`)}`,
    '-o',
    'allow_other',
    '-o',
    'use_path_request_style',
    '-o',
    'dbglevel=warn',
  ];
  const child = spawn(S3FS, args, {
    env: { PATH: '/usr/bin:/bin', HOME: work, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const m: Mount = { dir, child, log: () => output };
  mounts.push(m);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 20_000;
  const failed = (why: string): Error => new Error(`s3fs ${why} ${bucket}:\n${output}`);
  for (;;) {
    if (await isMounted(dir)) break;
    const gone = await Promise.race([
      exited.then(() => true),
      new Promise<false>((r) => setTimeout(() => r(false), 50)),
    ]);
    if (gone) throw failed('exited before mounting');
    if (Date.now() > deadline) throw failed('did not mount in 20 s');
  }
  // The kernel lists the mount before s3fs has checked the bucket (its FUSE init); the
  // first look inside waits for that check, and s3fs exits if the check fails.
  const look = await runPeer('/bin/ls', ['-d', `${dir}/.`], {}, { timeoutMs: 60_000 });
  if (look.code !== 0 || m.child.exitCode !== null || !(await isMounted(dir))) {
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    throw failed('exited before mounting');
  }
  return m;
}

async function unmount(m: Mount): Promise<void> {
  const i = mounts.indexOf(m);
  if (i >= 0) mounts.splice(i, 1);
  if (await isMounted(m.dir)) {
    const r = await runPeer(FUSERMOUNT, ['-u', m.dir], {});
    if (r.code !== 0) await runPeer(FUSERMOUNT, ['-u', '-z', m.dir], {});
  }
  if (m.child.exitCode === null && m.child.signalCode === null) {
    const exited = new Promise((resolve) => m.child.once('exit', resolve));
    const timer = setTimeout(() => m.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Runs a bash script in the mount (a child process: see the header); returns its stdout. */
async function sh(m: Mount, script: string): Promise<string> {
  const r = await runPeer(
    '/bin/bash',
    ['-euo', 'pipefail', '-c', script],
    { HOME: work },
    {
      cwd: m.dir,
      timeoutMs: 120_000,
    },
  );
  expect(r.code, `${script}\n${r.stdout}\n${r.stderr}\ns3fs:\n${m.log()}`).toBe(0);
  return r.stdout;
}

async function body(client: S3Client, key: string, bucket = BUCKET): Promise<Buffer> {
  const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

const keys = (prefix = ''): Promise<string[]> => keysOf(t.client, BUCKET, prefix);

async function status(key: string): Promise<number> {
  try {
    await t.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    return 200;
  } catch (err) {
    return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
  }
}

/** `md5sum` of every file under the mount, by path relative to it. */
async function sums(m: Mount): Promise<Map<string, string>> {
  const out = await sh(m, 'find . -type f -print0 | sort -z | xargs -0 -r md5sum');
  const map = new Map<string, string>();
  for (const line of out.split('\n').filter(Boolean)) {
    const [, sum, name] = /^([0-9a-f]{32}) {2}\.\/(.*)$/.exec(line)!;
    map.set(name!, sum!);
  }
  return map;
}

beforeAll(async () => {
  ensureDebianPackages({ [S3FS]: 's3fs', [FUSERMOUNT]: 'fuse3' });
  t = await startTestServer();
  work = mkdtempSync(path.join(tmpdir(), 'stowage-s3fs-'));
  // The seed's ~/.passwd-s3fs: KEY:SECRET, mode 0600 (s3fs refuses a file others can read).
  passwd = path.join(work, '.passwd-s3fs');
  writeFileSync(passwd, `${TEST_KEY.accessKeyId}:${TEST_KEY.secretAccessKey}\n`);
  chmodSync(passwd, 0o600);
  await t.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
}, 600_000);

afterAll(async () => {
  for (const m of [...mounts]) await unmount(m);
  await t?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('s3fs-fuse mounts a bucket of stowage serve', () => {
  let m: Mount;
  /** What each file under the mount should hold at the end, by path. */
  const expected = new Map<string, string>();

  beforeAll(async () => {
    m = await mount(BUCKET, t.url, 'mnt');
  }, 60_000);

  it('files written through the mount are objects with the names and bytes written', async () => {
    const names = [
      'with space.txt',
      'plus+sign.txt',
      'ünïcödé-日本.txt',
      'paren(1)&amp=x.txt',
      'percent%20.txt',
      'tilde~star*.txt',
      "quote'.txt",
      'hash#q?.txt',
      'semi;colon,comma.txt',
      'images/2026-12/frame_0001.png',
    ];
    const list = path.join(work, 'names');
    writeFileSync(list, names.join('\n') + '\n');
    await sh(
      m,
      `while IFS= read -r n; do mkdir -p "$(dirname "$n")"; printf '%s' "body of $n" > "$n"; done < '${list}'`,
    );
    for (const n of names) {
      expect((await body(t.client, n)).toString(), n).toBe(`body of ${n}`);
      expected.set(n, md5(`body of ${n}`));
    }
    const stored = await keys();
    for (const n of names) expect(stored).toContain(n);
    // s3fs also keeps a marker object for the directory it made.
    expect(stored).toContain('images/2026-12/');
  });

  it('objects another client stored appear as files under their directories', async () => {
    const png = patternBytes(300_000, 7);
    await t.client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'renders/2026/frame 0001.png', Body: png }),
    );
    expect(await sh(m, 'ls renders; ls renders/2026')).toBe('2026\nframe 0001.png\n');
    expect(await sh(m, "md5sum < 'renders/2026/frame 0001.png'")).toBe(`${md5(png)}  -\n`);
    expect(await sh(m, "stat -c '%s %F' renders 'renders/2026/frame 0001.png'")).toBe(
      `0 directory\n${png.length} regular file\n`,
    );
    expected.set('renders/2026/frame 0001.png', md5(png));
  });

  it('a 40 MiB file goes up in parts, mv copies it, and a write in its middle is stored', async () => {
    const big = patternBytes(40 * MIB, 11);
    const source = path.join(work, 'big.bin');
    writeFileSync(source, big);
    await sh(m, `cp '${source}' big.bin`);
    const head = await t.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'big.bin' }));
    expect(head.ContentLength).toBe(big.length);
    expect(head.ETag).toMatch(/^"[0-9a-f]{32}-\d+"$/); // a multipart upload
    expect(md5(await body(t.client, 'big.bin'))).toBe(md5(big));

    await sh(m, 'mv big.bin moved.bin');
    expect(await status('big.bin')).toBe(404);
    expect(md5(await body(t.client, 'moved.bin'))).toBe(md5(big));

    // s3fs rewrites the object: the changed range goes up, the rest may be copied
    // server-side (UploadPartCopy, which it used in a manual run with the access log on).
    const at = 30_000_000;
    await sh(m, `printf XYZ | dd of=moved.bin bs=1 seek=${at} conv=notrunc status=none`);
    const patched = Buffer.from(big);
    patched.write('XYZ', at, 'latin1');
    const stored = await body(t.client, 'moved.bin');
    expect(stored.length).toBe(big.length);
    expect(md5(stored)).toBe(md5(patched));
    expected.set('moved.bin', md5(patched));
  }, 180_000);

  it('chmod, symlinks, append and truncate keep the metadata s3fs keeps', async () => {
    await sh(m, 'printf hello > notes.txt && chmod 640 notes.txt && ln -s notes.txt link');
    const notes = await t.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'notes.txt' }));
    expect(Number(notes.Metadata?.mode)).toBe(0o100640);
    const link = await t.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'link' }));
    expect(Number(link.Metadata?.mode)).toBe(0o120777);
    expect((await body(t.client, 'link')).toString()).toBe('notes.txt');
    expect(await sh(m, "readlink link; stat -c '%a' notes.txt")).toBe('notes.txt\n640\n');

    await sh(m, 'printf " world" >> notes.txt');
    expect((await body(t.client, 'notes.txt')).toString()).toBe('hello world');
    await sh(m, 'truncate -s 4 notes.txt');
    expect((await body(t.client, 'notes.txt')).toString()).toBe('hell');
    const after = await t.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'notes.txt' }));
    expect(Number(after.Metadata?.mode)).toBe(0o100640);
    expected.set('notes.txt', md5('hell'));
  });

  it('directories are made, renamed and removed', async () => {
    await sh(
      m,
      'mkdir -p jobs/a/b && printf x > jobs/a/b/f && printf y > jobs/a/g && mv jobs done',
    );
    expect(await keys('jobs/')).toEqual([]);
    expect(await keys('done/')).toEqual([
      'done/',
      'done/a/',
      'done/a/b/',
      'done/a/b/f',
      'done/a/g',
    ]);
    expect((await body(t.client, 'done/a/b/f')).toString()).toBe('x');
    await sh(m, 'rm -r done');
    expect(await keys('done/')).toEqual([]);
  });

  it('a second mount, with a cache of its own, reads back what the first wrote', async () => {
    await unmount(m);
    const again = await mount(BUCKET, t.url, 'mnt2');
    const seen = await sums(again);
    // `link` is a symlink, not a regular file: find -type f leaves it out.
    expect(seen).toEqual(new Map([...expected].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
    expect(await sh(again, 'readlink link')).toBe('notes.txt\n');
  });
});

describe('s3fs over TLS', () => {
  let tls: TestServer;
  let cert: string;
  let tlsClient: S3Client;

  beforeAll(async () => {
    let key: string;
    ({ cert, key } = makeCertificate(work, 'server'));
    tls = await startTestServer({ server: { tls: { certFile: cert, keyFile: key } } });
    const agent = new https.Agent({ ca: await readFile(cert) });
    tlsClient = new S3Client({
      endpoint: tls.url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: TEST_KEY,
      requestHandler: { httpsAgent: agent },
    } as S3ClientConfig);
    await tlsClient.send(new CreateBucketCommand({ Bucket: 'secure' }));
  }, 60_000);

  afterAll(async () => {
    tlsClient?.destroy();
    await tls?.close();
  });

  it('mounts with the server certificate in CURL_CA_BUNDLE and writes through it', async () => {
    const m = await mount('secure', tls.url, 'tls-mnt', { CURL_CA_BUNDLE: cert });
    await sh(m, 'printf "over tls" > secret.txt && cat secret.txt >/dev/null');
    expect((await body(tlsClient, 'secret.txt', 'secure')).toString()).toBe('over tls');
    await unmount(m);
  });

  it('does not mount a server whose certificate it cannot verify', async () => {
    const failed = await mount('secure', tls.url, 'tls-untrusted').then(
      () => '',
      (err: Error) => err.message,
    );
    expect(failed).toMatch(/s3fs exited before mounting secure/);
    expect(failed).toMatch(/CURLE_SSL_CACERT/);
  });
});

describe('s3fs mounts that the server refuses', () => {
  it('a wrong secret stops the mount with SignatureDoesNotMatch', async () => {
    const wrong = path.join(work, 'wrong-passwd');
    writeFileSync(wrong, `${TEST_KEY.accessKeyId}:not-the-secret-key-0000000000000000000\n`);
    chmodSync(wrong, 0o600);
    const saved = passwd;
    passwd = wrong;
    const failed = await mount(BUCKET, t.url, 'wrong').then(
      () => '',
      (err: Error) => err.message,
    );
    passwd = saved;
    expect(failed).toMatch(/s3fs exited before mounting/);
    expect(failed).toMatch(/SignatureDoesNotMatch/);
  });

  it('a bucket that does not exist stops the mount with NoSuchBucket', async () => {
    const failed = await mount('no-such-bucket', t.url, 'missing').then(
      () => '',
      (err: Error) => err.message,
    );
    expect(failed).toMatch(/s3fs exited before mounting no-such-bucket/);
    expect(failed).toMatch(/NoSuchBucket/);
  });
});
