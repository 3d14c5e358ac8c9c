import { writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/engine.js';
import { expectError } from '../../../test/helpers/expect-error.js';
import { createKeyDirectory, type KeyDirectoryOptions } from './directory.js';
import { createAccessKey, deleteAccessKey, setAccessKeyPolicy } from './manage.js';
import { keyStoreFile } from './store.js';

const ROOT = { accessKeyId: 'STWROOT0000000000001', secretAccessKey: 'root-secret-000000000000' };
const POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::assets/*' }],
});
const DECLARED = {
  name: 'backup',
  accessKeyId: 'STWBACKUP00000000001',
  secretAccessKey: 'backup-secret-0000000000',
  policy: POLICY,
};

let dir: string;
let cleanup: () => void;
let errors: { obj: unknown; msg: string }[];

function directory(extra: Partial<KeyDirectoryOptions> = {}) {
  return createKeyDirectory({
    dataDir: dir,
    config: { server: { accessKeys: [DECLARED] } },
    root: ROOT,
    logger: {
      warn: () => undefined,
      error: ((obj: unknown, msg: string) => errors.push({ obj, msg })) as never,
    },
    checkIntervalMs: 0,
    ...extra,
  });
}

/** An entry of access-keys.json written by hand (as an older Stowage or a forger could). */
function storedKey(accessKeyId: string, name: string) {
  return {
    accessKeyId,
    secretAccessKey: 'stored-secret-0000000000000000000000000',
    name,
    created: new Date().toISOString(),
    policy: null,
  };
}

function storeKeys(keys: ReturnType<typeof storedKey>[]): void {
  writeFileSync(keyStoreFile(dir), JSON.stringify({ version: 1, keys }));
}

/** A logger that keeps the warnings' messages in `into`. */
function warningsTo(into: string[]): KeyDirectoryOptions['logger'] {
  return {
    warn: ((_obj: unknown, msg: string) => into.push(msg)) as never,
    error: () => undefined,
  };
}

beforeEach(() => {
  ({ dir, cleanup } = tempDir('stowage-keydir-'));
  errors = [];
});
afterEach(() => cleanup());

describe('key directory', () => {
  it('knows the root key and declared keys, with ARNs and parsed policies', () => {
    const keys = directory();
    const root = keys.lookup(ROOT.accessKeyId);
    expect(root).toMatchObject({
      name: 'root',
      root: true,
      arn: 'arn:aws:iam::000000000000:root',
      secretAccessKey: ROOT.secretAccessKey,
      policies: [],
    });
    const backup = keys.lookup(DECLARED.accessKeyId);
    expect(backup).toMatchObject({
      name: 'backup',
      root: false,
      arn: 'arn:aws:iam::000000000000:user/backup',
      secretAccessKey: DECLARED.secretAccessKey,
    });
    expect(backup?.policies[0]?.statements[0]?.action).toEqual(['s3:GetObject']);
    expect(keys.lookup('STWNOSUCHKEY')).toBeUndefined();
  });

  it('sees keys created, re-policied and deleted after it was built', async () => {
    const keys = directory();
    const scope = { dataDir: dir, declared: [DECLARED] };
    const key = await createAccessKey(scope, { name: 'ci', policy: null });
    expect(keys.lookup(key.accessKeyId)).toMatchObject({
      name: 'ci',
      secretAccessKey: key.secretAccessKey,
      policies: [],
    });
    await setAccessKeyPolicy(scope, key.accessKeyId, POLICY);
    expect(keys.lookup(key.accessKeyId)?.policies).toHaveLength(1);
    await deleteAccessKey(scope, key.accessKeyId);
    expect(keys.lookup(key.accessKeyId)).toBeUndefined();
  });

  it('checks the file at most once per interval for known keys, at once for unknown ones', async () => {
    const keys = directory({ checkIntervalMs: 60_000 });
    const scope = { dataDir: dir, declared: [] };
    // A lookup just before the create must not make the new key wait for the interval.
    expect(keys.lookup(ROOT.accessKeyId)?.root).toBe(true);
    const key = await createAccessKey(scope, { name: 'ci', policy: null });
    // A miss re-reads, so a key made a moment ago works on its first request …
    expect(keys.lookup(key.accessKeyId)?.name).toBe('ci');
    // … while a known key is not re-checked before the interval: the delete shows later.
    await deleteAccessKey(scope, key.accessKeyId);
    expect(keys.lookup(key.accessKeyId)?.name).toBe('ci');
    keys.refresh();
    expect(keys.lookup(key.accessKeyId)).toBeUndefined();
  });

  it('keeps the last good keys when the file turns corrupt, and logs it once', async () => {
    const keys = directory();
    const key = await createAccessKey({ dataDir: dir, declared: [] }, { name: 'ci', policy: null });
    expect(keys.lookup(key.accessKeyId)).toBeDefined();
    writeFileSync(keyStoreFile(dir), '{ not json');
    expect(keys.lookup(key.accessKeyId)?.name).toBe('ci');
    expect(keys.lookup('STWOTHER')).toBeUndefined();
    expect(errors).toHaveLength(1);
    expect(errors[0]?.msg).toMatch(/corrupt/);
    // Fixed by the next write: the directory follows again.
    writeFileSync(keyStoreFile(dir), JSON.stringify({ version: 1, keys: [] }));
    expect(keys.lookup(key.accessKeyId)).toBeUndefined();
  });

  it('starts with no stored keys when the file is corrupt at start', () => {
    writeFileSync(keyStoreFile(dir), '[]');
    const keys = directory();
    expect(keys.lookup(ROOT.accessKeyId)?.root).toBe(true);
    expect(errors[0]?.obj).toMatchObject({ err: expect.stringMatching(/"version": 1/) as string });
  });

  it('never lets a stored key shadow root or a declared key', () => {
    storeKeys([storedKey(ROOT.accessKeyId, 'a'), storedKey(DECLARED.accessKeyId, 'b')]);
    const warnings: string[] = [];
    const keys = directory({ logger: warningsTo(warnings) });
    expect(keys.lookup(ROOT.accessKeyId)?.secretAccessKey).toBe(ROOT.secretAccessKey);
    expect(keys.lookup(DECLARED.accessKeyId)?.secretAccessKey).toBe(DECLARED.secretAccessKey);
    // Each clash is reported once, naming the key and what it collides with.
    expect(warnings).toEqual([
      expect.stringMatching(new RegExp(`${ROOT.accessKeyId} \\("a"\\).*also the root key`)),
      expect.stringMatching(/\("b"\).*also the key declared in server\.accessKeys/),
    ]);
  });

  it('warns of stored keys whose names differ from another only in case, and serves them', () => {
    // Made before names were compared without case (as IAM's are).
    storeKeys([
      storedKey('STWLIM00000000000001', 'lim'),
      storedKey('STWLIM00000000000002', 'LIM'),
      storedKey('STWBACKUP00000000009', 'Backup'),
    ]);
    const warnings: string[] = [];
    const keys = directory({ logger: warningsTo(warnings) });
    expect(keys.lookup('STWLIM00000000000002')?.name).toBe('LIM');
    expect(warnings).toEqual([
      expect.stringMatching(/"lim" and "LIM" differ only in case/),
      expect.stringMatching(/"backup" and "Backup" differ only in case/),
    ]);
  });

  it('refuses a declared key that reuses the root key id', async () => {
    await expectError(
      () =>
        createKeyDirectory({
          dataDir: dir,
          config: { server: { accessKeys: [{ ...DECLARED, accessKeyId: ROOT.accessKeyId }] } },
          root: ROOT,
        }),
      'E_CONFIG_INVALID',
      /"backup" uses the root access key id/,
    );
  });
});
