/**
 * Store resolution: which endpoint, region, credentials and quirk settings a command uses.
 * Precedence, highest first (docs/stores.md):
 *
 *   1. flags: --endpoint-url, --region, --profile
 *   2. the store chosen with --store
 *   3. env: AWS_ACCESS_KEY_ID…, AWS_PROFILE, AWS_ENDPOINT_URL, AWS_REGION…, S3_REGION
 *   4. the store named by `defaultStore` in stowage.yaml
 *   5. the AWS profile's own settings (~/.aws/config, ~/.aws/credentials; `default` if none named)
 *   6. a local `stowage serve` (its data directory's credentials)
 *
 * Credentials are taken whole from the first layer that has a pair (or a profile the SDK
 * resolves); other settings one by one. Nothing here reads process.env or the real home.
 */
import type { StowageConfig } from '../config/schema.js';
import type { StoreConfig } from '../config/stores.js';
import { StowageError, type ErrorCode } from '../errors.js';
import { awsProfile, readAwsFiles, type AwsFiles, type AwsProfile } from './aws-files.js';
import { isAwsEndpoint, isLoopbackEndpoint } from './endpoints.js';
import {
  envLayer,
  flagLayer,
  profileCredentials,
  profileLayer,
  storeLayer,
  type Layer,
  type Setting,
} from './layers.js';
import { extraCaCertificates, readCaBundle } from './ca-bundle.js';
import { discoverLocalServe, type LocalServeDiscovery } from './local-serve.js';
import { noCredentialsError } from './no-credentials.js';
import { envValue, seedDefaults } from './seed-env.js';
import type { ResolvedStore, StoreFlags } from './types.js';

/** Multipart part size when a store sets none (aws-cli's default). */
export const DEFAULT_PART_SIZE_BYTES = 8 * 1024 * 1024;
/** Sockets per store when a store sets none: enough for many small parallel uploads. */
export const DEFAULT_MAX_SOCKETS = 64;
/** Region when nothing names one (the SDK's and the embedded server's default). */
export const DEFAULT_REGION = 'us-east-1';

/** What a caller passes to {@link resolveStore}. */
export interface ResolveStoreOptions {
  /** The validated config (stores, defaultStore; dataDir and server for local discovery). */
  config: Pick<StowageConfig, 'dataDir' | 'server' | 'stores' | 'defaultStore'>;
  /** The environment to read (the CLI passes process.env; tests pass their own). */
  env: Readonly<Record<string, string | undefined>>;
  /** Home directory of ~/.aws. */
  homeDir: string;
  flags?: StoreFlags;
  /** What a relative `AWS_CA_BUNDLE` or profile `ca_bundle` is relative to; default `process.cwd()`. */
  cwd?: string;
}

function lookupProfile(files: AwsFiles, name: string, origin: string, code: ErrorCode): AwsProfile {
  const profile = awsProfile(files, name);
  if (!profile) {
    throw new StowageError(
      code,
      `${origin}: profile "${name}" is in neither ${files.configFile} nor ${files.credentialsFile}`,
      { details: { profile: name } },
    );
  }
  return profile;
}

function pick<K extends keyof Layer>(layers: Layer[], key: K): Layer[K] {
  for (const layer of layers) if (layer[key] !== undefined) return layer[key];
  return undefined;
}

/**
 * Resolves the store a command talks to.
 *
 * @throws StowageError `E_USAGE` for a bad flag or unknown `--store`/`--profile`,
 *   `E_CONFIG_INVALID` for bad env values or files, `E_NO_CREDENTIALS` when no source has
 *   credentials (the message lists what was tried).
 * @example
 * const store = await resolveStore({ config, env: process.env, homeDir: os.homedir(), flags: { store: 'minio' } });
 * const s3 = createS3Client(store);
 */
export async function resolveStore(options: ResolveStoreOptions): Promise<ResolvedStore> {
  const { config, env, homeDir, flags = {} } = options;
  const stores: Readonly<Record<string, StoreConfig>> = config.stores ?? {};
  if (flags.store !== undefined && !Object.hasOwn(stores, flags.store)) {
    const known = Object.keys(stores);
    throw new StowageError(
      'E_USAGE',
      `--store: no store named "${flags.store}" in stowage.yaml (${known.length ? `stores: ${known.join(', ')}` : 'it declares no stores'})`,
      { details: { store: flags.store } },
    );
  }
  const flagStore = flags.store;
  const defaultStore = flagStore === undefined ? config.defaultStore : undefined;
  const files = await readAwsFiles(env, homeDir);
  const storeProfile = (name: string | undefined): AwsProfile | undefined => {
    const profile = name === undefined ? undefined : stores[name]?.profile;
    return profile === undefined
      ? undefined
      : lookupProfile(files, profile, `store "${name}" profile`, 'E_CONFIG_INVALID');
  };

  const flagProfile = flags.profile && lookupProfile(files, flags.profile, '--profile', 'E_USAGE');
  const envProfileName = envValue(env, 'AWS_PROFILE');
  const envProfile =
    envProfileName && lookupProfile(files, envProfileName, 'env AWS_PROFILE', 'E_CONFIG_INVALID');
  const flagStoreProfile = storeProfile(flagStore);
  const defaultStoreProfile = storeProfile(defaultStore);
  const defaultProfile = awsProfile(files, 'default');
  // The profile whose own settings (region, endpoint_url …) apply: the highest-ranked choice.
  const profile =
    flagProfile || flagStoreProfile || envProfile || defaultStoreProfile || defaultProfile;

  const layers: Layer[] = [flagLayer(flags, flagProfile || undefined)];
  // Where the chosen store sits in `layers` (at most one of the two is set).
  let storeAt = -1;
  if (flagStore !== undefined) {
    storeAt = layers.push(storeLayer(flagStore, stores[flagStore]!, flagStoreProfile)) - 1;
  }
  layers.push(envLayer(env, envProfile || undefined));
  if (defaultStore !== undefined) {
    storeAt = layers.push(storeLayer(defaultStore, stores[defaultStore]!, defaultStoreProfile)) - 1;
  }
  if (profile) {
    const own = profileLayer(profile);
    // Nothing chose a profile: `default` offers its keys, below everything else.
    if (profile === defaultProfile) own.credentials = profileCredentials(defaultProfile);
    layers.push(own);
  }

  let endpoint = pick(layers, 'endpoint');
  const credentialsAt = layers.findIndex((layer) => layer.credentials !== undefined);
  let credentials = credentialsAt === -1 ? undefined : layers[credentialsAt]!.credentials;
  let region = pick(layers, 'region');
  let discovery: LocalServeDiscovery | undefined;
  let fromLocalServe = false;
  const storeName = flagStore ?? defaultStore;
  const store = storeName === undefined ? undefined : stores[storeName];
  // A stowage.yaml store on this machine with no keys of its own uses the local server's
  // rather than keys from a lower layer (AWS keys in env are not meant for it); keys from a
  // higher layer (--profile, or env above a defaultStore) still win.
  const localStoreWithoutKeys =
    store !== undefined &&
    !store.accessKeyId &&
    !store.profile &&
    isLoopbackEndpoint(store.endpoint) &&
    (credentialsAt === -1 || credentialsAt > storeAt);
  if (localStoreWithoutKeys || !credentials) {
    discovery = await discoverLocalServe(config);
    if ('found' in discovery && (endpoint === undefined || isLoopbackEndpoint(endpoint.value))) {
      const local = discovery.found;
      credentials = { value: local.credentials, origin: local.source };
      endpoint ??= { value: local.endpoint, origin: local.source };
      region ??= { value: local.region, origin: local.source };
      fromLocalServe = true;
    }
  }
  if (!credentials) {
    throw noCredentialsError({ flags, env, files, storeName, endpoint, discovery });
  }

  const awsHost = isAwsEndpoint(endpoint?.value);
  const pathStyleDefault: Setting<boolean> = {
    value: !awsHost,
    origin: awsHost ? 'default for AWS S3' : 'default for S3-compatible endpoints',
  };
  const forcePathStyle = pick(layers, 'forcePathStyle') ?? pathStyleDefault;
  const checksumPolicy = pick(layers, 'checksumPolicy');
  const name =
    storeName ??
    (fromLocalServe
      ? 'local'
      : profile && profile !== defaultProfile
        ? `profile:${profile.name}`
        : credentials.origin.startsWith('env') || endpoint?.origin.startsWith('env')
          ? 'env'
          : 'default');
  const resolved: ResolvedStore = {
    name,
    region: region?.value ?? DEFAULT_REGION,
    credentials: credentials.value,
    forcePathStyle: forcePathStyle.value,
    checksumPolicy: checksumPolicy?.value ?? 'WHEN_SUPPORTED',
    maxSockets: pick(layers, 'maxSockets')?.value ?? DEFAULT_MAX_SOCKETS,
    partSizeBytes: pick(layers, 'partSizeBytes')?.value ?? DEFAULT_PART_SIZE_BYTES,
    defaults: seedDefaults(env),
    source: [
      `endpoint: ${endpoint ? `${endpoint.value} from ${endpoint.origin}` : 'AWS S3'}`,
      `region: ${region ? `${region.value} from ${region.origin}` : `${DEFAULT_REGION} (default)`}`,
      `credentials: ${credentials.origin}`,
    ].join('; '),
  };
  if (endpoint) resolved.endpoint = endpoint.value;
  const rateLimit = pick(layers, 'rateLimit');
  if (rateLimit) resolved.rateLimit = rateLimit.value;
  let caBundle = pick(layers, 'caBundle');
  // The local server's own certificate (server.tls.certFile) when nothing else names a
  // bundle: a self-signed one is what a local TLS server usually has.
  const localCert = config.server.tls?.certFile;
  if (!caBundle && fromLocalServe && localCert && endpoint?.value.startsWith('https:')) {
    caBundle = { value: localCert, origin: 'server.tls.certFile (the local server)' };
  }
  if (caBundle) {
    // An agent's own CA list replaces Node's, which holds NODE_EXTRA_CA_CERTS' certificates
    // besides the bundled roots (tls.rootCertificates): keep those trusted too.
    resolved.caBundle = {
      file: caBundle.value,
      origin: caBundle.origin,
      certificates: [
        readCaBundle(caBundle.value, caBundle.origin, homeDir, options.cwd),
        ...extraCaCertificates(envValue(env, 'NODE_EXTRA_CA_CERTS')),
      ].join('\n'),
    };
    resolved.source += `; CA bundle: ${caBundle.value} from ${caBundle.origin}`;
  }
  const bandwidthLimit = pick(layers, 'bandwidthLimit');
  if (bandwidthLimit) resolved.bandwidthLimit = bandwidthLimit.value;
  return Object.freeze(resolved);
}
