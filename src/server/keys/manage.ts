/**
 * What `stowage keys` does: create, list, show, delete and re-policy access keys. Keys in
 * the key store can be changed; keys declared in `server.accessKeys` are listed and shown
 * but are read-only here (the config file is their source of truth).
 */
import { keyNameIdentity } from '../../config/schema.js';
import { requireDataDir } from '../../data-dir.js';
import { StowageError } from '../../errors.js';
import { generateCredentials } from '../credentials.js';
import { checkKeyName, type DeclaredKey, type StoredKey } from './record.js';
import { DATA_DIR_HINT, readKeyStore, updateKeyStore } from './store.js';

/** Where a key lives. */
export type KeySource = 'file' | 'config';

/** A key without its secret, as `stowage keys list` and `show` print it. */
export interface KeySummary {
  name: string;
  accessKeyId: string;
  /** ISO 8601; null for keys declared in the config. */
  created: string | null;
  hasPolicy: boolean;
  source: KeySource;
  /** The identity policy (JSON text), or null. */
  policy: string | null;
}

/** The data directory and the keys the config declares. */
export interface KeyScope {
  dataDir: string;
  declared: readonly DeclaredKey[];
}

function summaryOfStored(key: StoredKey): KeySummary {
  return {
    name: key.name,
    accessKeyId: key.accessKeyId,
    created: key.created,
    hasPolicy: key.policy !== null,
    source: 'file',
    policy: key.policy,
  };
}

function summaryOfDeclared(key: DeclaredKey): KeySummary {
  return {
    name: key.name,
    accessKeyId: key.accessKeyId,
    created: null,
    hasPolicy: key.policy !== undefined,
    source: 'config',
    policy: key.policy ?? null,
  };
}

function noSuchKey(accessKeyId: string): StowageError {
  return new StowageError('E_NO_SUCH_ACCESS_KEY', `no access key ${accessKeyId}`, {
    details: { accessKeyId },
  });
}

function readOnly(key: DeclaredKey, what: string): StowageError {
  return new StowageError(
    'E_ACCESS_KEY_READ_ONLY',
    `access key ${key.accessKeyId} ("${key.name}") is declared in server.accessKeys of the config: ${what} there`,
    { details: { accessKeyId: key.accessKeyId, name: key.name } },
  );
}

/**
 * Creates a key with a random id and secret. `policy` must already be validated
 * (see `checkPolicyText`).
 *
 * @throws StowageError `E_INVALID_ARGUMENT` (bad name), `E_ACCESS_KEY_EXISTS` (name taken).
 * @example
 * const key = await createAccessKey({ dataDir, declared: [] }, { name: 'ci-sync', policy: null });
 * key.secretAccessKey; // shown to the user once
 */
export async function createAccessKey(
  scope: KeyScope,
  input: { name: string; policy: string | null },
): Promise<StoredKey> {
  const name = checkKeyName(input.name);
  const sameName = (k: { name: string }): boolean =>
    keyNameIdentity(k.name) === keyNameIdentity(name);
  const taken = (other: string): StowageError =>
    new StowageError(
      'E_ACCESS_KEY_EXISTS',
      other === name
        ? `an access key named "${name}" already exists`
        : `an access key named "${other}" already exists (names are compared without case, as IAM user names)`,
      { details: { name, existing: other } },
    );
  const declared = scope.declared.find(sameName);
  if (declared) throw taken(declared.name);
  return updateKeyStore(scope.dataDir, (keys) => {
    const stored = keys.find(sameName);
    if (stored) throw taken(stored.name);
    let pair = generateCredentials();
    // 17 random characters make a collision absurd, but a duplicate id must never be stored.
    while ([...keys, ...scope.declared].some((k) => k.accessKeyId === pair.accessKeyId)) {
      pair = generateCredentials();
    }
    const key: StoredKey = {
      ...pair,
      name,
      created: new Date().toISOString(),
      policy: input.policy,
    };
    return { keys: [...keys, key], result: key };
  });
}

/** Every key, declared ones first, without secrets. */
export async function listAccessKeys(scope: KeyScope): Promise<KeySummary[]> {
  // A mistyped --data-dir would list no keys, as if the server had none.
  await requireDataDir(scope.dataDir, DATA_DIR_HINT);
  const stored = await readKeyStore(scope.dataDir);
  return [...scope.declared.map(summaryOfDeclared), ...stored.map(summaryOfStored)];
}

/**
 * One key without its secret.
 *
 * @throws StowageError `E_NO_SUCH_ACCESS_KEY`.
 */
export async function showAccessKey(scope: KeyScope, accessKeyId: string): Promise<KeySummary> {
  const found = (await listAccessKeys(scope)).find((k) => k.accessKeyId === accessKeyId);
  if (!found) throw noSuchKey(accessKeyId);
  return found;
}

/**
 * Deletes a key from the key store.
 *
 * @throws StowageError `E_NO_SUCH_ACCESS_KEY`, `E_ACCESS_KEY_READ_ONLY` (declared key).
 */
export async function deleteAccessKey(scope: KeyScope, accessKeyId: string): Promise<KeySummary> {
  const declared = scope.declared.find((k) => k.accessKeyId === accessKeyId);
  if (declared) throw readOnly(declared, 'remove it');
  return updateKeyStore(scope.dataDir, (keys) => {
    const key = keys.find((k) => k.accessKeyId === accessKeyId);
    if (!key) throw noSuchKey(accessKeyId);
    return { keys: keys.filter((k) => k !== key), result: summaryOfStored(key) };
  });
}

/**
 * Replaces (or with null, removes) a key's identity policy; `policy` must be validated.
 *
 * @throws StowageError `E_NO_SUCH_ACCESS_KEY`, `E_ACCESS_KEY_READ_ONLY` (declared key).
 */
export async function setAccessKeyPolicy(
  scope: KeyScope,
  accessKeyId: string,
  policy: string | null,
): Promise<KeySummary> {
  const declared = scope.declared.find((k) => k.accessKeyId === accessKeyId);
  if (declared) throw readOnly(declared, 'change its policy');
  return updateKeyStore(scope.dataDir, (keys) => {
    const key = keys.find((k) => k.accessKeyId === accessKeyId);
    if (!key) throw noSuchKey(accessKeyId);
    const next = { ...key, policy };
    return { keys: keys.map((k) => (k === key ? next : k)), result: summaryOfStored(next) };
  });
}
