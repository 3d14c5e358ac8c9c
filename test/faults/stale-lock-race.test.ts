/**
 * Several processes meeting one stale lock file at the same moment (its holder was
 * killed): exactly one of them may take it over. Before stale-lock.ts, each judged the
 * lock stale and removed it, the later ones removing the fresh lock of an earlier one, so
 * that two downloads wrote one partial file, or two `stowage keys` commands rewrote the
 * key store at once and one's keys were lost.
 *
 * The children run the built code (`dist/`); `npm test` builds first.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'stale-lock-worker.mjs');
const CHILDREN = 6;
const ROUNDS = 3;
const dir = mkdtempSync(path.join(os.tmpdir(), 'stowage-stale-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The pid of a process that has exited. */
const deadPid = (): number => spawnSync(process.execPath, ['-e', '0']).pid!;

/** Runs CHILDREN workers with `args`, all starting at one moment; resolves with their output. */
async function race(args: string[]): Promise<string[]> {
  // Far enough ahead for every child to have loaded its modules.
  const startAt = Date.now() + 1_500;
  const runs = Array.from({ length: CHILDREN }, () => {
    const child = spawn(process.execPath, [WORKER, String(startAt), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    return new Promise<string>((resolve, reject) =>
      child.once('exit', (code) =>
        code === 0 ? resolve(out.trim()) : reject(new Error(`worker exited ${code}: ${err}`)),
      ),
    );
  });
  return Promise.all(runs);
}

describe('a stale lock met by several processes at once', () => {
  it('is taken over by exactly one download; the others meet E_LOCAL_IN_USE', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const target = path.join(dir, `asset-${round}.bin`);
      const lock = `${target}.stowage-partial.lock`;
      writeFileSync(lock, `${deadPid()}\n`);
      // Held long past the others' attempts, so a later claim cannot be a legitimate one.
      const outcomes = await race(['claim', target, '1500']);
      expect(
        outcomes.filter((o) => o === 'won'),
        `round ${round}: ${outcomes}`,
      ).toHaveLength(1);
      expect(outcomes.filter((o) => o !== 'won')).toEqual(
        Array(CHILDREN - 1).fill('E_LOCAL_IN_USE'),
      );
      expect(existsSync(lock), 'the winner released its claim').toBe(false);
      expect(existsSync(`${lock}.takeover`)).toBe(false);
    }
  }, 60_000);

  it('lets the key store lock go to one process at a time: no increment is lost', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const lock = path.join(dir, `keys-${round}.lock`);
      const counter = path.join(dir, `counter-${round}`);
      writeFileSync(counter, '0');
      writeFileSync(lock, String(deadPid()));
      const outcomes = await race(['count', lock, counter]);
      expect(outcomes).toEqual(Array(CHILDREN).fill('counted'));
      expect(readFileSync(counter, 'utf8'), `round ${round}`).toBe(String(CHILDREN));
      expect(existsSync(lock)).toBe(false);
    }
  }, 60_000);
});
