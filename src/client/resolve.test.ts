import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema, type StowageConfigInput } from '../config/schema.js';
import { expectError } from '../../test/helpers/expect-error.js';
import { tempDir } from '../../test/helpers/engine.js';
import { resolveStore } from './resolve.js';
import type { StoreFlags } from './types.js';

const cleanups: Array<() => void> = [];
afterAll(() => cleanups.forEach((c) => c()));

const SECRET = 'env-secret-0000000000000000000000000000';

/** A temp HOME with the given ~/.aws files, and a data dir that may hold serve's keys. */
function sandbox(files: { config?: string; credentials?: string; serveKeys?: boolean } = {}) {
  const { dir, cleanup } = tempDir('stowage-resolve-');
  cleanups.push(cleanup);
  const home = path.join(dir, 'home');
  mkdirSync(path.join(home, '.aws'), { recursive: true });
  if (files.config) writeFileSync(path.join(home, '.aws', 'config'), files.config);
  if (files.credentials) writeFileSync(path.join(home, '.aws', 'credentials'), files.credentials);
  const dataDir = path.join(dir, 'data');
  mkdirSync(dataDir);
  if (files.serveKeys) {
    writeFileSync(
      path.join(dataDir, 'credentials.json'),
      JSON.stringify({
        accessKeyId: 'STWLOCALKEY000000001',
        secretAccessKey: 'local-secret-000000000000000000000000000',
      }),
    );
  }
  return { home, dataDir, dir };
}

function resolve(
  box: { home: string; dataDir: string },
  env: Record<string, string | undefined>,
  config: StowageConfigInput = {},
  flags: StoreFlags = {},
) {
  const parsed = configSchema.parse({ dataDir: box.dataDir, ...config });
  return resolveStore({ config: parsed, env, homeDir: box.home, flags });
}

const PROFILES = {
  config: [
    '[default]',
    'region = eu-central-1',
    '[profile dev]',
    'region = eu-west-1',
    'endpoint_url = http://minio.internal:9000',
    's3 =',
    '  addressing_style = virtual',
    'request_checksum_calculation = when_required',
    '[profile sso]',
    'sso_session = corp',
    '[profile regiononly]',
    'region = ap-south-1',
  ].join('\n'),
  credentials: [
    '[default]',
    'aws_access_key_id = AKIADEFAULT000000000',
    'aws_secret_access_key = default-secret',
    '[dev]',
    'aws_access_key_id = AKIADEV0000000000000',
    'aws_secret_access_key = dev-secret',
    'aws_session_token = dev-token',
  ].join('\n'),
};

const ENV_KEYS = { AWS_ACCESS_KEY_ID: 'AKIAENV0000000000000', AWS_SECRET_ACCESS_KEY: SECRET };

describe('resolveStore: single sources', () => {
  it('env keys, endpoint and region; path-style for a custom endpoint; secrets not in source', async () => {
    const box = sandbox();
    const store = await resolve(box, {
      ...ENV_KEYS,
      AWS_SESSION_TOKEN: 'tok',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9000/',
      AWS_DEFAULT_REGION: 'eu-north-1',
    });
    expect(store).toMatchObject({
      name: 'env',
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-north-1',
      credentials: {
        kind: 'static',
        accessKeyId: 'AKIAENV0000000000000',
        secretAccessKey: SECRET,
        sessionToken: 'tok',
      },
      forcePathStyle: true,
      checksumPolicy: 'WHEN_SUPPORTED',
      maxSockets: 64,
      partSizeBytes: 8 * 1024 * 1024,
    });
    expect(store.source).toContain('env AWS_ENDPOINT_URL');
    expect(store.source).toContain('env AWS_DEFAULT_REGION');
    expect(store.source).not.toContain(SECRET);
    expect(Object.isFrozen(store)).toBe(true);
  });

  it('no endpoint means AWS S3: virtual-hosted style, us-east-1 unless told', async () => {
    const store = await resolve(sandbox(), { ...ENV_KEYS });
    expect(store.endpoint).toBeUndefined();
    expect(store.forcePathStyle).toBe(false);
    expect(store.region).toBe('us-east-1');
    expect(store.source).toContain('endpoint: AWS S3');
  });

  it('the default profile of ~/.aws when nothing else is set', async () => {
    const store = await resolve(sandbox(PROFILES), {});
    expect(store.credentials).toEqual({
      kind: 'static',
      accessKeyId: 'AKIADEFAULT000000000',
      secretAccessKey: 'default-secret',
    });
    expect(store.region).toBe('eu-central-1');
    expect(store.name).toBe('default');
  });

  it('AWS_PROFILE picks a profile: keys, token, region, endpoint_url, addressing style, checksum', async () => {
    const store = await resolve(sandbox(PROFILES), { AWS_PROFILE: 'dev' });
    expect(store).toMatchObject({
      name: 'profile:dev',
      endpoint: 'http://minio.internal:9000',
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIADEV0000000000000', sessionToken: 'dev-token' },
      forcePathStyle: false,
      checksumPolicy: 'WHEN_REQUIRED',
    });
    expect(store.source).toMatch(/credentials: profile dev \(.*config, .*credentials\)/);
  });

  it('AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE move the files (with ~/)', async () => {
    const box = sandbox();
    mkdirSync(path.join(box.home, 'elsewhere'));
    writeFileSync(path.join(box.home, 'elsewhere', 'c'), '[profile x]\nregion = sa-east-1\n');
    writeFileSync(
      path.join(box.home, 'elsewhere', 'k'),
      '[x]\naws_access_key_id=AKIAX\naws_secret_access_key=s\n',
    );
    const store = await resolve(box, {
      AWS_PROFILE: 'x',
      AWS_CONFIG_FILE: '~/elsewhere/c',
      AWS_SHARED_CREDENTIALS_FILE: path.join(box.home, 'elsewhere', 'k'),
    });
    expect(store.region).toBe('sa-east-1');
    expect(store.credentials).toMatchObject({ accessKeyId: 'AKIAX' });
  });

  it('a profile using SSO or a role is left to the SDK', async () => {
    const store = await resolve(sandbox(PROFILES), {}, {}, { profile: 'sso' });
    expect(store.credentials).toEqual({ kind: 'profile', profile: 'sso' });
    expect(store.source).toContain('via sso_session');
  });

  it('seed-003 variables: defaults, and S3_REGION below AWS_REGION', async () => {
    const box = sandbox();
    const seeded = {
      ...ENV_KEYS,
      S3_BUCKET_NAME: 'creative-assets',
      S3_REGION: 'us-west-2',
      S3_STORAGE_CLASS: 'standard_ia',
      S3_MAX_PARALLEL_UPLOADS: '10',
      S3_ENABLE_ENCRYPTION: 'true',
    };
    const store = await resolve(box, seeded);
    expect(store.region).toBe('us-west-2');
    expect(store.defaults).toEqual({
      bucket: 'creative-assets',
      storageClass: 'STANDARD_IA',
      maxParallelUploads: 10,
      serverSideEncryption: 'AES256',
    });
    expect((await resolve(box, { ...seeded, AWS_REGION: 'eu-west-3' })).region).toBe('eu-west-3');
    expect(
      (await resolve(box, { ...seeded, S3_ENABLE_ENCRYPTION: 'false' })).defaults
        .serverSideEncryption,
    ).toBeUndefined();
  });
});

describe('resolveStore: precedence', () => {
  const config: StowageConfigInput = {
    stores: {
      minio: {
        endpoint: 'http://minio.example:9000',
        region: 'eu-west-2',
        accessKeyId: 'MINIOKEY',
        secretAccessKey: 'minio-secret',
        checksumPolicy: 'WHEN_REQUIRED',
        maxSockets: 16,
        partSizeBytes: 16 * 1024 * 1024,
        rateLimit: 100,
        bandwidthLimit: '10MB/s',
      },
      aws: { region: 'us-west-1', profile: 'dev' },
    },
  };

  it('flags beat env', async () => {
    const store = await resolve(
      sandbox(),
      { ...ENV_KEYS, AWS_ENDPOINT_URL: 'http://env.example:1', AWS_REGION: 'eu-west-1' },
      {},
      { endpointUrl: 'https://flag.example', region: 'ap-east-1' },
    );
    expect(store.endpoint).toBe('https://flag.example');
    expect(store.region).toBe('ap-east-1');
    expect(store.source).toContain('--endpoint-url');
  });

  it('--profile beats env keys; env region beats the profile region', async () => {
    const store = await resolve(
      sandbox(PROFILES),
      { ...ENV_KEYS, AWS_REGION: 'eu-south-1' },
      {},
      { profile: 'dev' },
    );
    expect(store.credentials).toMatchObject({ accessKeyId: 'AKIADEV0000000000000' });
    expect(store.region).toBe('eu-south-1');
  });

  it('env keys beat AWS_PROFILE', async () => {
    const store = await resolve(sandbox(PROFILES), { ...ENV_KEYS, AWS_PROFILE: 'dev' });
    expect(store.credentials).toMatchObject({ accessKeyId: 'AKIAENV0000000000000' });
    // The profile still gives what env does not.
    expect(store.region).toBe('eu-west-1');
  });

  it('--store beats env, with all its quirk settings', async () => {
    const store = await resolve(
      sandbox(),
      { ...ENV_KEYS, AWS_ENDPOINT_URL: 'http://env.example:1', AWS_REGION: 'eu-west-1' },
      config,
      { store: 'minio' },
    );
    expect(store).toMatchObject({
      name: 'minio',
      endpoint: 'http://minio.example:9000',
      region: 'eu-west-2',
      credentials: { accessKeyId: 'MINIOKEY', secretAccessKey: 'minio-secret' },
      forcePathStyle: true,
      checksumPolicy: 'WHEN_REQUIRED',
      maxSockets: 16,
      partSizeBytes: 16 * 1024 * 1024,
      rateLimit: 100,
      bandwidthLimit: 10_000_000,
    });
    expect(store.source).not.toContain('minio-secret');
  });

  it('flags beat --store', async () => {
    const store = await resolve(sandbox(), {}, config, { store: 'minio', region: 'us-east-2' });
    expect(store.region).toBe('us-east-2');
  });

  it('env beats the defaultStore; the store fills what env leaves', async () => {
    const store = await resolve(
      sandbox(),
      { AWS_ENDPOINT_URL: 'http://env.example:1' },
      { ...config, defaultStore: 'minio' },
    );
    expect(store.name).toBe('minio');
    expect(store.endpoint).toBe('http://env.example:1');
    expect(store.credentials).toMatchObject({ accessKeyId: 'MINIOKEY' });
    expect(store.region).toBe('eu-west-2');
  });

  it('a store with a profile takes its keys from that profile', async () => {
    const store = await resolve(sandbox(PROFILES), {}, config, { store: 'aws' });
    expect(store.credentials).toMatchObject({ accessKeyId: 'AKIADEV0000000000000' });
    expect(store.region).toBe('us-west-1');
    // The store sets no endpoint, but its profile does.
    expect(store.endpoint).toBe('http://minio.internal:9000');
  });

  it('AWS_REQUEST_CHECKSUM_CALCULATION sets the checksum policy below --store', async () => {
    const box = sandbox();
    expect(
      (await resolve(box, { ...ENV_KEYS, AWS_REQUEST_CHECKSUM_CALCULATION: 'when_required' }))
        .checksumPolicy,
    ).toBe('WHEN_REQUIRED');
  });
});

describe('resolveStore: local stowage serve discovery', () => {
  it('finds the server from the data dir credentials when nothing else is set', async () => {
    const box = sandbox({ serveKeys: true });
    const store = await resolve(box, {}, { server: { port: 9123, region: 'eu-west-1' } });
    expect(store).toMatchObject({
      name: 'local',
      endpoint: 'http://127.0.0.1:9123',
      region: 'eu-west-1',
      forcePathStyle: true,
      credentials: { kind: 'static', accessKeyId: 'STWLOCALKEY000000001' },
    });
    expect(store.source).toContain(path.join(box.dataDir, 'credentials.json'));
  });

  it('uses configured root keys and maps a wildcard bind to loopback', async () => {
    const store = await resolve(
      sandbox(),
      {},
      {
        server: {
          address: '0.0.0.0',
          port: 9001,
          rootAccessKeyId: 'ROOTKEY1',
          rootSecretAccessKey: 'root-secret-1',
        },
      },
    );
    expect(store.endpoint).toBe('http://127.0.0.1:9001');
    expect(store.credentials).toMatchObject({ accessKeyId: 'ROOTKEY1' });
  });

  it('gives its keys to an endpoint on this machine that has none', async () => {
    const store = await resolve(sandbox({ serveKeys: true }), {
      AWS_ENDPOINT_URL: 'http://localhost:9555',
    });
    expect(store.endpoint).toBe('http://localhost:9555');
    expect(store.credentials).toMatchObject({ accessKeyId: 'STWLOCALKEY000000001' });
  });

  it('a stowage.yaml store on loopback without keys uses the local keys, not env keys', async () => {
    const store = await resolve(
      sandbox({ serveKeys: true }),
      { ...ENV_KEYS },
      { stores: { local: { endpoint: 'http://127.0.0.1:9000' } } },
      { store: 'local' },
    );
    expect(store.credentials).toMatchObject({ accessKeyId: 'STWLOCALKEY000000001' });
  });

  it('keys from a higher layer still beat the local keys for such a store', async () => {
    const box = sandbox({ serveKeys: true, ...PROFILES });
    const stores = { local: { endpoint: 'http://127.0.0.1:9000' } };
    const viaFlag = await resolve(box, {}, { stores }, { store: 'local', profile: 'dev' });
    expect(viaFlag.credentials).toMatchObject({ accessKeyId: 'AKIADEV0000000000000' });
    // env ranks above a defaultStore, so its keys win there …
    const viaEnv = await resolve(box, { ...ENV_KEYS }, { stores, defaultStore: 'local' });
    expect(viaEnv.credentials).toMatchObject({ accessKeyId: 'AKIAENV0000000000000' });
    // … but the default profile of ~/.aws ranks below it, so the local keys win.
    const viaDefault = await resolve(box, {}, { stores, defaultStore: 'local' });
    expect(viaDefault.credentials).toMatchObject({ accessKeyId: 'STWLOCALKEY000000001' });
    expect(viaDefault.name).toBe('local');
  });

  it('says what was tried when nothing has credentials', async () => {
    const box = sandbox();
    const err = await expectError(
      resolve(box, {}),
      'E_NO_CREDENTIALS',
      /^no credentials for AWS S3: tried --profile \(not given\); env AWS_ACCESS_KEY_ID/,
    );
    expect(err.message).toContain(
      `local stowage serve (no ${path.join(box.dataDir, 'credentials.json')}`,
    );
    expect(err.message).toContain('run `stowage serve`');
    expect(err.exitCode).toBe(2);
    await expectError(
      resolve(box, {}, { server: { port: 0 } }),
      'E_NO_CREDENTIALS',
      'server.port is 0',
    );
    await expectError(
      resolve(sandbox({ serveKeys: true }), { AWS_ENDPOINT_URL: 'https://s3.example.com' }),
      'E_NO_CREDENTIALS',
      'not on this machine',
    );
    await expectError(
      resolve(sandbox(PROFILES), {}, {}, { profile: 'regiononly' }),
      'E_NO_CREDENTIALS',
      '--profile regiononly (has no keys)',
    );
  });
});

describe('resolveStore: bad input names what was wrong', () => {
  it('unknown store and profile', async () => {
    const box = sandbox(PROFILES);
    await expectError(
      resolve(box, {}, { stores: { a: {} } }, { store: 'b' }),
      'E_USAGE',
      '--store: no store named "b" in stowage.yaml (stores: a)',
    );
    await expectError(
      resolve(box, {}, {}, { profile: 'nope' }),
      'E_USAGE',
      /--profile: profile "nope" is in neither .*config nor .*credentials/,
    );
    await expectError(
      resolve(box, { AWS_PROFILE: 'nope' }),
      'E_CONFIG_INVALID',
      'env AWS_PROFILE: profile "nope"',
    );
    await expectError(
      resolve(box, {}, { stores: { a: { profile: 'nope' } } }, { store: 'a' }),
      'E_CONFIG_INVALID',
      'store "a" profile',
    );
  });

  it('half a key pair, bad URLs, regions and seed variables', async () => {
    const box = sandbox();
    await expectError(
      resolve(box, { AWS_ACCESS_KEY_ID: 'x' }),
      'E_CONFIG_INVALID',
      'env AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not',
    );
    await expectError(
      resolve(box, { ...ENV_KEYS, AWS_ENDPOINT_URL: 'localhost:9000' }),
      'E_CONFIG_INVALID',
      'env AWS_ENDPOINT_URL: expected an http:// or https:// URL',
    );
    await expectError(
      resolve(box, ENV_KEYS, {}, { endpointUrl: 'ftp://x' }),
      'E_USAGE',
      '--endpoint-url: expected',
    );
    await expectError(resolve(box, ENV_KEYS, {}, { endpointUrl: '' }), 'E_USAGE', '--endpoint-url');
    await expectError(resolve(box, ENV_KEYS, {}, { region: '' }), 'E_USAGE', '--region');
    await expectError(
      resolve(box, ENV_KEYS, {}, { endpointUrl: 'http://u:p@host' }),
      'E_USAGE',
      'not in the URL',
    );
    await expectError(
      resolve(box, ENV_KEYS, {}, { region: 'EU West' }),
      'E_USAGE',
      '--region: expected a region name',
    );
    await expectError(
      resolve(box, { ...ENV_KEYS, S3_MAX_PARALLEL_UPLOADS: 'ten' }),
      'E_CONFIG_INVALID',
      'env S3_MAX_PARALLEL_UPLOADS: expected a whole number',
    );
    await expectError(
      resolve(box, { ...ENV_KEYS, S3_STORAGE_CLASS: 'COLD' }),
      'E_CONFIG_INVALID',
      'env S3_STORAGE_CLASS',
    );
    await expectError(
      resolve(box, { ...ENV_KEYS, S3_ENABLE_ENCRYPTION: 'maybe' }),
      'E_CONFIG_INVALID',
      'S3_ENABLE_ENCRYPTION: expected true or false',
    );
    await expectError(
      resolve(box, { ...ENV_KEYS, AWS_REQUEST_CHECKSUM_CALCULATION: 'never' }),
      'E_CONFIG_INVALID',
      'AWS_REQUEST_CHECKSUM_CALCULATION',
    );
  });

  it('a bad ~/.aws/config line names the file and line', async () => {
    const box = sandbox({ config: '[default]\nregion\n' });
    await expectError(resolve(box, ENV_KEYS), 'E_CONFIG_INVALID', /\.aws\/config:2/);
  });

  it('an empty variable counts as unset', async () => {
    const store = await resolve(sandbox(), { ...ENV_KEYS, AWS_ENDPOINT_URL: '', AWS_PROFILE: '' });
    expect(store.endpoint).toBeUndefined();
  });
});
