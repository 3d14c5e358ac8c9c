/**
 * The key directory of a running server: the root key, the keys declared in the config
 * and the keys in `<dataDir>/access-keys.json`. `stowage keys` changes that file while the
 * server runs, so the directory re-reads it when its identity (inode, size, mtime) changes,
 * checking at most every `checkIntervalMs` for known keys and on every unknown one. A file that turns out corrupt is logged and the
 * last good set of keys stays in force; the server never stops over it.
 */
import { readFileSync, statSync, type Stats } from 'node:fs';
import { keyNameIdentity } from '../../config/schema.js';
import { StowageError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { parseIdentityPolicy, type PolicyDocument } from '../../s3api/documents/policy.js';
import { principalArn, type Identity, type IdentityLookup } from '../../s3api/identity.js';
import { parseKeyStore, type DeclaredKey } from './record.js';
import { keyStoreFile } from './store.js';

/** What a caller passes to {@link createKeyDirectory}. */
export interface KeyDirectoryOptions {
  dataDir: string;
  /** The validated config; only `server.accessKeys` is read. */
  config: { readonly server: { readonly accessKeys?: readonly DeclaredKey[] } };
  /** The root key pair. */
  root: { accessKeyId: string; secretAccessKey: string };
  /** Where a corrupt key store is reported. */
  logger?: Pick<Logger, 'warn' | 'error'>;
  /** How often at most the key store is looked at; 500 ms unless told. */
  checkIntervalMs?: number;
}

/** The access keys a server knows. */
export interface KeyDirectory {
  /** Finds a key by id: root, declared or stored; undefined when unknown. */
  lookup: IdentityLookup;
  /** Re-reads the key store now if it changed (lookups do this by themselves). */
  refresh(): void;
}

function fileIdentity(stat: Stats | undefined): string {
  return stat ? `${stat.ino}:${stat.size}:${stat.mtimeMs}` : 'missing';
}

/**
 * Warns of keys whose names differ only in case (made before names were compared without
 * case, as IAM's are): a policy naming `user/lim` matches `lim` and not `LIM`.
 */
function warnCaseTwins(
  keys: readonly Identity[],
  file: string,
  logger: Pick<Logger, 'warn'> | undefined,
): void {
  const byName = new Map<string, string>();
  for (const key of keys) {
    if (key.root) continue;
    const other = byName.get(keyNameIdentity(key.name));
    if (other !== undefined && other !== key.name) {
      logger?.warn(
        { file, names: [other, key.name] },
        `access keys "${other}" and "${key.name}" differ only in case; IAM would take them for one user, and a policy naming one does not match the other: rename one (stowage keys delete, then create)`,
      );
    }
    byName.set(keyNameIdentity(key.name), key.name);
  }
}

/**
 * Builds the key directory. Declared keys must not reuse the root key's id.
 *
 * @throws StowageError `E_CONFIG_INVALID` when a declared key has the root key's id.
 * @example
 * const keys = createKeyDirectory({ dataDir, config, root: credentials, logger });
 * keys.lookup('STWABCDEFGHIJKLMNOPQ')?.policies;
 */
export function createKeyDirectory(options: KeyDirectoryOptions): KeyDirectory {
  const file = keyStoreFile(options.dataDir);
  const intervalMs = options.checkIntervalMs ?? 500;
  const policyCache = new Map<string, PolicyDocument>();
  const parsePolicies = (text: string | null | undefined): PolicyDocument[] => {
    if (text === null || text === undefined) return [];
    let doc = policyCache.get(text);
    if (!doc) {
      doc = parseIdentityPolicy(text);
      policyCache.set(text, doc);
    }
    return [doc];
  };
  const identity = (
    key: { accessKeyId: string; secretAccessKey: string; name: string },
    policies: PolicyDocument[],
    root = false,
  ): Identity => ({
    accessKeyId: key.accessKeyId,
    secretAccessKey: key.secretAccessKey,
    name: root ? 'root' : key.name,
    root,
    arn: principalArn(root ? 'root' : key.name, root),
    policies,
  });

  const fixed = new Map<string, Identity>();
  for (const key of options.config.server.accessKeys ?? []) {
    if (key.accessKeyId === options.root.accessKeyId) {
      throw new StowageError(
        'E_CONFIG_INVALID',
        `server.accessKeys: key "${key.name}" uses the root access key id`,
        { details: { name: key.name } },
      );
    }
    fixed.set(key.accessKeyId, identity(key, parsePolicies(key.policy)));
  }
  fixed.set(options.root.accessKeyId, identity({ ...options.root, name: 'root' }, [], true));

  let stored = new Map<string, Identity>();
  let seen = '';
  let checkedAt = Number.NEGATIVE_INFINITY;

  const reload = (): void => {
    checkedAt = performance.now();
    let stat: Stats | undefined;
    try {
      stat = statSync(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        options.logger?.error({ file, err: (err as Error).message }, 'cannot read the key store');
        return;
      }
    }
    const now = fileIdentity(stat);
    if (now === seen) return;
    try {
      const keys = stat ? parseKeyStore(readFileSync(file, 'utf8'), file) : [];
      const next = new Map<string, Identity>();
      for (const key of keys) {
        // A stored key never shadows root or a declared key; the clash is reported, since
        // the stored key's own secret then fails (SignatureDoesNotMatch) for no visible reason.
        if (fixed.has(key.accessKeyId)) {
          options.logger?.warn(
            { file, accessKeyId: key.accessKeyId, name: key.name },
            `access key ${key.accessKeyId} ("${key.name}") in access-keys.json is also the ${fixed.get(key.accessKeyId)!.root ? 'root key' : 'key declared in server.accessKeys'}; the stored one is ignored: delete it or rename the other`,
          );
          continue;
        }
        next.set(key.accessKeyId, identity(key, parsePolicies(key.policy)));
      }
      warnCaseTwins([...fixed.values(), ...next.values()], file, options.logger);
      stored = next;
      seen = now;
    } catch (err) {
      // Remember the broken state so it is reported once, not on every request.
      seen = now;
      options.logger?.error(
        { file, err: (err as Error).message },
        'the key store is corrupt; keeping the keys read before',
      );
    }
  };

  const find = (id: string): Identity | undefined => fixed.get(id) ?? stored.get(id);

  reload();
  return {
    lookup(accessKeyId) {
      if (performance.now() - checkedAt >= intervalMs) reload();
      const hit = find(accessKeyId);
      if (hit) return hit;
      // A miss always looks again (a stat, and a read only if the file changed), so a key
      // created a moment ago works on its first request.
      reload();
      return find(accessKeyId);
    },
    refresh: reload,
  };
}
