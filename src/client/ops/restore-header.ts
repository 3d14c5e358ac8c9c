/** The `x-amz-restore` header: `ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"`. */

/** Where a Glacier-style restore stands. */
export interface RestoreState {
  /** True while the restore runs; false once the temporary copy is readable. */
  ongoing: boolean;
  /** When the restored copy goes away (set once the restore is done). */
  expiry?: Date;
}

/**
 * Parses an `x-amz-restore` header value; undefined when there is none.
 *
 * @example
 * parseRestoreHeader('ongoing-request="true"'); // { ongoing: true }
 */
export function parseRestoreHeader(value: string | undefined): RestoreState | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const ongoing = /ongoing-request\s*=\s*"?true"?/i.test(value);
  const expiryText = /expiry-date\s*=\s*"([^"]+)"/i.exec(value)?.[1];
  const expiry = expiryText ? new Date(expiryText) : undefined;
  return {
    ongoing,
    ...(expiry && !Number.isNaN(expiry.getTime()) ? { expiry } : {}),
  };
}
