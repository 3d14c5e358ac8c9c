import { execFile } from 'node:child_process';
import { promises as fsp, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/engine.js';
import { expectError } from '../../../test/helpers/expect-error.js';
import { withFileLock } from './lock.js';
import {
  createAccessKey,
  deleteAccessKey,
  listAccessKeys,
  setAccessKeyPolicy,
  showAccessKey,
  type KeyScope,
} from './manage.js';
import { checkPolicyText, parseKeyStore } from './record.js';
import { keyStoreFile, readKeyStore } from './store.js';

const exec = promisify(execFile);
const root = fileURLToPath(new URL('../../..', import.meta.url));

const POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::assets/*' }],
});

let dir: string;
let cleanup: () => void;
let scope: KeyScope;

beforeEach(() => {
  ({ dir, cleanup } = tempDir('stowage-keys-'));
  scope = { dataDir: dir, declared: [] };
});
afterEach(() => cleanup());

describe('key store', () => {
  it('creates keys shaped like AWS keys, in a 0600 file, and lists them without secrets', async () => {
    const a = await createAccessKey(scope, { name: 'ci-sync', policy: POLICY });
    const b = await createAccessKey(scope, { name: 'vps.user@studio', policy: null });
    expect(a.accessKeyId).toMatch(/^STW[A-Z0-9]{17}$/);
    expect(a.secretAccessKey).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(a.accessKeyId).not.toBe(b.accessKeyId);
    expect(statSync(keyStoreFile(dir)).mode & 0o777).toBe(0o600);
    const list = await listAccessKeys(scope);
    expect(list.map((k) => [k.name, k.hasPolicy, k.source])).toEqual([
      ['ci-sync', true, 'file'],
      ['vps.user@studio', false, 'file'],
    ]);
    expect(JSON.stringify(list)).not.toContain(a.secretAccessKey);
    expect((await readKeyStore(dir)).map((k) => k.secretAccessKey)).toEqual([
      a.secretAccessKey,
      b.secretAccessKey,
    ]);
  });

  it('removes temp files (secrets) a killed writer left, and only those', async () => {
    const left = `${keyStoreFile(dir)}.4242.0badc0de.tmp`;
    const other = path.join(dir, 'access-keys.json.notes.tmp');
    writeFileSync(left, '{"keys":[{"secretAccessKey":"left-behind"}]}', { mode: 0o600 });
    writeFileSync(other, 'not ours');
    await createAccessKey(scope, { name: 'after-a-kill', policy: null });
    expect(readdirSync(dir)).not.toContain(path.basename(left));
    expect(readdirSync(dir)).toContain(path.basename(other));
  });

  it('refuses a duplicate name, also one declared in the config', async () => {
    await createAccessKey(scope, { name: 'ci', policy: null });
    await expectError(
      createAccessKey(scope, { name: 'ci', policy: null }),
      'E_ACCESS_KEY_EXISTS',
      /"ci" already exists/,
    );
    const declared = [
      { name: 'backup', accessKeyId: 'STWDECLARED', secretAccessKey: 'x'.repeat(12) },
    ];
    await expectError(
      createAccessKey({ dataDir: dir, declared }, { name: 'backup', policy: null }),
      'E_ACCESS_KEY_EXISTS',
    );
    expect(await readKeyStore(dir)).toHaveLength(1);
    // Without case, as IAM user names: a policy for user/ci must not miss a key named CI.
    await expectError(
      createAccessKey(scope, { name: 'CI', policy: null }),
      'E_ACCESS_KEY_EXISTS',
      /"ci" already exists \(names are compared without case/,
    );
    await expectError(
      createAccessKey({ dataDir: dir, declared }, { name: 'BackUp', policy: null }),
      'E_ACCESS_KEY_EXISTS',
      /"backup" already exists/,
    );
    expect(await readKeyStore(dir)).toHaveLength(1);
  });

  it.each(['', 'has space', 'x'.repeat(65), 'slash/no', 'ünïcode'])(
    'refuses the name %j',
    async (name) => {
      await expectError(
        createAccessKey(scope, { name, policy: null }),
        'E_INVALID_ARGUMENT',
        /invalid key name/,
      );
    },
  );

  it('shows, re-policies and deletes a key; unknown ids are E_NO_SUCH_ACCESS_KEY', async () => {
    const key = await createAccessKey(scope, { name: 'ci', policy: null });
    expect((await showAccessKey(scope, key.accessKeyId)).policy).toBeNull();
    await setAccessKeyPolicy(scope, key.accessKeyId, POLICY);
    expect((await showAccessKey(scope, key.accessKeyId)).policy).toBe(POLICY);
    await setAccessKeyPolicy(scope, key.accessKeyId, null);
    expect((await showAccessKey(scope, key.accessKeyId)).hasPolicy).toBe(false);
    const deleted = await deleteAccessKey(scope, key.accessKeyId);
    expect(deleted.name).toBe('ci');
    expect(await listAccessKeys(scope)).toEqual([]);
    for (const op of [
      () => deleteAccessKey(scope, key.accessKeyId),
      () => showAccessKey(scope, 'STWUNKNOWN'),
      () => setAccessKeyPolicy(scope, 'STWUNKNOWN', POLICY),
    ]) {
      await expectError(op, 'E_NO_SUCH_ACCESS_KEY', /no access key STW/);
    }
  });

  it('treats declared keys as read-only', async () => {
    const declared = [
      {
        name: 'backup',
        accessKeyId: 'STWDECLARED01',
        secretAccessKey: 'x'.repeat(12),
        policy: POLICY,
      },
    ];
    const s = { dataDir: dir, declared };
    expect((await showAccessKey(s, 'STWDECLARED01')).source).toBe('config');
    await expectError(
      deleteAccessKey(s, 'STWDECLARED01'),
      'E_ACCESS_KEY_READ_ONLY',
      /server\.accessKeys/,
    );
    await expectError(setAccessKeyPolicy(s, 'STWDECLARED01', null), 'E_ACCESS_KEY_READ_ONLY');
  });

  it('writes atomically: no temp or lock file is left, a failed change writes nothing', async () => {
    await createAccessKey(scope, { name: 'one', policy: null });
    const before = await fsp.readFile(keyStoreFile(dir), 'utf8');
    await expectError(createAccessKey(scope, { name: 'one', policy: null }), 'E_ACCESS_KEY_EXISTS');
    expect(await fsp.readFile(keyStoreFile(dir), 'utf8')).toBe(before);
    expect(readdirSync(dir)).toEqual(['access-keys.json']);
  });

  it('refuses to change a corrupt file and leaves it for the user to fix', async () => {
    writeFileSync(keyStoreFile(dir), '{"version":1,"keys":[{"name":');
    await expectError(
      listAccessKeys(scope),
      'E_CONFIG_INVALID',
      /access-keys\.json is not a valid key store: not JSON/,
    );
    await expectError(createAccessKey(scope, { name: 'x', policy: null }), 'E_CONFIG_INVALID');
    expect(await fsp.readFile(keyStoreFile(dir), 'utf8')).toBe('{"version":1,"keys":[{"name":');
  });

  it('rejects a stored entry that is incomplete, duplicated or has a bad policy', () => {
    const entry = {
      accessKeyId: 'STWA',
      secretAccessKey: 's'.repeat(40),
      name: 'a',
      created: 'now',
      policy: null,
    };
    const text = (keys: unknown[]) => JSON.stringify({ version: 1, keys });
    expect(() => parseKeyStore(text([{ ...entry, name: undefined }]), 'f')).toThrow(
      /keys\[0\]\.name is missing/,
    );
    expect(() => parseKeyStore(text([entry, { ...entry, name: 'b' }]), 'f')).toThrow(
      /STWA appears twice/,
    );
    expect(() => parseKeyStore(text([{ ...entry, policy: '{"Statement":[]}' }]), 'f')).toThrow(
      /keys\[0\]\.policy: Missing required field Statement/,
    );
    expect(() => parseKeyStore(JSON.stringify({ keys: [] }), 'f')).toThrow(/"version": 1/);
  });

  it('names the statement of a malformed policy', async () => {
    const bad = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
        { Effect: 'Allow', Action: 'Frobnicate', Resource: '*' },
      ],
    });
    await expectError(
      () => checkPolicyText(bad, 'policy file p.json'),
      'E_MALFORMED_POLICY',
      /^policy file p\.json: .*statement 2/,
    );
    await expectError(
      () => checkPolicyText('not json', 'stdin'),
      'E_MALFORMED_POLICY',
      /valid JSON/,
    );
  });

  it('keeps every key when two processes create keys at the same time', async () => {
    const viteNode = path.join(
      path.dirname(createRequire(import.meta.url).resolve('vite-node/package.json')),
      'vite-node.mjs',
    );
    const script = path.join(root, 'test/fixtures/keys/create-many.ts');
    // Both children start creating at the same moment, after their slow start-up.
    const startAtMs = String(Date.now() + 4000);
    const child = (prefix: string) =>
      exec(process.execPath, [viteNode, script, dir, prefix, '40', startAtMs], { cwd: root });
    await Promise.all([child('left'), child('right')]);
    const names = (await listAccessKeys(scope)).map((k) => k.name).sort();
    expect(names).toHaveLength(80);
    expect(names.filter((n) => n.startsWith('left-'))).toHaveLength(40);
    expect(names.filter((n) => n.startsWith('right-'))).toHaveLength(40);
  });
});

describe('withFileLock', () => {
  it('takes over a lock left by a process that is gone', async () => {
    const lock = path.join(dir, 'x.lock');
    writeFileSync(lock, '999999999');
    expect(await withFileLock(lock, () => Promise.resolve('ran'))).toBe('ran');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('takes over an empty lock a few seconds old (its writer was killed before writing its pid)', async () => {
    const lock = path.join(dir, 'x.lock');
    writeFileSync(lock, '');
    const old = new Date(Date.now() - 5_000);
    utimesSync(lock, old, old);
    expect(await withFileLock(lock, () => Promise.resolve('ran'), { timeoutMs: 1_000 })).toBe(
      'ran',
    );
    // A fresh empty one is a holder about to write its pid: waited for.
    writeFileSync(lock, '');
    await expectError(
      withFileLock(lock, () => Promise.resolve(), { timeoutMs: 100 }),
      'E_DATA_DIR_LOCKED',
    );
  });

  it('waits for a live holder and gives up with E_DATA_DIR_LOCKED', async () => {
    const lock = path.join(dir, 'x.lock');
    writeFileSync(lock, String(process.pid));
    await expectError(
      withFileLock(lock, () => Promise.resolve(), { timeoutMs: 100 }),
      'E_DATA_DIR_LOCKED',
      /x\.lock is held by another process/,
    );
  });

  it('runs holders one at a time', async () => {
    const lock = path.join(dir, 'x.lock');
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 5 }, () =>
        withFileLock(lock, async () => {
          inside += 1;
          most = Math.max(most, inside);
          await new Promise((r) => setTimeout(r, 10));
          inside -= 1;
        }),
      ),
    );
    expect(most).toBe(1);
  });
});
