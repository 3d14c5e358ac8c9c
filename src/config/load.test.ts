import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StowageError } from '../errors.js';
import { loadConfig, resolveConfig, type LoadConfigOptions } from './load.js';

const root = mkdtempSync(path.join(tmpdir(), 'stowage-config-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let dirCount = 0;
/** A fresh working directory, optionally with files (name -> text) in it. */
function workdir(files: Record<string, string> = {}): string {
  dirCount += 1;
  const dir = path.join(root, `case-${dirCount}`);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

/** Loads with an empty env so the test machine's variables never leak in. */
function load(cwd: string, options: LoadConfigOptions = {}) {
  return loadConfig({ cwd, env: {}, ...options });
}

/** The E_CONFIG_INVALID message of a load that must fail. */
async function failure(cwd: string, options: LoadConfigOptions = {}): Promise<string> {
  const err: unknown = await load(cwd, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StowageError);
  expect((err as StowageError).code).toBe('E_CONFIG_INVALID');
  return (err as StowageError).message;
}

describe('loadConfig: sources and precedence', () => {
  it('uses defaults when there is no file, env or flag', async () => {
    const cwd = workdir();
    const config = await load(cwd);
    expect(config).toEqual({
      dataDir: path.join(cwd, 'stowage-data'),
      log: { level: 'info' },
      engine: {
        fsync: true,
        minPartSizeBytes: 5242880,
        maxObjectSizeBytes: 5497558138880,
        maxPutSizeBytes: 5368709120,
        allowNetworkFilesystem: false,
      },
      server: {
        address: '127.0.0.1',
        port: 9000,
        region: 'us-east-1',
        virtualHostDomain: 'localhost',
        idleTimeoutSeconds: 20,
        defaultEncryption: 'AES256',
        checkDatabaseAtStart: true,
        maxConnections: 4096,
        trustedProxies: [],
      },
    });
  });

  it('reads ./stowage.yaml when it exists', async () => {
    const cwd = workdir({ 'stowage.yaml': 'engine:\n  fsync: false\nlog:\n  level: warn\n' });
    const { config, configFile } = await resolveConfig({ cwd, env: {} });
    expect(configFile).toBe(path.join(cwd, 'stowage.yaml'));
    expect(config.engine.fsync).toBe(false);
    expect(config.log.level).toBe('warn');
  });

  it('takes the file from STOWAGE_CONFIG, and --config over it', async () => {
    const cwd = workdir({
      'a.yaml': 'log: { level: warn }\n',
      'b.yaml': 'log: { level: error }\n',
      'stowage.yaml': 'log: { level: trace }\n',
    });
    expect((await load(cwd, { env: { STOWAGE_CONFIG: 'a.yaml' } })).log.level).toBe('warn');
    const both = await load(cwd, { configPath: 'b.yaml', env: { STOWAGE_CONFIG: 'a.yaml' } });
    expect(both.log.level).toBe('error');
  });

  it('applies defaults -> file -> env -> flags, later winning', async () => {
    const cwd = workdir({ 'stowage.yaml': 'dataDir: from-file\nlog: { level: warn }\n' });
    const fileOnly = await load(cwd);
    expect(fileOnly.dataDir).toBe(path.join(cwd, 'from-file'));

    const env = { STOWAGE_DATA_DIR: 'from-env', LOG_LEVEL: 'error' };
    const withEnv = await load(cwd, { env });
    expect(withEnv.dataDir).toBe(path.join(cwd, 'from-env'));
    expect(withEnv.log.level).toBe('error');
    // Level names in any case (an exit 2 before).
    expect((await load(cwd, { env: { LOG_LEVEL: 'WARN' } })).log.level).toBe('warn');

    const withFlags = await load(cwd, { env, flags: { dataDir: '/flag/dir', logLevel: 'debug' } });
    expect(withFlags.dataDir).toBe('/flag/dir');
    expect(withFlags.log.level).toBe('debug');
  });

  it('lets STOWAGE_LOG_LEVEL win over LOG_LEVEL', async () => {
    const config = await load(workdir(), {
      env: { LOG_LEVEL: 'debug', STOWAGE_LOG_LEVEL: 'fatal' },
    });
    expect(config.log.level).toBe('fatal');
  });

  it('treats empty env variables as unset', async () => {
    const config = await load(workdir(), { env: { STOWAGE_DATA_DIR: '', LOG_LEVEL: '' } });
    expect(config.log.level).toBe('info');
  });

  it('reports where each user-set value came from', async () => {
    const cwd = workdir({ 'stowage.yaml': 'engine: { fsync: false }\n' });
    const { sources } = await resolveConfig({
      cwd,
      env: { LOG_LEVEL: 'warn' },
      flags: { dataDir: 'x' },
    });
    expect(sources).toEqual({
      'engine.fsync': 'stowage.yaml',
      'log.level': 'env LOG_LEVEL',
      dataDir: '--data-dir',
    });
  });

  it('treats an empty section as unset', async () => {
    const cwd = workdir({ 'stowage.yaml': 'engine:\n  # fsync: false\nlog:\n' });
    expect((await load(cwd)).engine.fsync).toBe(true);
  });

  it('treats an empty map as unset', async () => {
    const cwd = workdir({ 'stowage.yaml': 'stores:\n  # aws: { region: eu-north-1 }\nbuckets:\n' });
    const config = await load(cwd);
    expect(config.stores).toBeUndefined();
    expect(config.buckets).toBeUndefined();
  });

  it('treats an empty list as unset', async () => {
    const cwd = workdir({
      'stowage.yaml': 'server:\n  accessKeys:\n  # - name: reader\n  port: 9100\n',
    });
    const config = await load(cwd);
    expect(config.server.accessKeys).toBeUndefined();
    expect(config.server.port).toBe(9100);
  });

  it('accepts an empty file', async () => {
    const cwd = workdir({ 'stowage.yaml': '' });
    expect((await load(cwd)).log.level).toBe('info');
  });

  it('YAML merge keys (<<: *anchor) copy a mapping in; keys written beside them win', async () => {
    const cwd = workdir({
      'stowage.yaml': [
        'buckets:',
        '  renders1: &studio',
        '    versioning: Enabled',
        '    tags: { team: art }',
        '  renders2:',
        '    <<: *studio',
        '    tags: { team: games }',
        '',
      ].join('\n'),
    });
    const config = await loadConfig({ cwd, env: {} });
    expect(config.buckets).toMatchObject({
      renders1: { versioning: 'Enabled', tags: [{ Key: 'team', Value: 'art' }] },
      renders2: { versioning: 'Enabled', tags: [{ Key: 'team', Value: 'games' }] },
    });
  });
});

describe('loadConfig: dataDir resolution', () => {
  it('resolves a relative dataDir from a file against the file directory', async () => {
    const cwd = workdir({ 'etc/stowage.yaml': 'dataDir: ../data\n' });
    const config = await load(cwd, { configPath: 'etc/stowage.yaml' });
    expect(config.dataDir).toBe(path.join(cwd, 'data'));
  });

  it('resolves relative env and flag values against cwd', async () => {
    const cwd = workdir({ 'etc/stowage.yaml': 'dataDir: ../data\n' });
    const fromEnv = await load(cwd, {
      configPath: 'etc/stowage.yaml',
      env: { STOWAGE_DATA_DIR: 'env-data' },
    });
    expect(fromEnv.dataDir).toBe(path.join(cwd, 'env-data'));
    const fromFlag = await load(cwd, { flags: { dataDir: 'flag-data' } });
    expect(fromFlag.dataDir).toBe(path.join(cwd, 'flag-data'));
  });

  it('resolves the default dataDir against cwd even when a file is used', async () => {
    const cwd = workdir({ 'etc/stowage.yaml': 'log: { level: info }\n' });
    const config = await load(cwd, { configPath: 'etc/stowage.yaml' });
    expect(config.dataDir).toBe(path.join(cwd, 'stowage-data'));
  });

  it('expands a leading ~ to the home directory', async () => {
    const config = await load(workdir(), { flags: { dataDir: '~/stowage' } });
    expect(config.dataDir).toBe(path.join(homedir(), 'stowage'));
  });

  it('keeps absolute paths', async () => {
    const cwd = workdir({ 'stowage.yaml': 'dataDir: /srv/stowage\n' });
    expect((await load(cwd)).dataDir).toBe('/srv/stowage');
  });
});

describe('loadConfig: result', () => {
  it('is deep-frozen', async () => {
    const config = await load(workdir());
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.engine)).toBe(true);
    expect(Object.isFrozen(config.log)).toBe(true);
    expect(() => {
      (config.engine as { fsync: boolean }).fsync = false;
    }).toThrow(TypeError);
  });
});

describe('loadConfig: bad input names the file, field, value and expectation', () => {
  it('wrong type', async () => {
    const cwd = workdir({ 'stowage.yaml': 'engine:\n  fsync: yes\n' });
    expect(await failure(cwd)).toBe('stowage.yaml: engine.fsync: expected boolean, got "yes"');
  });

  it('number given as a string', async () => {
    const cwd = workdir({ 'stowage.yaml': 'engine:\n  minPartSizeBytes: 5MB\n' });
    expect(await failure(cwd)).toBe(
      'stowage.yaml: engine.minPartSizeBytes: expected number, got "5MB"',
    );
  });

  it('fractional size', async () => {
    const cwd = workdir({ 'stowage.yaml': 'engine:\n  maxPutSizeBytes: 1.5\n' });
    expect(await failure(cwd)).toBe(
      'stowage.yaml: engine.maxPutSizeBytes: expected integer, got 1.5',
    );
  });

  it.each(['minPartSizeBytes', 'maxObjectSizeBytes', 'maxPutSizeBytes'])(
    'negative %s',
    async (key) => {
      const cwd = workdir({ 'stowage.yaml': `engine:\n  ${key}: -1\n` });
      expect(await failure(cwd)).toBe(`stowage.yaml: engine.${key}: expected a number > 0, got -1`);
    },
  );

  it('an empty list where one item is needed is named as a list', async () => {
    const cwd = workdir({
      'stowage.yaml':
        'buckets:\n  b1x:\n    cors: [{ allowedOrigins: [], allowedMethods: [GET] }]\n',
    });
    expect(await failure(cwd)).toBe(
      'stowage.yaml: buckets.b1x.cors.0.allowedOrigins: expected a list of at least 1 item(s), got a list',
    );
  });

  it('zero size', async () => {
    const cwd = workdir({ 'stowage.yaml': 'engine:\n  minPartSizeBytes: 0\n' });
    expect(await failure(cwd)).toContain('engine.minPartSizeBytes: expected a number > 0, got 0');
  });

  it('contradicting limits', async () => {
    const cwd = workdir({ 'stowage.yaml': 'engine:\n  maxObjectSizeBytes: 1000\n' });
    expect(await failure(cwd)).toBe(
      'stowage.yaml: engine.maxPutSizeBytes: expected at most engine.maxObjectSizeBytes (1000), got 5368709120',
    );
  });

  it('unknown key at the top level', async () => {
    const cwd = workdir({ 'stowage.yaml': 'datadir: ./x\n' });
    expect(await failure(cwd)).toBe(
      'stowage.yaml: datadir: unknown key (expected one of dataDir, log, engine, server, stores, defaultStore, buckets)',
    );
  });

  it('unknown key in a section', async () => {
    const cwd = workdir({ 'stowage.yaml': 'engine:\n  fsynk: true\n' });
    expect(await failure(cwd)).toMatch(
      /^stowage\.yaml: engine\.fsynk: unknown key \(expected one of fsync,/,
    );
  });

  it('unknown key in a named store lists the keys a store takes', async () => {
    const cwd = workdir({
      'stowage.yaml': 'stores:\n  a:\n    endpoint: http://127.0.0.1:9000\n    bogus: 1\n',
    });
    expect(await failure(cwd)).toMatch(
      /^stowage\.yaml: stores\.a\.bogus: unknown key \(expected one of endpoint, region, /,
    );
  });

  it('bad log level in the file', async () => {
    const cwd = workdir({ 'stowage.yaml': 'log:\n  level: verbose\n' });
    expect(await failure(cwd)).toBe(
      'stowage.yaml: log.level: expected one of trace|debug|info|warn|error|fatal|silent, got "verbose"',
    );
  });

  it('bad log level in the env names the variable', async () => {
    expect(await failure(workdir(), { env: { LOG_LEVEL: 'loud' } })).toMatch(
      /^env LOG_LEVEL: log\.level: expected one of trace\|debug.*, got "loud"$/,
    );
    expect(await failure(workdir(), { env: { STOWAGE_LOG_LEVEL: 'loud' } })).toMatch(
      /^env STOWAGE_LOG_LEVEL: log\.level:/,
    );
  });

  it('bad flag names the flag', async () => {
    expect(await failure(workdir(), { flags: { logLevel: 'loud' } })).toMatch(
      /^--log-level: log\.level: expected one of/,
    );
    expect(await failure(workdir(), { flags: { dataDir: '' } })).toBe(
      '--data-dir: dataDir: expected at least 1 character(s), got ""',
    );
  });

  it('section given as a scalar', async () => {
    const cwd = workdir({ 'stowage.yaml': 'engine: fast\n' });
    expect(await failure(cwd)).toBe('stowage.yaml: engine: expected object, got "fast"');
  });

  it('reports every problem at once', async () => {
    const cwd = workdir({ 'stowage.yaml': 'engine:\n  fsync: 1\nlog:\n  level: 3\n' });
    const message = await failure(cwd);
    expect(message).toContain('engine.fsync: expected boolean, got 1');
    expect(message).toContain('log.level: expected one of');
  });

  it('carries the issues in details', async () => {
    const cwd = workdir({ 'stowage.yaml': 'engine:\n  fsync: "no"\n' });
    const err = await load(cwd).catch((e: unknown) => e as StowageError);
    expect(err).toBeInstanceOf(StowageError);
    expect((err as StowageError).details).toEqual({
      file: path.join(cwd, 'stowage.yaml'),
      issues: [
        { source: 'stowage.yaml', path: 'engine.fsync', problem: 'expected boolean, got "no"' },
      ],
    });
  });

  it('YAML syntax error with line and column', async () => {
    const cwd = workdir({ 'stowage.yaml': 'log:\n  level: info\nengine: [1, 2\n' });
    expect(await failure(cwd)).toMatch(/^stowage\.yaml:\d+:\d+: invalid YAML: \S/);
  });

  it('duplicate YAML key', async () => {
    const cwd = workdir({ 'stowage.yaml': 'dataDir: a\ndataDir: b\n' });
    expect(await failure(cwd)).toMatch(/^stowage\.yaml:2:1: invalid YAML: Map keys must be unique/);
  });

  it('top level that is not a mapping', async () => {
    const cwd = workdir({ 'stowage.yaml': '- dataDir\n' });
    expect(await failure(cwd)).toBe(
      'stowage.yaml: expected a mapping of settings at the top level, got a list',
    );
  });

  it('missing explicit file (--config)', async () => {
    expect(await failure(workdir(), { configPath: 'nope.yaml' })).toBe(
      'config file nope.yaml (named by --config) does not exist',
    );
  });

  it('missing explicit file (STOWAGE_CONFIG)', async () => {
    expect(await failure(workdir(), { env: { STOWAGE_CONFIG: 'nope.yaml' } })).toBe(
      'config file nope.yaml (named by env STOWAGE_CONFIG) does not exist',
    );
  });

  it('config path that is a directory', async () => {
    const cwd = workdir({ 'conf/keep': '' });
    expect(await failure(cwd, { configPath: 'conf' })).toBe(
      'config file conf (named by --config) is a directory',
    );
  });

  it('names files outside cwd by their absolute path', async () => {
    const elsewhere = workdir({ 'stowage.yaml': 'engine: { fsync: 2 }\n' });
    const message = await failure(workdir(), { configPath: path.join(elsewhere, 'stowage.yaml') });
    expect(message).toBe(
      `${path.join(elsewhere, 'stowage.yaml')}: engine.fsync: expected boolean, got 2`,
    );
  });
});

describe('loadConfig: server section', () => {
  it('reads the port from env as a number and flags win over env', async () => {
    const cwd = workdir();
    const fromEnv = await loadConfig({
      cwd,
      env: { STOWAGE_PORT: '9100', STOWAGE_ADDRESS: '0.0.0.0' },
    });
    expect(fromEnv.server.port).toBe(9100);
    expect(fromEnv.server.address).toBe('0.0.0.0');
    const fromFlag = await loadConfig({
      cwd,
      env: { STOWAGE_PORT: '9100' },
      flags: { port: '9200' },
    });
    expect(fromFlag.server.port).toBe(9200);
  });

  it('rejects a bad port naming it', async () => {
    const cwd = workdir();
    await expect(loadConfig({ cwd, env: { STOWAGE_PORT: '70000' } })).rejects.toThrow(
      /env STOWAGE_PORT: server\.port/,
    );
    // Only decimal digits are read as a number: nothing else is turned into a port.
    for (const port of ['abc', '', '0x4B00', '1e4', 'true']) {
      await expect(loadConfig({ cwd, flags: { port } }), port).rejects.toThrow(
        new RegExp(`server\\.port: expected number, got "${port}"`),
      );
    }
  });

  it('refuses a boolean or empty port in the config file instead of converting it', async () => {
    for (const value of ['true', 'false', '""', 'null', '[]']) {
      const cwd = workdir();
      writeFileSync(path.join(cwd, 'stowage.yaml'), `server:\n  port: ${value}\n`);
      await expect(loadConfig({ cwd }), value).rejects.toThrow(/server\.port: expected number/);
    }
  });

  it('needs both root credentials and never prints the secret', async () => {
    const cwd = workdir();
    await expect(loadConfig({ cwd, env: { STOWAGE_ROOT_ACCESS_KEY: 'ADMIN' } })).rejects.toThrow(
      /must be set together/,
    );
    const err = await loadConfig({
      cwd,
      env: { STOWAGE_ROOT_ACCESS_KEY: 'ADMIN', STOWAGE_ROOT_SECRET_KEY: 'short' },
    }).catch((e: Error) => e);
    expect(String((err as Error).message)).toMatch(/rootSecretAccessKey/);
    expect(JSON.stringify(err)).not.toContain('short');
    expect((err as Error).message).not.toContain('short');
  });
});

describe('loadConfig: buckets in a separate file (buckets: FILE)', () => {
  it('reads the buckets map from a file named relative to stowage.yaml', async () => {
    const cwd = workdir({
      'conf/stowage.yaml': 'buckets: buckets/all.yaml\n',
      'conf/buckets/all.yaml': 'assets1:\n  versioning: Enabled\nlogs1: {}\n',
    });
    const config = await load(cwd, { configPath: 'conf/stowage.yaml' });
    expect(Object.keys(config.buckets ?? {})).toEqual(['assets1', 'logs1']);
    expect(config.buckets?.assets1?.versioning).toBe('Enabled');
  });

  it('accepts a file whose top level is a buckets: key', async () => {
    const cwd = workdir({
      'stowage.yaml': 'buckets: ./more.yaml\n',
      'more.yaml': 'buckets:\n  assets1: { tags: { team: games } }\n',
    });
    const config = await load(cwd);
    expect(config.buckets?.assets1?.tags).toEqual([{ Key: 'team', Value: 'games' }]);
  });

  it('names the missing file, and the included file in a validation error', async () => {
    expect(await failure(workdir({ 'stowage.yaml': 'buckets: nowhere.yaml\n' }))).toBe(
      'stowage.yaml: buckets: the file nowhere.yaml it includes does not exist',
    );
    const message = await failure(
      workdir({
        'stowage.yaml': 'buckets: b.yaml\n',
        'b.yaml': 'assets1:\n  lifecycle: [{ id: tmp, expiration: 6m }]\n',
      }),
    );
    expect(message).toContain('b.yaml: buckets.assets1.lifecycle.0.expiration');
  });
});
