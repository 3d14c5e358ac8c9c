/**
 * The Owner and Initiator elements of listings. Every bucket and object belongs to the one
 * account; a multipart upload's initiator is the IAM user whose named key created it (S3's
 * Initiator: the user's ARN as ID, its name as DisplayName), else the account.
 */
import type { UploadInfo } from '../../engine/types.js';
import { OWNER as ACCOUNT } from '../acl/grants.js';

/** The account, as S3 writes an Owner. */
export const OWNER = { ID: ACCOUNT.id, DisplayName: ACCOUNT.displayName };

/** The Initiator of a multipart upload. */
export function initiatorOf(upload: UploadInfo): { ID: string; DisplayName: string } {
  if (upload.initiator === undefined) return OWNER;
  return { ID: upload.initiator, DisplayName: upload.initiator.replace(/^.*:user\//, '') };
}
