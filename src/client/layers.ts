/**
 * The sources of store settings, one "layer" each: flags, a store of stowage.yaml, the
 * environment, an AWS profile. resolve.ts stacks them in precedence order and takes each
 * setting from the first layer that has it (docs/stores.md).
 */
import type { ChecksumPolicy, StoreConfig } from '../config/stores.js';
import { StowageError } from '../errors.js';
import type { AwsProfile } from './aws-files.js';
import { checkEndpoint, checkRegion } from './endpoints.js';
import { envValue } from './seed-env.js';
import type { StoreCredentials, StoreFlags } from './types.js';

type Env = Readonly<Record<string, string | undefined>>;

/** One setting and where it came from (for `ResolvedStore.source` and messages). */
export interface Setting<T> {
  value: T;
  origin: string;
}

/** What one source says; absent fields are left to lower layers. */
export interface Layer {
  endpoint?: Setting<string>;
  region?: Setting<string>;
  credentials?: Setting<StoreCredentials>;
  forcePathStyle?: Setting<boolean>;
  checksumPolicy?: Setting<ChecksumPolicy>;
  maxSockets?: Setting<number>;
  /** The file of a CA bundle (read by resolve.ts). */
  caBundle?: Setting<string>;
  partSizeBytes?: Setting<number>;
  rateLimit?: Setting<number>;
  bandwidthLimit?: Setting<number>;
}

function set<T>(value: T | undefined, origin: string): Setting<T> | undefined {
  return value === undefined ? undefined : { value, origin };
}

/** A profile's credentials: static keys, or the SDK's job (SSO, roles …), or none. */
export function profileCredentials(profile: AwsProfile): Setting<StoreCredentials> | undefined {
  const where = `profile ${profile.name} (${profile.files.join(', ')})`;
  if (profile.accessKeyId && profile.secretAccessKey) {
    const keys: StoreCredentials = {
      kind: 'static',
      accessKeyId: profile.accessKeyId,
      secretAccessKey: profile.secretAccessKey,
      ...(profile.sessionToken ? { sessionToken: profile.sessionToken } : {}),
    };
    return { value: keys, origin: where };
  }
  if (profile.delegatedVia) {
    return {
      value: { kind: 'profile', profile: profile.name },
      origin: `${where} via ${profile.delegatedVia}, resolved by the AWS SDK`,
    };
  }
  return undefined;
}

/** Command-line flags; `profile` is the profile `--profile` named, already looked up. */
export function flagLayer(flags: StoreFlags, profile: AwsProfile | undefined): Layer {
  return {
    // An empty flag (`--endpoint-url ''`) is a mistake, not "unset": the checks reject it.
    endpoint: set(
      flags.endpointUrl === undefined
        ? undefined
        : checkEndpoint(flags.endpointUrl, '--endpoint-url', 'E_USAGE'),
      '--endpoint-url',
    ),
    region: set(
      flags.region === undefined ? undefined : checkRegion(flags.region, '--region', 'E_USAGE'),
      '--region',
    ),
    credentials: profile ? profileCredentials(profile) : undefined,
    caBundle: set(flags.caBundle, '--ca-bundle'),
  };
}

/** A store of stowage.yaml (already validated by the config schema). */
export function storeLayer(
  name: string,
  store: StoreConfig,
  profile: AwsProfile | undefined,
): Layer {
  const origin = `store "${name}" (stowage.yaml)`;
  const keys: StoreCredentials | undefined =
    store.accessKeyId && store.secretAccessKey
      ? {
          kind: 'static',
          accessKeyId: store.accessKeyId,
          secretAccessKey: store.secretAccessKey,
          ...(store.sessionToken ? { sessionToken: store.sessionToken } : {}),
        }
      : undefined;
  return {
    endpoint: set(store.endpoint?.replace(/\/+$/, ''), origin),
    region: set(store.region, origin),
    credentials: keys ? { value: keys, origin } : profile ? profileCredentials(profile) : undefined,
    forcePathStyle: set(store.forcePathStyle, origin),
    checksumPolicy: set(store.checksumPolicy, origin),
    maxSockets: set(store.maxSockets, origin),
    caBundle: set(store.caBundle, `${origin} caBundle`),
    partSizeBytes: set(store.partSizeBytes, origin),
    rateLimit: set(store.rateLimit, origin),
    bandwidthLimit: set(store.bandwidthLimit, origin),
  };
}

function envKeys(env: Env): Setting<StoreCredentials> | undefined {
  const accessKeyId = envValue(env, 'AWS_ACCESS_KEY_ID');
  const secretAccessKey = envValue(env, 'AWS_SECRET_ACCESS_KEY');
  if (accessKeyId === undefined && secretAccessKey === undefined) return undefined;
  if (accessKeyId === undefined || secretAccessKey === undefined) {
    const missing = accessKeyId === undefined ? 'AWS_ACCESS_KEY_ID' : 'AWS_SECRET_ACCESS_KEY';
    const present = accessKeyId === undefined ? 'AWS_SECRET_ACCESS_KEY' : 'AWS_ACCESS_KEY_ID';
    throw new StowageError(
      'E_CONFIG_INVALID',
      `env ${present} is set but ${missing} is not: set both, or neither`,
      { details: { variable: missing } },
    );
  }
  const sessionToken = envValue(env, 'AWS_SESSION_TOKEN');
  return {
    value: {
      kind: 'static',
      accessKeyId,
      secretAccessKey,
      ...(sessionToken ? { sessionToken } : {}),
    },
    origin: `env AWS_ACCESS_KEY_ID${sessionToken ? ', AWS_SESSION_TOKEN' : ''}`,
  };
}

function firstEnv(env: Env, names: string[]): Setting<string> | undefined {
  for (const name of names) {
    const value = envValue(env, name);
    if (value !== undefined) return { value, origin: `env ${name}` };
  }
  return undefined;
}

/**
 * The environment: AWS's variables (keys, endpoint, region, checksum policy), then seed 003's
 * S3_REGION as the lowest-ranked region. `profile` is the one AWS_PROFILE named.
 */
export function envLayer(env: Env, profile: AwsProfile | undefined): Layer {
  // AWS_ENDPOINT_URL_S3 is the service-specific form and wins over AWS_ENDPOINT_URL.
  const endpoint = firstEnv(env, ['AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL']);
  const region = firstEnv(env, ['AWS_REGION', 'AWS_DEFAULT_REGION', 'S3_REGION']);
  const checksum = firstEnv(env, ['AWS_REQUEST_CHECKSUM_CALCULATION']);
  const caBundle = firstEnv(env, ['AWS_CA_BUNDLE']);
  let checksumPolicy: Setting<ChecksumPolicy> | undefined;
  if (checksum) {
    const upper = checksum.value.toUpperCase();
    if (upper !== 'WHEN_SUPPORTED' && upper !== 'WHEN_REQUIRED') {
      throw new StowageError(
        'E_CONFIG_INVALID',
        `${checksum.origin}: expected WHEN_SUPPORTED or WHEN_REQUIRED, got "${checksum.value}"`,
      );
    }
    checksumPolicy = { value: upper, origin: checksum.origin };
  }
  return {
    endpoint: endpoint && {
      value: checkEndpoint(endpoint.value, endpoint.origin, 'E_CONFIG_INVALID'),
      origin: endpoint.origin,
    },
    region: region && {
      value: checkRegion(region.value, region.origin, 'E_CONFIG_INVALID'),
      origin: region.origin,
    },
    // Keys in the environment win over AWS_PROFILE, as in aws-cli.
    credentials: envKeys(env) ?? (profile ? profileCredentials(profile) : undefined),
    checksumPolicy,
    caBundle,
  };
}

/** A profile's own settings (its credentials rank with whatever chose the profile). */
export function profileLayer(profile: AwsProfile): Layer {
  const origin = `profile ${profile.name} (${profile.files.join(', ')})`;
  const style = profile.addressingStyle;
  return {
    endpoint: set(
      profile.endpointUrl &&
        checkEndpoint(profile.endpointUrl, `${origin} endpoint_url`, 'E_CONFIG_INVALID'),
      origin,
    ),
    region: set(
      profile.region && checkRegion(profile.region, `${origin} region`, 'E_CONFIG_INVALID'),
      origin,
    ),
    forcePathStyle: set(style === 'path' ? true : style === 'virtual' ? false : undefined, origin),
    checksumPolicy: set(profile.checksumPolicy, origin),
    caBundle: set(profile.caBundle, `${origin} ca_bundle`),
  };
}
