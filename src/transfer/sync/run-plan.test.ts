import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ERROR_TABLE, StowageError } from '../../errors.js';
import { describeResult } from './describe.js';
import { runPlan, type SyncHandlers } from './run-plan.js';
import type { SyncAction, SyncEntry } from './types.js';

const entry = (key: string, sizeBytes = 10): SyncEntry => ({ key, sizeBytes, mtimeMs: 0 });
const up = (key: string): SyncAction => ({
  kind: 'upload',
  key,
  source: entry(key),
  reason: 'new',
});
const del = (key: string): SyncAction => ({ kind: 'delete', key, dest: entry(key) });
const down = (key: string): SyncAction => ({
  kind: 'download',
  key,
  source: entry(key),
  reason: 'new',
});

/** What a download blocked by a local folder the deletions may empty rejects with. */
const blocked = (key: string) =>
  new StowageError('E_LOCAL_NOT_A_FILE', `${key} is a directory that is not empty`, {
    details: { retryAfterDeletions: true },
  });

async function* from(actions: SyncAction[]): AsyncGenerator<SyncAction> {
  yield* actions;
}

describe('runPlan', () => {
  it('runs handlers with bounded concurrency and counts results', async () => {
    let running = 0;
    let peak = 0;
    const handlers: SyncHandlers = {
      upload: async () => {
        running++;
        peak = Math.max(peak, running);
        await sleep(5);
        running--;
      },
    };
    const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
    const r = await runPlan(from(keys.map(up)), handlers, { concurrency: 3, keepResults: true });
    expect(peak).toBe(3);
    expect(r.summary).toMatchObject({
      uploaded: 20,
      failed: 0,
      skipped: 0,
      bytes: 200,
      dryrun: false,
    });
    expect(r.exitCode).toBe(0);
    expect(r.results).toHaveLength(20);
  });

  it('finishes the rest when items fail, reports which and why, and exits 1', async () => {
    const seen: string[] = [];
    const r = await runPlan(
      from([
        up('a'),
        up('bad'),
        { kind: 'skip', key: 's', reason: 'unchanged' },
        {
          kind: 'error',
          key: 'e',
          side: 'source',
          error: new StowageError('E_LOCAL_UNREADABLE', 'e cannot be read'),
        },
        up('c'),
      ]),
      {
        upload: async (a) => {
          if (a.key === 'bad') throw new Error('boom');
          seen.push(a.key);
        },
      },
      { concurrency: 2 },
    );
    expect(seen.sort()).toEqual(['a', 'c']);
    expect(r.summary).toMatchObject({ uploaded: 2, failed: 2, skipped: 1 });
    const failed = r.failures.map((f) => `${f.key} ${f.error?.code}`).sort();
    expect(failed).toEqual(['bad E_INTERNAL', 'e E_LOCAL_UNREADABLE']);
    expect(r.failures.find((f) => f.key === 'bad')?.error?.message).toMatch(/upload "bad": boom/);
    expect(r.exitCode).toBe(1);
  });

  it('runs deletions only after every transfer has finished', async () => {
    const log: string[] = [];
    await runPlan(
      from([up('a'), up('b'), del('x'), del('y')]),
      {
        upload: async (a) => {
          await sleep(a.key === 'a' ? 30 : 5);
          log.push(`up ${a.key}`);
        },
        delete: async (a) => {
          log.push(`del ${a.key}`);
        },
      },
      { concurrency: 4 },
    );
    expect(log.slice(0, 2).sort()).toEqual(['up a', 'up b']);
    expect(log.slice(2).sort()).toEqual(['del x', 'del y']);
  });

  it('deletes nothing when a transfer failed', async () => {
    const deleted: string[] = [];
    const r = await runPlan(
      from([up('a'), del('x')]),
      {
        upload: async () => {
          throw new StowageError('E_ACCESS_DENIED', 'denied');
        },
        delete: async (a) => {
          deleted.push(a.key);
        },
      },
      { keepResults: true },
    );
    expect(deleted).toEqual([]);
    expect(r.results?.find((x) => x.key === 'x')).toMatchObject({
      status: 'skipped',
      reason: 'not deleted: 1 item(s) failed in this run',
    });
  });

  it('ends the run with an error every item would meet (no such bucket) when it comes before any success', async () => {
    const called: string[] = [];
    const seen: string[] = [];
    const deleted: string[] = [];
    const keys = Array.from({ length: 50 }, (_, i) => `k${i}`);
    const r = await runPlan(
      from([...keys.map(up), del('x')]),
      {
        upload: async (a) => {
          called.push(a.key);
          await sleep(2);
          throw new StowageError('E_NO_SUCH_BUCKET', 'bucket "b" does not exist');
        },
        delete: async (a) => {
          deleted.push(a.key);
        },
      },
      { concurrency: 4, onResult: (x) => seen.push(x.key) },
    );
    expect(r.error?.code).toBe('E_NO_SUCH_BUCKET');
    expect(r.exitCode).toBe(ERROR_TABLE.E_NO_SUCH_BUCKET.exitCode);
    // The items in flight with the first one meet it too; no other starts, none is counted.
    expect(called.length).toBeLessThanOrEqual(4);
    expect(seen).toEqual([]);
    expect(deleted).toEqual([]);
    expect(r.summary).toMatchObject({ uploaded: 0, failed: 0, deleted: 0 });
  });

  it('after a success, the same error fails items one by one and the run goes on', async () => {
    const r = await runPlan(
      from([up('ok'), up('a'), up('b'), up('c')]),
      {
        upload: async (a) => {
          if (a.key === 'ok') return;
          await sleep(2);
          throw new StowageError('E_NETWORK', 'cannot reach the store');
        },
      },
      { concurrency: 1 },
    );
    expect(r.error).toBeUndefined();
    expect(r.summary).toMatchObject({ uploaded: 1, failed: 3 });
    expect(r.exitCode).toBe(1);
  });

  it('an error that depends on the item (access denied, an unreadable file) never ends the run', async () => {
    const r = await runPlan(
      from([up('a'), up('b'), up('c')]),
      {
        upload: async () => {
          throw new StowageError('E_ACCESS_DENIED', 'denied');
        },
      },
      { concurrency: 1 },
    );
    expect(r.error).toBeUndefined();
    expect(r.summary).toMatchObject({ uploaded: 0, failed: 3 });
  });

  it('runs a transfer blocked by what the deletions remove again after them, and records that outcome', async () => {
    const log: string[] = [];
    const blocking = new Set(['a/b', 'a/c']);
    const r = await runPlan(
      from([down('a'), down('never'), down('z'), del('a/b'), del('a/c')]),
      {
        download: async (a) => {
          log.push(`down ${a.key}`);
          if (a.key === 'never' || (a.key === 'a' && blocking.size > 0)) throw blocked(a.key);
        },
        delete: async (a) => {
          log.push(`del ${a.key}`);
          blocking.delete(a.key);
        },
      },
      { concurrency: 4, keepResults: true },
    );
    // The blocked downloads do not hold the deletions back; each runs once more after them.
    expect(log.slice(0, 3).sort()).toEqual(['down a', 'down never', 'down z']);
    expect(log.slice(3, 5).sort()).toEqual(['del a/b', 'del a/c']);
    expect(log.slice(5).sort()).toEqual(['down a', 'down never']);
    // One result per item: the second try's.
    expect(r.results?.map((x) => `${x.key} ${x.status}`).sort()).toEqual([
      'a ok',
      'a/b ok',
      'a/c ok',
      'never failed',
      'z ok',
    ]);
    expect(r.failures.map((f) => f.error?.message)).toEqual([
      'never is a directory that is not empty',
    ]);
    expect(r.summary).toMatchObject({ downloaded: 2, deleted: 2, failed: 1 });
    expect(r.exitCode).toBe(1);
  });

  it('with no deletions, a blocked transfer still in flight when the plan ends is tried again and fails once', async () => {
    let calls = 0;
    const r = await runPlan(
      from([down('only')]),
      {
        download: async () => {
          calls++;
          await sleep(10);
          throw blocked('only');
        },
      },
      { keepResults: true },
    );
    expect(calls).toBe(2);
    expect(r.results?.map((x) => `${x.key} ${x.status}`)).toEqual(['only failed']);
    expect(r.exitCode).toBe(1);
  });

  it('fails the run with E_MAX_DELETE_EXCEEDED on delete-blocked, after the copies', async () => {
    const copied: string[] = [];
    const r = await runPlan(
      from([up('a'), { kind: 'delete-blocked', wouldDelete: 12, maxDelete: 5 }]),
      {
        upload: async (a) => {
          copied.push(a.key);
        },
      },
    );
    expect(copied).toEqual(['a']);
    expect(r.error?.code).toBe('E_MAX_DELETE_EXCEEDED');
    expect(r.error?.message).toMatch(
      /would delete 12 objects, more than --max-delete 5; nothing was deleted/,
    );
    expect(r.summary.wouldDelete).toBe(12);
    expect(r.exitCode).toBe(ERROR_TABLE.E_MAX_DELETE_EXCEEDED.exitCode);
    expect(r.exitCode).not.toBe(0);
  });

  it('--dryrun calls no handler and reports every planned action', async () => {
    const lines: string[] = [];
    const r = await runPlan(
      from([up('a'), { kind: 'skip', key: 'b', reason: 'unchanged' }, del('new\nline')]),
      {},
      { dryrun: true, onResult: (x) => lines.push(describeResult(x)) },
    );
    expect(lines).toEqual([
      '(dryrun) upload: a (new)',
      'skip: b (unchanged)',
      '(dryrun) delete: "new\\nline"',
    ]);
    expect(r.summary).toMatchObject({ uploaded: 1, deleted: 1, skipped: 1, dryrun: true });
    expect(r.exitCode).toBe(0);
  });

  it('--dryrun holds deletions back as the real run would when an item failed', async () => {
    const lines: string[] = [];
    const unreadable = new StowageError('E_LOCAL_UNREADABLE', 'file x cannot be read');
    const r = await runPlan(
      from([{ kind: 'error', key: 'x', side: 'source', error: unreadable }, up('a'), del('gone')]),
      {},
      { dryrun: true, onResult: (x) => lines.push(describeResult(x)) },
    );
    expect(lines).toEqual([
      'failed: x: file x cannot be read (E_LOCAL_UNREADABLE)',
      '(dryrun) upload: a (new)',
      'skip: gone (not deleted: 1 item(s) failed in this run)',
    ]);
    expect(r.summary).toMatchObject({ uploaded: 1, deleted: 0, failed: 1, dryrun: true });
  });

  it('reports a plan that fails midway as the run error, after the in-flight items', async () => {
    async function* broken(): AsyncGenerator<SyncAction> {
      yield up('a');
      throw new StowageError('E_NO_SUCH_BUCKET', 'listing s3://gone: no such bucket');
    }
    const done: string[] = [];
    const r = await runPlan(broken(), {
      upload: async (a) => {
        await sleep(10);
        done.push(a.key);
      },
    });
    expect(done).toEqual(['a']);
    expect(r.error?.code).toBe('E_NO_SUCH_BUCKET');
    expect(r.exitCode).toBe(3);
  });

  it('fails an item whose handler is missing', async () => {
    const r = await runPlan(from([up('a')]), {});
    expect(r.failures[0]?.error?.message).toMatch(/no upload handler/);
  });

  it('hands deletions to deleteMany in batches of 1,000, after the transfers, one result per key', async () => {
    const calls: string[][] = [];
    let uploaded = false;
    const handlers: SyncHandlers = {
      upload: async () => {
        await sleep(5);
        uploaded = true;
      },
      delete: () => Promise.reject(new Error('delete must not be called when deleteMany is given')),
      deleteMany: async (actions) => {
        expect(uploaded).toBe(true);
        calls.push(actions.map((a) => a.key));
        return actions.map((a) =>
          a.key === 'd1500' ? new StowageError('E_ACCESS_DENIED', 'refused d1500') : undefined,
        );
      },
    };
    const keys = Array.from({ length: 2500 }, (_, i) => `d${i}`);
    const r = await runPlan(from([up('a'), ...keys.map(del)]), handlers, { concurrency: 4 });
    expect(calls.map((c) => c.length)).toEqual([1000, 1000, 500]);
    expect(calls.flat()).toEqual(keys);
    expect(r.summary).toMatchObject({ uploaded: 1, deleted: 2499, failed: 1 });
    expect(r.failures.map((f) => [f.key, f.error?.code])).toEqual([['d1500', 'E_ACCESS_DENIED']]);
    expect(r.exitCode).toBe(1);
  });

  it('a deleteMany call that rejects fails each of its keys, and the run goes on', async () => {
    const handlers: SyncHandlers = {
      deleteMany: (actions) =>
        actions[0]?.key === 'd0'
          ? Promise.reject(new Error('connection reset'))
          : Promise.resolve(actions.map(() => undefined)),
    };
    const keys = Array.from({ length: 1200 }, (_, i) => `d${i}`);
    const r = await runPlan(from(keys.map(del)), handlers, { concurrency: 2 });
    expect(r.summary).toMatchObject({ deleted: 200, failed: 1000 });
    expect(r.failures[0]?.error?.message).toMatch(/delete of 1000 object\(s\).*connection reset/);
  });
});
