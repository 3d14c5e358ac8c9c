/**
 * The root credentials of `stowage serve`. There are no well-known defaults: either the
 * config names them, or the first start generates a random pair and keeps it in
 * `<dataDir>/credentials.json`, readable by the owner only.
 */
import { randomInt } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { removeLeftoverTemps, writeFileDurably } from '../durable-write.js';
import { rootCredentialsFileSchema } from '../config/schema.js';
import { StowageError, toStowageError } from '../errors.js';

/** An access key pair. */
export interface RootCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** Where the pair came from. */
  source: 'config' | 'generated' | 'data-dir';
}

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const MIXED = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomString(alphabet: string, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet[randomInt(alphabet.length)];
  return s;
}

/** A new random pair shaped like AWS's (20-character key id, 40-character secret). */
export function generateCredentials(): Omit<RootCredentials, 'source'> {
  return { accessKeyId: `STW${randomString(UPPER, 17)}`, secretAccessKey: randomString(MIXED, 40) };
}

/** The file that keeps generated root credentials. */
export function credentialsFile(dataDir: string): string {
  return path.join(dataDir, 'credentials.json');
}

/**
 * The key pair in credentials.json's `text`. Its errors name the file and the field, never
 * the text: V8's JSON errors quote it, secret included.
 */
function parseCredentialsFile(
  file: string,
  text: string,
): { accessKeyId: string; secretAccessKey: string } {
  const fix = `fix it, or delete it to have a new pair generated (clients using the old one then need the new one)`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new StowageError(
      'E_CONFIG_INVALID',
      `${file} is not valid JSON; it holds {"accessKeyId": "…", "secretAccessKey": "…"}: ${fix}`,
    );
  }
  const result = rootCredentialsFileSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const [name] = issue.path;
    const field = name === undefined ? 'the document' : String(name);
    // A field the document lacks (zod got as far as the object, so it is one).
    const missing =
      name !== undefined && (parsed as Record<string, unknown>)[String(name)] === undefined;
    throw new StowageError(
      'E_CONFIG_INVALID',
      `${file}: ${field} ${missing ? 'is missing' : issue.message}; ${fix}`,
    );
  }
  return result.data;
}

/**
 * Returns the root credentials: from config if set, else from the data directory, else a
 * newly generated pair written there with mode 0600.
 */
export async function loadRootCredentials(
  dataDir: string,
  configured: { rootAccessKeyId?: string; rootSecretAccessKey?: string },
): Promise<RootCredentials> {
  // Called under the data directory's lock: a secret a killed first start left in a temp
  // file goes now.
  await removeLeftoverTemps(credentialsFile(dataDir));
  if (configured.rootAccessKeyId && configured.rootSecretAccessKey) {
    return {
      accessKeyId: configured.rootAccessKeyId,
      secretAccessKey: configured.rootSecretAccessKey,
      source: 'config',
    };
  }
  const file = credentialsFile(dataDir);
  let text: string | undefined;
  try {
    text = await fsp.readFile(file, 'utf8');
    // The root secret stays readable by its owner only, even after a careless chmod.
    const { mode } = await fsp.stat(file);
    if ((mode & 0o077) !== 0) await fsp.chmod(file, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new StowageError('E_CONFIG_INVALID', `cannot read ${file}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  if (text !== undefined) return { ...parseCredentialsFile(file, text), source: 'data-dir' };
  const pair = generateCredentials();
  await fsp.mkdir(dataDir, { recursive: true, mode: 0o700 });
  try {
    // Durable before the secret is shown: a power cut must not leave an empty file that
    // every later start refuses.
    await writeFileDurably(file, `${JSON.stringify(pair, null, 2)}\n`);
  } catch (err) {
    throw toStowageError(err, `write ${file}`);
  }
  return { ...pair, source: 'generated' };
}
