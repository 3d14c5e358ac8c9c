import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readLock, removeStaleLock } from './stale-lock.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'stowage-stale-lock-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const age = (file: string, seconds: number): void => {
  const t = Date.now() / 1000 - seconds;
  utimesSync(file, t, t);
};

describe('readLock', () => {
  it('judges a lock by its pid, its age and whether it names one', async () => {
    const lock = path.join(dir, 'judge.lock');
    expect(await readLock(lock)).toBeUndefined();
    writeFileSync(lock, `${process.pid}\n`);
    expect(await readLock(lock)).toEqual({
      text: `${process.pid}\n`,
      pid: process.pid,
      stale: false,
    });
    expect((await readLock(lock, 0))?.stale, 'older than staleMs').toBe(true);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(lock, String(dead));
    expect(await readLock(lock)).toEqual({ text: String(dead), pid: dead, stale: true });
    // Created but its pid not written yet: in use, unless it stays empty.
    writeFileSync(lock, '');
    expect((await readLock(lock))?.stale).toBe(false);
    age(lock, 5);
    expect((await readLock(lock))?.stale).toBe(true);
  });
});

describe('removeStaleLock', () => {
  it('removes the lock only while it holds what was judged stale', async () => {
    const lock = path.join(dir, 'remove.lock');
    writeFileSync(lock, '12345');
    expect(await removeStaleLock(lock, '999')).toBe(true);
    expect(existsSync(lock), 'replaced since it was judged: kept').toBe(true);
    expect(await removeStaleLock(lock, '12345')).toBe(true);
    expect(existsSync(lock)).toBe(false);
    expect(existsSync(`${lock}.takeover`)).toBe(false);
  });

  it('waits for a takeover in progress, and clears one its process left behind', async () => {
    const lock = path.join(dir, 'guarded.lock');
    writeFileSync(lock, '12345');
    mkdirSync(`${lock}.takeover`);
    expect(await removeStaleLock(lock, '12345')).toBe(false);
    expect(existsSync(lock)).toBe(true);
    age(`${lock}.takeover`, 11);
    expect(await removeStaleLock(lock, '12345'), 'a left guard is removed').toBe(true);
    expect(existsSync(`${lock}.takeover`)).toBe(false);
    expect(await removeStaleLock(lock, '12345')).toBe(true);
    expect(existsSync(lock)).toBe(false);
  });
});
