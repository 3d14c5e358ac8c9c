import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate } from './migrations.js';

describe('migrations', () => {
  it('are numbered 1..n without gaps', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
  });

  it('apply from an empty database, and a second run applies nothing', () => {
    const db = new Database(':memory:');
    expect(migrate(db)).toEqual(MIGRATIONS.map((m) => m.version));
    const tables = (
      db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .all() as Array<{
        name: string;
      }>
    ).map((t) => t.name);
    expect(tables).toEqual(
      expect.arrayContaining([
        'buckets',
        'bucket_configs',
        'versions',
        'uploads',
        'parts',
        'settings',
        'schema_migrations',
      ]),
    );
    expect(migrate(db)).toEqual([]);
    expect(
      (db.pragma('integrity_check') as Array<{ integrity_check: string }>)[0]!.integrity_check,
    ).toBe('ok');
    db.close();
  });

  it('refuses a database written by a newer version, changing nothing', () => {
    const db = new Database(':memory:');
    migrate(db);
    const newest = MIGRATIONS.at(-1)!.version;
    db.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(newest + 1, 'future-thing');
    expect(() => migrate(db)).toThrow(
      new RegExp(`schema version ${newest + 1}, newer than this Stowage knows \\(${newest}\\)`),
    );
    db.close();
  });

  it('a failing migration rolls back whole and is not recorded', () => {
    const db = new Database(':memory:');
    migrate(db);
    const broken = [
      ...MIGRATIONS,
      {
        version: MIGRATIONS.length + 1,
        name: 'broken',
        sql: 'CREATE TABLE t1 (a); SELECT nope FROM missing;',
      },
    ];
    expect(() => migrate(db, broken)).toThrow(/no such table/);
    expect(db.prepare("SELECT 1 FROM sqlite_master WHERE name = 't1'").get()).toBeUndefined();
    expect(
      (db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number }).v,
    ).toBe(MIGRATIONS.length);
    db.close();
  });

  it('version 2 adds a nullable acl column to versions and uploads (NULL = private)', () => {
    const db = new Database(':memory:');
    migrate(db);
    for (const table of ['versions', 'uploads']) {
      const col = (
        db.prepare(`PRAGMA table_info(${table})`).all() as Array<{
          name: string;
          type: string;
          notnull: number;
          dflt_value: unknown;
        }>
      ).find((c) => c.name === 'acl');
      expect(col).toMatchObject({ type: 'TEXT', notnull: 0, dflt_value: null });
    }
    db.close();
  });

  it('version 5 adds a nullable part_checksums column; rows written before keep NULL', () => {
    const db = new Database(':memory:');
    migrate(db, MIGRATIONS.slice(0, 4));
    db.prepare(
      "INSERT INTO buckets (name, region, owner, created_at) VALUES ('b', 'us-east-1', 'o', 0)",
    ).run();
    db.prepare(
      `INSERT INTO versions (bucket, key, version_id, is_latest, is_delete_marker, size, etag, headers,
         metadata, tags, storage_class, checksums, segments, part_sizes, created_at, accessed_at)
       VALUES ('b', 'k', 'null', 1, 0, 0, '"e"', '{}', '{}', '{}', 'STANDARD', '{}', '[]', '[5,1]', 0, 0)`,
    ).run();
    expect(migrate(db, MIGRATIONS.slice(0, 5))).toEqual([5]);
    expect(db.prepare('SELECT part_checksums FROM versions').get()).toEqual({
      part_checksums: null,
    });
    db.close();
  });

  it('the live-version index serves the listing query: it holds no delete marker', () => {
    const db = new Database(':memory:');
    migrate(db);
    const plan = db
      .prepare(
        'EXPLAIN QUERY PLAN SELECT * FROM versions WHERE bucket = ? AND is_latest = 1 AND is_delete_marker = 0 AND key > ? ORDER BY key LIMIT 10',
      )
      .all('b', '') as Array<{ detail: string }>;
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/versions_live/);
    db.close();
  });
});
