/**
 * Profiles of the shared AWS files, ~/.aws/config (`[profile x]`, `[default]`) and
 * ~/.aws/credentials (`[x]`), read the way aws-cli reads them. Only what Stowage needs is
 * picked out: static keys, region, endpoint, addressing style, checksum policy.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { ChecksumPolicy } from '../config/stores.js';
import { StowageError } from '../errors.js';
import { parseIni, type IniSections } from './ini.js';

/** The two shared files and what they hold (empty when a file does not exist). */
export interface AwsFiles {
  configFile: string;
  credentialsFile: string;
  config: IniSections;
  credentials: IniSections;
}

/** What one profile says, merged from both files (credentials file wins for keys). */
export interface AwsProfile {
  name: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  region?: string;
  endpointUrl?: string;
  /** `ca_bundle`: a PEM file of certificates to trust. */
  caBundle?: string;
  /** `s3 = addressing_style = path|virtual|auto`. */
  addressingStyle?: string;
  checksumPolicy?: ChecksumPolicy;
  /**
   * Set when the profile gets its credentials some way Stowage leaves to the AWS SDK (SSO,
   * an assumed role, a credential process, web identity): the setting's name.
   */
  delegatedVia?: string;
  /** Which files mention the profile, for messages. */
  files: string[];
}

/** Settings under which the SDK, not Stowage, produces a profile's credentials. */
const DELEGATED_KEYS = [
  'sso_session',
  'sso_start_url',
  'role_arn',
  'credential_process',
  'web_identity_token_file',
  'login_session',
];

function expandHome(file: string, homeDir: string): string {
  return file === '~' || file.startsWith('~/') ? path.join(homeDir, file.slice(1)) : file;
}

async function readIni(file: string): Promise<IniSections> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return {};
    throw new StowageError('E_CONFIG_INVALID', `cannot read ${file}: ${(err as Error).message}`, {
      cause: err,
      details: { file },
    });
  }
  return parseIni(text, file);
}

/**
 * Reads the shared config and credentials files. `AWS_CONFIG_FILE` and
 * `AWS_SHARED_CREDENTIALS_FILE` in `env` move them, as they do for aws-cli.
 *
 * @example
 * const files = await readAwsFiles({ AWS_PROFILE: 'dev' }, os.homedir());
 * awsProfile(files, 'dev')?.region;
 */
export async function readAwsFiles(
  env: Readonly<Record<string, string | undefined>>,
  homeDir: string,
): Promise<AwsFiles> {
  const configFile = expandHome(
    env.AWS_CONFIG_FILE || path.join(homeDir, '.aws', 'config'),
    homeDir,
  );
  const credentialsFile = expandHome(
    env.AWS_SHARED_CREDENTIALS_FILE || path.join(homeDir, '.aws', 'credentials'),
    homeDir,
  );
  const [config, credentials] = await Promise.all([readIni(configFile), readIni(credentialsFile)]);
  return { configFile, credentialsFile, config, credentials };
}

function checksumPolicyOf(value: string | undefined): ChecksumPolicy | undefined {
  const upper = value?.toUpperCase();
  return upper === 'WHEN_SUPPORTED' || upper === 'WHEN_REQUIRED' ? upper : undefined;
}

/**
 * The named profile, or undefined when neither file has it. In the config file the default
 * profile is `[default]` (or `[profile default]`), any other `[profile NAME]`.
 */
export function awsProfile(files: AwsFiles, name: string): AwsProfile | undefined {
  const fromConfig =
    files.config[`profile ${name}`] ?? (name === 'default' ? files.config.default : undefined);
  const fromCredentials = files.credentials[name];
  if (!fromConfig && !fromCredentials) return undefined;
  const merged: Record<string, string> = { ...fromConfig, ...fromCredentials };
  const profile: AwsProfile = {
    name,
    files: [
      ...(fromConfig ? [files.configFile] : []),
      ...(fromCredentials ? [files.credentialsFile] : []),
    ],
  };
  const set = <K extends keyof AwsProfile>(key: K, value: AwsProfile[K] | undefined): void => {
    if (value !== undefined && value !== '') profile[key] = value;
  };
  set('accessKeyId', merged.aws_access_key_id);
  set('secretAccessKey', merged.aws_secret_access_key);
  set('sessionToken', merged.aws_session_token ?? merged.aws_security_token);
  set('region', merged.region);
  set('endpointUrl', merged['s3.endpoint_url'] ?? merged.endpoint_url);
  set('caBundle', merged.ca_bundle);
  set('addressingStyle', merged['s3.addressing_style']?.toLowerCase());
  set('checksumPolicy', checksumPolicyOf(merged.request_checksum_calculation));
  set(
    'delegatedVia',
    DELEGATED_KEYS.find((key) => merged[key] !== undefined),
  );
  return profile;
}
