/**
 * What the client layer hands to everything above it: one resolved store, secret-free except
 * for `credentials`, which is never printed (`describeStore` shows what is safe).
 */
import type { ChecksumPolicy } from '../config/stores.js';

export type { ChecksumPolicy } from '../config/stores.js';

/** A static key pair (env, a profile's keys, a store in stowage.yaml, a local data dir). */
export interface StaticCredentials {
  kind: 'static';
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/**
 * Credentials the AWS SDK produces itself from a profile (SSO, assumed role, credential
 * process, web identity). Stowage reads only static keys; it leaves the rest to the SDK.
 */
export interface ProfileCredentials {
  kind: 'profile';
  profile: string;
}

/** Where a store's credentials come from. */
export type StoreCredentials = StaticCredentials | ProfileCredentials;

/** Defaults for transfers from the seed-003 variables (`S3_BUCKET_NAME`, …). */
export interface StoreDefaults {
  /** `S3_BUCKET_NAME`: the bucket a command uses when a URL names none. */
  bucket?: string;
  /** `S3_STORAGE_CLASS`: the storage class of uploads. */
  storageClass?: string;
  /** `S3_MAX_PARALLEL_UPLOADS`: how many uploads run at once. */
  maxParallelUploads?: number;
  /** `S3_ENABLE_ENCRYPTION=true`: ask for SSE-S3 (`AES256`) on uploads. */
  serverSideEncryption?: 'AES256';
}

/**
 * One store, resolved from flags, env, stowage.yaml, ~/.aws and local `stowage serve`
 * discovery (docs/stores.md). Every field is settled: callers never look anything up again.
 */
export interface ResolvedStore {
  /** The store's name in stowage.yaml, `profile:NAME`, `env`, `local` … for messages. */
  name: string;
  /** Endpoint URL; undefined means AWS S3 itself. */
  endpoint?: string;
  region: string;
  credentials: StoreCredentials;
  /** Path-style URLs (`host/bucket/key`) instead of virtual-hosted (`bucket.host/key`). */
  forcePathStyle: boolean;
  /** WHEN_REQUIRED for stores that reject the SDK's default CRC32 checksum trailers. */
  checksumPolicy: ChecksumPolicy;
  /** Most sockets open to the store at once. */
  maxSockets: number;
  /**
   * The CA bundle to trust for HTTPS besides Node's own roots (`--ca-bundle`,
   * `AWS_CA_BUNDLE`, a profile's `ca_bundle` or a store's `caBundle`): the file, which
   * setting named it, and its PEM certificates; undefined trusts Node's roots only.
   */
  caBundle?: { file: string; origin: string; certificates: string };
  /** Multipart part size for uploads. */
  partSizeBytes: number;
  /** Requests per second; undefined means unlimited. */
  rateLimit?: number;
  /** Bytes per second; undefined means unlimited. */
  bandwidthLimit?: number;
  /** Transfer defaults from the seed-003 variables. */
  defaults: StoreDefaults;
  /**
   * Where each setting came from, e.g. `endpoint: env AWS_ENDPOINT_URL; credentials:
   * profile dev (~/.aws/credentials)`. Never contains a secret.
   */
  source: string;
}

/** Command-line settings, which win over everything else. */
export interface StoreFlags {
  /** `--store NAME`: a store of stowage.yaml. */
  store?: string;
  /** `--endpoint-url URL`. */
  endpointUrl?: string;
  /** `--profile NAME`: a profile of ~/.aws/config and ~/.aws/credentials. */
  profile?: string;
  /** `--region NAME`. */
  region?: string;
  /** `--ca-bundle FILE`: PEM certificates to trust for HTTPS (`~/`, or relative to `cwd`). */
  caBundle?: string;
}
