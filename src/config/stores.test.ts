import { describe, expect, it, onTestFinished } from 'vitest';
import { expectError } from '../../test/helpers/expect-error.js';
import { loadConfig } from './load.js';
import { configSchema } from './schema.js';
import { redactSecrets } from '../log.js';
import { parseBandwidth } from './stores.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

function issues(input: unknown): string[] {
  const result = configSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('stores: in stowage.yaml', () => {
  it('accepts a full store and normalises the bandwidth to bytes per second', () => {
    const config = configSchema.parse({
      stores: {
        rgw: {
          endpoint: 'http://127.0.0.1:7480',
          region: 'us-east-1',
          profile: 'rgw',
          forcePathStyle: true,
          checksumPolicy: 'WHEN_REQUIRED',
          maxSockets: 32,
          partSizeBytes: 5 * 1024 * 1024,
          rateLimit: 50,
          bandwidthLimit: '10MiB/s',
        },
        aws: { region: 'eu-west-1' },
      },
      defaultStore: 'rgw',
    });
    expect(config.stores?.rgw?.bandwidthLimit).toBe(10 * 1024 * 1024);
    expect(config.defaultStore).toBe('rgw');
  });

  it('names each bad field', () => {
    const found = issues({
      stores: {
        a: {
          endpoint: 'minio:9000',
          checksumPolicy: 'NEVER',
          partSizeBytes: 1024,
          maxSockets: 0,
          bandwidthLimit: 'fast',
          colour: 'blue',
        },
      },
    });
    expect(found.sort()).toEqual([
      'stores.a.bandwidthLimit: expected bytes per second, or a size per second such as 50MB/s or 10MiB/s',
      expect.stringMatching(/^stores\.a\.checksumPolicy: .*WHEN_SUPPORTED/),
      'stores.a.endpoint: expected an http:// or https:// URL such as http://127.0.0.1:9000',
      expect.stringMatching(/^stores\.a\.maxSockets: .*>=1/),
      expect.stringMatching(/^stores\.a\.partSizeBytes: .*>=5242880/),
      expect.stringMatching(/^stores\.a: Unrecognized key.*colour/),
    ]);
    expect(issues({ stores: { a: { accessKeyId: 'k' } } })).toEqual([
      'stores.a.secretAccessKey: accessKeyId and secretAccessKey must be set together',
    ]);
    expect(issues({ stores: { a: { sessionToken: 't' } } })).toEqual([
      'stores.a.sessionToken: sessionToken needs accessKeyId and secretAccessKey',
    ]);
    expect(issues({ stores: { 'bad name': {} } })).toEqual([
      expect.stringMatching(/^stores\.bad name: expected a store name/),
    ]);
    expect(
      issues({ stores: { a: { profile: 'p', accessKeyId: 'k', secretAccessKey: 's' } } }),
    ).toEqual(['stores.a.profile: set either profile or accessKeyId/secretAccessKey, not both']);
  });

  it('defaultStore must name a store', () => {
    expect(issues({ defaultStore: 'x' })).toEqual([
      'defaultStore: expected the name of a store, but stores: declares none',
    ]);
    expect(issues({ stores: { a: {}, b: {} }, defaultStore: 'x' })).toEqual([
      'defaultStore: expected the name of a store in stores: (a, b)',
    ]);
    // A broken stores: is reported without the check tripping over it.
    expect(issues({ stores: 'oops', defaultStore: 'x' })).toEqual([
      expect.stringMatching(/^stores: /),
    ]);
  });

  it('a config file error names the file and the store field, never the secret', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'stowage-stores-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'stowage.yaml');
    writeFileSync(
      file,
      'stores:\n  minio:\n    endpoint: nope\n    accessKeyId: K\n    secretAccessKey: 5\n',
    );
    const err = await expectError(
      loadConfig({ configPath: file, env: {}, cwd: dir }),
      'E_CONFIG_INVALID',
      'stores.minio.endpoint',
    );
    expect(err.message).toContain('stores.minio.secretAccessKey');
    expect(err.message).not.toContain('got 5');
  });
});

describe('stores: in `config show`', () => {
  it('redacts a store secret and session token', () => {
    const config = configSchema.parse({
      stores: {
        a: { accessKeyId: 'KEYID', secretAccessKey: 'top-secret', sessionToken: 'tok-secret' },
      },
    });
    const shown = JSON.stringify(redactSecrets(config));
    expect(shown).toContain('KEYID');
    expect(shown).not.toContain('top-secret');
    expect(shown).not.toContain('tok-secret');
  });
});

describe('parseBandwidth', () => {
  it('reads aws-cli style sizes', () => {
    expect(parseBandwidth(1000)).toBe(1000);
    expect(parseBandwidth('50MB/s')).toBe(50_000_000);
    expect(parseBandwidth('10 MiB/s')).toBe(10 * 1024 * 1024);
    expect(parseBandwidth('500kb')).toBe(500_000);
    expect(parseBandwidth('1.5GB/s')).toBe(1_500_000_000);
    expect(parseBandwidth('0')).toBeUndefined();
    expect(parseBandwidth(-1)).toBeUndefined();
    expect(parseBandwidth('10 parsecs')).toBeUndefined();
  });
});
