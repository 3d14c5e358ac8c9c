/**
 * Key files of encryption at rest, under `<dataDir>/keys/` (mode 0700):
 *
 * - `sse-s3.key`: the master key of SSE-S3 (AES256);
 * - `kms/<sha256 of the key name>.key`: one local key per SSE-KMS key id.
 *
 * Each file holds 32 random bytes with mode 0600. A key is created on first need,
 * atomically: written to a temp file, fsynced, then hard-linked into place, so two
 * writers racing to create it agree on one key and a crash never leaves half a key.
 * Losing these files loses every object encrypted under them.
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { syncDirectory } from '../../durable-write.js';
import { StowageError, toStowageError } from '../../errors.js';

/** Bytes of every key (AES-256). */
export const KEY_BYTES = 32;

/** The reference of the SSE-S3 master key in envelopes. */
export const SSE_S3_REF = 's3';

/** The reference of a KMS key in envelopes: `kms:<key name>`. */
export function kmsRef(name: string): string {
  return `kms:${name}`;
}

/** Loads and creates key files; keys are cached in memory once read. */
export class KeyStore {
  readonly dir: string;
  private readonly cache = new Map<string, Promise<Buffer>>();

  /**
   * `inUse(ref)` says whether stored data was encrypted with key `ref`: such a key that is
   * missing is never made anew, since a new key would leave that data unreadable for good
   * (and the data written under it unreadable once the old file is restored).
   * `recordUse(ref)` is told of every key about to encrypt, before any data uses it (the
   * engine lists those refs for checkKeys when it opens); `forgetUse(ref)` of a recorded key
   * found missing while no data uses it.
   */
  constructor(
    dataDir: string,
    private readonly inUse: (ref: string) => boolean = () => false,
    private readonly recordUse: (ref: string) => void = () => undefined,
    private readonly forgetUse: (ref: string) => void = () => undefined,
  ) {
    this.dir = path.join(dataDir, 'keys');
  }

  /** The file of key `ref` (see the module comment). */
  pathOf(ref: string): string {
    if (ref === SSE_S3_REF) return path.join(this.dir, 'sse-s3.key');
    if (ref.startsWith('kms:')) {
      const hash = createHash('sha256').update(ref.slice(4)).digest('hex');
      return path.join(this.dir, 'kms', `${hash}.key`);
    }
    throw new StowageError('E_DATA_CORRUPT', `unknown encryption key reference "${ref}"`);
  }

  /**
   * The key `ref`. With `create`, a missing key is made (encrypting); without, a missing
   * key is E_DATA_CORRUPT (decrypting: a new key could not open old data).
   */
  key(ref: string, create: boolean): Promise<Buffer> {
    const cached = this.cache.get(ref);
    if (cached) return cached;
    const loading = this.load(ref, create);
    this.cache.set(ref, loading);
    loading.catch(() => this.cache.delete(ref));
    return loading;
  }

  /**
   * Checks, when the engine opens, that the SSE-S3 key and every key in `recorded` (the
   * refs data was encrypted under) are whole and, if stored data uses them, there: without
   * one a server would answer 500 to the reads and writes of that data while its readiness
   * check said ready. A recorded key no data uses any more may be missing: it is made anew
   * on its next use.
   *
   * @throws StowageError `E_DATA_CORRUPT` naming the file and what to do.
   */
  async checkKeys(recorded: Iterable<string>): Promise<void> {
    for (const ref of new Set([SSE_S3_REF, ...recorded])) {
      let file: string;
      try {
        file = this.pathOf(ref);
      } catch {
        continue; // a reference this version does not know: its reads say so
      }
      let key: Buffer | undefined;
      try {
        key = await readKey(file);
      } catch (err) {
        const e = toStowageError(err, `check the ${keyName(ref)}`);
        throw e.code === 'E_DATA_CORRUPT'
          ? new StowageError('E_DATA_CORRUPT', `${e.message} (the ${keyName(ref)})`, { cause: e })
          : e;
      }
      if (key !== undefined) continue;
      if (this.inUse(ref)) throw missingInUse(file, ref);
      // No data uses it: it is made anew on its next use; no need to scan for it again.
      this.forgetUse(ref);
    }
  }

  private async load(ref: string, create: boolean): Promise<Buffer> {
    const file = this.pathOf(ref);
    const existing = await readKey(file);
    if (create) this.recordUse(ref);
    if (existing) return existing;
    if (!create) {
      throw new StowageError(
        'E_DATA_CORRUPT',
        `the encryption key file ${file} is missing; objects encrypted with it cannot be read`,
      );
    }
    if (this.inUse(ref)) throw missingInUse(file, ref);
    try {
      await makeKey(this.dir, file);
    } catch (err) {
      throw toStowageError(err, `create encryption key ${file}`);
    }
    const made = await readKey(file);
    if (!made) throw new StowageError('E_INTERNAL', `encryption key ${file} vanished`);
    return made;
  }
}

function keyName(ref: string): string {
  return ref === SSE_S3_REF ? 'SSE-S3 key' : `SSE-KMS key "${ref.slice(4)}"`;
}

function missingInUse(file: string, ref: string): StowageError {
  const which = keyName(ref);
  return new StowageError(
    'E_DATA_CORRUPT',
    `the encryption key file ${file} (the ${which}) is missing, and stored objects were encrypted with it: ` +
      'restore it from a backup of the data directory (a new key would leave them unreadable for good)',
  );
}

async function readKey(file: string): Promise<Buffer | undefined> {
  let bytes: Buffer;
  try {
    bytes = await fsp.readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw toStowageError(err, `read encryption key ${file}`);
  }
  if (bytes.byteLength !== KEY_BYTES) {
    throw new StowageError(
      'E_DATA_CORRUPT',
      `the encryption key file ${file} has ${bytes.byteLength} bytes, not ${KEY_BYTES}`,
    );
  }
  return bytes;
}

/** What link() fails with on a file system without hard links. */
const NO_HARD_LINKS: ReadonlySet<string> = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

async function makeKey(root: string, file: string): Promise<void> {
  const dir = path.dirname(file);
  const made = await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  // mkdir's mode is filtered by the umask; make sure.
  await fsp.chmod(root, 0o700);
  await fsp.chmod(dir, 0o700);
  const tmp = `${file}.${randomBytes(8).toString('hex')}.tmp`;
  const handle = await fsp.open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(randomBytes(KEY_BYTES));
    await handle.chmod(0o600);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    // link() never replaces: whoever links first wins, everyone reads that key.
    await fsp.link(tmp, file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      // Made meanwhile: that one is the key.
    } else if (code !== undefined && NO_HARD_LINKS.has(code)) {
      // exFAT and FAT (a USB disk) have no hard links: every encrypted write failed there.
      // A rename is as atomic; it would replace a key made meanwhile, but none can be: one
      // process holds the directory, and it makes each key once (KeyStore.key).
      await fsp.rename(tmp, file);
    } else {
      throw err;
    }
  } finally {
    await fsp.rm(tmp, { force: true });
  }
  await syncDirectory(dir);
  // Directories made just now (`made` is the topmost) are durable once their parents are.
  if (made) {
    for (let d = path.dirname(dir); ; d = path.dirname(d)) {
      await syncDirectory(d);
      if (d === path.dirname(made) || d === path.dirname(d)) break;
    }
  }
}
