/**
 * SIGKILL at a random moment of a busy write load, three times on one data directory.
 * After each kill the engine is reopened in this process and must show: the stale lock
 * taken over, an unclean shutdown reported, no temp files, every listed object whole and
 * equal to the bytes its writer generated, acknowledged writes kept, and a deep integrity
 * check that passes (SQLite, blob presence, sizes, SHA-256s, no orphans).
 *
 * The child runs the built engine (`dist/`), because a plain `node` child cannot load
 * TypeScript; `npm test` builds first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import type { ObjectInfo } from '../../src/engine/types.js';
import { readAll, tempDir } from '../helpers/engine.js';

interface WorkerModule {
  BUCKET: string;
  MIN_PART_BYTES: number;
  planOf(key: string, gen: number, kind: 'put' | 'mpu'): { size: number; partSizes: number[] };
  contentOf(key: string, gen: number, kind: 'put' | 'mpu'): Buffer;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const WORKER = path.join(here, 'crash-worker.mjs');
const BUILT_ENGINE = path.resolve(here, '../../dist/engine/engine.js');
const CYCLES = 3;
const READY_AFTER_COMMITS = 150;

const md5 = (b: Buffer): Buffer => createHash('md5').update(b).digest();
const sha256hex = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

let worker: WorkerModule;
const { dir, cleanup } = tempDir('stowage-crash-');
let child: ChildProcess | undefined;

beforeAll(async () => {
  worker = (await import(pathToFileURL(WORKER).href)) as WorkerModule;
});
afterAll(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  cleanup();
});

/** Starts the worker and resolves with its READY line; rejects if it dies or stalls. */
function startWorker(
  cycle: number,
): Promise<{ proc: ChildProcess; sentinel: string; gen: number }> {
  const proc = spawn(process.execPath, [WORKER, dir, String(cycle), String(READY_AFTER_COMMITS)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  let stdout = '';
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`the worker did not report READY within 15 s; stderr:\n${stderr}`));
    }, 15_000);
    proc.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /^READY (\S+) (\d+)$/m.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, sentinel: m[1]!, gen: Number(m[2]) });
      }
    });
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(`the worker exited (code ${code}, signal ${signal}) before READY:\n${stderr}`),
      );
    });
  });
}

function kill(proc: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      reject(new Error(`the worker was no longer running (exit code ${proc.exitCode})`));
      return;
    }
    proc.once('exit', (_code, signal) =>
      signal === 'SIGKILL' ? resolve() : reject(new Error(`worker ended by ${signal}`)),
    );
    proc.kill('SIGKILL');
  });
}

function listAll(engine: Engine, bucket: string): ObjectInfo[] {
  const all: ObjectInfo[] = [];
  let token: string | undefined;
  do {
    const page = engine.listObjects(bucket, token ? { continuationToken: token } : {});
    all.push(...page.objects);
    token = page.nextContinuationToken;
  } while (token);
  return all;
}

/** Reads every listed object and returns what is wrong with it (nothing, ideally). */
async function verifyObject(engine: Engine, listed: ObjectInfo): Promise<string[]> {
  const problems: string[] = [];
  const { key } = listed;
  const { info, body } = engine.getObject(worker.BUCKET, key);
  const bytes = await readAll(body);
  const gen = Number(info.metadata.gen);
  const kind = info.metadata.kind;
  if (kind !== 'put' && kind !== 'mpu')
    return [`${key}: metadata ${JSON.stringify(info.metadata)}`];
  const plan = worker.planOf(key, gen, kind);
  if (bytes.length !== info.size || info.size !== listed.size || info.size !== plan.size) {
    problems.push(
      `${key}: read ${bytes.length} bytes, head says ${info.size}, list ${listed.size}, expected ${plan.size}`,
    );
  }
  if (!bytes.equals(worker.contentOf(key, gen, kind))) {
    problems.push(`${key}: bytes differ from generation ${gen} (${kind})`);
  }
  if (kind === 'put') {
    if (info.etag !== `"${md5(bytes).toString('hex')}"`)
      problems.push(`${key}: etag is not the MD5`);
    if (info.sha256 !== sha256hex(bytes)) problems.push(`${key}: recorded SHA-256 differs`);
    if (info.partsCount !== 0) problems.push(`${key}: a single PUT with ${info.partsCount} parts`);
  } else {
    let at = 0;
    const partMd5s = plan.partSizes.map((n) => md5(bytes.subarray(at, (at += n))));
    const etag = `"${md5(Buffer.concat(partMd5s)).toString('hex')}-${plan.partSizes.length}"`;
    if (info.etag !== etag) problems.push(`${key}: multipart etag ${info.etag}, expected ${etag}`);
    if (JSON.stringify(info.partSizes) !== JSON.stringify(plan.partSizes)) {
      problems.push(`${key}: part sizes ${JSON.stringify(info.partSizes)}`);
    }
  }
  return problems;
}

describe('SIGKILL during concurrent writes', () => {
  it(`recovers whole after ${CYCLES} kills at random moments`, async () => {
    if (!existsSync(BUILT_ENGINE)) {
      throw new Error(
        `${BUILT_ENGINE} is missing: the crash test runs the built engine in a child process. ` +
          'Run `npm run build` first (`npm test` does).',
      );
    }
    const sentinels = new Map<string, number>();
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      const { proc, sentinel, gen } = await startWorker(cycle);
      sentinels.set(sentinel, gen);
      const waitMs = 50 + Math.floor(Math.random() * 351);
      await delay(waitMs);
      await kill(proc);

      // The dead worker's lock is still there, naming its pid.
      const lockFile = path.join(dir, 'LOCK');
      expect(readFileSync(lockFile, 'utf8').trim()).toBe(String(proc.pid));
      const tmpBefore = readdirSync(path.join(dir, 'tmp')).length;

      const engine = await Engine.open({
        dataDir: dir,
        fsync: true,
        limits: { minPartSizeBytes: worker.MIN_PART_BYTES },
      });
      try {
        expect(readFileSync(lockFile, 'utf8').trim()).toBe(String(process.pid));
        expect(engine.recovery.uncleanShutdown).toBe(true);
        expect(engine.recovery.tmpFilesRemoved).toBe(tmpBefore);
        expect(readdirSync(path.join(dir, 'tmp'))).toEqual([]);

        const objects = listAll(engine, worker.BUCKET);
        const problems: string[] = [];
        for (const o of objects) problems.push(...(await verifyObject(engine, o)));
        expect(problems).toEqual([]);

        // Writes acknowledged before READY survived the kill.
        const keys = new Set(objects.map((o) => o.key));
        for (const [key, g] of sentinels) {
          expect(keys.has(key), `${key} was acknowledged and is gone`).toBe(true);
          expect(engine.headObject(worker.BUCKET, key).metadata.gen).toBe(String(g));
        }

        const report = await engine.check({ deep: true });
        expect(report.problems).toEqual([]);
        expect(report.ok).toBe(true);
        console.log(
          `crash cycle ${cycle}: killed ${waitMs} ms after READY; ${objects.length} objects, ` +
            `${engine.listMultipartUploads(worker.BUCKET).uploads.length} open uploads, ` +
            `${engine.recovery.tmpFilesRemoved} temp files and ` +
            `${engine.recovery.orphanBlobsRemoved} orphan blobs removed`,
        );
      } finally {
        await engine.close();
      }
    }
  });
});
