import { existsSync } from 'node:fs';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/engine.js';
import { runCli } from '../helpers/run-cli.js';
import { exited, serve } from '../helpers/serve-process.js';

let dir: string;
let cleanup: () => void;
let env: Record<string, string>;
const cli = (...args: string[]) => runCli(args, { env, cwd: dir });

beforeEach(() => {
  ({ dir, cleanup } = tempDir('stowage-cli-'));
  env = { STOWAGE_DATA_DIR: path.join(dir, 'data') };
});
afterEach(() => cleanup());

describe('stowage engine', () => {
  it('round-trips a file through mb, put, ls, head, get and rm', async () => {
    writeFileSync(path.join(dir, 'hero.png'), 'PNGDATA');
    expect((await cli('engine', 'mb', 'game-assets')).code).toBe(0);
    const put = await cli(
      '--json',
      'engine',
      'put',
      'game-assets',
      'sprites/hero.png',
      'hero.png',
      '--content-type',
      'image/png',
      '--metadata',
      'team=art',
      '--tag',
      'tier=hot',
    );
    expect(put.code).toBe(0);
    expect(JSON.parse(put.stdout)).toMatchObject({
      size: 7,
      etag: expect.stringMatching(/^"[0-9a-f]{32}"$/),
    });
    const ls = await cli('engine', 'ls', 'game-assets', '--delimiter', '/');
    expect(ls.stdout).toContain('PRE sprites/');
    const head = JSON.parse(
      (await cli('--json', 'engine', 'head', 'game-assets', 'sprites/hero.png')).stdout,
    );
    expect(head).toMatchObject({
      size: 7,
      headers: { contentType: 'image/png' },
      metadata: { team: 'art' },
      tags: { tier: 'hot' },
    });
    expect((await cli('engine', 'get', 'game-assets', 'sprites/hero.png', 'out.png')).code).toBe(0);
    expect(readFileSync(path.join(dir, 'out.png'), 'utf8')).toBe('PNGDATA');
    const stdout = await cli(
      'engine',
      'get',
      'game-assets',
      'sprites/hero.png',
      '--range',
      'bytes=0-2',
    );
    expect(stdout.stdout).toBe('PNG');
    expect((await cli('engine', 'rm', 'game-assets', 'sprites/hero.png')).code).toBe(0);
    expect((await cli('engine', 'rb', 'game-assets')).code).toBe(0);
    const check = JSON.parse((await cli('--json', 'engine', 'check', '--deep')).stdout);
    expect(check.ok).toBe(true);
  });

  it('ls --versions names each version id and the latest, so that rm --version-id can use it', async () => {
    writeFileSync(path.join(dir, 'v.txt'), 'one');
    await cli('engine', 'mb', 'versioned');
    expect((await cli('engine', 'versioning', 'versioned', 'Enabled')).code).toBe(0);
    await cli('engine', 'put', 'versioned', 'v.txt', 'v.txt');
    await cli('engine', 'put', 'versioned', 'v.txt', 'v.txt');
    await cli('engine', 'rm', 'versioned', 'v.txt');
    const ls = await cli('engine', 'ls', 'versioned', '--versions');
    expect(ls.code).toBe(0);
    const lines = ls.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/ v\.txt \(delete marker \S+, latest\)$/);
    expect(lines[1]).toMatch(/ v\.txt \(version \S+\)$/);
    const id = /\(version (\S+)\)$/.exec(lines[2]!)![1]!;
    expect((await cli('engine', 'rm', 'versioned', 'v.txt', '--version-id', id)).code).toBe(0);
    const after = await cli('engine', 'ls', 'versioned', '--versions');
    expect(after.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(after.stdout).not.toContain(id);
  });

  it('restores a GLACIER object after moving the clock', async () => {
    writeFileSync(path.join(dir, 'backup.tar'), 'TAR');
    await cli('engine', 'mb', 'backups');
    await cli('engine', 'put', 'backups', 'db.tar', 'backup.tar', '--storage-class', 'GLACIER');
    const denied = await cli('engine', 'get', 'backups', 'db.tar');
    expect(denied.code).toBe(4);
    expect(denied.stderr).toMatch(/GLACIER.*restore it before reading.*E_INVALID_OBJECT_STATE/);
    expect(
      (await cli('engine', 'restore', 'backups', 'db.tar', '--days', '2', '--tier', 'Expedited'))
        .code,
    ).toBe(0);
    expect((await cli('engine', 'get', 'backups', 'db.tar')).code).toBe(4);
    expect((await cli('engine', 'clock', 'advance', '6m')).stdout).toMatch(/offset 360000 ms/);
    const ok = await cli('engine', 'get', 'backups', 'db.tar');
    expect(ok.stdout).toBe('TAR');
  });

  it('bad input: clear message, right exit code, no stack trace', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [['engine', 'mb', 'Bad_Name'], 2, /invalid bucket name "Bad_Name".*E_INVALID_BUCKET_NAME/],
      [
        ['engine', 'rb', 'missing-bucket'],
        3,
        /bucket "missing-bucket" does not exist.*E_NO_SUCH_BUCKET/,
      ],
      [['engine', 'put', 'missing-bucket', 'k', 'nofile'], 2, /cannot read .*nofile/],
      [['engine', 'head', 'nobkt', 'k'], 3, /E_NO_SUCH_BUCKET/],
      [['engine', 'clock', 'advance', 'soon'], 2, /invalid duration "soon"/],
      [['engine', 'versioning', 'nobkt', 'Maybe'], 2, /Enabled or Suspended/],
      [['engine', 'frobnicate'], 2, /unknown command/],
    ];
    for (const [args, code, text] of cases) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stderr, args.join(' ')).toMatch(text);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('check says when it first recovered a data directory left by a killed server', async () => {
    const started = await serve(env.STOWAGE_DATA_DIR!);
    started.child.kill('SIGKILL');
    await exited(started.child);
    const text = await cli('engine', 'check');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(
      /^recovered first from an unclean shutdown: \d+ temporary files and \d+ unreferenced blobs removed\nok: /,
    );
    // Recovered now: a second check has nothing to say about it.
    const json = JSON.parse((await cli('--json', 'engine', 'check')).stdout) as {
      ok: boolean;
      recovery: { uncleanShutdown: boolean };
    };
    expect(json).toMatchObject({ ok: true, recovery: { uncleanShutdown: false } });
  });

  it('check refuses a data directory that does not exist (a mistyped path), creating nothing', async () => {
    const missing = path.join(dir, 'typo-dir');
    const r = await runCli(['engine', 'check', '--deep', '--data-dir', missing], { env, cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`no data directory at ${missing}`);
    expect(existsSync(missing)).toBe(false);
  });

  it('compact gives the space of deleted small objects back, keeps the rest, and refuses a missing or served data directory', async () => {
    const { Engine } = await import('../../src/engine/engine.js');
    const dataDir = env.STOWAGE_DATA_DIR!;
    const engine = await Engine.open({ dataDir, fsync: false });
    await engine.createBucket('game-assets');
    for (let i = 0; i < 200; i++) {
      await engine.putObject('game-assets', `thumbs/${i}.png`, Buffer.alloc(50_000, i));
    }
    for (let i = 1; i < 200; i++) await engine.deleteObject('game-assets', `thumbs/${i}.png`);
    await expect(cli('engine', 'compact')).resolves.toMatchObject({ code: 7 });
    await engine.close();

    const r = await cli('--json', 'engine', 'compact');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { beforeBytes: number; afterBytes: number };
    expect(report.beforeBytes).toBeGreaterThan(9_000_000);
    expect(report.afterBytes).toBeLessThan(1_000_000);
    expect((await cli('engine', 'compact')).stdout).toMatch(
      /^compacted the metadata database: \d+ -> \d+ bytes\n$/,
    );
    const kept = await cli('engine', 'get', 'game-assets', 'thumbs/0.png', 'kept.png');
    expect(kept.code).toBe(0);
    expect(readFileSync(path.join(dir, 'kept.png')).equals(Buffer.alloc(50_000, 0))).toBe(true);
    expect(JSON.parse((await cli('--json', 'engine', 'check', '--deep')).stdout).ok).toBe(true);

    const missing = path.join(dir, 'typo-dir');
    const typo = await runCli(['engine', 'compact', '--data-dir', missing], { env, cwd: dir });
    expect(typo.code).toBe(2);
    expect(existsSync(missing)).toBe(false);
  });

  it('reports a locked data directory', async () => {
    const { Engine } = await import('../../src/engine/engine.js');
    const held = await Engine.open({ dataDir: env.STOWAGE_DATA_DIR! });
    try {
      const r = await cli('engine', 'buckets');
      expect(r.code).toBe(7);
      expect(r.stderr).toMatch(/in use by another Stowage process.*E_DATA_DIR_LOCKED/);
    } finally {
      await held.close();
    }
  });
});
