/**
 * S3's storage class names, shared by every layer that checks them (the S3 front end's
 * document validation, bucket declarations, the store commands): one list, not one per
 * folder.
 */

/** Every storage class S3 knows. */
export const S3_STORAGE_CLASSES = [
  'STANDARD',
  'REDUCED_REDUNDANCY',
  'STANDARD_IA',
  'ONEZONE_IA',
  'INTELLIGENT_TIERING',
  'GLACIER',
  'DEEP_ARCHIVE',
  'GLACIER_IR',
  'OUTPOSTS',
  'SNOW',
  'EXPRESS_ONEZONE',
] as const;

/** One of {@link S3_STORAGE_CLASSES}. */
export type S3StorageClass = (typeof S3_STORAGE_CLASSES)[number];

/** Classes a lifecycle rule may transition to, in S3's one-way "waterfall" order. */
export const TRANSITION_STORAGE_CLASSES = [
  'STANDARD_IA',
  'INTELLIGENT_TIERING',
  'ONEZONE_IA',
  'GLACIER_IR',
  'GLACIER',
  'DEEP_ARCHIVE',
] as const;
