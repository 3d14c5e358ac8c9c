/**
 * Connecting to any S3 store (the embedded `stowage serve`, AWS S3, MinIO, Ceph RGW …): store
 * resolution from flags, env, stowage.yaml, ~/.aws and local discovery; the S3Client factory
 * with per-store quirks; `s3://` URLs; SDK error translation. Transfers and commands use this
 * folder's surface only.
 *
 * @example
 * import { createS3Client, parseLocation, resolveStore, translateS3Error } from './client/index.js';
 * const store = await resolveStore({ config, env: process.env, homeDir: os.homedir(), flags: { store: 'minio' } });
 * const s3 = createS3Client(store);
 * const where = parseLocation('s3://assets/products/');
 */
export {
  resolveStore,
  DEFAULT_MAX_SOCKETS,
  DEFAULT_PART_SIZE_BYTES,
  DEFAULT_REGION,
} from './resolve.js';
export type { ResolveStoreOptions } from './resolve.js';
export { createS3Client, DEFAULT_MAX_ATTEMPTS, type CreateS3ClientOptions } from './factory.js';
export {
  parseLocation,
  parseS3Url,
  formatS3Url,
  isS3Url,
  bucketNameProblem,
  MAX_KEY_BYTES,
  type Location,
  type LocalLocation,
  type S3Location,
} from './url.js';
export { translateS3Error, maskKeyId, THROTTLING_CODES, type TranslateContext } from './errors.js';
export { discoverLocalServe, localEndpoint, type LocalServe } from './local-serve.js';
export { readAwsFiles, awsProfile, type AwsFiles, type AwsProfile } from './aws-files.js';
export { seedDefaults } from './seed-env.js';
export type {
  ChecksumPolicy,
  ProfileCredentials,
  ResolvedStore,
  StaticCredentials,
  StoreCredentials,
  StoreDefaults,
  StoreFlags,
} from './types.js';
export { fitsInXml, splitByXml } from './xml-text.js';
