/**
 * Loads the effective configuration: defaults -> config file -> env -> flags, validated
 * once against {@link configSchema} and deep-frozen. This folder and src/cli/main.ts are
 * the only places that read the environment.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { StowageError } from '../errors.js';
import { configError, describeIssue, type ConfigIssue } from './issues.js';
import { configKeysAt, configSchema, isConfigCollectionAt, type StowageConfig } from './schema.js';
import { readIncludedBuckets } from './include.js';
import { fileLabel, parseYamlConfig } from './yaml.js';

/** The file looked for in the working directory when no config path is given. */
export const DEFAULT_CONFIG_FILE = 'stowage.yaml';

/**
 * Environment variables the loader reads, in the order they are applied (a later one
 * wins over an earlier one for the same key). `key` is the config key each one sets;
 * `STOWAGE_CONFIG` names the config file instead.
 */
export const CONFIG_ENV_VARS = [
  { name: 'STOWAGE_CONFIG', key: undefined },
  { name: 'STOWAGE_DATA_DIR', key: 'dataDir' },
  { name: 'LOG_LEVEL', key: 'log.level' },
  { name: 'STOWAGE_LOG_LEVEL', key: 'log.level' },
  { name: 'STOWAGE_ADDRESS', key: 'server.address' },
  { name: 'STOWAGE_PORT', key: 'server.port' },
  { name: 'STOWAGE_REGION', key: 'server.region' },
  { name: 'STOWAGE_DEFAULT_ENCRYPTION', key: 'server.defaultEncryption' },
  { name: 'STOWAGE_TRUSTED_PROXIES', key: 'server.trustedProxies' },
  { name: 'STOWAGE_ROOT_ACCESS_KEY', key: 'server.rootAccessKeyId' },
  { name: 'STOWAGE_ROOT_SECRET_KEY', key: 'server.rootSecretAccessKey' },
] as const;

/** Settings given on the command line; they win over everything else. */
export interface ConfigFlags {
  /** `--data-dir`: relative paths resolve against `cwd`. */
  dataDir?: string;
  /** `--log-level` (the CLI's `--verbose` means `debug`). */
  logLevel?: string;
  /** `stowage serve --address`. */
  address?: string;
  /** `stowage serve --port`. */
  port?: string | number;
}

/** What a caller passes to {@link loadConfig}. */
export interface LoadConfigOptions {
  /** `--config`: an explicitly named file, which must exist. */
  configPath?: string;
  /** How `configPath` was given, for errors (default `--config`). */
  configPathNamedBy?: string;
  /** Environment to read; defaults to `process.env`. */
  env?: Record<string, string | undefined>;
  flags?: ConfigFlags;
  /** Directory that relative paths resolve against; defaults to `process.cwd()`. */
  cwd?: string;
}

/** The result of {@link resolveConfig}: the config plus where it came from. */
export interface ResolvedConfig {
  config: StowageConfig;
  /** Absolute path of the config file that was read, if any. */
  configFile: string | undefined;
  /** Where each key set by the user came from (`stowage.yaml`, `env LOG_LEVEL`, `--data-dir`). */
  sources: Readonly<Record<string, string>>;
}

/**
 * Loads and validates the configuration.
 *
 * @throws StowageError `E_CONFIG_INVALID` naming the file, field, bad value and expectation.
 * @example
 * const config = await loadConfig({ configPath: 'stowage.yaml', env: process.env });
 * console.log(config.dataDir, config.engine.fsync);
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<StowageConfig> {
  return (await resolveConfig(options)).config;
}

/**
 * Like {@link loadConfig}, and also reports which file was read and where each value came from.
 *
 * @example
 * const { config, configFile } = await resolveConfig({ cwd: '/srv/stowage' });
 */
export async function resolveConfig(options: LoadConfigOptions = {}): Promise<ResolvedConfig> {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const raw: Record<string, unknown> = {};
  const sources = new Map<string, string>();

  const file = await readConfigFile(
    locateConfigFile(options.configPath, env, cwd, options.configPathNamedBy),
    cwd,
  );
  if (file) setLeaves(raw, [], file.data, file.label, sources);
  if (file && typeof file.data.buckets === 'string') {
    const included = await readIncludedBuckets(file.data.buckets, file.path, file.label, cwd);
    raw.buckets = included.data;
    sources.set('buckets', included.label);
  }

  for (const { name, key } of CONFIG_ENV_VARS) {
    const value = env[name];
    // An empty variable is treated as unset, as shells make `VAR=` easy to leave behind.
    if (key && value !== undefined && value !== '') {
      setPath(raw, key.split('.'), value, `env ${name}`, sources);
    }
  }
  const flags = options.flags ?? {};
  if (flags.dataDir !== undefined) setPath(raw, ['dataDir'], flags.dataDir, '--data-dir', sources);
  if (flags.logLevel !== undefined) {
    setPath(raw, ['log', 'level'], flags.logLevel, '--log-level', sources);
  }
  if (flags.address !== undefined)
    setPath(raw, ['server', 'address'], flags.address, '--address', sources);
  if (flags.port !== undefined) setPath(raw, ['server', 'port'], flags.port, '--port', sources);

  const parsed = configSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    const fallback = file?.label ?? 'config';
    const issues: ConfigIssue[] = parsed.error.issues.flatMap((issue) =>
      describeIssue(issue, raw, (p) => sourceOf(sources, p) ?? fallback),
    );
    throw configError(issues, file?.path);
  }

  const config = parsed.data;
  const dataDirSource = sources.get('dataDir');
  const base = file && dataDirSource === file.label ? path.dirname(file.path) : cwd;
  config.dataDir = resolvePath(config.dataDir, base);
  if (config.server.tls) {
    const tlsBase =
      file && sources.get('server.tls.certFile') === file.label ? path.dirname(file.path) : cwd;
    config.server.tls.certFile = resolvePath(config.server.tls.certFile, tlsBase);
    config.server.tls.keyFile = resolvePath(config.server.tls.keyFile, tlsBase);
  }
  // A store's CA bundle, like the TLS files, is relative to the file that names it.
  for (const store of Object.values(config.stores ?? {})) {
    if (store.caBundle !== undefined) {
      store.caBundle = resolvePath(store.caBundle, file ? path.dirname(file.path) : cwd);
    }
  }
  if (
    (config.server.rootAccessKeyId === undefined) !==
    (config.server.rootSecretAccessKey === undefined)
  ) {
    throw configError(
      [
        {
          source:
            sources.get('server.rootAccessKeyId') ??
            sources.get('server.rootSecretAccessKey') ??
            'config',
          path: 'server',
          problem:
            'rootAccessKeyId and rootSecretAccessKey must be set together (STOWAGE_ROOT_ACCESS_KEY, STOWAGE_ROOT_SECRET_KEY)',
        },
      ],
      file?.path,
    );
  }

  return {
    config: deepFreeze(config),
    configFile: file?.path,
    sources: Object.freeze(Object.fromEntries(sources)),
  };
}

interface ConfigFileRef {
  path: string;
  /** How the user named it, for errors: `--config` or `env STOWAGE_CONFIG`; absent for the default. */
  namedBy?: string;
}

function locateConfigFile(
  flagPath: string | undefined,
  env: Record<string, string | undefined>,
  cwd: string,
  flagNamedBy = '--config',
): ConfigFileRef {
  if (flagPath !== undefined && flagPath !== '') {
    return { path: path.resolve(cwd, flagPath), namedBy: flagNamedBy };
  }
  const envPath = env.STOWAGE_CONFIG;
  if (envPath !== undefined && envPath !== '') {
    return { path: path.resolve(cwd, envPath), namedBy: 'env STOWAGE_CONFIG' };
  }
  return { path: path.join(cwd, DEFAULT_CONFIG_FILE) };
}

interface LoadedFile {
  path: string;
  /** The name used in error messages: relative to cwd when inside it. */
  label: string;
  data: Record<string, unknown>;
}

async function readConfigFile(ref: ConfigFileRef, cwd: string): Promise<LoadedFile | undefined> {
  const label = fileLabel(ref.path, cwd);
  let text: string;
  try {
    text = await readFile(ref.path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Only the default file is optional; a file the user named must exist.
    if (code === 'ENOENT' && !ref.namedBy) return undefined;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EISDIR'
          ? 'is a directory'
          : `cannot be read (${code ?? String(err)})`;
    const from = ref.namedBy ? ` (named by ${ref.namedBy})` : '';
    throw new StowageError('E_CONFIG_INVALID', `config file ${label}${from} ${why}`, {
      cause: err,
      details: { file: ref.path },
    });
  }
  return { path: ref.path, label, data: parseYamlConfig(text, label, ref.path) };
}

/** Where the value at dotted path `p` (or the nearest section holding it) came from. */
function sourceOf(sources: Map<string, string>, p: string): string | undefined {
  for (let at = p; at !== ''; at = at.includes('.') ? at.slice(0, at.lastIndexOf('.')) : '') {
    const found = sources.get(at);
    if (found !== undefined) return found;
  }
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Copies a file's values into `target`, recording the source of every leaf. A section, a
 * list or a map left empty in YAML (`engine:` with its keys commented out, `accessKeys:` or
 * `stores:` with their entries commented out) parses as null and means "unset".
 */
function setLeaves(
  target: Record<string, unknown>,
  prefix: string[],
  value: Record<string, unknown>,
  label: string,
  sources: Map<string, string>,
): void {
  for (const [key, child] of Object.entries(value)) {
    const at = [...prefix, key];
    const isSection = configKeysAt(at) !== undefined;
    if (child === null && (isSection || isConfigCollectionAt(at))) continue;
    if (isSection && isPlainObject(child)) {
      const existing = target[key];
      const next = isPlainObject(existing) ? existing : {};
      target[key] = next;
      setLeaves(next, at, child, label, sources);
    } else {
      target[key] = child;
      sources.set(at.join('.'), label);
    }
  }
}

function setPath(
  target: Record<string, unknown>,
  at: string[],
  value: unknown,
  label: string,
  sources: Map<string, string>,
): void {
  let node = target;
  for (const key of at.slice(0, -1)) {
    const existing = node[key];
    // A file that set a section to a scalar is reported by validation; env must not hide it.
    if (existing !== undefined && !isPlainObject(existing)) return;
    const next = existing ?? {};
    node[key] = next;
    node = next as Record<string, unknown>;
  }
  node[at[at.length - 1] as string] = value;
  sources.set(at.join('.'), label);
}

function resolvePath(value: string, base: string): string {
  // Shells expand `~` but YAML and env values reach us verbatim.
  if (value === '~') return homedir();
  if (value.startsWith('~/')) return path.join(homedir(), value.slice(2));
  return path.resolve(base, value);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
