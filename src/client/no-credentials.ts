/**
 * The error for "no source had credentials": it lists every source that was tried and what
 * it lacked, then what to do, so a newcomer is never left guessing.
 */
import { StowageError } from '../errors.js';
import type { AwsFiles } from './aws-files.js';
import type { Setting } from './layers.js';
import type { LocalServeDiscovery } from './local-serve.js';
import { envValue } from './seed-env.js';
import type { StoreFlags } from './types.js';

/** What resolution knew when it found no credentials. */
export interface NoCredentialsContext {
  flags: StoreFlags;
  env: Readonly<Record<string, string | undefined>>;
  files: AwsFiles;
  storeName: string | undefined;
  endpoint: Setting<string> | undefined;
  discovery: LocalServeDiscovery | undefined;
}

/** Builds the `E_NO_CREDENTIALS` error; the message names no secret. */
export function noCredentialsError(ctx: NoCredentialsContext): StowageError {
  const { flags, env, files, storeName, endpoint, discovery } = ctx;
  const profileName = flags.profile ?? envValue(env, 'AWS_PROFILE') ?? 'default';
  const tried = [
    flags.profile ? `--profile ${flags.profile} (has no keys)` : '--profile (not given)',
    'env AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (not set)',
    envValue(env, 'AWS_PROFILE')
      ? `env AWS_PROFILE=${envValue(env, 'AWS_PROFILE')} (has no keys)`
      : 'env AWS_PROFILE (not set)',
    storeName
      ? `store "${storeName}" in stowage.yaml (has no keys or profile)`
      : 'stowage.yaml (no store chosen)',
    `profile ${profileName} in ${files.credentialsFile} and ${files.configFile} (${
      files.credentials[profileName] ||
      files.config[`profile ${profileName}`] ||
      files.config[profileName]
        ? 'has no keys'
        : 'not found'
    })`,
  ];
  if (discovery && 'notFound' in discovery)
    tried.push(`local stowage serve (${discovery.notFound})`);
  else if (discovery && endpoint) {
    tried.push(
      `local stowage serve (not used: the endpoint ${endpoint.value} is not on this machine)`,
    );
  }
  const target = endpoint ? `${endpoint.value} (from ${endpoint.origin})` : 'AWS S3';
  return new StowageError(
    'E_NO_CREDENTIALS',
    `no credentials for ${target}: tried ${tried.join('; ')}. ` +
      'Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, pass --profile, add a store to stowage.yaml ' +
      '(see docs/stores.md), or run `stowage serve`',
    { details: { tried, endpoint: endpoint?.value ?? null } },
  );
}
