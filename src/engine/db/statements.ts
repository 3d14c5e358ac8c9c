/**
 * A cache of prepared statements. Preparing SQL costs about as much as running a small
 * query; the hot paths (a PUT runs about ten statements) reuse them instead.
 */
import type { Database, Statement } from 'better-sqlite3';

/** Returns a `prepare` that compiles each distinct SQL text once. */
export function statementCache(db: Database): (sql: string) => Statement {
  const cache = new Map<string, Statement>();
  return (sql) => {
    let stmt = cache.get(sql);
    if (!stmt) {
      stmt = db.prepare(sql);
      cache.set(sql, stmt);
    }
    return stmt;
  };
}
