/**
 * The library programs of docs/transfer.md (the first upload and download, the copy within
 * and across stores) and docs/sync.md (a whole sync) run as written, importing the built
 * package (`stowage/dist/…`), against two real servers named as stowage.yaml stores.
 * Needs `npm run build` (npm test builds first).
 */
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/engine.js';
import { runPeer } from '../helpers/peers.js';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The first ```js block of `doc` after the line that contains `after`. */
function block(doc: string, after: string): string {
  const text = readFileSync(path.join(root, 'docs', doc), 'utf8');
  const at = text.indexOf(after);
  if (at < 0) throw new Error(`docs/${doc}: no "${after}"`);
  const m = /```js\n([\s\S]*?)```/.exec(text.slice(at));
  if (!m) throw new Error(`docs/${doc}: no js block after "${after}"`);
  return m[1]!;
}

describe('docs/transfer.md and docs/sync.md programs', () => {
  const { dir, cleanup } = tempDir('stowage-xferdocs-');
  let local: TestServer;
  let other: TestServer;

  /** Runs `code` as `name` in the temp directory; env adds to a bare environment. */
  async function runProgram(name: string, code: string, env: Record<string, string> = {}) {
    writeFileSync(path.join(dir, name), code);
    const r = await runPeer(
      process.execPath,
      [name],
      { HOME: dir, NODE_NO_WARNINGS: '1', ...env },
      {
        cwd: dir,
      },
    );
    expect(r.stderr, `${name} stderr`).toBe('');
    expect(r.code, `${name}: ${r.stderr}`).toBe(0);
    return r.stdout;
  }

  async function bytesOf(t: TestServer, bucket: string, key: string): Promise<string> {
    const got = await t.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return got.Body!.transformToString();
  }

  beforeAll(async () => {
    if (!existsSync(path.join(root, 'dist/transfer/index.js'))) {
      throw new Error('dist/transfer/index.js is missing: run `npm run build` first');
    }
    mkdirSync(path.join(dir, 'node_modules'));
    symlinkSync(root, path.join(dir, 'node_modules/stowage'), 'dir');
    symlinkSync(path.join(root, 'node_modules/@aws-sdk'), path.join(dir, 'node_modules/@aws-sdk'));
    local = await startTestServer();
    other = await startTestServer();
    const store = (t: TestServer) =>
      [
        `    endpoint: ${t.url}`,
        `    accessKeyId: ${TEST_KEY.accessKeyId}`,
        `    secretAccessKey: ${TEST_KEY.secretAccessKey}`,
        '    forcePathStyle: true',
      ].join('\n');
    // The stores of the doc's --source-store example, both real servers here.
    writeFileSync(
      path.join(dir, 'stowage.yaml'),
      `defaultStore: local\nstores:\n  local:\n${store(local)}\n  rgw:\n${store(other)}\n`,
    );
  });
  afterAll(async () => {
    await local?.close();
    await other?.close();
    cleanup();
  });

  it('demo.mjs uploads, downloads and verifies by stowage-sha256', async () => {
    const out = await runProgram('demo.mjs', block('transfer.md', '## A first upload'));
    expect(out).toContain("etag: '");
    expect(out).toMatch(/uploadedParts: 3/);
    expect(out.trim().split('\n').at(-1)).toBe('stowage-sha256');
    const copy = readFileSync(path.join(dir, 'copy.webp'));
    expect(copy.equals(Buffer.alloc(20 * 1024 * 1024, 7)), 'copy.webp is hero.webp').toBe(true);
  });

  it('the copy example copies within the store and across to the other', async () => {
    await local.client.send(new CreateBucketCommand({ Bucket: 'incoming' }));
    // demo.mjs made it, unless this test runs alone.
    await local.client.send(new CreateBucketCommand({ Bucket: 'assets' })).catch(() => {});
    await other.client.send(new CreateBucketCommand({ Bucket: 'studio-assets' }));
    await local.client.send(
      new PutObjectCommand({ Bucket: 'incoming', Key: 'renders/a.png', Body: 'a render' }),
    );
    await runProgram('copy.mjs', block('transfer.md', '## copyObject and copyAcrossStores'));
    const copied = await local.client.send(
      new HeadObjectCommand({ Bucket: 'assets', Key: 'img/a.png' }),
    );
    expect(copied.StorageClass).toBe('STANDARD_IA');
    expect(await bytesOf(other, 'studio-assets', 'img/a.png')).toBe('a render');
  });

  it('the sync program uploads the tree, skips .git and deletes what is gone', async () => {
    await local.client.send(new CreateBucketCommand({ Bucket: 'www' }));
    await local.client.send(
      new PutObjectCommand({ Bucket: 'www', Key: 'site/old.txt', Body: 'x' }),
    );
    mkdirSync(path.join(dir, 'site/img'), { recursive: true });
    mkdirSync(path.join(dir, 'site/.git'), { recursive: true });
    writeFileSync(path.join(dir, 'site/index.html'), '<h1>hi</h1>');
    writeFileSync(path.join(dir, 'site/img/x.png'), 'png');
    writeFileSync(path.join(dir, 'site/.git/HEAD'), 'ref');
    const out = await runProgram('sync.mjs', block('sync.md', 'A whole program'));
    expect(out).toMatch(/uploaded: 2,[\s\S]*deleted: 1,[\s\S]*failed: 0,[\s\S]*\} 0\n$/);
    const listed = await local.client.send(new ListObjectsV2Command({ Bucket: 'www' }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(['site/img/x.png', 'site/index.html']);
    expect(await bytesOf(local, 'www', 'site/index.html')).toBe('<h1>hi</h1>');
  });
});
