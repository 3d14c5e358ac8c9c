/**
 * `--source-store` of cp, mv and sync: objects copied between two stores, the embedded
 * server and Ceph RGW, both declared in one stowage.yaml. The run's store (`--store`) is
 * the destination; the bytes and `stowage-sha256` are checked with a separate S3 client on
 * each side. Then the two bad inputs (an undeclared store, a local source).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storesYaml } from '../helpers/store-yaml.js';
import { tempDir } from '../helpers/engine.js';
import { startRgw, type RgwServer } from '../helpers/rgw.js';
import { runCli, type CliResult } from '../helpers/run-cli.js';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';
import type { ResolvedStore } from '../../src/client/index.js';
import { maySharePlace, sameStore } from '../../src/cli/source-store.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function keysOf(s3: S3Client, bucket: string, prefix = ''): Promise<string[]> {
  const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (page.Contents ?? []).map((o) => o.Key!).sort();
}

async function bytesOf(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await r.Body!.transformToByteArray());
}

async function shaMeta(s3: S3Client, bucket: string, key: string): Promise<string | undefined> {
  const r = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  return r.Metadata?.['stowage-sha256'];
}

describe('cp, mv and sync --source-store between the embedded server and Ceph RGW', () => {
  const home = tempDir('stowage-cross-store-');
  let local: TestServer;
  let rgw: RgwServer;
  let rgwClient: S3Client;
  let configFile: string;
  const LB = 'cross-local';
  const RB = 'cross-rgw';

  /** `stowage --config F --store STORE args…`, with only HOME in the env. */
  const cli = (store: string, ...args: string[]): Promise<CliResult> =>
    runCli(['--config', configFile, '--store', store, ...args], {
      env: { HOME: home.dir },
      cwd: home.dir,
    });
  const ok = (r: CliResult) => expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);

  function file(rel: string, body: Buffer | string): string {
    const p = path.join(home.dir, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, body);
    return p;
  }

  beforeAll(async () => {
    [local, rgw] = await Promise.all([startTestServer(), startRgw()]);
    rgwClient = new S3Client({
      endpoint: rgw.endpoint,
      region: rgw.region,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      credentials: { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey },
    });
    await local.client.send(new CreateBucketCommand({ Bucket: LB }));
    await rgwClient.send(new CreateBucketCommand({ Bucket: RB }));
    configFile = file(
      'stowage.yaml',
      storesYaml({
        local: { endpoint: local.url, region: 'us-east-1', credentials: TEST_KEY },
        // The same server spelled another way: a different store to the config.
        alias: {
          endpoint: local.url.replace('127.0.0.1', 'localhost'),
          region: 'us-east-1',
          credentials: TEST_KEY,
        },
        rgw: {
          endpoint: rgw.endpoint,
          region: rgw.region,
          credentials: { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey },
          checksumPolicy: 'WHEN_REQUIRED',
        },
      }),
    );
  }, 300_000);

  afterAll(async () => {
    rgwClient?.destroy();
    await Promise.all([local?.close(), rgw?.stop()]);
    home.cleanup();
  });

  it('cp one object embedded → RGW, bytes and stowage-sha256 kept', async () => {
    const body = randomBytes(200_000);
    ok(await cli('local', 'cp', file('one.bin', body), `s3://${LB}/one.bin`));
    const r = await cli(
      'rgw',
      'cp',
      `s3://${LB}/one.bin`,
      `s3://${RB}/in/`,
      '--source-store',
      'local',
    );
    ok(r);
    expect(r.stdout).toContain(`copy: s3://${LB}/one.bin to s3://${RB}/in/one.bin`);
    expect((await bytesOf(rgwClient, RB, 'in/one.bin')).equals(body)).toBe(true);
    expect(await shaMeta(rgwClient, RB, 'in/one.bin')).toBe(sha256(body));
  });

  it('cp one multipart object RGW → embedded, bytes and stowage-sha256 kept', async () => {
    const body = randomBytes(9 * 1024 * 1024 + 123);
    ok(await cli('rgw', 'cp', file('big.bin', body), `s3://${RB}/big.bin`));
    ok(
      await cli('local', 'cp', `s3://${RB}/big.bin`, `s3://${LB}/big.bin`, '--source-store', 'rgw'),
    );
    expect((await bytesOf(local.client, LB, 'big.bin')).equals(body)).toBe(true);
    expect(await shaMeta(local.client, LB, 'big.bin')).toBe(sha256(body));
  });

  it('cp --recursive copies every object under the prefix, filters applied', async () => {
    for (const name of ['a.txt', 'sub/b.txt', 'skip.tmp']) file(`tree/${name}`, `tree ${name}`);
    ok(await cli('local', 'cp', path.join(home.dir, 'tree'), `s3://${LB}/tree/`, '--recursive'));
    const r = await cli(
      'rgw',
      'cp',
      `s3://${LB}/tree/`,
      `s3://${RB}/copied/`,
      '--recursive',
      '--exclude',
      '*.tmp',
      '--source-store',
      'local',
    );
    ok(r);
    expect(await keysOf(rgwClient, RB, 'copied/')).toEqual(['copied/a.txt', 'copied/sub/b.txt']);
    expect((await bytesOf(rgwClient, RB, 'copied/sub/b.txt')).toString()).toBe('tree sub/b.txt');
  });

  it('sync copies new and changed objects and --delete removes what the source lost', async () => {
    const site = path.join(home.dir, 'site');
    for (const name of ['a.txt', 'b.txt', 'c.txt']) file(`site/${name}`, `first ${name}`);
    ok(await cli('local', 'sync', site, `s3://${LB}/site/`));
    const sync = () =>
      cli(
        'rgw',
        'sync',
        `s3://${LB}/site/`,
        `s3://${RB}/mirror/`,
        '--delete',
        '--source-store',
        'local',
      );
    const first = await sync();
    ok(first);
    expect(first.stdout.match(/^copy: /gm)).toHaveLength(3);

    file('site/b.txt', 'second b.txt, longer than the first');
    rmSync(path.join(site, 'c.txt'));
    ok(await cli('local', 'sync', site, `s3://${LB}/site/`, '--delete'));
    const second = await sync();
    ok(second);
    expect(second.stdout).toContain(`copy: s3://${LB}/site/b.txt to s3://${RB}/mirror/b.txt`);
    expect(second.stdout).toContain(`delete: s3://${RB}/mirror/c.txt`);
    expect(second.stdout).not.toContain('a.txt');
    expect(await keysOf(rgwClient, RB, 'mirror/')).toEqual(['mirror/a.txt', 'mirror/b.txt']);
    expect((await bytesOf(rgwClient, RB, 'mirror/b.txt')).toString()).toBe(
      'second b.txt, longer than the first',
    );
    const third = await sync();
    ok(third);
    expect(third.stdout).toBe('');
  });

  it('mv copies across stores, then deletes the source', async () => {
    const body = randomBytes(50_000);
    ok(await cli('rgw', 'cp', file('moved.bin', body), `s3://${RB}/moving/one.bin`));
    ok(await cli('rgw', 'cp', file('moved2.bin', 'two'), `s3://${RB}/moving/two.txt`));
    const one = await cli(
      'local',
      'mv',
      `s3://${RB}/moving/one.bin`,
      `s3://${LB}/moved/one.bin`,
      '--source-store',
      'rgw',
    );
    ok(one);
    expect(one.stdout).toContain(`move: s3://${RB}/moving/one.bin to s3://${LB}/moved/one.bin`);
    expect((await bytesOf(local.client, LB, 'moved/one.bin')).equals(body)).toBe(true);
    expect(await shaMeta(local.client, LB, 'moved/one.bin')).toBe(sha256(body));
    const rest = await cli(
      'local',
      'mv',
      `s3://${RB}/moving/`,
      `s3://${LB}/moved/`,
      '--recursive',
      '--source-store',
      'rgw',
    );
    ok(rest);
    expect(await keysOf(rgwClient, RB, 'moving/')).toEqual([]);
    expect(await keysOf(local.client, LB, 'moved/')).toEqual(['moved/one.bin', 'moved/two.txt']);
  });

  it('the same store on both sides keeps the server-side copy', async () => {
    ok(await cli('local', 'cp', file('same.txt', 'same'), `s3://${LB}/same.txt`));
    const r = await cli(
      'local',
      'cp',
      `s3://${LB}/same.txt`,
      `s3://${LB}/same2.txt`,
      '--source-store',
      'local',
    );
    ok(r);
    expect((await bytesOf(local.client, LB, 'same2.txt')).toString()).toBe('same');
  });

  it('another name for the same server does not get past the mv-onto-itself and overlap refusals', async () => {
    ok(await cli('local', 'cp', file('alias.txt', 'keep me'), `s3://${LB}/alias/k`));
    ok(await cli('local', 'cp', file('alias2.txt', 'me too'), `s3://${LB}/alias/P/sub/x`));
    const runs = [
      ['mv', `s3://${LB}/alias/k`, `s3://${LB}/alias/k`, '--metadata', 'a=b'],
      [
        'mv',
        `s3://${LB}/alias/`,
        `s3://${LB}/alias/`,
        '--recursive',
        '--storage-class',
        'STANDARD_IA',
      ],
      ['sync', `s3://${LB}/alias/P/sub`, `s3://${LB}/alias/P`, '--delete'],
    ];
    for (const args of runs) {
      const r = await cli('local', ...args, '--source-store', 'alias');
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(2);
    }
    expect((await bytesOf(local.client, LB, 'alias/k')).toString()).toBe('keep me');
    expect((await bytesOf(local.client, LB, 'alias/P/sub/x')).toString()).toBe('me too');
  });

  it('sameStore: one endpoint and one identity, whatever the names', () => {
    const store = (name: string, endpoint: string, accessKeyId: string): ResolvedStore => ({
      name,
      endpoint,
      region: 'us-east-1',
      credentials: { kind: 'static', accessKeyId, secretAccessKey: 's' },
      forcePathStyle: true,
      checksumPolicy: 'WHEN_SUPPORTED',
      maxSockets: 1,
      partSizeBytes: 1,
      defaults: {},
      source: '',
    });
    const a = store('local', 'http://127.0.0.1:9000', 'K1');
    expect(sameStore(a, store('env', 'http://127.0.0.1:9000/', 'K1'))).toBe(true);
    expect(sameStore(a, store('local', 'http://127.0.0.1:9001', 'K1'))).toBe(false);
    expect(sameStore(a, store('local', 'http://127.0.0.1:9000', 'K2'))).toBe(false);
    // One server, however the endpoint is spelled or whoever asks.
    expect(maySharePlace(a, store('x', 'http://localhost:9000', 'K2'))).toBe(true);
    expect(maySharePlace(a, store('x', 'http://[::1]:9000/', 'K1'))).toBe(true);
    expect(maySharePlace(a, store('x', 'http://localhost:9001', 'K1'))).toBe(false);
    expect(
      maySharePlace(
        store('x', 'https://s3.example:443', 'K1'),
        store('y', 'https://S3.example', 'K2'),
      ),
    ).toBe(true);
  });

  it('--source-store naming an undeclared store is a usage error listing the stores', async () => {
    for (const verb of ['cp', 'mv', 'sync']) {
      const r = await cli('rgw', verb, `s3://${LB}/x/`, `s3://${RB}/x/`, '--source-store', 'nope');
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('--source-store: no store named "nope" in stowage.yaml');
      expect(r.stderr).toContain('stores: local, alias, rgw');
    }
  });

  it('--source-store with a local source or destination is a usage error', async () => {
    const src = file('local-src.txt', 'x');
    const up = await cli('rgw', 'cp', src, `s3://${RB}/x.txt`, '--source-store', 'local');
    expect(up.code, up.stderr).toBe(2);
    expect(up.stderr).toContain('--source-store applies only to an s3:// source');
    const dir = await cli('rgw', 'sync', home.dir, `s3://${RB}/x/`, '--source-store', 'local');
    expect(dir.code, dir.stderr).toBe(2);
    expect(dir.stderr).toContain('--source-store applies only to an s3:// source');
    const down = await cli(
      'rgw',
      'cp',
      `s3://${LB}/same.txt`,
      './x.txt',
      '--source-store',
      'local',
    );
    expect(down.code, down.stderr).toBe(2);
    expect(down.stderr).toContain('use --store local');
    expect(await keysOf(rgwClient, RB, 'x')).toEqual([]);
  });
});
