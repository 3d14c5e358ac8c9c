/**
 * Debian's restic (the backup tool of seed 000's backup scripts) against `stowage serve`:
 * init (restic creates the bucket), a backup, an incremental backup after a change, check
 * with --read-data, restore compared byte for byte, forget --prune, and the repository's
 * objects seen through the S3 API.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patternBytes } from '../helpers/engine.js';
import { readTree } from '../helpers/tree.js';
import { ensureDebianPackages, runPeer } from '../helpers/peers.js';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';

const RESTIC = '/usr/bin/restic';
const BUCKET = 'restic-interop';
const MIB = 1024 * 1024;

let t: TestServer;
let work: string;
let source: string;

function put(rel: string, content: string | Buffer): void {
  const p = path.join(source, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, content);
}

/** Runs restic with the repository in the test server; it must succeed. */
async function restic(...args: string[]): Promise<string> {
  const r = await runPeer(
    RESTIC,
    ['--no-cache', ...args],
    {
      HOME: work,
      AWS_ACCESS_KEY_ID: TEST_KEY.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_KEY.secretAccessKey,
      RESTIC_REPOSITORY: `s3:${t.url}/${BUCKET}`,
      RESTIC_PASSWORD: 'correct horse battery staple',
    },
    { cwd: work, timeoutMs: 120_000 },
  );
  expect(r.code, `restic ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

beforeAll(async () => {
  ensureDebianPackages({ [RESTIC]: 'restic' });
  t = await startTestServer();
  work = mkdtempSync(path.join(tmpdir(), 'stowage-restic-'));
  source = path.join(work, 'n8n-backups');
  put('workflows/daily.json', JSON.stringify({ nodes: [{ name: 'Webhook' }] }));
  put('database/dump.sql', patternBytes(20 * MIB, 3));
  put('assets/sprite sheet (final).png', patternBytes(300_000, 9));
}, 600_000);

afterAll(async () => {
  await t?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('restic against stowage serve', () => {
  it('initialises a repository, creating the bucket', async () => {
    expect(await restic('init')).toContain('created restic repository');
    const listed = await t.client.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    const keys = (listed.Contents ?? []).map((o) => o.Key);
    expect(keys).toContain('config');
    expect(keys.some((k) => k?.startsWith('keys/'))).toBe(true);
  });

  it('backs up, then backs up only what changed', async () => {
    await restic('backup', '--tag', 'first', source);
    put('workflows/daily.json', JSON.stringify({ nodes: [{ name: 'Webhook' }, { name: 'S3' }] }));
    const second = await restic('backup', '--json', source);
    const summary = second
      .split('\n')
      .filter((l) => l.includes('"message_type":"summary"'))
      .map((l) => JSON.parse(l) as { files_changed: number; files_unmodified: number })[0];
    expect(summary).toMatchObject({ files_changed: 1, files_unmodified: 2 });
    const snapshots = JSON.parse(await restic('snapshots', '--json')) as unknown[];
    expect(snapshots).toHaveLength(2);
  });

  it('checks every byte of the repository', async () => {
    expect(await restic('check', '--read-data')).toContain('no errors were found');
  });

  it('restores the latest snapshot byte for byte', async () => {
    const target = path.join(work, 'restored');
    await restic('restore', 'latest', '--target', target);
    const restored = readTree(path.join(target, source.slice(1)));
    const original = readTree(source);
    expect([...restored.keys()].sort()).toEqual([...original.keys()].sort());
    for (const [rel, bytes] of original) expect(restored.get(rel)!.equals(bytes), rel).toBe(true);
  });

  it('forgets the older snapshot and prunes its data, leaving a sound repository', async () => {
    await restic('forget', '--keep-last', '1', '--prune');
    const snapshots = JSON.parse(await restic('snapshots', '--json')) as unknown[];
    expect(snapshots).toHaveLength(1);
    expect(await restic('check')).toContain('no errors were found');
  });
});
