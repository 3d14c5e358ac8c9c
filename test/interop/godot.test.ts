/**
 * A game engine's HTTP loader against `stowage serve`: Debian's headless Godot 3
 * (godot3-server) runs test/interop/godot/loader.gd, which downloads a game's assets the
 * way a game does at run time, with Godot's own HTTPRequest node and HTTPClient class (its
 * own HTTP/1.1 code, not libcurl). Seed 000's layout: `game-assets/*` readable by anyone
 * through the bucket policy, everything else private. Checked: anonymous GETs of public
 * assets (in memory and with `download_file` on a thread), a gzip-encoded level file the
 * game inflates after finding `Content-Encoding` in Godot's case-sensitive header
 * dictionary, a 403 with S3's XML body for a private key, presigned GETs of a key with a
 * space, `+`, an apostrophe and non-ASCII (and an expired one), a save file uploaded with
 * a presigned PUT, and one keep-alive HTTPClient connection carrying a Range GET, an
 * If-None-Match GET answered 304 and a plain GET.
 */
import {
  CreateBucketCommand,
  GetObjectCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_000_BUCKET_POLICY } from '../fixtures/seed-policies.js';
import { ensureDebianPackages, runPeer } from '../helpers/peers.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const GODOT = '/usr/bin/godot3-server';
const LOADER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'godot', 'loader.gd');
const BUCKET = 'ziggie-cloud-assets';
const MIB = 1024 * 1024;

const md5 = (b: Buffer | string): string => createHash('md5').update(b).digest('hex');

/** What loader.gd printed for one case. */
interface Seen {
  name: string;
  result?: number;
  code?: number;
  headers?: Record<string, string>;
  size?: number;
  md5?: string;
  text?: string;
  fileMd5?: string;
  plainMd5?: string;
  answers?: Array<{
    code: number;
    headers: Record<string, string>;
    size: number;
    md5: string;
    connected: boolean;
  }>;
}

let t: TestServer;
let work: string;
const hero = randomBytes(1024);
const atlas = randomBytes(5 * MIB);
const levels = Buffer.from(
  JSON.stringify({
    levels: Array.from({ length: 200 }, (_, i) => ({ id: i, name: `Level ${i}` })),
  }),
);
const dlcKey = "dlc/Zoë's pack + extras.pak";
const dlc = randomBytes(64 * 1024);
const save = JSON.stringify({ player: 'Zoë', level: 7, inventory: ['sword', 'shield+1'] });
const seen = new Map<string, Seen>();

function objectUrl(key: string): string {
  return `${t.url}/${BUCKET}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

beforeAll(async () => {
  ensureDebianPackages({ [GODOT]: 'godot3-server' });
  work = mkdtempSync(path.join(tmpdir(), 'stowage-godot-'));
  t = await startTestServer();
  await t.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await t.client.send(
    new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: JSON.stringify(SEED_000_BUCKET_POLICY) }),
  );
  const put = (Key: string, Body: Buffer, extra: Record<string, string> = {}) =>
    t.client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body, ...extra }));
  await put('game-assets/sprites/hero.bin', hero);
  await put('game-assets/textures/atlas.bin', atlas);
  await put('game-assets/levels/levels.json', gzipSync(levels), {
    ContentType: 'application/json',
    ContentEncoding: 'gzip',
    CacheControl: 'max-age=3600',
  });
  await put('saves/slot1.sav', Buffer.from('private'));
  await put(dlcKey, dlc);
  const presignedDlc = await getSignedUrl(
    t.client,
    new GetObjectCommand({ Bucket: BUCKET, Key: dlcKey }),
    { expiresIn: 300 },
  );
  const expiredDlc = await getSignedUrl(
    t.client,
    new GetObjectCommand({ Bucket: BUCKET, Key: dlcKey }),
    { expiresIn: 60, signingDate: new Date(Date.now() - 3600_000) },
  );
  const saveUrl = await getSignedUrl(
    t.client,
    new PutObjectCommand({ Bucket: BUCKET, Key: 'saves/slot2.sav' }),
    { expiresIn: 300 },
  );
  const { hostname, port } = new URL(t.url);
  const etag = `"${md5(hero)}"`;
  const cases = [
    { name: 'hero', kind: 'request', url: objectUrl('game-assets/sprites/hero.bin') },
    {
      name: 'atlas',
      kind: 'download',
      url: objectUrl('game-assets/textures/atlas.bin'),
      file: path.join(work, 'atlas.bin'),
    },
    {
      name: 'levels',
      kind: 'request',
      url: objectUrl('game-assets/levels/levels.json'),
      gunzipSize: levels.length,
    },
    { name: 'private', kind: 'request', url: objectUrl('saves/slot1.sav') },
    { name: 'dlc', kind: 'request', url: presignedDlc },
    { name: 'expired', kind: 'request', url: expiredDlc },
    { name: 'save', kind: 'request', method: 'PUT', url: saveUrl, data: save },
    {
      name: 'keepalive',
      kind: 'client',
      host: hostname,
      port: Number(port),
      requests: [
        {
          path: `/${BUCKET}/game-assets/textures/atlas.bin`,
          headers: ['Range: bytes=1048576-1049599'],
        },
        { path: `/${BUCKET}/game-assets/sprites/hero.bin`, headers: [`If-None-Match: ${etag}`] },
        { path: `/${BUCKET}/game-assets/sprites/hero.bin` },
      ],
    },
  ];
  const casesFile = path.join(work, 'cases.json');
  writeFileSync(casesFile, JSON.stringify(cases));
  const r = await runPeer(
    GODOT,
    ['--no-window', '-s', LOADER],
    {
      CASES: casesFile,
      HOME: work,
      XDG_DATA_HOME: path.join(work, 'data'),
      XDG_CONFIG_HOME: path.join(work, 'config'),
    },
    { timeoutMs: 120_000 },
  );
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('RESULT ')) {
      const s = JSON.parse(line.slice('RESULT '.length)) as Seen;
      seen.set(s.name, s);
    }
  }
  if (seen.size !== cases.length) {
    throw new Error(
      `godot3-server exited ${r.code} after ${seen.size} of ${cases.length} cases:\n${r.stdout}\n${r.stderr}`,
    );
  }
}, 300_000);

afterAll(async () => {
  await t?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

function get(name: string): Seen {
  return seen.get(name)!;
}

describe('Godot 3 (godot3-server) loading a game’s assets', () => {
  it('downloads public assets anonymously, in memory and to a file on a thread', () => {
    expect(get('hero')).toMatchObject({ result: 0, code: 200, size: 1024, md5: md5(hero) });
    expect(get('atlas')).toMatchObject({ result: 0, code: 200, fileMd5: md5(atlas) });
  });

  it('finds Content-Encoding and Cache-Control as S3 spells them, and inflates the level file', () => {
    const levelsSeen = get('levels');
    expect(levelsSeen).toMatchObject({ result: 0, code: 200 });
    // Godot's header dictionary is case-sensitive, as a game's lookups are.
    expect(levelsSeen.headers).toMatchObject({
      'Content-Encoding': 'gzip',
      'Cache-Control': 'max-age=3600',
      'Content-Type': 'application/json',
    });
    expect(levelsSeen.plainMd5).toBe(md5(levels));
  });

  it('gets a 403 with S3’s XML error for a private key, which the game can read', () => {
    const p = get('private');
    expect(p).toMatchObject({ result: 0, code: 403 });
    expect(p.text).toContain('<Code>AccessDenied</Code>');
  });

  it('follows presigned URLs: a key with a space, +, an apostrophe and non-ASCII; an expired one is a readable 403', () => {
    expect(get('dlc')).toMatchObject({ result: 0, code: 200, md5: md5(dlc) });
    const expired = get('expired');
    expect(expired).toMatchObject({ result: 0, code: 403 });
    expect(expired.text).toContain('Request has expired');
  });

  it('uploads a save file through a presigned PUT', async () => {
    expect(get('save')).toMatchObject({ result: 0, code: 200 });
    const stored = await t.client.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'saves/slot2.sav' }),
    );
    expect(await stored.Body!.transformToString()).toBe(save);
  });

  it('keeps one HTTPClient connection through a Range GET, a 304 and a plain GET', () => {
    const [range, notModified, plain] = get('keepalive').answers!;
    expect(range).toMatchObject({
      code: 206,
      size: 1024,
      md5: md5(atlas.subarray(MIB, MIB + 1024)),
      connected: true,
    });
    expect(range!.headers['Content-Range']).toBe(`bytes 1048576-1049599/${atlas.length}`);
    expect(notModified).toMatchObject({ code: 304, size: 0, connected: true });
    expect(plain).toMatchObject({ code: 200, size: 1024, md5: md5(hero), connected: true });
  });
});
