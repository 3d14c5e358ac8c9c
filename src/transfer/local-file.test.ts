import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectError } from '../../test/helpers/expect-error.js';
import { makeWayForFile, openSource, readSmallFile } from './local-file.js';
import { SyncMode } from './sync-mode.js';

const dir = mkdtempSync(path.join(tmpdir(), 'stowage-local-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('openSource', () => {
  it('refuses a FIFO with no writer at once instead of blocking a thread forever', async () => {
    const fifo = path.join(dir, 'pipe-async');
    execFileSync('mkfifo', [fifo]);
    await expectError(openSource(fifo), 'E_LOCAL_NOT_A_FILE', /special file/);
  }, 5_000);

  it('opens a regular file with its size', async () => {
    const file = path.join(dir, 'b.txt');
    writeFileSync(file, 'hello!');
    const src = await openSource(file);
    expect(src.sizeBytes).toBe(6);
    const buf = Buffer.alloc(6);
    await src.handle.read(buf, 0, 6, 0);
    await src.handle.close();
    expect(buf.toString()).toBe('hello!');
  });
});

describe('readSmallFile', () => {
  // Never slow: the default mode adapts to how long earlier reads took, and on a busy
  // machine it may send the next files to the thread pool (readSmallFile then returns
  // undefined). That rule has its own tests below.
  const sync = new SyncMode(Number.POSITIVE_INFINITY);
  it('reads a small file whole with its size and mtime; a larger one is left to openSource', () => {
    const file = path.join(dir, 'a.txt');
    writeFileSync(file, 'hello');
    const small = readSmallFile(file, 1024, sync);
    expect(small?.body.toString()).toBe('hello');
    expect(small?.sizeBytes).toBe(5);
    expect(small?.mtimeMs).toBeGreaterThan(0);
    expect(readSmallFile(file, 4, sync)).toBeUndefined();
  });

  it('refuses a FIFO without blocking, a directory, and names a missing path', async () => {
    const fifo = path.join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    await expectError(() => readSmallFile(fifo, 1024, sync), 'E_LOCAL_NOT_A_FILE', /special file/);
    await expectError(() => readSmallFile(dir, 1024, sync), 'E_LOCAL_NOT_A_FILE', /directory/);
    await expectError(
      () => readSmallFile(path.join(dir, 'nope'), 1024, sync),
      'E_LOCAL_NOT_FOUND',
      /no such file/,
    );
  });
});

describe('readSmallFile with a SyncMode', () => {
  it('readSmallFile reads nothing while the mode says the thread pool', () => {
    const file = path.join(dir, 'cold.txt');
    writeFileSync(file, 'cold');
    const mode = new SyncMode(60);
    mode.record(500);
    mode.record(500);
    expect(readSmallFile(file, 1024, mode)).toBeUndefined();
    const fresh = new SyncMode(60);
    expect(readSmallFile(file, 1024, fresh)?.body.toString()).toBe('cold');
  });
});

describe('makeWayForFile (before a download to a path)', () => {
  it('removes a tree of empty folders, leaves a file or nothing alone', async () => {
    const target = path.join(dir, 'way-empty');
    mkdirSync(path.join(target, 'x/y'), { recursive: true });
    mkdirSync(path.join(target, 'z'));
    await makeWayForFile(target);
    expect(existsSync(target)).toBe(false);
    await makeWayForFile(target); // nothing there: nothing to do
    writeFileSync(target, 'file');
    await makeWayForFile(target);
    expect(readFileSync(target, 'utf8')).toBe('file');
  });

  it('refuses a folder that holds a file, marked for a retry after deletions, and removes nothing', async () => {
    const target = path.join(dir, 'way-full');
    mkdirSync(path.join(target, 'empty'), { recursive: true });
    mkdirSync(path.join(target, 'deep/er'), { recursive: true });
    writeFileSync(path.join(target, 'deep/er/f.txt'), 'f');
    const e = await expectError(
      makeWayForFile(target),
      'E_LOCAL_NOT_A_FILE',
      `cannot download to ${target}: it is a directory that is not empty`,
    );
    expect(e.details).toEqual({ path: target, retryAfterDeletions: true });
    expect(existsSync(path.join(target, 'empty'))).toBe(true);
    expect(readFileSync(path.join(target, 'deep/er/f.txt'), 'utf8')).toBe('f');
  });
});
