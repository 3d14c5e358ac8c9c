/**
 * docs/library.md's named examples (`quickstart.mjs`, `batch.mjs`, `browse.mjs`) run as
 * written, importing the built package (`stowage` → dist/index.js), against a real server;
 * their output must be what the doc shows. Needs `npm run build` (npm test builds first).
 */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/engine.js';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const doc = readFileSync(path.join(root, 'docs/library.md'), 'utf8');
const run = promisify(execFile);

/** Each "(`name.mjs`…" paragraph's following js block and the console block after it. */
function examples(): { name: string; code: string; output: string }[] {
  const re = /\(`([a-z-]+\.mjs)`[^\n]*\n+```js\n([\s\S]*?)```\n+```console\n([\s\S]*?)```/g;
  return [...doc.matchAll(re)].map((m) => ({ name: m[1]!, code: m[2]!, output: m[3]! }));
}
// The `quickstart.mjs` of the doc is introduced by "`quickstart.mjs`:" on its own line.
function quickstart(): { name: string; code: string; output: string } {
  const m = /^`quickstart\.mjs`:\n+```js\n([\s\S]*?)```\n+```console\n([\s\S]*?)```/m.exec(doc);
  if (!m) throw new Error('docs/library.md: no quickstart.mjs example');
  return { name: 'quickstart.mjs', code: m[1]!, output: m[2]! };
}

/** Timing figures differ run to run. */
const mask = (s: string) =>
  s.replace(/Duration: [\d.]+s/, 'Duration: Ns').replace(/Speed: [\d.]+ MB\/s/, 'Speed: N MB/s');

describe('docs/library.md examples', () => {
  const { dir, cleanup } = tempDir('stowage-libdocs-');
  let srv: TestServer;
  beforeAll(async () => {
    if (!existsSync(path.join(root, 'dist/index.js'))) {
      throw new Error('dist/index.js is missing: run `npm run build` first');
    }
    mkdirSync(path.join(dir, 'node_modules'));
    symlinkSync(root, path.join(dir, 'node_modules/stowage'), 'dir');
    writeFileSync(path.join(dir, 'image.png'), 'not really a png');
    srv = await startTestServer();
    await srv.client.send(new CreateBucketCommand({ Bucket: 'creative-assets' }));
  });
  afterAll(async () => {
    await srv?.close();
    cleanup();
  });

  const all = [quickstart(), ...examples()];
  it('has the three named examples', () => {
    expect(all.map((e) => e.name)).toEqual(['quickstart.mjs', 'batch.mjs', 'browse.mjs']);
  });

  for (const example of all) {
    it(`${example.name} prints what the doc shows`, async () => {
      const file = path.join(dir, example.name);
      writeFileSync(file, example.code);
      const { stdout } = await run(process.execPath, [file], {
        cwd: dir,
        env: {
          PATH: process.env.PATH,
          HOME: dir,
          NODE_NO_WARNINGS: '1',
          AWS_ENDPOINT_URL: srv.url,
          AWS_ACCESS_KEY_ID: TEST_KEY.accessKeyId,
          AWS_SECRET_ACCESS_KEY: TEST_KEY.secretAccessKey,
          S3_BUCKET_NAME: 'creative-assets',
        },
      });
      expect(mask(stdout)).toBe(mask(example.output));
    });
  }
});
