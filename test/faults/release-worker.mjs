/**
 * The child process of release-crash.test.ts, killed with SIGKILL while the database gives
 * free pages back to the file system (BlobStore.ensureSpace → InlineBlobs.releaseFreePages).
 *
 * On a small file system it loops: small objects (kept in the database) until the disk is
 * full, every other one deleted, then large objects (blob files) until the disk is full
 * again, each of which makes the database release pages first; then the large ones are
 * deleted and it starts over. It prints `LARGE <key>` before each large PUT, so the parent
 * can aim its kill at a release. Object bytes are a pure function of the key.
 *
 * Usage: node release-worker.mjs <dataDir>
 */
import { pathToFileURL } from 'node:url';

export const BUCKET = 'release-crash';
/**
 * Small objects put once, when the bucket is made, and never deleted: every kill must
 * leave them whole. (Without them a kill that landed between a round's last delete and
 * the next round's first PUT left an empty bucket, a state the test could not tell from
 * lost objects; it failed so in a clean-clone CI run.)
 */
export const KEEP = ['keep/0', 'keep/1', 'keep/2'];
export const SMALL_BYTES = 100 * 1024;
export const LARGE_BYTES = 3 * 1024 * 1024;

/** The bytes of the object at `key`: its length and fill depend on the key only. */
export function contentOf(key) {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  const bytes = Buffer.alloc(key.startsWith('large/') ? LARGE_BYTES : SMALL_BYTES);
  for (let i = 0; i < bytes.length; i += 4) bytes.writeUInt32LE((h + i) >>> 0, i);
  return bytes;
}

const isFull = (err) => err?.code === 'E_STORAGE_FULL';

/** Writes `prefix0`, `prefix1`, … until the disk is full; returns the keys stored. */
async function putUntilFull(engine, prefix, before = () => {}) {
  const keys = [];
  for (let i = 0; ; i++) {
    const key = `${prefix}${i}`;
    before(key);
    try {
      await engine.putObject(BUCKET, key, contentOf(key));
    } catch (err) {
      if (!isFull(err)) throw err;
      return keys;
    }
    keys.push(key);
  }
}

async function main(dataDir) {
  const { Engine } = await import(
    pathToFileURL(new URL('../../dist/engine/engine.js', import.meta.url).pathname).href
  );
  const engine = await Engine.open({ dataDir });
  if (!engine.listBuckets().some((b) => b.name === BUCKET)) {
    await engine.createBucket(BUCKET);
    for (const key of KEEP) await engine.putObject(BUCKET, key, contentOf(key));
  }
  // What a killed run left (the parent has checked it) goes first: where the kill landed
  // decides how much of the disk it holds, and left large objects could take the room a
  // round needs for its first large one (the test then failed on a fast machine, with no
  // release to kill).
  for (const { key } of engine.listObjects(BUCKET, { maxKeys: 1000 }).objects) {
    if (!KEEP.includes(key)) await engine.deleteObject(BUCKET, key);
  }
  for (;;) {
    const small = await putUntilFull(engine, 'small/');
    for (const key of small.filter((_, i) => i % 2)) await engine.deleteObject(BUCKET, key);
    const large = await putUntilFull(engine, 'large/', (key) =>
      process.stdout.write(`LARGE ${key}\n`),
    );
    if (large.length === 0) throw new Error('no large object fitted after the deletes');
    for (const key of [...large, ...small]) await engine.deleteObject(BUCKET, key);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv[2]).catch((err) => {
    process.stderr.write(`${err?.stack ?? err}\n`);
    process.exit(1);
  });
}
