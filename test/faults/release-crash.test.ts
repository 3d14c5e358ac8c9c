/**
 * SIGKILL while the database gives the pages of deleted small objects back to the file
 * system (BlobStore.ensureSpace → InlineBlobs.releaseFreePages: incremental_vacuum and a
 * truncating checkpoint), on a real 24 MiB tmpfs, several times on one data directory.
 * After each kill the engine is reopened here and must show every listed object whole
 * and equal to the bytes its key implies, and pass a deep integrity check; the worker's
 * next start must find room again (the database released, or releases, what it can).
 *
 * The child runs the built engine (`dist/`); `npm test` builds first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { readAll } from '../helpers/engine.js';
import { mountTmpfs, type SmallFs } from '../helpers/small-fs.js';

interface WorkerModule {
  BUCKET: string;
  KEEP: string[];
  contentOf(key: string): Buffer;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const WORKER = path.join(here, 'release-worker.mjs');
const CYCLES = 6;

let worker: WorkerModule;
let fs: SmallFs | undefined;
let child: ChildProcess | undefined;

beforeAll(async () => {
  worker = (await import(pathToFileURL(WORKER).href)) as WorkerModule;
  fs = mountTmpfs(24 * 1024 * 1024, 'stowage-release-');
});
afterAll(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  fs?.unmount();
});

/**
 * Runs the worker until it has announced `larges` large PUTs, waits `ms` more, and kills
 * it; rejects if it exits by itself (an error) or never gets there.
 */
function runAndKill(dataDir: string, larges: number, ms: number): Promise<void> {
  const proc = spawn(process.execPath, [WORKER, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  child = proc;
  let stderr = '';
  let seen = 0;
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`the worker announced ${seen} large PUTs in 60 s; stderr:\n${stderr}`));
    }, 60_000);
    let killing = false;
    proc.stdout!.on('data', (d: Buffer) => {
      seen += d
        .toString()
        .split('\n')
        .filter((l) => l.startsWith('LARGE ')).length;
      if (seen < larges || killing) return;
      killing = true;
      void delay(ms).then(() => proc.kill('SIGKILL'));
    });
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL' && killing) resolve();
      else reject(new Error(`the worker exited (code ${code}, signal ${signal}):\n${stderr}`));
    });
  });
}

describe('SIGKILL while the database releases free pages', () => {
  it(`leaves every object whole after ${CYCLES} kills`, async () => {
    const dataDir = path.join(fs!.mountPoint, 'data');
    let checkedRoundObjects = 0;
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      // The first large PUT of a round releases the most; later ones release the rest.
      await runAndKill(dataDir, 1 + (cycle % 3), cycle * 7);
      const engine = await Engine.open({ dataDir });
      try {
        const listed = engine.listObjects(worker.BUCKET, { maxKeys: 1000 }).objects;
        const kept = listed.filter(({ key }) => worker.KEEP.includes(key)).map((o) => o.key);
        expect(kept.sort(), `cycle ${cycle}: the objects never deleted`).toEqual(worker.KEEP);
        checkedRoundObjects += listed.length - kept.length;
        for (const { key, size } of listed) {
          const bytes = await readAll(engine.getObject(worker.BUCKET, key).body);
          const expected = worker.contentOf(key);
          expect(size, `cycle ${cycle}: ${key}`).toBe(expected.length);
          expect(bytes.equals(expected), `cycle ${cycle}: ${key} differs`).toBe(true);
        }
        expect((await engine.check({ deep: true })).problems, `cycle ${cycle}`).toEqual([]);
      } finally {
        await engine.close();
      }
    }
    // A kill may land where a round has deleted everything it put, but not in every cycle.
    expect(checkedRoundObjects, 'objects of the rounds checked').toBeGreaterThan(0);
  }, 300_000);
});
