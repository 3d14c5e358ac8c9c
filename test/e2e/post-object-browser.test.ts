/**
 * POST Object in a real browser: Debian's headless Chromium, driven by playwright-core,
 * loads a page from a second local HTTP server holding an HTML upload form prepared by
 * createPresignedPost (hidden fields, a file input, `enctype="multipart/form-data"`).
 * Choosing a file and pressing submit uploads it to `stowage serve`, which redirects the
 * browser back to the page's `success_action_redirect` with bucket, key and ETag. The same
 * fields sent by the page's fetch() with FormData work too, since the bucket's CORS rules
 * allow POST from that origin.
 */
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutBucketCorsCommand,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowserHarness, type BrowserHarness } from '../helpers/chromium.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const BUCKET = 'studio-uploads';

let t: TestServer;
let browser: BrowserHarness;
let origin: string;
/** The HTML the page server answers `/` with. */
let formPage = '';

const escape = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

beforeAll(async () => {
  t = await startTestServer();
  await t.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await t.client.send(
    new PutBucketCorsCommand({
      Bucket: BUCKET,
      CORSConfiguration: {
        CORSRules: [
          {
            AllowedOrigins: ['http://localhost:*'],
            AllowedMethods: ['POST'],
            ExposeHeaders: ['ETag'],
          },
        ],
      },
    }),
  );
  browser = await startBrowserHarness((req, res) => {
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    if (req.url?.startsWith('/done')) {
      res.end(`<!doctype html><title>done</title><p id="query">${escape(req.url)}</p>`);
      return;
    }
    res.end(formPage);
  });
  origin = `http://localhost:${browser.port}`;
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

describe('a browser form upload', () => {
  it('an HTML form posts the chosen file and comes back to success_action_redirect', async () => {
    const { url, fields } = await createPresignedPost(t.client, {
      Bucket: BUCKET,
      Key: 'renders/${filename}',
      Conditions: [
        ['starts-with', '$key', 'renders/'],
        ['starts-with', '$Content-Type', 'image/'],
        ['content-length-range', 1, 1024 * 1024],
      ],
      Fields: { success_action_redirect: `${origin}/done` },
      Expires: 600,
    });
    const hidden = Object.entries(fields)
      .map(([k, v]) => `<input type="hidden" name="${escape(k)}" value="${escape(v)}">`)
      .join('');
    formPage =
      `<!doctype html><title>upload</title><form method="post" action="${url}" ` +
      `enctype="multipart/form-data">${hidden}` +
      '<input type="hidden" name="Content-Type" value="image/png">' +
      '<input type="file" name="file" id="file"><button id="go">Upload</button></form>';
    const png = Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), Buffer.alloc(5000, 7)]);
    const file = path.join(browser.dir, 'frame 01.png');
    writeFileSync(file, png);
    const page = await browser.context.newPage();
    await page.goto(`${origin}/`);
    await page.setInputFiles('#file', file);
    await Promise.all([page.waitForURL(/\/done\?/), page.click('#go')]);
    const back = new URL(page.url());
    expect(back.searchParams.get('bucket')).toBe(BUCKET);
    expect(back.searchParams.get('key')).toBe('renders/frame 01.png');
    expect(back.searchParams.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);
    const got = await t.client.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'renders/frame 01.png' }),
    );
    expect(got.ContentType).toBe('image/png');
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(png)).toBe(true);
    await page.close();
  });

  it("the page's fetch() with FormData uploads across origins, allowed by CORS", async () => {
    const { url, fields } = await createPresignedPost(t.client, {
      Bucket: BUCKET,
      Key: 'from-fetch.txt',
      Expires: 600,
    });
    formPage = '<!doctype html><title>fetch</title>';
    const page = await browser.context.newPage();
    await page.goto(`${origin}/`);
    const result = await page.evaluate(
      async ([u, f]) => {
        const form = new FormData();
        for (const [k, v] of Object.entries(f)) form.append(k, v);
        form.append('file', new Blob(['sent by fetch']), 'note.txt');
        try {
          const res = await fetch(u, { method: 'POST', body: form });
          return { status: res.status, etag: res.headers.get('etag') };
        } catch (err) {
          return { error: String(err) };
        }
      },
      [url, fields] as const,
    );
    expect(result).toMatchObject({ status: 204, etag: expect.stringMatching(/^"[0-9a-f]{32}"$/) });
    const head = await t.client.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: 'from-fetch.txt' }),
    );
    expect(head.ContentLength).toBe('sent by fetch'.length);
    await page.close();
  });
});
