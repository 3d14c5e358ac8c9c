/**
 * CORS in a real browser: Debian's headless Chromium, driven by playwright-core, loads a
 * page from a second local HTTP server and fetch()es objects on `stowage serve` through
 * presigned URLs. From `http://localhost:<port>` (allowed by the bucket's rules) the page
 * can PUT and read objects; from `http://127.0.0.1:<port>` (not allowed) the browser
 * refuses to hand the response to the page ("TypeError: Failed to fetch").
 */
import {
  CreateBucketCommand,
  GetObjectCommand,
  PutBucketCorsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowserHarness, type BrowserHarness } from '../helpers/chromium.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const BUCKET = 'ziggie-cloud-assets';

let t: TestServer;
let browser: BrowserHarness;

/** What the page's fetch() saw, or the error it threw. */
interface PageResult {
  ok?: boolean;
  status?: number;
  body?: string;
  etag?: string | null;
  requestId?: string | null;
  error?: string;
}

beforeAll(async () => {
  t = await startTestServer();
  await t.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await t.client.send(
    new PutBucketCorsCommand({
      Bucket: BUCKET,
      CORSConfiguration: {
        CORSRules: [
          {
            // Seed 000 §1.4, with any local dev port.
            AllowedOrigins: [
              'https://ziggie.cloud',
              'https://*.ziggie.cloud',
              'http://localhost:*',
            ],
            AllowedMethods: ['GET', 'HEAD'],
            AllowedHeaders: ['*'],
            MaxAgeSeconds: 3600,
            ExposeHeaders: ['ETag'],
          },
          {
            AllowedOrigins: ['http://localhost:*'],
            AllowedMethods: ['PUT'],
            AllowedHeaders: ['*'],
          },
        ],
      },
    }),
  );
  browser = await startBrowserHarness((_req, res) => {
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.end('<!doctype html><title>ziggie</title><p>page</p>');
  });
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

async function openPage(origin: string): Promise<Page> {
  const page = await browser.context.newPage();
  await page.goto(`${origin}/`);
  return page;
}

/** Runs fetch() inside the page and reports what the page's script could see. */
function pageFetch(page: Page, url: string, init: { method: string; body?: string }) {
  return page.evaluate(
    async ([u, i]): Promise<PageResult> => {
      try {
        const res = await fetch(u, i);
        return {
          ok: res.ok,
          status: res.status,
          body: await res.text(),
          etag: res.headers.get('etag'),
          requestId: res.headers.get('x-amz-request-id'),
        };
      } catch (err) {
        return { error: String(err) };
      }
    },
    [url, init] as const,
  );
}

function presign(command: GetObjectCommand | PutObjectCommand): Promise<string> {
  return getSignedUrl(t.client, command, { expiresIn: 600 });
}

describe('a page on an allowed origin (http://localhost:<port>)', () => {
  it('PUTs an object and reads it back, with the exposed ETag', async () => {
    const page = await openPage(`http://localhost:${browser.port}`);
    const key = 'uploads/from-browser.txt';
    const put = await pageFetch(
      page,
      await presign(new PutObjectCommand({ Bucket: BUCKET, Key: key })),
      { method: 'PUT', body: 'written by chromium' },
    );
    expect(put.error).toBeUndefined();
    expect(put.status).toBe(200);

    const get = await pageFetch(
      page,
      await presign(new GetObjectCommand({ Bucket: BUCKET, Key: key })),
      { method: 'GET' },
    );
    expect(get).toMatchObject({ ok: true, status: 200, body: 'written by chromium' });
    // ETag is in ExposeHeaders; x-amz-request-id is not, so the browser hides it.
    expect(get.etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(get.requestId).toBeNull();
    await page.close();
  });

  it('lets the page read an S3 error (NoSuchKey) too', async () => {
    const page = await openPage(`http://localhost:${browser.port}`);
    const get = await pageFetch(
      page,
      await presign(new GetObjectCommand({ Bucket: BUCKET, Key: 'missing.txt' })),
      { method: 'GET' },
    );
    expect(get.status).toBe(404);
    expect(get.body).toContain('<Code>NoSuchKey</Code>');
    await page.close();
  });
});

describe('a browser cache shared by loads with and without CORS', () => {
  it('does not answer a fetch() from a response it got without Origin (Vary: Origin)', async () => {
    // A long-cached asset, as the studios' CDN settings make them (seed 000 §7.4).
    const key = 'textures/cached.txt';
    await t.client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: key,
        Body: 'cached',
        CacheControl: 'max-age=3600',
      }),
    );
    const url = await presign(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    const page = await openPage(`http://localhost:${browser.port}`);
    // As a plain <img> or CSS load does: no Origin, so no CORS headers, into the cache.
    const plain = await page.evaluate(async (u) => (await fetch(u, { mode: 'no-cors' })).type, url);
    expect(plain).toBe('opaque');
    // The same URL read by a script: the cached response, without CORS headers, would be
    // refused ("Failed to fetch"); varying by Origin, the browser asks the server again.
    const get = await pageFetch(page, url, { method: 'GET' });
    expect(get).toMatchObject({ ok: true, status: 200, body: 'cached' });
    await page.close();
  });
});

describe('a page on an origin no rule allows (http://127.0.0.1:<port>)', () => {
  it('cannot read a GET response: the browser blocks it', async () => {
    await t.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'secret.txt', Body: 'x' }));
    const page = await openPage(`http://127.0.0.1:${browser.port}`);
    const get = await pageFetch(
      page,
      await presign(new GetObjectCommand({ Bucket: BUCKET, Key: 'secret.txt' })),
      { method: 'GET' },
    );
    expect(get.error).toBe('TypeError: Failed to fetch');
    await page.close();
  });

  it('cannot PUT: the preflight is refused and nothing is stored', async () => {
    const page = await openPage(`http://127.0.0.1:${browser.port}`);
    const key = 'uploads/refused.txt';
    const put = await pageFetch(
      page,
      await presign(new PutObjectCommand({ Bucket: BUCKET, Key: key })),
      { method: 'PUT', body: 'should not land' },
    );
    expect(put.error).toBe('TypeError: Failed to fetch');
    await expect(
      t.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key })),
    ).rejects.toMatchObject({ name: 'NoSuchKey' });
    await page.close();
  });
});
