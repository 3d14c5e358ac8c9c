/**
 * The shape of one stored access key and the checks every key passes: IAM user-name rules
 * for names, IAM identity-policy rules for policies.
 */
import { ACCESS_KEY_NAME_PATTERN } from '../../config/schema.js';
import { StowageError } from '../../errors.js';
import { parseIdentityPolicy } from '../../s3api/documents/policy.js';

/** One access key as `<dataDir>/access-keys.json` keeps it. */
export interface StoredKey {
  accessKeyId: string;
  secretAccessKey: string;
  /** Unique among all keys; IAM user-name rules. */
  name: string;
  /** ISO 8601 time of creation. */
  created: string;
  /** The identity policy as the user wrote it (JSON text), or null for none. */
  policy: string | null;
}

/** One access key declared in `server.accessKeys` of the config. */
export interface DeclaredKey {
  readonly name: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** JSON text, already validated at config load. */
  readonly policy?: string | undefined;
}

/**
 * Checks a key name against IAM's user-name rules.
 *
 * @throws StowageError `E_INVALID_ARGUMENT` naming the rule.
 */
export function checkKeyName(name: string): string {
  if (!ACCESS_KEY_NAME_PATTERN.test(name)) {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      `invalid key name ${JSON.stringify(name)}: use 1 to 64 characters of A-Z a-z 0-9 + = , . @ _ -`,
      { details: { name } },
    );
  }
  return name;
}

/**
 * Validates identity-policy text and returns it trimmed. `origin` (a file name, `stdin`)
 * prefixes the parser's message, which already names the statement.
 *
 * @throws StowageError `E_MALFORMED_POLICY`.
 */
export function checkPolicyText(text: string, origin: string): string {
  return checkPolicy(text, origin).text;
}

/**
 * {@link checkPolicyText}, also returning the S3 actions the policy names that S3 does not
 * have (accepted, as IAM accepts them; they match no request).
 */
export function checkPolicy(
  text: string,
  origin: string,
): { text: string; unrecognizedActions: string[] } {
  const trimmed = text.trim();
  try {
    const doc = parseIdentityPolicy(trimmed, { strict: true });
    return { text: trimmed, unrecognizedActions: doc.unrecognizedActions ?? [] };
  } catch (err) {
    if (err instanceof StowageError) {
      throw new StowageError(err.code, `${origin}: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses the text of the key store. Everything is checked, policies included, so that a
 * file edited by hand into something wrong is refused as a whole.
 *
 * @throws StowageError `E_CONFIG_INVALID` naming the file and the problem.
 */
export function parseKeyStore(text: string, file: string): StoredKey[] {
  const fail = (problem: string): never => {
    throw new StowageError('E_CONFIG_INVALID', `${file} is not a valid key store: ${problem}`, {
      details: { file },
    });
  };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return fail(`not JSON (${(err as Error).message})`);
  }
  if (!isRecord(doc) || doc.version !== 1 || !Array.isArray(doc.keys)) {
    return fail('expected {"version": 1, "keys": [...]}');
  }
  const ids = new Set<string>();
  const names = new Set<string>();
  return doc.keys.map((entry: unknown, i): StoredKey => {
    const at = `keys[${i}]`;
    if (!isRecord(entry)) return fail(`${at} is not an object`);
    const { accessKeyId, secretAccessKey, name, created, policy } = entry;
    for (const [field, value] of Object.entries({ accessKeyId, secretAccessKey, name, created })) {
      if (typeof value !== 'string' || value === '') fail(`${at}.${field} is missing`);
    }
    if (policy !== null && typeof policy !== 'string') fail(`${at}.policy must be text or null`);
    const key = entry as unknown as StoredKey;
    if (ids.has(key.accessKeyId)) fail(`${at}: access key id ${key.accessKeyId} appears twice`);
    if (names.has(key.name)) fail(`${at}: name ${JSON.stringify(key.name)} appears twice`);
    ids.add(key.accessKeyId);
    names.add(key.name);
    if (typeof policy === 'string') {
      try {
        checkPolicyText(policy, `${at}.policy`);
      } catch (err) {
        fail((err as Error).message);
      }
    }
    return {
      accessKeyId: key.accessKeyId,
      secretAccessKey: key.secretAccessKey,
      name: key.name,
      created: key.created,
      policy: key.policy,
    };
  });
}

/** The text written to the key store for `keys`. */
export function formatKeyStore(keys: readonly StoredKey[]): string {
  return `${JSON.stringify({ version: 1, keys }, null, 2)}\n`;
}
