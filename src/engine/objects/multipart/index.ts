/**
 * Multipart uploads. Each part is its own blob; completing an upload makes those blobs
 * the segments of the new version in one transaction, so a multi-GB object is never
 * copied on completion and a crash leaves either the upload or the object, never half.
 */
export { toUploadInfo } from './rows.js';
export { continueUploadIds } from './upload-ids.js';
export { abortMultipartUpload, createMultipartUpload, listParts } from './uploads.js';
export { uploadPart, uploadPartCopy } from './parts.js';
export { completeMultipartUpload } from './complete.js';
