/**
 * Bucket rows and bucket documents, remembered between requests. Every S3 request reads
 * its bucket several times (the operation, the commit job, and policy, CORS, ACL,
 * encryption and public-access-block lookups); a profile of 4 KiB PUTs and GETs spent 15%
 * of the server's CPU in those reads.
 *
 * Correctness rests on two rules:
 * - every write to `buckets` or `bucket_configs` calls `invalidate()` (all in buckets.ts);
 * - nothing is remembered while a transaction is open, so the cache only ever holds
 *   committed state: a write clears it, and what a transaction reads after its own write
 *   comes from the database and is not kept, whether that transaction commits or not.
 * The data directory belongs to one process (lock.ts), so no other writer exists.
 */
import type { Database } from 'better-sqlite3';

/**
 * Documents remembered at most. A server holds a few per bucket (policy, CORS, encryption,
 * public access block, lifecycle …); past this many the cache starts again empty.
 */
export const MAX_DOCUMENTS = 4096;

/** What the cache holds for one data directory. */
export class BucketCache {
  private readonly rows = new Map<string, unknown>();
  /** Documents by bucket, kind and id; null remembers that there is none. */
  private readonly documents = new Map<string, string | null>();

  constructor(private readonly db: Database) {}

  /** The bucket row `name` (or undefined), from the cache or `load`. */
  row<T>(name: string, load: () => T | undefined): T | undefined {
    const hit = this.rows.get(name) as T | undefined;
    if (hit !== undefined) return hit;
    const row = load();
    if (row !== undefined && !this.db.inTransaction) this.rows.set(name, row);
    return row;
  }

  /** A bucket document (or undefined), from the cache or `load`. */
  document(
    bucket: string,
    kind: string,
    id: string,
    load: () => string | undefined,
  ): string | undefined {
    const key = `${bucket}\0${kind}\0${id}`;
    const hit = this.documents.get(key);
    if (hit !== undefined) return hit ?? undefined;
    const doc = load();
    // An absent document with an id (`GET ?metrics&id=…`) is whatever id a client asked
    // for: remembering each would let a client grow the server's memory without end.
    if (this.db.inTransaction || (doc === undefined && id !== '')) return doc;
    if (this.documents.size >= MAX_DOCUMENTS) this.documents.clear();
    this.documents.set(key, doc ?? null);
    return doc;
  }

  /** How many documents (and absences) are remembered. */
  get documentCount(): number {
    return this.documents.size;
  }

  /** Forgets everything; called by every write to the bucket tables. */
  invalidate(): void {
    this.rows.clear();
    this.documents.clear();
  }
}
