/**
 * Multipart upload IDs, which sort in the order their uploads were created.
 */
import { randomBytes } from 'node:crypto';
import type { Database } from 'better-sqlite3';

/** The last upload ID's time part, so IDs made within one microsecond still increase. */
let lastUploadTime = 0;

/**
 * A new upload ID: a strictly increasing time in microseconds (14 hex digits) then 22
 * random characters, so that IDs sort as their uploads were initiated and
 * ListMultipartUploads can resume after an upload-id-marker whose upload is gone ("upload
 * IDs lexicographically greater", as S3 documents it).
 */
export function newUploadId(): string {
  lastUploadTime = Math.max(Date.now() * 1000, lastUploadTime + 1);
  return lastUploadTime.toString(16).padStart(14, '0') + randomBytes(16).toString('base64url');
}

/**
 * True for a string of the form of an upload ID: newUploadId's, or the 32 random base64url
 * characters of IDs made before IDs began with the time (uploads a data directory may still hold).
 */
export function isUploadIdForm(id: string): boolean {
  return /^(?:[0-9a-f]{14}[\w-]{22}|[\w-]{32})$/.test(id);
}

/**
 * Makes the next upload IDs sort after those the database holds (uploads in progress and
 * completed ones remembered), for Engine.open: the counter above starts from the clock, and
 * after a restart with the clock stepped back, a new upload got a smaller ID than older
 * ones, and a ListMultipartUploads resuming after an aborted older one skipped it.
 */
export function continueUploadIds(db: Database): void {
  const row = db
    .prepare(
      'SELECT max(m) AS m FROM (SELECT max(upload_id) AS m FROM uploads UNION ALL SELECT max(upload_id) FROM completed_uploads)',
    )
    .get() as { m: string | null };
  const time = row.m ? parseInt(row.m.slice(0, 14), 16) : NaN;
  if (Number.isSafeInteger(time)) lastUploadTime = Math.max(lastUploadTime, time);
}
