/**
 * Opens runs of sealed segments (format.ts) on worker threads, so a large encrypted GET
 * decrypts on more than one core while the main thread reads the file and writes the
 * socket. On the main thread, AES-256-GCM capped a 1 GiB SSE-S3 GET at 774–842 MB/s on
 * this class of CPU, with the event loop busy for the whole transfer.
 *
 * A run travels to a worker and back without a copy: its buffer is transferred, and the
 * worker writes each segment's plaintext over the run's own sealed bytes (a segment's
 * plaintext never reaches past its ciphertext), so the answer is the same memory holding
 * the plaintext, in order. The nonces and sizes come from format.ts on the main thread:
 * the worker knows nothing of the format beyond "ciphertext, then a 16-byte tag".
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { StowageError } from '../../errors.js';
import { segmentRun, truncatedBlob, unauthenticBlob } from './format.js';

// Runs inside each worker. A failure answers with its kind: 'truncated' when the run's
// bytes do not hold exactly the segments named, 'auth' when a tag does not match.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createDecipheriv } = require('node:crypto');
parentPort.on('message', (m) => {
  const bytes = new Uint8Array(m.sealed, 0, m.length);
  let read = 0;
  let written = 0;
  let failed;
  for (let i = 0; i < m.plainBytes.length && !failed; i++) {
    const n = m.plainBytes[i];
    if (read + n + 16 > bytes.byteLength) { failed = 'truncated'; break; }
    const decipher = createDecipheriv('aes-256-gcm', m.key, m.nonces.subarray(12 * i, 12 * i + 12));
    decipher.setAuthTag(bytes.subarray(read + n, read + n + 16));
    const plain = decipher.update(bytes.subarray(read, read + n));
    try { decipher.final(); } catch { failed = 'auth'; break; }
    bytes.set(plain, written);
    read += n + 16;
    written += n;
  }
  if (!failed && read !== bytes.byteLength) failed = 'truncated';
  parentPort.postMessage({ id: m.id, sealed: m.sealed, length: written, failed }, [m.sealed]);
});
`;

interface Answer {
  id: number;
  sealed: ArrayBuffer;
  length: number;
  failed?: 'truncated' | 'auth';
}

interface Pending {
  resolve(plain: Buffer): void;
  reject(err: Error): void;
}

class OpenWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly onExit: (w: OpenWorker) => void) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      // Plaintext garbage of 64 KiB per segment and small messages: a larger young
      // generation only lets it pile up in RSS (as for the hash workers).
      resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 32 },
    });
    this.worker.on('message', (m: Answer) => this.answer(m));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`decryption worker exited (${code})`)));
    // After the listeners: adding a 'message' listener refs the worker again. An idle
    // worker must not keep the process alive.
    this.worker.unref();
  }

  get load(): number {
    return this.pending.size;
  }

  open(id: number, message: object, sealed: ArrayBuffer, done: Pending): void {
    if (this.pending.size === 0) this.worker.ref();
    this.pending.set(id, done);
    this.worker.postMessage({ id, sealed, ...message }, [sealed]);
  }

  private answer(m: Answer): void {
    const done = this.pending.get(m.id);
    this.pending.delete(m.id);
    if (this.pending.size === 0) this.worker.unref();
    if (!done) return;
    if (m.failed === 'truncated') done.reject(truncatedBlob());
    else if (m.failed === 'auth') done.reject(unauthenticBlob());
    else done.resolve(Buffer.from(m.sealed, 0, m.length));
  }

  private fail(cause: Error): void {
    this.onExit(this);
    const err = new StowageError('E_INTERNAL', 'a decryption worker stopped', { cause });
    for (const done of this.pending.values()) done.reject(err);
    this.pending.clear();
  }
}

/** Workers started so far; at most WORKERS, started as runs need them. */
const workers: OpenWorker[] = [];
/**
 * One per core, up to four. On this 2-core VM two workers beside the main thread (file
 * reads, socket writes) and the client used about 1.7 of the 2 cores during a 1 GiB GET.
 */
const WORKERS = Math.min(4, availableParallelism());
let nextId = 1;

function leastLoaded(): OpenWorker {
  let best = workers.find((w) => w.load === 0);
  if (!best && workers.length < WORKERS) {
    best = new OpenWorker((gone) => {
      const at = workers.indexOf(gone);
      if (at >= 0) workers.splice(at, 1);
    });
    workers.push(best);
  }
  return best ?? workers.reduce((a, b) => (b.load < a.load ? b : a));
}

/**
 * Opens the sealed segments from segment `first` of a blob of `size` plaintext bytes,
 * `count` of them, held in `sealed` (the whole run: each segment's ciphertext then its
 * tag). Resolves to the plaintext, in the same memory. `sealed` must be the only view of
 * a buffer of its own (ReadBuffers' buffers are), starting at its first byte: its memory
 * moves to the worker, and any other view of it is empty until the answer comes back.
 * Rejects with E_DATA_CORRUPT as openSegment throws it.
 */
export function openRun(
  key: Buffer,
  prefix: Buffer,
  size: number,
  first: number,
  count: number,
  sealed: Buffer,
): Promise<Buffer> {
  if (sealed.byteOffset !== 0) {
    throw new StowageError('E_INTERNAL', 'a sealed run must start at its buffer’s first byte');
  }
  const { nonces, plainBytes } = segmentRun(prefix, size, first, count);
  const id = nextId++;
  return new Promise<Buffer>((resolve, reject) => {
    leastLoaded().open(
      id,
      { length: sealed.byteLength, key, nonces, plainBytes },
      sealed.buffer as ArrayBuffer,
      { resolve, reject },
    );
  });
}
