/**
 * Debian's git-annex 10.20230126 with an S3 special remote on `stowage serve` (on its own
 * port, as a studio runs it: git-annex signs the Host header without the port, which this
 * server accepts; see sigv4.ts headerVariants). A repository of game assets (a 3 MiB binary,
 * a file with a space, `+`, `#` and non-ASCII in its name, an empty file): `initremote`
 * makes the bucket, `copy --to` stores every file as an object named by its key, `drop`
 * and `get` bring the bytes back identical, `fsck --from` downloads and verifies them, and
 * an `exporttree=yes` remote publishes the tree under its own file names, readable with any
 * S3 client. A wrong secret stops `copy` with the server's 403.
 */
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDebianPackages, runPeer, type RunResult } from '../helpers/peers.js';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';

const GIT = '/usr/bin/git';
const GIT_ANNEX = '/usr/bin/git-annex';
const BUCKET = 'studio-annex';
const EXPORT_BUCKET = 'studio-annex-export';
const ODD_NAME = 'levels/Zoë level #1 + extras.json';

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

let t: TestServer;
let work: string;
let repo: string;
const files: Record<string, Buffer> = {
  'textures/atlas.ktx2': randomBytes(3 * 1024 * 1024),
  [ODD_NAME]: Buffer.from('{"name":"Zoë"}\n'),
  'empty.txt': Buffer.alloc(0),
};

function run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<RunResult> {
  return runPeer(
    command,
    args,
    {
      HOME: path.join(work, 'home'),
      AWS_ACCESS_KEY_ID: TEST_KEY.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_KEY.secretAccessKey,
      GIT_CONFIG_NOSYSTEM: '1',
      ...env,
    },
    { cwd: repo, timeoutMs: 120_000 },
  );
}

/** Runs git or git-annex in the repository; it must succeed. */
async function ok(command: string, ...args: string[]): Promise<string> {
  const r = await run(command, args);
  expect(r.code, `${command} ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

async function keysOf(bucket: string): Promise<string[]> {
  const listed = await t.client.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (listed.Contents ?? []).map((o) => o.Key!);
}

function remoteOptions(bucket: string): string[] {
  const { hostname, port } = new URL(t.url);
  return [
    'type=S3',
    'encryption=none',
    `host=${hostname}`,
    `port=${port}`,
    'protocol=http',
    'requeststyle=path',
    'signature=v4',
    `bucket=${bucket}`,
  ];
}

beforeAll(async () => {
  ensureDebianPackages({ [GIT]: 'git', [GIT_ANNEX]: 'git-annex' });
  work = mkdtempSync(path.join(tmpdir(), 'stowage-annex-'));
  repo = path.join(work, 'repo');
  mkdirSync(path.join(work, 'home'));
  mkdirSync(repo);
  t = await startTestServer();
  await ok(GIT, 'init', '-q', '-b', 'main');
  await ok(GIT, 'config', 'user.email', 'builds@studio.example');
  await ok(GIT, 'config', 'user.name', 'Build');
  // git-annex refuses to talk to loopback addresses unless told they are fine.
  await ok(GIT, 'config', 'annex.security.allowed-ip-addresses', '127.0.0.1');
  await ok(GIT_ANNEX, 'init', '-q', 'studio');
  for (const [name, bytes] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(repo, name)), { recursive: true });
    writeFileSync(path.join(repo, name), bytes);
  }
  await ok(GIT_ANNEX, 'add', '-q', '.');
  await ok(GIT, 'commit', '-q', '-m', 'assets');
}, 600_000);

afterAll(async () => {
  await t?.close();
  if (work) {
    // git-annex makes its object files read-only.
    await runPeer('/bin/chmod', ['-R', 'u+w', work], {});
    rmSync(work, { recursive: true, force: true });
  }
});

describe('git-annex S3 special remote on stowage serve', () => {
  it('initremote makes the bucket; copy --to stores one object per file', async () => {
    await ok(GIT_ANNEX, 'initremote', 'assets-s3', ...remoteOptions(BUCKET));
    await ok(GIT_ANNEX, 'copy', '--to', 'assets-s3', '.');
    const keys = await keysOf(BUCKET);
    // Objects named by git-annex's keys (SHA256E-s<size>--<hash><ext>), one per file, plus
    // the annex-uuid marker initremote writes.
    for (const bytes of Object.values(files)) {
      expect(keys.some((k) => k.includes(`-s${bytes.length}--${sha256(bytes)}`))).toBe(true);
    }
  });

  it('drop, then get: every file comes back byte for byte', async () => {
    await ok(GIT_ANNEX, 'drop', '.');
    expect(() => readFileSync(path.join(repo, 'textures/atlas.ktx2'))).toThrow();
    await ok(GIT_ANNEX, 'get', '.');
    for (const [name, bytes] of Object.entries(files)) {
      expect(readFileSync(path.join(repo, name)).equals(bytes), name).toBe(true);
    }
  });

  it('fsck --from downloads and verifies every object', async () => {
    const out = await ok(GIT_ANNEX, 'fsck', '--from', 'assets-s3', '.');
    expect(out).toContain('textures/atlas.ktx2');
    expect(out).not.toMatch(/fail/i);
  });

  it('an exporttree remote publishes the tree under its file names', async () => {
    await ok(
      GIT_ANNEX,
      'initremote',
      'published',
      ...remoteOptions(EXPORT_BUCKET),
      'exporttree=yes',
      'versioning=no',
    );
    await ok(GIT_ANNEX, 'export', 'main', '--to', 'published');
    expect((await keysOf(EXPORT_BUCKET)).sort()).toEqual(
      expect.arrayContaining(Object.keys(files).sort()),
    );
    const odd = await t.client.send(new GetObjectCommand({ Bucket: EXPORT_BUCKET, Key: ODD_NAME }));
    expect(Buffer.from(await odd.Body!.transformToByteArray()).equals(files[ODD_NAME]!)).toBe(true);
  });

  it('a wrong secret stops copy with the server’s 403', async () => {
    writeFileSync(path.join(repo, 'new.bin'), randomBytes(1000));
    await ok(GIT_ANNEX, 'add', '-q', 'new.bin');
    const r = await run(GIT_ANNEX, ['copy', '--to', 'assets-s3', 'new.bin'], {
      AWS_SECRET_ACCESS_KEY: 'not-the-secret-key-000000000000000000',
    });
    expect(r.code).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).toMatch(/403|SignatureDoesNotMatch/);
    expect(
      (await keysOf(BUCKET)).some((k) =>
        k.includes(sha256(readFileSync(path.join(repo, 'new.bin')))),
      ),
    ).toBe(false);
  });
});
