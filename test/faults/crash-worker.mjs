/**
 * The child process of crash.test.ts, killed with SIGKILL at a random moment.
 *
 * It runs the built engine (dist/) on a data directory and writes forever with many
 * writers at once: single PUTs, multipart uploads (completed, aborted or left open),
 * overwrites and deletes. Object bytes are a pure function of (key, generation, kind), and
 * the generation and kind are stored as user metadata, so the parent can regenerate what
 * every surviving object must contain without this process recording anything.
 *
 * Usage: node crash-worker.mjs <dataDir> <cycle> <readyAfterCommits>
 * Prints `READY <sentinelKey> <sentinelGen>` once it has committed that many objects.
 *
 * The parent imports `contentOf` and `planOf` from this file, so the two always agree.
 */
import { pathToFileURL } from 'node:url';

/** The bucket the worker writes to. */
export const BUCKET = 'crash-test';
/** Small parts keep multipart uploads quick (the engine's limit is lowered to match). */
export const MIN_PART_BYTES = 64 * 1024;
const MAX_PUT_BYTES = 300 * 1024;
const LANES = 24;

/** FNV-1a of a string: the seed of an object's bytes. */
function seedOf(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h || 1;
}

/** xorshift32: a small, fast, seeded generator of 32-bit words. */
function generator(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/**
 * Size and part sizes of an object. `kind` is `put` (0..300 KiB, about one in twelve
 * empty) or `mpu` (2 to 4 parts, every part but the last at least MIN_PART_BYTES).
 */
export function planOf(key, gen, kind) {
  const next = generator(seedOf(`${kind}:${key}#${gen}:plan`));
  if (kind === 'put') {
    const size = next() % 12 === 0 ? 0 : next() % (MAX_PUT_BYTES + 1);
    return { size, partSizes: [] };
  }
  const count = 2 + (next() % 3);
  const partSizes = [];
  for (let i = 0; i < count - 1; i++) partSizes.push(MIN_PART_BYTES + (next() % (32 * 1024)));
  partSizes.push(1 + (next() % (64 * 1024)));
  return { size: partSizes.reduce((a, b) => a + b, 0), partSizes };
}

/** The bytes of generation `gen` of `key`. */
export function contentOf(key, gen, kind) {
  const { size } = planOf(key, gen, kind);
  const words = new Uint32Array(Math.ceil(size / 4));
  const next = generator(seedOf(`${kind}:${key}#${gen}:bytes`));
  for (let i = 0; i < words.length; i++) words[i] = next();
  return Buffer.from(words.buffer, 0, size);
}

function randomGen() {
  return Math.floor(Math.random() * 0xffffffff);
}

async function main() {
  const [dataDir, cycleArg, readyArg] = process.argv.slice(2);
  if (!dataDir || !cycleArg || !readyArg) {
    throw new Error('usage: crash-worker.mjs <dataDir> <cycle> <readyAfterCommits>');
  }
  const readyAfter = Number(readyArg);
  const { Engine } = await import('../../dist/engine/engine.js');
  const engine = await Engine.open({
    dataDir,
    fsync: true,
    limits: { minPartSizeBytes: MIN_PART_BYTES },
  });
  try {
    await engine.createBucket(BUCKET);
  } catch (err) {
    if (err?.code !== 'E_BUCKET_ALREADY_OWNED_BY_YOU') throw err;
  }

  // Objects of earlier cycles are overwritten and deleted too. Sentinels never are: the
  // parent checks that each one, acknowledged before READY, survived.
  const keys = [];
  let token;
  do {
    const page = engine.listObjects(BUCKET, token ? { continuationToken: token } : {});
    for (const o of page.objects) if (!o.key.startsWith('sentinel/')) keys.push(o.key);
    token = page.nextContinuationToken;
  } while (token);

  let committed = 0;
  let announced = false;
  const sentinel = `sentinel/${cycleArg}`;
  const sentinelGen = randomGen();
  const committedOne = () => {
    committed++;
    if (!announced && committed >= readyAfter) {
      announced = true;
      process.stdout.write(`READY ${sentinel} ${sentinelGen}\n`);
    }
  };

  const put = async (key, gen = randomGen()) => {
    const body = contentOf(key, gen, 'put');
    await engine.putObject(BUCKET, key, body, {
      contentLength: body.length,
      metadata: { gen: String(gen), kind: 'put' },
    });
  };

  /** A multipart upload; `finish` is complete, abort or leave (left open at the crash). */
  const multipart = async (key, finish, gen = randomGen()) => {
    const body = contentOf(key, gen, 'mpu');
    const { partSizes } = planOf(key, gen, 'mpu');
    const upload = await engine.createMultipartUpload(BUCKET, key, {
      metadata: { gen: String(gen), kind: 'mpu' },
    });
    let at = 0;
    const bodies = partSizes.map((n) => body.subarray(at, (at += n)));
    const parts = await Promise.all(
      bodies.map(async (b, i) => {
        const p = await engine.uploadPart(BUCKET, key, upload.uploadId, i + 1, b);
        return { partNumber: i + 1, etag: p.etag };
      }),
    );
    if (finish === 'complete') {
      await engine.completeMultipartUpload(BUCKET, key, upload.uploadId, parts);
    } else if (finish === 'abort') {
      await engine.abortMultipartUpload(BUCKET, key, upload.uploadId);
    }
  };

  await put(sentinel, sentinelGen);
  committedOne();

  const lane = async (laneNo) => {
    for (let n = 0; ; n++) {
      const r = Math.random();
      const fresh = `c${cycleArg}/lane${laneNo}/${n}`;
      const some = keys.length > 0 ? Math.floor(Math.random() * keys.length) : -1;
      if (r < 0.4 || some < 0) {
        await put(fresh);
        keys.push(fresh);
        committedOne();
      } else if (r < 0.6) {
        await multipart(fresh, 'complete');
        keys.push(fresh);
        committedOne();
      } else if (r < 0.75) {
        const key = keys[some];
        if (Math.random() < 0.5) await put(key);
        else await multipart(key, 'complete');
        committedOne();
      } else if (r < 0.9) {
        const key = keys[some];
        keys[some] = keys[keys.length - 1];
        keys.pop();
        await engine.deleteObject(BUCKET, key);
      } else {
        await multipart(`c${cycleArg}/open${laneNo}/${n}`, Math.random() < 0.5 ? 'abort' : 'leave');
      }
    }
  };
  await Promise.all(Array.from({ length: LANES }, (_, i) => lane(i)));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    process.stderr.write(`crash-worker failed: ${err?.stack ?? err}\n`);
    process.exit(1);
  });
}
