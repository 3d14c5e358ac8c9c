/**
 * Sync planning against the real embedded server: the remote listing (pages, hostile keys,
 * byte order), and whole runs plan → runPlan → plan again, where the second plan must be
 * empty. The handlers are written here with the SDK; the real transfer code lives elsewhere.
 */
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localSha256 } from '../../src/transfer/sync/compare.js';
import { listRemote, remoteItems, type RemoteObject } from '../../src/transfer/sync/list-remote.js';
import { planSync, type PlanSyncOptions } from '../../src/transfer/sync/plan.js';
import { runPlan, type SyncHandlers } from '../../src/transfer/sync/run-plan.js';
import type { SyncAction } from '../../src/transfer/sync/types.js';
import { walkLocal } from '../../src/transfer/sync/walk-local.js';
import { tempDir } from '../helpers/engine.js';
import { expectError } from '../helpers/expect-error.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
let work: { dir: string; cleanup: () => void };
const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  t = await startTestServer();
  work = tempDir('stowage-sync-');
});
afterAll(async () => {
  await t.close();
  work.cleanup();
});

async function bucket(name: string): Promise<string> {
  await t.client.send(new CreateBucketCommand({ Bucket: name }));
  return name;
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

function put(root: string, rel: string, content: string | Buffer, mtimeSec?: number): void {
  const p = path.join(root, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, content);
  if (mtimeSec !== undefined) utimesSync(p, mtimeSec, mtimeSec);
}

/** Upload/download/copy/delete handlers over the SDK, for `bucket`/`prefix` and a local root. */
function handlers(
  b: string,
  prefix: string,
  localRoot: string,
  srcBucket?: string,
  deleteLocal = false,
): SyncHandlers {
  return {
    upload: async (a) => {
      const body = readFileSync(a.source.path!);
      await t.client.send(
        new PutObjectCommand({
          Bucket: b,
          Key: prefix + a.key,
          Body: body,
          Metadata: { 'stowage-sha256': sha256(body) },
        }),
      );
    },
    download: async (a) => {
      const r = await t.client.send(new GetObjectCommand({ Bucket: b, Key: prefix + a.key }));
      const file = path.join(localRoot, a.key);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, Buffer.from(await r.Body!.transformToByteArray()));
      // The downloaded file gets the object's LastModified as its mtime (the time rule relies on it).
      const when = a.source.mtimeMs / 1000;
      utimesSync(file, when, when);
    },
    copy: async (a) => {
      await t.client.send(
        new CopyObjectCommand({
          Bucket: b,
          Key: prefix + a.key,
          CopySource: `${srcBucket}/${encodeURIComponent(a.key)}`,
        }),
      );
    },
    delete: async (a) => {
      if (deleteLocal) rmSync(path.join(localRoot, a.key));
      else await t.client.send(new DeleteObjectCommand({ Bucket: b, Key: prefix + a.key }));
    },
  };
}

const remote = (b: string, prefix = '', pageSize = 1000): AsyncIterable<never> =>
  remoteItems(
    listRemote(t.client, { bucket: b, prefix, pageSize }),
    prefix,
  ) as AsyncIterable<never>;

async function planList(options: PlanSyncOptions): Promise<SyncAction[]> {
  return collect(planSync(options));
}
const work_ = (a: SyncAction[]): SyncAction[] => a.filter((x) => x.kind !== 'skip');

describe('listRemote against stowage serve', () => {
  it('streams every page in S3 byte order and returns hostile keys exactly', async () => {
    const b = await bucket('list-hostile');
    const keys = [
      'a/b',
      'a-b',
      'a.b',
      'a b+c%20',
      'new\nline',
      'cr\rhere',
      'tab\t',
      'é',
      '\uff5e',
      '😀',
      'z',
    ];
    for (const k of keys) await t.client.send(new PutObjectCommand({ Bucket: b, Key: k, Body: k }));
    const listed: RemoteObject[] = await collect(listRemote(t.client, { bucket: b, pageSize: 2 }));
    const expected = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect(listed.map((o) => o.key)).toEqual(expected);
    const first = listed.find((o) => o.key === 'a b+c%20');
    expect(first).toMatchObject({
      sizeBytes: Buffer.byteLength('a b+c%20'),
      storageClass: 'STANDARD',
    });
    expect(first?.etag).toMatch(/^[0-9a-f]{32}$/);
    expect(first?.lastModified).toBeInstanceOf(Date);
  });

  it('lists under a prefix with relative keys, and names a missing bucket', async () => {
    const b = await bucket('list-prefix');
    for (const k of ['p/a', 'p/b/c', 'pq', 'q'])
      await t.client.send(new PutObjectCommand({ Bucket: b, Key: k, Body: 'x' }));
    const items = await collect(
      remoteItems(listRemote(t.client, { bucket: b, prefix: 'p/' }), 'p/'),
    );
    expect(items.map((i) => (i.kind === 'entry' ? i.entry.key : ''))).toEqual(['a', 'b/c']);
    await expectError(
      collect(listRemote(t.client, { bucket: 'no-such-bucket-here' })),
      'E_NO_SUCH_BUCKET',
    );
  });
});

describe('sync end to end: plan → runPlan → plan again is empty', () => {
  it('uploads a tree, then finds nothing to do; then an edit and a removal with --delete', async () => {
    const b = await bucket('sync-up');
    const src = path.join(work.dir, 'up');
    const old = Math.floor(Date.now() / 1000) - 3600;
    for (const rel of [
      'a/b.txt',
      'a-b.txt',
      'a.b',
      'new\nline.txt',
      'deep/er/x.bin',
      '😀.png',
      'skip.log',
    ])
      put(src, rel, `content of ${rel}`, old);
    const opts = (): PlanSyncOptions => ({
      source: walkLocal(src),
      dest: remote(b, 'site/', 3),
      direction: 'upload',
      delete: true,
      filters: [{ type: 'exclude', pattern: '*.log' }],
    });
    const first = await runPlan(planSync(opts()), handlers(b, 'site/', src), { concurrency: 4 });
    expect(first.summary).toMatchObject({ uploaded: 6, failed: 0, deleted: 0 });
    expect(first.exitCode).toBe(0);
    expect(work_(await planList(opts()))).toEqual([]);

    put(src, 'a.b', 'changed and longer', old);
    rmSync(path.join(src, 'a-b.txt'));
    await t.client.send(
      new PutObjectCommand({ Bucket: b, Key: 'site/excluded.log', Body: 'keep me' }),
    );
    const second = await planList(opts());
    expect(work_(second).map((a) => [a.kind, 'key' in a ? a.key : ''])).toEqual([
      ['upload', 'a.b'],
      ['delete', 'a-b.txt'],
    ]);
    const run = await runPlan(planSync(opts()), handlers(b, 'site/', src));
    expect(run.summary).toMatchObject({ uploaded: 1, deleted: 1, failed: 0 });
    expect(work_(await planList(opts()))).toEqual([]);
    const left = await collect(listRemote(t.client, { bucket: b }));
    expect(left.map((o) => o.key)).toContain('site/excluded.log');
    expect(left.map((o) => o.key)).not.toContain('site/a-b.txt');
  });

  it('downloads a bucket, stamping LastModified as mtime, then finds nothing to do', async () => {
    const b = await bucket('sync-down');
    for (const k of ['x/1.txt', 'x-2.txt', 'y', 'dir-marker/'])
      await t.client.send(
        new PutObjectCommand({ Bucket: b, Key: k, Body: k.endsWith('/') ? new Uint8Array(0) : k }),
      );
    const dst = path.join(work.dir, 'down');
    const opts = (extra: Partial<PlanSyncOptions> = {}): PlanSyncOptions => ({
      source: remote(b),
      dest: walkLocal(dst, { allowMissingRoot: true }),
      direction: 'download',
      ...extra,
    });
    const first = await runPlan(planSync(opts()), handlers(b, '', dst), { concurrency: 2 });
    expect(first.summary).toMatchObject({ downloaded: 3, failed: 0, skipped: 1 });
    expect(readFileSync(path.join(dst, 'x/1.txt'), 'utf8')).toBe('x/1.txt');
    expect(work_(await planList(opts()))).toEqual([]);
    expect(work_(await planList(opts({ exactTimestamps: true })))).toEqual([]);

    // A local edit of the same size with a newer mtime: the default rule leaves it, exact timestamps restore it.
    put(dst, 'y', 'Y', Math.floor(Date.now() / 1000) + 10);
    expect(work_(await planList(opts()))).toEqual([]);
    expect(
      work_(await planList(opts({ exactTimestamps: true }))).map((a) => 'key' in a && a.key),
    ).toEqual(['y']);
  });

  it('--checksum catches a same-size edit that times miss, via stowage-sha256 metadata', async () => {
    const b = await bucket('sync-sum');
    const src = path.join(work.dir, 'sum');
    put(src, 'f.txt', 'aaaa');
    await runPlan(
      planSync({ source: walkLocal(src), dest: remote(b), direction: 'upload' }),
      handlers(b, '', src),
    );
    // Same size, and an mtime older than the object: only the checksum sees the change.
    put(src, 'f.txt', 'bbbb', Math.floor(Date.now() / 1000) - 86_400);
    const remoteSha256 = async (key: string): Promise<string | undefined> =>
      (await t.client.send(new HeadObjectCommand({ Bucket: b, Key: key }))).Metadata?.[
        'stowage-sha256'
      ];
    const checksum = { source: localSha256, dest: (e: { key: string }) => remoteSha256(e.key) };
    expect(
      work_(await planList({ source: walkLocal(src), dest: remote(b), direction: 'upload' })),
    ).toEqual([]);
    const withSum = await planList({
      source: walkLocal(src),
      dest: remote(b),
      direction: 'upload',
      checksum,
    });
    expect(work_(withSum).map((a) => a.kind === 'upload' && [a.key, a.reason])).toEqual([
      ['f.txt', 'checksum'],
    ]);
    await runPlan(
      planSync({ source: walkLocal(src), dest: remote(b), direction: 'upload', checksum }),
      handlers(b, '', src),
    );
    expect(
      work_(
        await planList({ source: walkLocal(src), dest: remote(b), direction: 'upload', checksum }),
      ),
    ).toEqual([]);
  });

  it('--max-delete: a run that would delete too many deletes none and fails', async () => {
    const b = await bucket('sync-maxdel');
    for (let i = 0; i < 5; i++)
      await t.client.send(new PutObjectCommand({ Bucket: b, Key: `old/${i}`, Body: 'x' }));
    const src = path.join(work.dir, 'maxdel');
    put(src, 'new.txt', 'n');
    const r = await runPlan(
      planSync({
        source: walkLocal(src),
        dest: remote(b),
        direction: 'upload',
        delete: true,
        maxDelete: 4,
      }),
      handlers(b, '', src),
    );
    expect(r.error?.code).toBe('E_MAX_DELETE_EXCEEDED');
    expect(r.error?.message).toMatch(/would delete 5 objects/);
    expect(r.exitCode).not.toBe(0);
    expect(r.summary).toMatchObject({ uploaded: 1, deleted: 0, wouldDelete: 5 });
    expect((await collect(listRemote(t.client, { bucket: b }))).map((o) => o.key).sort()).toEqual([
      'new.txt',
      'old/0',
      'old/1',
      'old/2',
      'old/3',
      'old/4',
    ]);
  });

  it('--dryrun plans against the real store and changes nothing', async () => {
    const b = await bucket('sync-dry');
    await t.client.send(new PutObjectCommand({ Bucket: b, Key: 'gone', Body: 'x' }));
    const src = path.join(work.dir, 'dry');
    put(src, 'a', 'a');
    const r = await runPlan(
      planSync({ source: walkLocal(src), dest: remote(b), direction: 'upload', delete: true }),
      handlers(b, '', src),
      { dryrun: true, keepResults: true },
    );
    expect(r.results?.map((x) => [x.action, x.key, x.dryrun])).toEqual([
      ['upload', 'a', true],
      ['delete', 'gone', true],
    ]);
    expect((await collect(listRemote(t.client, { bucket: b }))).map((o) => o.key)).toEqual([
      'gone',
    ]);
  });

  it('copies store to store, then finds nothing to do', async () => {
    const a = await bucket('sync-copy-a');
    const b = await bucket('sync-copy-b');
    for (const k of ['1', '2/3', 'sp ace'])
      await t.client.send(new PutObjectCommand({ Bucket: a, Key: k, Body: k }));
    const opts = (): PlanSyncOptions => ({ source: remote(a), dest: remote(b), direction: 'copy' });
    const r = await runPlan(planSync(opts()), handlers(b, '', '', a));
    expect(r.summary).toMatchObject({ copied: 3, failed: 0 });
    expect(work_(await planList(opts()))).toEqual([]);
  });

  it('keeps a local tree with an unreadable file from deleting its object', async () => {
    const b = await bucket('sync-unreadable');
    const src = path.join(work.dir, 'unreadable');
    put(src, 'ok.txt', 'ok');
    put(src, 'bad.txt', 'bad');
    await runPlan(
      planSync({ source: walkLocal(src), dest: remote(b), direction: 'upload' }),
      handlers(b, '', src),
    );
    // The walk is told that this process cannot read files it does not own (as a non-root user would see it).
    const { chmodSync } = await import('node:fs');
    chmodSync(path.join(src, 'bad.txt'), 0o000);
    rmSync(path.join(src, 'ok.txt'));
    const r = await runPlan(
      planSync({
        source: walkLocal(src, { reader: { uid: 65534, gids: [65534] } }),
        dest: remote(b),
        direction: 'upload',
        delete: true,
      }),
      handlers(b, '', src),
      { keepResults: true },
    );
    expect(r.failures.map((f) => [f.key, f.error?.code])).toEqual([
      ['bad.txt', 'E_LOCAL_UNREADABLE'],
    ]);
    expect(r.exitCode).toBe(1);
    // Deletions are withheld in a run with failures; bad.txt is never a delete candidate.
    expect((await collect(listRemote(t.client, { bucket: b }))).map((o) => o.key)).toEqual([
      'bad.txt',
      'ok.txt',
    ]);
    expect(existsSync(path.join(src, 'bad.txt'))).toBe(true);
  });
});
