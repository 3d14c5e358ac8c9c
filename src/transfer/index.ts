/** The public surface of src/transfer/ (single-object transfers, pacer, progress). */
export { uploadFile, type UploadFileOptions, type UploadResult } from './upload.js';
export {
  uploadStream,
  type StreamUploadResult,
  type UploadStreamOptions,
} from './upload-stream.js';
export { downloadFile, type DownloadFileOptions, type DownloadResult } from './download.js';
export { copyObject, copySourceHeader, type CopyObjectOptions, type CopyResult } from './copy.js';
export { copyAcrossStores, type CrossCopyOptions } from './copy-cross.js';
export type { MetadataDirective } from './copy-params.js';
export type { CopySource } from './source-head.js';
export { Pacer, type PacerOptions, type PacerStats } from './pacer.js';
export { withRetry, type RetryOptions } from './retry.js';
export { classifyError, toTransferError, type ErrorClass } from './errors.js';
export type { ProgressEvent, ProgressListener } from './progress.js';
export { contentTypeFor } from './content-type.js';
export { multipartEtag } from './hashing.js';
export { stateFileFor } from './resume-state.js';
export { partialPathsFor } from './download-state.js';
export {
  DEFAULT_CONCURRENCY,
  DEFAULT_PART_SIZE_BYTES,
  META_MTIME,
  META_SHA256,
  type ObjectProperties,
  type SseAlgorithm,
  type TransferBase,
} from './types.js';
