/**
 * What a power cut could undo, checked from the system calls `stowage serve` makes (strace):
 * a file or directory entry is durable only once it is fsynced, and its directory too.
 *
 * - The generated credentials.json: written to a temp file that is fsynced, renamed into
 *   place, then the data directory is fsynced; an empty credentials.json after a power cut
 *   would stop every later start.
 * - A blob in a new shard directory (blobs/XX): the blob file is fsynced before its rename,
 *   and after it both blobs/XX and blobs/ itself, so the new directory cannot vanish.
 * - The SSE-S3 master key (keys/sse-s3.key, made on the first encrypted write): fsynced
 *   before it is linked into place, then keys/ and the data directory that gained keys/;
 *   losing it loses every object encrypted under it.
 */
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tempDir } from '../helpers/engine.js';
import { ensureDebianPackages } from '../helpers/peers.js';
import { clientOf, exited, serveArgs, type ServeInfo } from '../helpers/serve-process.js';

const STRACE = '/usr/bin/strace';
const work = tempDir('stowage-durable-');
let group: number | undefined;
afterAll(() => {
  // A failed start or request must not leave the traced server running.
  if (group !== undefined) {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  work.cleanup();
});

let calls: string[];
let dataDir: string;

beforeAll(async () => {
  ensureDebianPackages({ [STRACE]: 'strace' });
  dataDir = path.join(work.dir, 'data');
  const trace = path.join(work.dir, 'trace.txt');
  const child = spawn(
    STRACE,
    [
      '-f',
      '-y',
      '-qq',
      '-e',
      'trace=fsync,fdatasync,rename,renameat,renameat2,mkdir,mkdirat,link,linkat',
      '-o',
      trace,
      process.execPath,
      ...serveArgs(dataDir),
    ],
    // Its own process group: a SIGTERM to strace alone would not reach the server.
    { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'ignore'], detached: true },
  );
  group = child.pid;
  const info = await new Promise<ServeInfo>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      try {
        resolve(JSON.parse(out) as ServeInfo);
      } catch {
        // not a whole document yet
      }
    });
    child.on('exit', (code) => reject(new Error(`serve under strace exited with ${code}`)));
  });
  const s3 = clientOf(info, info.secretAccessKeyShownOnce!);
  await s3.send(new CreateBucketCommand({ Bucket: 'durable' }));
  // Over the 128 KiB kept in meta.db: a blob file, in a shard directory made for it.
  await s3.send(
    new PutObjectCommand({ Bucket: 'durable', Key: 'big', Body: Buffer.alloc(200 * 1024, 1) }),
  );
  s3.destroy();
  process.kill(-child.pid!, 'SIGTERM');
  await exited(child);
  // Gone: its number may now be another test's process group, which afterAll must not kill.
  group = undefined;
  calls = readFileSync(trace, 'utf8').split('\n');
}, 120_000);

/** Index of the first call matching `re` at or after `from`; fails naming `what`. */
function find(re: RegExp, what: string, from = 0): number {
  const i = calls.findIndex((line, n) => n >= from && re.test(line));
  expect(i, `${what} not found after call ${from}`).toBeGreaterThanOrEqual(0);
  return i;
}

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

it('credentials.json is fsynced before its rename, and the data directory after it', () => {
  const file = esc(path.join(dataDir, 'credentials.json'));
  const synced = find(
    new RegExp(`fsync\\(\\d+<${file}\\.[^>]*\\.tmp>\\)`),
    'fsync of the temp file',
  );
  const renamed = find(
    new RegExp(`rename\\("${file}\\.[^"]*\\.tmp", "${file}"\\)`),
    'rename',
    synced,
  );
  find(new RegExp(`fsync\\(\\d+<${esc(dataDir)}>\\)`), 'fsync of the data directory', renamed);
});

it('a blob in a new shard directory: blob fsynced, renamed, then blobs/XX and blobs/ fsynced', () => {
  const blobs = esc(path.join(dataDir, 'blobs'));
  const made = find(new RegExp(`mkdir\\("${blobs}/[0-9a-f]{2}"`), 'mkdir of a shard directory');
  const shard = /mkdir\("([^"]+)"/.exec(calls[made]!)![1]!;
  const renamed = find(
    new RegExp(`rename\\("[^"]+", "${esc(shard)}/[0-9a-f]+"\\)`),
    'rename',
    made,
  );
  const tmp = /rename\("([^"]+)"/.exec(calls[renamed]!)![1]!;
  const before = calls.slice(0, renamed);
  expect(before.some((l) => l.includes('fsync(') && l.includes(`<${tmp}>`))).toBe(true);
  const tail = calls.slice(renamed);
  expect(tail.some((l) => new RegExp(`fsync\\(\\d+<${esc(shard)}>\\)`).test(l))).toBe(true);
  expect(tail.some((l) => new RegExp(`fsync\\(\\d+<${blobs}>\\)`).test(l))).toBe(true);
});

it('the SSE-S3 key is fsynced before its link, then keys/ and the data directory', () => {
  const keys = esc(path.join(dataDir, 'keys'));
  const key = `${keys}/sse-s3\\.key`;
  const synced = find(new RegExp(`fsync\\(\\d+<${key}\\.[0-9a-f]+\\.tmp>\\)`), 'fsync of the key');
  const linked = find(
    new RegExp(`link(at)?\\(.*"${key}\\.[0-9a-f]+\\.tmp".*"${key}"`),
    'link',
    synced,
  );
  find(new RegExp(`fsync\\(\\d+<${keys}>\\)`), 'fsync of keys/', linked);
  find(new RegExp(`fsync\\(\\d+<${esc(dataDir)}>\\)`), 'fsync of the data directory', linked);
});
