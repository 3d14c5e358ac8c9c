/**
 * MD5 and SHA-256 of large bodies on two worker threads. On the main thread the two
 * hashes cap a PUT at about 475 MB/s on this class of CPU and keep the event loop busy
 * while they run; in workers, MD5 (the slower, ~700 MB/s) and SHA-256 run on separate
 * cores in parallel with the file writes, and the main thread stays free for other
 * requests. Small bodies keep hashing inline: a round trip to a worker costs more than
 * hashing 4 KiB.
 */
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

/** Both digests of one body. */
export interface BodyDigests {
  md5: Buffer;
  sha256: Buffer;
}

/** An incremental MD5 + SHA-256 of one body. */
export interface BodyHasher {
  /** Feeds a chunk; the promise resolves when more may be fed (backpressure). */
  update(chunk: Uint8Array): Promise<void> | void;
  digest(): Promise<BodyDigests>;
  /** Drops the state without a digest (a failed write). */
  discard(): void;
}

// Runs inside each worker: one hash state per session id. Chunks arrive as offsets into
// the ring shared with the main thread, so hashing them allocates nothing here.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const ring = new Uint8Array(workerData.ring);
const states = new Map();
parentPort.on('message', (m) => {
  if (m.op === 'open') states.set(m.id, createHash(m.alg));
  else if (m.op === 'update') { states.get(m.id)?.update(ring.subarray(m.at, m.at + m.len)); parentPort.postMessage({ id: m.id, ack: m.len }); }
  else if (m.op === 'digest') { const h = states.get(m.id); states.delete(m.id); parentPort.postMessage({ id: m.id, digest: h ? h.digest() : null }); }
  else if (m.op === 'discard') states.delete(m.id);
});
`;

/**
 * Bytes of the ring shared by the main thread and both workers. A chunk is copied into it
 * once and both workers hash it in place; the ring bounds the memory of every body being
 * hashed at once (copying chunks into each worker's heap instead cost ~90 MB of RSS
 * during a 1 GiB PUT, as garbage the workers' GC reclaimed late).
 */
const RING_BYTES = 8 * 1024 * 1024;

class HashWorker {
  private readonly worker: Worker;
  private readonly digests = new Map<number, (d: Buffer | null) => void>();
  private open = 0;

  constructor(
    readonly alg: 'md5' | 'sha256',
    ring: SharedArrayBuffer,
    private readonly onAck: (bytes: number) => void,
  ) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { ring },
      // A hash state and small messages: a young generation of the default size only
      // lets garbage pile up in RSS (about 10 MB per worker during a 1 GiB PUT).
      resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 32 },
    });
    this.worker.on('message', (m: { id: number; ack?: number; digest?: Uint8Array | null }) => {
      if (m.ack !== undefined) {
        this.onAck(m.ack);
        return;
      }
      const resolve = this.digests.get(m.id);
      this.digests.delete(m.id);
      resolve?.(m.digest ? Buffer.from(m.digest) : null);
    });
    // After the listener: adding a 'message' listener refs the worker again. An idle
    // hash worker must not keep the process alive.
    this.worker.unref();
  }

  /** Keeps the process alive exactly while a body is being hashed. */
  private track(delta: number): void {
    this.open += delta;
    if (this.open > 0) this.worker.ref();
    else this.worker.unref();
  }

  start(id: number): void {
    this.track(1);
    this.worker.postMessage({ op: 'open', id, alg: this.alg });
  }

  update(id: number, at: number, len: number): void {
    this.worker.postMessage({ op: 'update', id, at, len });
  }

  digest(id: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.digests.set(id, (d) => {
        this.track(-1);
        if (d) resolve(d);
        else reject(new Error('hash state lost'));
      });
      this.worker.postMessage({ op: 'digest', id });
    });
  }

  discard(id: number): void {
    this.track(-1);
    this.worker.postMessage({ op: 'discard', id });
  }
}

/**
 * Consecutive bytes of one body are handed to the workers in messages of up to this many:
 * request bodies arrive in chunks of 16–64 KiB, and four messages per chunk (an update to
 * each worker and an acknowledgement from each) cost the server's main thread 1.3 s of a
 * 1 GiB multipart PUT's 7.9 s of CPU (profiled). Coalesced, the server's CPU for that PUT
 * went from 6.4–7.3 s to 6.2–6.6 s (four runs each).
 */
const MESSAGE_BYTES = 1024 * 1024;

/**
 * The ring and its two workers. Every range goes to both workers in the same order and
 * each worker answers in order, so the oldest bytes are always the first released: the
 * free space is the ring's size minus the bytes not yet acknowledged by both. To keep that
 * order, bytes are held back for coalescing only while they extend the range last written
 * (same body, next offset); anything else sends the held range first.
 */
class HashPool {
  private readonly ring = new SharedArrayBuffer(RING_BYTES);
  private readonly view = new Uint8Array(this.ring);
  private written = 0;
  private readonly acked = [0, 0];
  private waiters: Array<() => void> = [];
  /** Bytes copied into the ring but not yet handed to the workers. */
  private held: { id: number; at: number; len: number } | undefined;
  readonly md5: HashWorker;
  readonly sha256: HashWorker;

  constructor() {
    this.md5 = new HashWorker('md5', this.ring, (n) => this.release(0, n));
    this.sha256 = new HashWorker('sha256', this.ring, (n) => this.release(1, n));
  }

  private release(worker: 0 | 1, bytes: number): void {
    this.acked[worker]! += bytes;
    if (this.waiters.length > 0 && this.free() > 0) {
      for (const wake of this.waiters.splice(0)) wake();
    }
  }

  private free(): number {
    return RING_BYTES - (this.written - Math.min(this.acked[0]!, this.acked[1]!));
  }

  /** Hands the held range, if any, to both workers. */
  send(): void {
    const h = this.held;
    if (!h) return;
    this.held = undefined;
    this.md5.update(h.id, h.at, h.len);
    this.sha256.update(h.id, h.at, h.len);
  }

  /** Copies `chunk` into the ring for both workers; waits while the ring is full. */
  update(id: number, chunk: Uint8Array): Promise<void> | void {
    let offset = 0;
    while (offset < chunk.byteLength) {
      const at = this.written % RING_BYTES;
      const n = Math.min(chunk.byteLength - offset, RING_BYTES - at, this.free());
      if (n === 0) {
        // Hand over held bytes before waiting: the workers hash them meanwhile.
        this.send();
        const rest = chunk.subarray(offset);
        return new Promise<void>((resolve) => this.waiters.push(resolve)).then(() =>
          this.update(id, rest),
        );
      }
      this.view.set(chunk.subarray(offset, offset + n), at);
      this.written += n;
      const h = this.held;
      if (h && h.id === id && h.at + h.len === at) {
        h.len += n;
      } else {
        this.send();
        this.held = { id, at, len: n };
      }
      if (this.held!.len >= MESSAGE_BYTES) this.send();
      offset += n;
    }
  }
}

let pool: HashPool | undefined;
let nextId = 1;

/** A hasher that runs MD5 and SHA-256 on the two shared hash workers. */
export function workerHasher(): BodyHasher {
  pool ??= new HashPool();
  const p = pool;
  const id = nextId++;
  p.md5.start(id);
  p.sha256.start(id);
  // Chunks must reach the ring in order even if a caller does not wait for backpressure.
  let tail: Promise<void> | undefined;
  let finished = false;
  const settle = (t: Promise<void>): Promise<void> => {
    const done: Promise<void> = t.then(() => {
      if (tail === done) tail = undefined;
    });
    tail = done;
    return done;
  };
  return {
    update(chunk) {
      if (tail) return settle(tail.then(() => p.update(id, chunk)));
      const waiting = p.update(id, chunk);
      if (waiting) return settle(waiting);
    },
    async digest() {
      finished = true;
      if (tail) await tail;
      p.send();
      const [md5, sha256] = await Promise.all([p.md5.digest(id), p.sha256.digest(id)]);
      return { md5, sha256 };
    },
    discard() {
      if (finished) return;
      finished = true;
      // Its held bytes go out now, so the workers acknowledge them and the ring frees.
      p.send();
      p.md5.discard(id);
      p.sha256.discard(id);
    },
  };
}

/** MD5 and SHA-256 on the calling thread: cheapest for small bodies. */
export function inlineHasher(): BodyHasher {
  const md5 = createHash('md5');
  const sha256 = createHash('sha256');
  return {
    update(chunk) {
      md5.update(chunk);
      sha256.update(chunk);
    },
    digest: async () => ({ md5: md5.digest(), sha256: sha256.digest() }),
    discard() {},
  };
}

/** Bodies at least this large (or of unknown length) are hashed on the workers. */
export const WORKER_HASH_MIN_BYTES = 4 * 1024 * 1024;

/** Picks the hasher for a body of `expectedLength` bytes (undefined: unknown). */
export function hasherFor(expectedLength: number | undefined): BodyHasher {
  return expectedLength !== undefined && expectedLength < WORKER_HASH_MIN_BYTES
    ? inlineHasher()
    : workerHasher();
}
