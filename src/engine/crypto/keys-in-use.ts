/**
 * Whether stored data was encrypted with a key: any version's blob envelope, or any part's
 * of an upload in progress, that names the key's reference. Asked only before a key file
 * is made (once per key, or when its file went missing), so a scan of the table is fine.
 */
import type { Database } from 'better-sqlite3';

/** True when an envelope in `db` names key reference `ref` (`s3`, `kms:<name>`). */
export function keyInUse(db: Database, ref: string): boolean {
  const named = `"r":${JSON.stringify(ref)}`;
  const row = db
    .prepare(
      `SELECT 1 FROM versions WHERE instr(segments, ?) > 0
       UNION ALL SELECT 1 FROM parts WHERE instr(envelope, ?) > 0 LIMIT 1`,
    )
    .get(named, named);
  return row !== undefined;
}
