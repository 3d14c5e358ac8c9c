import { describe, expect, it } from 'vitest';
import { configKeyPaths, configSchema } from './schema.js';

describe('configSchema', () => {
  it('fills every default from an empty document', () => {
    expect(configSchema.parse({})).toEqual({
      dataDir: './stowage-data',
      log: { level: 'info' },
      engine: {
        fsync: true,
        minPartSizeBytes: 5 * 1024 * 1024,
        maxObjectSizeBytes: 5 * 1024 ** 4,
        maxPutSizeBytes: 5 * 1024 ** 3,
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

  it('keeps section defaults when a section is partly given', () => {
    const parsed = configSchema.parse({ engine: { fsync: false } });
    expect(parsed.engine).toMatchObject({ fsync: false, minPartSizeBytes: 5242880 });
  });

  it('rejects limits that contradict each other', () => {
    const result = configSchema.safeParse({
      engine: { maxObjectSizeBytes: 1000, maxPutSizeBytes: 2000, minPartSizeBytes: 10 },
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['engine', 'maxPutSizeBytes']);
  });

  it('keeps the virtual-host domain lowercase and refuses one that is not a host name', () => {
    const parsed = configSchema.parse({ server: { virtualHostDomain: 'S3.Studio.Test' } });
    expect(parsed.server.virtualHostDomain).toBe('s3.studio.test');
    for (const bad of ['*.example.com', 'http://s3.lan', 's3.lan:9000', '-s3.lan', '']) {
      const result = configSchema.safeParse({ server: { virtualHostDomain: bad } });
      expect(result.success, bad).toBe(false);
      expect(result.error?.issues[0]?.path).toEqual(['server', 'virtualHostDomain']);
    }
  });
  it('takes trusted proxies as a list or a comma-separated string, and refuses what is no address', () => {
    const listed = configSchema.parse({ server: { trustedProxies: ['127.0.0.1', '10.0.0.0/8'] } });
    expect(listed.server.trustedProxies).toEqual(['127.0.0.1', '10.0.0.0/8']);
    // STOWAGE_TRUSTED_PROXIES arrives as one string.
    const fromEnv = configSchema.parse({ server: { trustedProxies: '::1, 192.168.0.0/16' } });
    expect(fromEnv.server.trustedProxies).toEqual(['::1', '192.168.0.0/16']);
    for (const bad of ['localhost', '10.0.0.*', '10.0.0.0/33', 'proxy.lan']) {
      const result = configSchema.safeParse({ server: { trustedProxies: [bad] } });
      expect(result.success, bad).toBe(false);
      expect(result.error?.issues[0]?.path).toEqual(['server', 'trustedProxies', 0]);
      expect(result.error?.issues[0]?.message).toMatch(/expected an IP address or a CIDR block/);
    }
    for (const everyone of ['0.0.0.0/0', '::/0', '::ffff:0:0/96', '::ffff:0.0.0.0/96', '::/1']) {
      const result = configSchema.safeParse({ server: { trustedProxies: [everyone] } });
      expect(result.error?.issues[0]?.message, everyone).toMatch(
        /may not cover every IPv4 or IPv6 address/,
      );
    }
  });
  it('refuses a declared access key with the root access key id, naming it', () => {
    const key = {
      name: 'ci',
      accessKeyId: 'ROOTKEYID0001',
      secretAccessKey: 'ci-secret-000000',
      policy: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }],
      },
    };
    const result = configSchema.safeParse({
      server: {
        rootAccessKeyId: 'ROOTKEYID0001',
        rootSecretAccessKey: 'root-secret-0000',
        accessKeys: [key],
      },
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['server', 'accessKeys', 0, 'accessKeyId']);
    expect(result.error?.issues[0]?.message).toContain('root access key id');
    const distinct = { ...key, accessKeyId: 'CIKEYID000001' };
    expect(
      configSchema.safeParse({
        server: {
          rootAccessKeyId: 'ROOTKEYID0001',
          rootSecretAccessKey: 'root-secret-0000',
          accessKeys: [distinct],
        },
      }).success,
    ).toBe(true);
  });
});

describe('configKeyPaths', () => {
  it('lists sections and leaves as dotted paths', () => {
    expect(configKeyPaths()).toEqual([
      'dataDir',
      'log',
      'log.level',
      'engine',
      'engine.fsync',
      'engine.minPartSizeBytes',
      'engine.maxObjectSizeBytes',
      'engine.maxPutSizeBytes',
      'engine.allowNetworkFilesystem',
      'server',
      'server.address',
      'server.port',
      'server.region',
      'server.virtualHostDomain',
      'server.idleTimeoutSeconds',
      'server.defaultEncryption',
      'server.checkDatabaseAtStart',
      'server.maxConnections',
      'server.trustedProxies',
      'server.tls',
      'server.tls.certFile',
      'server.tls.keyFile',
      'server.rootAccessKeyId',
      'server.rootSecretAccessKey',
      'server.accessKeys',
      'stores',
      'defaultStore',
      'buckets',
    ]);
  });
});
