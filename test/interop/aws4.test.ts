/**
 * Requests signed by the `aws4` library the way n8n's generic S3 node (n8n-nodes-base.s3,
 * nodes/S3/GenericFunctions) signs them, against `stowage serve`. Seed 000's n8n workflows
 * upload backups with storage class GLACIER_IR; against an S3-compatible server n8n's
 * "AWS S3" node cannot be pointed anywhere but AWS, so studios use this node, with "Force
 * Path Style" on or off. It builds the request as n8n does: the key goes raw into a URL's
 * pathname (the URL class encodes what it must), aws4 signs that path with the query
 * appended unencoded ('+' as %2B), and the query goes on the wire encoded.
 *
 * A helper ran n8n 1.123 itself (headless workflows) against the server and Ceph RGW: every
 * operation here worked on both, and the refusals below failed on both the same way.
 */
import aws4 from 'aws4';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patternBytes } from '../helpers/engine.js';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';

let t: TestServer;
let port: number;

beforeAll(async () => {
  t = await startTestServer();
  port = Number(new URL(t.url).port);
});
afterAll(async () => t?.close());

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

interface N8nRequest {
  bucket?: string;
  /** The path after the bucket, raw, as the node builds it (`/${folder}${fileName}`). */
  path?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** "Force Path Style" off: the bucket goes into the host name. */
  virtualHosted?: boolean;
  secretAccessKey?: string;
}

/** One request as n8n's S3 node makes it. */
function n8n(method: string, r: N8nRequest): Promise<Answer> {
  const endpoint = new URL(t.url);
  let path = r.path ?? '/';
  if (r.bucket) {
    if (r.virtualHosted) endpoint.host = `${r.bucket}.localhost:${port}`;
    else path = `/${r.bucket}${path}`;
  }
  endpoint.pathname = path;
  const query = r.query ?? {};
  const unencoded = Object.keys(query)
    .map((k) => `${k}=${query[k]}`)
    .join('&');
  const signed = {
    headers: { ...r.headers },
    region: 'us-east-1',
    host: endpoint.host,
    method,
    path: `${path}?${unencoded.replace(/\+/g, '%2B')}`,
    service: 's3',
    body: r.body,
  };
  aws4.sign(signed, {
    accessKeyId: TEST_KEY.accessKeyId,
    secretAccessKey: r.secretAccessKey ?? TEST_KEY.secretAccessKey,
  });
  const search = new URLSearchParams(query).toString().replace(/\+/g, '%20');
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: endpoint.pathname + (search ? `?${search}` : ''),
        headers: signed.headers as http.OutgoingHttpHeaders,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on('error', reject);
    req.end(r.body);
  });
}

const BUCKET = 'n8n-backups';
const md5 = (b: Buffer | string): string => createHash('md5').update(b).digest('hex');
const keysIn = (xml: string): string[] =>
  [...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) =>
    m[1]!
      .replace(/&amp;/g, '&')
      .replace(/&apos;/g, "'")
      .replace(/&quot;/g, '"'),
  );

/** A folder delete as n8n's node sends it: one DeleteObjects request with a Content-MD5. */
function deleteObjects(keys: string[]): Promise<Answer> {
  const escape = (k: string): string => k.replace(/&/g, '&amp;').replace(/'/g, '&apos;');
  const xml = `<Delete>${keys.map((k) => `<Object><Key>${escape(k)}</Key></Object>`).join('')}</Delete>`;
  return n8n('POST', {
    bucket: BUCKET,
    path: '/',
    query: { delete: '' },
    body: xml,
    headers: { 'Content-MD5': createHash('md5').update(xml).digest('base64') },
  });
}

/** File names a workflow makes: spaces, non-ASCII and the punctuation n8n sends raw. */
const NAMES = [
  'Ziggie Asset Pipeline-2026-12-06-064942.json',
  'café 日本.png',
  "it's (final) a&b=c,d;e*f!g~h@i:j$k.bin",
];

describe("aws4, signing as n8n's S3 node, against stowage serve", () => {
  it('creates a bucket, uploads with GLACIER_IR and tags, lists by prefix, downloads', async () => {
    expect((await n8n('PUT', { bucket: BUCKET })).status).toBe(200);
    const bodies = NAMES.map((_, i) => patternBytes(10_000 + i * 3_333, 40 + i));
    for (const [i, name] of NAMES.entries()) {
      const r = await n8n('PUT', {
        bucket: BUCKET,
        path: `/backups/2026/${name}`,
        body: bodies[i],
        headers: {
          'Content-Type': 'application/json',
          'x-amz-storage-class': 'GLACIER_IR',
          'x-amz-tagging': 'project=ziggie&kind=backup',
        },
      });
      expect(r.status, r.body.toString()).toBe(200);
      expect(r.headers.etag).toBe(`"${md5(bodies[i]!)}"`);
    }
    const list = await n8n('GET', {
      bucket: BUCKET,
      query: { 'list-type': '2', prefix: 'backups/2026/', 'max-keys': '2' },
    });
    expect(list.status).toBe(200);
    const page = list.body.toString();
    expect(page).toContain('<IsTruncated>true</IsTruncated>');
    expect(page.match(/<StorageClass>GLACIER_IR<\/StorageClass>/g)).toHaveLength(2);
    const token = /<NextContinuationToken>([^<]+)</.exec(page)![1]!;
    const rest = await n8n('GET', {
      bucket: BUCKET,
      query: { 'list-type': '2', prefix: 'backups/2026/', 'continuation-token': token },
    });
    expect(rest.status, rest.body.toString()).toBe(200);
    expect([...keysIn(page), ...keysIn(rest.body.toString())].sort()).toEqual(
      NAMES.map((n) => `backups/2026/${n}`).sort(),
    );
    for (const [i, name] of NAMES.entries()) {
      const got = await n8n('GET', { bucket: BUCKET, path: `/backups/2026/${name}` });
      expect(got.status).toBe(200);
      expect(got.body.equals(bodies[i]!)).toBe(true);
      expect(got.headers['x-amz-storage-class']).toBe('GLACIER_IR');
      expect(got.headers['x-amz-tagging-count']).toBe('2');
    }
  });

  it('with "Force Path Style" off, puts and gets through the bucket host name', async () => {
    const r = await n8n('PUT', {
      bucket: BUCKET,
      virtualHosted: true,
      path: '/vh/workflows.json',
      body: '{"nodes":[]}',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(r.status, r.body.toString()).toBe(200);
    const got = await n8n('GET', {
      bucket: BUCKET,
      virtualHosted: true,
      path: '/vh/workflows.json',
    });
    expect(got.body.toString()).toBe('{"nodes":[]}');
    const list = await n8n('GET', {
      bucket: BUCKET,
      virtualHosted: true,
      query: { 'list-type': '2', prefix: 'vh/' },
    });
    expect(keysIn(list.body.toString())).toEqual(['vh/workflows.json']);
  });

  it('copies with the raw copy source n8n sends, and deletes a folder with DeleteObjects', async () => {
    const from = `/${BUCKET}/backups/2026/${NAMES[0]}`;
    const copy = await n8n('PUT', {
      bucket: BUCKET,
      path: '/restore/copy of workflows.json',
      headers: { 'x-amz-copy-source': from },
    });
    expect(copy.status, copy.body.toString()).toBe(200);
    expect(copy.body.toString()).toContain('<CopyObjectResult');
    const folder = await n8n('GET', {
      bucket: BUCKET,
      query: { 'list-type': '2', prefix: 'backups/' },
    });
    const del = await deleteObjects(keysIn(folder.body.toString()));
    expect(del.status, del.body.toString()).toBe(200);
    expect(del.body.toString().match(/<Deleted>/g)).toHaveLength(NAMES.length);
    const left = await n8n('GET', { bucket: BUCKET, query: { 'list-type': '2' } });
    expect(keysIn(left.body.toString()).sort()).toEqual([
      'restore/copy of workflows.json',
      'vh/workflows.json',
    ]);
  });

  it('refuses what n8n gets wrong on every S3 server, storing nothing', async () => {
    // A '+' in a file name: sent as '+', signed by aws4 as a space; RGW and S3 refuse it too.
    const plus = await n8n('PUT', { bucket: BUCKET, path: '/a+b.bin', body: 'x' });
    expect(plus.status).toBe(403);
    expect(plus.body.toString()).toContain('<Code>SignatureDoesNotMatch</Code>');
    // A folder delete of more than 1,000 keys in one request (S3's limit).
    const del = await deleteObjects(Array.from({ length: 1001 }, (_, i) => `k${i}`));
    expect(del.status).toBe(400);
    expect(del.body.toString()).toContain('<Code>MalformedXML</Code>');
    // The wrong secret in the credential.
    const wrong = await n8n('PUT', {
      bucket: BUCKET,
      path: '/denied.json',
      body: '{}',
      secretAccessKey: 'not-the-secret',
    });
    expect(wrong.status).toBe(403);
    expect(wrong.body.toString()).toContain('<Code>SignatureDoesNotMatch</Code>');
    const left = await n8n('GET', { bucket: BUCKET, query: { 'list-type': '2' } });
    expect(keysIn(left.body.toString())).not.toContain('a+b.bin');
    expect(keysIn(left.body.toString())).not.toContain('denied.json');
  });
});
