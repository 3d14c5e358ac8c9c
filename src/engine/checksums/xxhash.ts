/**
 * XXHASH64, XXHASH3 and XXHASH128, the non-cryptographic hashes S3 took among its checksum
 * algorithms in 2025. node:crypto has none of them, so they run as WebAssembly (hash-wasm,
 * about 4 GB/s here, where the JavaScript ports run at 40–130 MB/s).
 *
 * WebAssembly compiles asynchronously while the write path hashes synchronously, so the
 * three hashers are made once by {@link loadXxhash} (Engine.open awaits it) and shared:
 * each checksum keeps its own saved state and loads it around every update, which is safe
 * because an update runs to its end on the one JavaScript thread.
 */
import { createXXHash128, createXXHash3, createXXHash64, type IHasher } from 'hash-wasm';
import { StowageError } from '../../errors.js';

/** The algorithms this module computes. */
export type XxhashAlgorithm = 'XXHASH64' | 'XXHASH3' | 'XXHASH128';

let hashers: Readonly<Record<XxhashAlgorithm, IHasher>> | undefined;
let loading: Promise<void> | undefined;
/** Why the hashers could not be made (a runtime without WebAssembly: `node --jitless`). */
let failure: unknown;

/** Compiles the three hashers; later calls return the same promise. */
export function loadXxhash(): Promise<void> {
  loading ??= Promise.all([createXXHash64(), createXXHash3(), createXXHash128()]).then(
    ([h64, h3, h128]) => {
      hashers = Object.freeze({ XXHASH64: h64, XXHASH3: h3, XXHASH128: h128 });
    },
    (error: unknown) => {
      failure = error;
      throw error;
    },
  );
  return loading;
}

/** An incremental XXH64 / XXH3-64 / XXH3-128 (seed 0) with the canonical big-endian digest. */
export class XxhashChecksum {
  private readonly hasher: IHasher;
  private state: Uint8Array;

  constructor(alg: XxhashAlgorithm) {
    if (!hashers && failure !== undefined) {
      // Only the XXHASHes are lost where WebAssembly is not available.
      throw new StowageError(
        'E_NOT_IMPLEMENTED',
        `${alg} checksums need WebAssembly, which this Node.js runtime does not provide`,
      );
    }
    if (!hashers) {
      // A programming error, not a client's: every entry point awaits loadXxhash().
      throw new Error(`${alg} used before loadXxhash() finished`);
    }
    this.hasher = hashers[alg];
    this.state = this.hasher.init().save();
  }

  update(chunk: Uint8Array): void {
    this.state = this.hasher.load(this.state).update(chunk).save();
  }

  digest(): Buffer<ArrayBuffer> {
    // The digest is a view of the WebAssembly memory: copy it before the next use.
    return Buffer.from(this.hasher.load(this.state).digest('binary'));
  }
}
