import { readdirSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StowageError } from '../../errors.js';
import { planSync, type PlanSyncOptions } from './plan.js';
import type { ListedItem, SyncAction, SyncEntry } from './types.js';

const T = Date.UTC(2026, 0, 1);
const e = (key: string, sizeBytes = 1, mtimeMs = T): ListedItem => ({
  kind: 'entry',
  entry: { key, sizeBytes, mtimeMs },
});

async function* from(items: ListedItem[]): AsyncGenerator<ListedItem> {
  yield* items;
}

async function plan(
  source: ListedItem[],
  dest: ListedItem[],
  options: Partial<PlanSyncOptions> = {},
): Promise<SyncAction[]> {
  const out: SyncAction[] = [];
  for await (const a of planSync({
    direction: 'upload',
    ...options,
    source: from(source),
    dest: from(dest),
  }))
    out.push(a);
  return out;
}

/** [kind, key, reason] of each action. */
const brief = (actions: SyncAction[]): (string | number)[][] =>
  actions.map((a) =>
    a.kind === 'delete-blocked'
      ? [a.kind, a.wouldDelete, a.maxDelete]
      : a.kind === 'error'
        ? [a.kind, a.key, a.error.code]
        : a.kind === 'delete'
          ? [a.kind, a.key]
          : [a.kind, a.key, a.reason],
  );

describe('planSync merge', () => {
  it('plans new, changed, unchanged and extra keys from both sides', async () => {
    const actions = await plan(
      [e('a', 1), e('b', 2), e('c', 3, T + 5000), e('d', 4, T - 5000), e('f', 5)],
      [e('b', 9), e('c', 3), e('d', 4), e('e', 1), e('f', 5)],
    );
    expect(brief(actions)).toEqual([
      ['upload', 'a', 'new'],
      ['upload', 'b', 'size'],
      ['upload', 'c', 'newer'],
      ['skip', 'd', 'unchanged'],
      ['skip', 'f', 'unchanged'],
    ]);
    const replaced = actions[1];
    expect(replaced?.kind === 'upload' && replaced.dest?.sizeBytes).toBe(9);
  });

  it('handles one side empty, and both empty', async () => {
    expect(brief(await plan([e('a'), e('b')], []))).toEqual([
      ['upload', 'a', 'new'],
      ['upload', 'b', 'new'],
    ]);
    expect(await plan([], [e('a')])).toEqual([]);
    expect(brief(await plan([], [e('a')], { delete: true }))).toEqual([['delete', 'a']]);
    expect(await plan([], [])).toEqual([]);
  });

  it('compares times in whole seconds (S3 LastModified has one-second resolution)', async () => {
    expect(brief(await plan([e('a', 1, T + 999)], [e('a', 1, T)]))).toEqual([
      ['skip', 'a', 'unchanged'],
    ]);
    expect(brief(await plan([e('a', 1, T + 1000)], [e('a', 1, T)]))).toEqual([
      ['upload', 'a', 'newer'],
    ]);
  });

  it('a same-size file that looks newer is unchanged when the object stored its mtime (uploads)', async () => {
    const asked: string[] = [];
    const storedMtime = async (d: { key: string }) => {
      asked.push(d.key);
      return d.key === 'same' ? T + 86_400_000 : T; // uploads store whole milliseconds
    };
    const future = T + 86_400_000.4;
    const actions = await plan(
      [e('bigger', 2, future), e('other', 1, future), e('same', 1, future)],
      [e('bigger', 1, T), e('other', 1, T), e('same', 1, T)],
      { storedMtime },
    );
    expect(brief(actions)).toEqual([
      ['upload', 'bigger', 'size'],
      ['upload', 'other', 'newer'],
      ['skip', 'same', 'unchanged (same stowage-mtime)'],
    ]);
    // Asked only for same-size files that look newer, and never on a download.
    expect(asked).toEqual(['other', 'same']);
    await plan([e('same', 1, T)], [e('same', 1, future)], { storedMtime, direction: 'download' });
    expect(asked).toEqual(['other', 'same']);
  });

  it('--size-only ignores time', async () => {
    expect(brief(await plan([e('a', 1, T + 60_000)], [e('a', 1)], { sizeOnly: true }))).toEqual([
      ['skip', 'a', 'unchanged (same size)'],
    ]);
  });

  it('downloads when the object is newer than the local file; --exact-timestamps on any difference', async () => {
    const dl = { direction: 'download' as const };
    expect(brief(await plan([e('a', 1, T + 2000)], [e('a', 1, T)], dl))).toEqual([
      ['download', 'a', 'newer'],
    ]);
    expect(brief(await plan([e('a', 1, T)], [e('a', 1, T + 2000)], dl))).toEqual([
      ['skip', 'a', 'unchanged'],
    ]);
    expect(
      brief(await plan([e('a', 1, T)], [e('a', 1, T + 2000)], { ...dl, exactTimestamps: true })),
    ).toEqual([['download', 'a', 'timestamp']]);
    expect(
      brief(await plan([e('a', 1, T)], [e('a', 1, T + 400)], { ...dl, exactTimestamps: true })),
    ).toEqual([['skip', 'a', 'unchanged']]);
  });

  it('never downloads keys that would escape or collide in the local tree', async () => {
    const actions = await plan([e('../x'), e('a//b'), e('dir/'), e('ok'), e('x/./y')], [], {
      direction: 'download',
    });
    expect(brief(actions)).toEqual([
      ['error', '../x', 'E_INVALID_KEY'],
      ['error', 'a//b', 'E_INVALID_KEY'],
      ['skip', 'dir/', 'directory marker object (no local file)'],
      ['download', 'ok', 'new'],
      ['error', 'x/./y', 'E_INVALID_KEY'],
    ]);
  });

  it('store to store uses the copy action', async () => {
    expect(brief(await plan([e('a')], [], { direction: 'copy' }))).toEqual([['copy', 'a', 'new']]);
  });

  it('fails, planning no deletion, when a listing is out of S3 key order', async () => {
    const out: SyncAction[] = [];
    const run = async (): Promise<void> => {
      for await (const a of planSync({
        direction: 'upload',
        source: from([e('a'), e('c'), e('b')]),
        dest: from([e('z')]),
        delete: true,
      }))
        out.push(a);
    };
    await expect(run()).rejects.toThrow(
      /source listing is not in S3 key order: "b" came after "c"/,
    );
    expect(out.some((a) => a.kind === 'delete')).toBe(false);
  });
});

describe('planSync --checksum', () => {
  const sums: Record<string, string | undefined> = {
    'same:s': 'aa',
    'same:d': 'AA',
    'diff:s': 'aa',
    'diff:d': 'bb',
  };
  const checksum = {
    source: async (x: SyncEntry) => sums[`${x.key}:s`],
    dest: async (x: SyncEntry) => sums[`${x.key}:d`],
  };
  it('compares SHA-256 for same-size entries, and falls back to time when one is unknown', async () => {
    const actions = await plan(
      [e('diff', 1), e('newer-unknown', 1, T + 5000), e('same', 1, T + 5000), e('size', 2)],
      [e('diff', 1, T + 5000), e('newer-unknown', 1), e('same', 1), e('size', 1)],
      { checksum },
    );
    expect(brief(actions)).toEqual([
      ['upload', 'diff', 'checksum'],
      ['upload', 'newer-unknown', 'newer'],
      ['skip', 'same', 'unchanged (same SHA-256)'],
      ['upload', 'size', 'size'],
    ]);
  });

  it('turns a failing checksum look-up into an item error', async () => {
    const failing = {
      source: async () => 'aa',
      dest: async () => {
        throw new StowageError('E_ACCESS_DENIED', 'HEAD denied');
      },
    };
    expect(brief(await plan([e('a')], [e('a')], { checksum: failing }))).toEqual([
      ['error', 'a', 'E_ACCESS_DENIED'],
    ]);
  });
});

describe('planSync --delete, filters and the delete guard', () => {
  it('deletes only with --delete, after every transfer', async () => {
    const actions = await plan([e('b'), e('d')], [e('a'), e('c'), e('e')], { delete: true });
    expect(brief(actions)).toEqual([
      ['upload', 'b', 'new'],
      ['upload', 'd', 'new'],
      ['delete', 'a'],
      ['delete', 'c'],
      ['delete', 'e'],
    ]);
  });

  it('an upload --delete keeps folder markers (empty keys ending in /), as aws-cli and rclone do', async () => {
    const dest = [e('dir/', 0), e('dir/b'), e('empty/', 0), e('notes/', 5)];
    const actions = await plan([e('dir/b')], dest, { delete: true });
    // A marker with bytes in it is an object like any other.
    expect(brief(actions)).toEqual([
      ['skip', 'dir/b', 'unchanged'],
      ['delete', 'notes/'],
    ]);
    // Store to store, a marker is a key of the source listing like any other.
    const copy = await plan([e('dir/b')], dest, { delete: true, direction: 'copy' });
    expect(brief(copy).filter(([kind]) => kind === 'delete')).toEqual([
      ['delete', 'dir/'],
      ['delete', 'empty/'],
      ['delete', 'notes/'],
    ]);
  });

  it('never deletes excluded keys: they are invisible on both sides', async () => {
    const actions = await plan(
      [e('a.txt'), e('b.log', 5)],
      [e('b.log', 1), e('keep.log'), e('old.txt')],
      {
        delete: true,
        filters: [{ type: 'exclude', pattern: '*.log' }],
      },
    );
    expect(brief(actions)).toEqual([
      ['upload', 'a.txt', 'new'],
      ['delete', 'old.txt'],
    ]);
  });

  it('--max-delete N: over N plans no deletion, reports the count; N or fewer deletes', async () => {
    const dest = [e('a'), e('b'), e('c')];
    expect(brief(await plan([e('n')], dest, { delete: true, maxDelete: 2 }))).toEqual([
      ['upload', 'n', 'new'],
      ['delete-blocked', 3, 2],
    ]);
    expect(brief(await plan([], dest, { delete: true, maxDelete: 3 }))).toEqual([
      ['delete', 'a'],
      ['delete', 'b'],
      ['delete', 'c'],
    ]);
    expect(brief(await plan([], dest, { delete: true, maxDelete: 0 }))).toEqual([
      ['delete-blocked', 3, 0],
    ]);
    await expect(plan([], dest, { delete: true, maxDelete: -1 })).rejects.toThrow(/--max-delete/);
  });

  it('spills deferred deletions to a temp file past the memory limit and removes it', async () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'stowage-spool-test-'));
    try {
      const dest = Array.from({ length: 25 }, (_, i) => e(`k${String(i).padStart(2, '0')}\nx`));
      const seen: string[] = [];
      for await (const a of planSync({
        direction: 'upload',
        source: from([]),
        dest: from(dest),
        delete: true,
        deleteMemoryLimit: 4,
        tempDir: tmp,
      })) {
        if (a.kind === 'delete') {
          seen.push(a.key);
          if (seen.length === 1) expect(readdirSync(tmp)).toHaveLength(1);
        }
      }
      expect(seen).toEqual(dest.map((d) => (d.kind === 'entry' ? d.entry.key : '')));
      expect(readdirSync(tmp)).toEqual([]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('never deletes what the source could not read: a failed file, or anything under a failed directory', async () => {
    const problem = (key: string, subtree = false): ListedItem => ({
      kind: 'problem',
      key,
      error: new StowageError('E_LOCAL_UNREADABLE', `${key} cannot be read`),
      ...(subtree ? { subtree: true } : {}),
    });
    const actions = await plan(
      [
        { kind: 'skip', key: 'link/', reason: 'symbolic link (not followed)', subtree: true },
        problem('locked.txt'),
        problem('secret/', true),
      ],
      [e('link/a'), e('locked.txt'), e('secret/a'), e('secret/b/c'), e('zz')],
      { delete: true },
    );
    expect(brief(actions)).toEqual([
      ['skip', 'link/', 'symbolic link (not followed)'],
      ['skip', 'link/a', 'source "link/" is not usable (symbolic link (not followed))'],
      ['error', 'locked.txt', 'E_LOCAL_UNREADABLE'],
      ['error', 'secret/', 'E_LOCAL_UNREADABLE'],
      ['skip', 'secret/a', 'source "secret/" is not usable (secret/ cannot be read)'],
      ['skip', 'secret/b/c', 'source "secret/" is not usable (secret/ cannot be read)'],
      ['delete', 'zz'],
    ]);
  });

  it('keeps shielding an unreadable directory even when the filters exclude its own key', async () => {
    const actions = await plan(
      [
        {
          kind: 'problem',
          key: 'd/',
          error: new StowageError('E_LOCAL_UNREADABLE', 'd'),
          subtree: true,
        },
      ],
      [e('d/x.jpg'), e('y.jpg')],
      {
        delete: true,
        filters: [
          { type: 'exclude', pattern: '*' },
          { type: 'include', pattern: '*.jpg' },
        ],
      },
    );
    expect(brief(actions)).toEqual([
      ['skip', 'd/x.jpg', 'source "d/" is not usable (d)'],
      ['delete', 'y.jpg'],
    ]);
  });

  it('does not download over a local symbolic link at the destination', async () => {
    const actions = await plan(
      [e('a'), e('l/x')],
      [
        { kind: 'skip', key: 'a', reason: 'symbolic link (not followed)' },
        { kind: 'skip', key: 'l/', reason: 'symbolic link (not followed)', subtree: true },
      ],
      {
        direction: 'download',
      },
    );
    expect(brief(actions)).toEqual([
      ['skip', 'a', 'destination: symbolic link (not followed)'],
      ['skip', 'l/x', 'destination "l/" is not usable (symbolic link (not followed))'],
    ]);
  });
});
