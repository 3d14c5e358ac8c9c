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

// Runs inside each worker: one hash state per session id.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const states = new Map();
parentPort.on('message', (m) => {
  if (m.op === 'open') states.set(m.id, createHash(m.alg));
  else if (m.op === 'update') { states.get(m.id)?.update(m.chunk); parentPort.postMessage({ id: m.id, ack: m.chunk.byteLength }); }
  else if (m.op === 'digest') { const h = states.get(m.id); states.delete(m.id); parentPort.postMessage({ id: m.id, digest: h ? h.digest() : null }); }
  else if (m.op === 'discard') states.delete(m.id);
});
`;

/** Bytes a session may have in flight to a worker before update() waits. */
const MAX_OUTSTANDING_BYTES = 16 * 1024 * 1024;

interface Session {
  outstanding: number;
  waiters: Array<() => void>;
  digest?: (d: Buffer | null) => void;
}

class HashWorker {
  private readonly worker: Worker;
  private readonly sessions = new Map<number, Session>();

  constructor(readonly alg: 'md5' | 'sha256') {
    this.worker = new Worker(WORKER_SOURCE, { eval: true });
    this.worker.on('message', (m: { id: number; ack?: number; digest?: Uint8Array | null }) => {
      const s = this.sessions.get(m.id);
      if (!s) return;
      if (m.ack !== undefined) {
        s.outstanding -= m.ack;
        if (s.outstanding < MAX_OUTSTANDING_BYTES) for (const w of s.waiters.splice(0)) w();
      } else {
        this.sessions.delete(m.id);
        this.track();
        s.digest?.(m.digest ? Buffer.from(m.digest) : null);
      }
    });
    // After the listener: adding a 'message' listener refs the worker again. An idle
    // hash worker must not keep the process alive.
    this.worker.unref();
  }

  /** Keeps the process alive exactly while a body is being hashed. */
  private track(): void {
    if (this.sessions.size > 0) this.worker.ref();
    else this.worker.unref();
  }

  open(id: number): void {
    this.sessions.set(id, { outstanding: 0, waiters: [] });
    this.track();
    this.worker.postMessage({ op: 'open', id, alg: this.alg });
  }

  update(id: number, chunk: Uint8Array): Promise<void> | void {
    const s = this.sessions.get(id)!;
    s.outstanding += chunk.byteLength;
    this.worker.postMessage({ op: 'update', id, chunk });
    if (s.outstanding >= MAX_OUTSTANDING_BYTES)
      return new Promise((resolve) => s.waiters.push(resolve));
  }

  digest(id: number): Promise<Buffer> {
    const s = this.sessions.get(id)!;
    return new Promise((resolve, reject) => {
      s.digest = (d) => (d ? resolve(d) : reject(new Error('hash state lost')));
      this.worker.postMessage({ op: 'digest', id });
    });
  }

  discard(id: number): void {
    this.sessions.delete(id);
    this.track();
    this.worker.postMessage({ op: 'discard', id });
  }
}

let workers: { md5: HashWorker; sha256: HashWorker } | undefined;
let nextId = 1;

/** A hasher that runs MD5 and SHA-256 on the two shared hash workers. */
export function workerHasher(): BodyHasher {
  workers ??= { md5: new HashWorker('md5'), sha256: new HashWorker('sha256') };
  const w = workers;
  const id = nextId++;
  w.md5.open(id);
  w.sha256.open(id);
  return {
    update(chunk) {
      const a = w.md5.update(id, chunk);
      const b = w.sha256.update(id, chunk);
      if (a || b) return Promise.all([a, b]).then(() => undefined);
    },
    async digest() {
      const [md5, sha256] = await Promise.all([w.md5.digest(id), w.sha256.digest(id)]);
      return { md5, sha256 };
    },
    discard() {
      w.md5.discard(id);
      w.sha256.discard(id);
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
