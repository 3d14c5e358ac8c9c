import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStowageError } from '../../errors.js';
import { compareKeys } from './key-order.js';
import type { ListedItem } from './types.js';
import { walkLocal, type WalkLocalOptions } from './walk-local.js';

let root: string;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'stowage-walk-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function put(rel: string, content = 'x'): void {
  const p = path.join(root, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, content);
}

async function walk(options: WalkLocalOptions = {}): Promise<ListedItem[]> {
  const out: ListedItem[] = [];
  for await (const item of walkLocal(root, options)) out.push(item);
  return out;
}

const keyOf = (i: ListedItem): string => (i.kind === 'entry' ? i.entry.key : i.key);
const keys = (items: ListedItem[]): string[] => items.map(keyOf);

describe('walkLocal order', () => {
  it('yields keys in S3 byte order, not readdir or per-directory order', async () => {
    for (const rel of [
      'a/b',
      'a-b',
      'a.b',
      'a0',
      'b',
      'a/a/z',
      'a/a.x',
      'A',
      'é',
      '😀',
      '\uff5e',
      'a b/c',
    ])
      put(rel);
    const items = await walk();
    const got = keys(items);
    expect(got).toEqual([...got].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))));
    expect(got).toEqual([
      'A',
      'a b/c',
      'a-b',
      'a.b',
      'a/a.x',
      'a/a/z',
      'a/b',
      'a0',
      'b',
      'é',
      '\uff5e',
      '😀',
    ]);
    expect(items.every((i) => i.kind === 'entry')).toBe(true);
  });

  it('reports size, mtime and path; empty directories yield nothing', async () => {
    put('d/f.bin', 'hello');
    mkdirSync(path.join(root, 'empty/deeper'), { recursive: true });
    utimesSync(path.join(root, 'd/f.bin'), 1_700_000_000, 1_700_000_000);
    const items = await walk();
    expect(items).toEqual([
      {
        kind: 'entry',
        entry: {
          key: 'd/f.bin',
          sizeBytes: 5,
          mtimeMs: 1_700_000_000_000,
          path: path.join(root, 'd/f.bin'),
        },
      },
    ]);
  });

  it('keeps names with newlines and other control characters as keys', async () => {
    put('new\nline.txt');
    put('tab\there/x');
    const got = keys(await walk());
    expect(got).toEqual(['tab\there/x', 'new\nline.txt'].sort(compareKeys));
  });

  it('fails clearly when the root is missing or a file, unless a missing root is allowed', async () => {
    await expect(walkLocal(path.join(root, 'nope')).next()).rejects.toThrow(/does not exist/);
    put('file');
    await expect(walkLocal(path.join(root, 'file')).next()).rejects.toThrow(/is not a directory/);
    const none = walkLocal(path.join(root, 'nope'), { allowMissingRoot: true });
    expect((await none.next()).done).toBe(true);
  });
});

describe('walkLocal on hostile trees', () => {
  it('reports a file name that is not valid UTF-8 as one item error, escaped', async () => {
    put('ok.txt');
    writeFileSync(
      Buffer.concat([Buffer.from(`${root}/bad`), Buffer.from([0xff, 0x0a]), Buffer.from('.txt')]),
      'x',
    );
    const items = await walk();
    const bad = items.find((i) => i.kind === 'problem');
    expect(bad && bad.kind === 'problem' && bad.error.code).toBe('E_INVALID_KEY');
    expect(bad && bad.kind === 'problem' && bad.error.message).toContain('bad\\xff\\x0a.txt');
    expect(items.filter((i) => i.kind === 'entry').map(keyOf)).toEqual(['ok.txt']);
  });

  it('skips symbolic links by default, marking links to directories as a subtree', async () => {
    put('real/a.txt');
    put('file.txt');
    symlinkSync(path.join(root, 'real'), path.join(root, 'linkdir'));
    symlinkSync(path.join(root, 'file.txt'), path.join(root, 'linkfile'));
    symlinkSync(path.join(root, 'missing'), path.join(root, 'broken'));
    const items = await walk();
    expect(items.map((i) => [keyOf(i), i.kind])).toEqual([
      ['broken', 'skip'],
      ['file.txt', 'entry'],
      ['linkdir/', 'skip'],
      ['linkfile', 'skip'],
      ['real/a.txt', 'entry'],
    ]);
    const dirLink = items[2];
    expect(dirLink?.kind === 'skip' && dirLink.subtree).toBe(true);
    expect(dirLink?.kind === 'skip' && dirLink.reason).toMatch(/symbolic link/);
  });

  it('skips a link it does not follow even when its target loops (no item error)', async () => {
    put('file.txt');
    symlinkSync(path.join(root, 'self'), path.join(root, 'self'));
    symlinkSync(path.join(root, 'loop2'), path.join(root, 'loop1'));
    symlinkSync(path.join(root, 'loop1'), path.join(root, 'loop2'));
    const items = await walk();
    expect(items.map((i) => [keyOf(i), i.kind, i.kind === 'skip' ? i.reason : ''])).toEqual([
      ['file.txt', 'entry', ''],
      ['loop1', 'skip', 'symbolic link (not followed)'],
      ['loop2', 'skip', 'symbolic link (not followed)'],
      ['self', 'skip', 'symbolic link (not followed)'],
    ]);
  });

  it('with files: false, passes plain files over and keeps what is not one', async () => {
    put('real/a.txt');
    put('file.txt');
    symlinkSync(path.join(root, 'real'), path.join(root, 'linkdir'));
    symlinkSync(path.join(root, 'file.txt'), path.join(root, 'linkfile'));
    const items = await walk({ files: false });
    expect(items.map((i) => [keyOf(i), i.kind])).toEqual([
      ['linkdir/', 'skip'],
      ['linkfile', 'skip'],
    ]);
    expect(items[0]?.kind === 'skip' && items[0].subtree).toBe(true);
  });

  it('follows symbolic links when asked, and reports a loop instead of walking forever', async () => {
    put('real/a.txt');
    put('file.txt', 'abc');
    symlinkSync(path.join(root, 'real'), path.join(root, 'linkdir'));
    symlinkSync(path.join(root, 'file.txt'), path.join(root, 'linkfile'));
    symlinkSync(root, path.join(root, 'real/up'));
    symlinkSync(path.join(root, 'loop2'), path.join(root, 'loop1'));
    symlinkSync(path.join(root, 'loop1'), path.join(root, 'loop2'));
    const items = await walk({ followSymlinks: true });
    const entries = items.filter((i) => i.kind === 'entry').map(keyOf);
    expect(entries).toEqual(['file.txt', 'linkdir/a.txt', 'linkfile', 'real/a.txt']);
    const problems = items.filter((i) => i.kind === 'problem');
    expect(problems.map((p) => [keyOf(p), p.kind === 'problem' && p.error.code])).toEqual([
      ['linkdir/up/', 'E_SYMLINK_LOOP'],
      ['loop1', 'E_SYMLINK_LOOP'],
      ['loop2', 'E_SYMLINK_LOOP'],
      ['real/up/', 'E_SYMLINK_LOOP'],
    ]);
    expect(keys(items)).toEqual([...keys(items)].sort(compareKeys));
  });

  it('skips fifos as not regular files', async () => {
    put('a.txt');
    execFileSync('mkfifo', [path.join(root, 'pipe')]);
    const items = await walk();
    expect(items.map((i) => [keyOf(i), i.kind === 'skip' ? i.reason : i.kind])).toEqual([
      ['a.txt', 'entry'],
      ['pipe', 'not a regular file (fifo)'],
    ]);
  });

  it('reports unreadable files and directories as item errors and walks on', async () => {
    put('open/a.txt');
    put('secret/b.txt');
    put('locked.txt');
    put('z.txt');
    chmodSync(path.join(root, 'secret'), 0o000);
    chmodSync(path.join(root, 'locked.txt'), 0o000);
    chmodSync(path.join(root, 'open'), 0o755);
    chmodSync(root, 0o755);
    // Root bypasses permissions, so the walk runs as an unprivileged user when we are root.
    const asRoot = process.geteuid?.() === 0;
    const nobody = 65534;
    if (asRoot) {
      process.setegid?.(nobody);
      process.seteuid?.(nobody);
    }
    let items: ListedItem[];
    try {
      items = await walk(asRoot ? { reader: { uid: nobody, gids: [nobody] } } : {});
    } finally {
      if (asRoot) {
        process.seteuid?.(0);
        process.setegid?.(0);
      }
    }
    chmodSync(path.join(root, 'secret'), 0o755);
    expect(items.map((i) => [keyOf(i), i.kind === 'problem' ? i.error.code : i.kind])).toEqual([
      ['locked.txt', 'E_LOCAL_UNREADABLE'],
      ['open/a.txt', 'entry'],
      ['secret/', 'E_LOCAL_UNREADABLE'],
      ['z.txt', 'entry'],
    ]);
    const secret = items[2];
    expect(secret?.kind === 'problem' && secret.subtree).toBe(true);
    expect(secret?.kind === 'problem' && isStowageError(secret.error)).toBe(true);
    expect(secret?.kind === 'problem' && secret.error.message).toMatch(/secret.*cannot be read/);
  });

  it('reports a key over 1024 bytes as an item error', async () => {
    const long = `${'d'.repeat(200)}/${'e'.repeat(200)}/${'f'.repeat(200)}/${'g'.repeat(200)}/${'h'.repeat(200)}/${'i'.repeat(100)}`;
    put(long);
    const items = await walk();
    expect(items).toHaveLength(1);
    expect(items[0]?.kind === 'problem' && items[0].error.code).toBe('E_KEY_TOO_LONG');
  });

  it('counts the destination prefix toward the 1024 bytes of a key', async () => {
    const name = `${'n'.repeat(200)}/${'m'.repeat(200)}/${'o'.repeat(200)}/${'p'.repeat(200)}/${'q'.repeat(210)}`;
    put(name);
    expect(Buffer.byteLength(name)).toBe(1014);
    expect((await walk()).map((i) => i.kind)).toEqual(['entry']);
    expect((await walk({ keyPrefix: 'pfx-1/' })).map((i) => i.kind)).toEqual(['entry']);
    const [long] = await walk({ keyPrefix: 'pfx-longer/' });
    expect(long?.kind === 'problem' && long.error.code).toBe('E_KEY_TOO_LONG');
    expect(long?.kind === 'problem' && long.error.message).toMatch(/with the destination prefix/);
  });
});
