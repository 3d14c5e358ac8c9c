import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { BucketCache, MAX_DOCUMENTS } from './bucket-cache.js';

function setup(): { db: Database.Database; cache: BucketCache; load: () => string | undefined } {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (name TEXT PRIMARY KEY, v TEXT)');
  const cache = new BucketCache(db);
  const load = (): string | undefined =>
    (db.prepare("SELECT v FROM t WHERE name = 'b'").pluck().get() as string | undefined) ??
    undefined;
  return { db, cache, load };
}

describe('BucketCache', () => {
  it('remembers committed rows and documents (absent ones too) until invalidated', () => {
    const { db, cache, load } = setup();
    db.exec("INSERT INTO t VALUES ('b', 'one')");
    expect(cache.row('b', load)).toBe('one');
    expect(cache.document('b', 'policy', '', () => undefined)).toBeUndefined();
    db.exec("UPDATE t SET v = 'two'");
    // Not invalidated: the remembered values stand (writers must invalidate).
    expect(cache.row('b', load)).toBe('one');
    expect(cache.document('b', 'policy', '', () => 'new')).toBeUndefined();
    cache.invalidate();
    expect(cache.row('b', load)).toBe('two');
    expect(cache.document('b', 'policy', '', () => 'new')).toBe('new');
  });

  it('keeps nothing read inside a transaction, so a rolled-back write is never remembered', () => {
    const { db, cache, load } = setup();
    db.exec("INSERT INTO t VALUES ('b', 'committed')");
    expect(() =>
      db.transaction(() => {
        cache.invalidate();
        db.exec("UPDATE t SET v = 'rolled back'");
        expect(cache.row('b', load)).toBe('rolled back');
        expect(cache.document('b', 'cors', '', () => 'rolled back')).toBe('rolled back');
        throw new Error('abort the transaction');
      })(),
    ).toThrow('abort');
    expect(cache.row('b', load)).toBe('committed');
    expect(cache.document('b', 'cors', '', () => undefined)).toBeUndefined();
  });

  it('stays bounded: absent documents with an id are not remembered, and at most MAX_DOCUMENTS are', () => {
    const { cache } = setup();
    for (let i = 0; i < 10_000; i++) {
      expect(cache.document('b', 'metrics', `id-${i}`, () => undefined)).toBeUndefined();
    }
    expect(cache.documentCount).toBe(0);
    // Absences without an id (policy, CORS …) and present documents are remembered.
    cache.document('b', 'policy', '', () => undefined);
    cache.document('b', 'metrics', 'm1', () => '<m/>');
    expect(cache.documentCount).toBe(2);
    expect(cache.document('b', 'metrics', 'm1', () => 'changed')).toBe('<m/>');
    for (let i = 0; i < MAX_DOCUMENTS + 10; i++) cache.document(`b${i}`, 'cors', '', () => 'x');
    expect(cache.documentCount).toBeLessThanOrEqual(MAX_DOCUMENTS);
  });
});
