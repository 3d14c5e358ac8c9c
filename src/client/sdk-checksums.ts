/**
 * Implementations of S3's 2025 checksum algorithms for the AWS SDK, which computes only
 * CRC32, CRC32C, CRC64NVME, SHA1 and SHA256 itself. The SDK asks for checksums on every
 * GET (`x-amz-checksum-mode`) and throws "not supported by the client" when the object
 * carries one of the others, so without these a download of an object another tool stored
 * with SHA512 or an XXHASH failed — against AWS S3 as against `stowage serve`.
 *
 * The XXHASHes are WebAssembly, compiled asynchronously while the SDK makes its checksums
 * synchronously: bytes that arrive before the compilation has finished wait in memory
 * (in practice none: it takes milliseconds and starts when this module loads).
 */
import type { Checksum, ChecksumConstructor } from '@smithy/types';
import { createChecksum, loadXxhash, type IncrementalChecksum } from '../engine/checksums/index.js';
import type { ChecksumAlgorithm } from '../engine/types.js';

let xxhashReady = false;
const loading = loadXxhash().then(() => {
  xxhashReady = true;
});
// A failed compilation surfaces at the first digest() that needs it.
loading.catch(() => undefined);

/** An SDK Checksum over one of the engine's incremental checksums. */
function sdkChecksum(alg: ChecksumAlgorithm): ChecksumConstructor {
  const needsWasm = alg.startsWith('XXHASH');
  return class implements Checksum {
    private sum: IncrementalChecksum | undefined;
    private pending: Uint8Array[] = [];

    constructor() {
      this.reset();
    }

    update(chunk: Uint8Array): void {
      if (this.sum) this.sum.update(chunk);
      else this.pending.push(Uint8Array.from(chunk));
    }

    async digest(): Promise<Uint8Array> {
      if (!this.sum) {
        await loading;
        this.sum = createChecksum(alg);
        for (const chunk of this.pending) this.sum.update(chunk);
        this.pending = [];
      }
      return this.sum.digest();
    }

    reset(): void {
      this.sum = needsWasm && !xxhashReady ? undefined : createChecksum(alg);
      this.pending = [];
    }
  };
}

/** The SDK's `checksumAlgorithms` client option: the algorithms it lacks. */
export const SDK_CHECKSUM_ALGORITHMS: Readonly<Record<string, ChecksumConstructor>> = Object.freeze(
  {
    SHA512: sdkChecksum('SHA512'),
    XXHASH64: sdkChecksum('XXHASH64'),
    XXHASH3: sdkChecksum('XXHASH3'),
    XXHASH128: sdkChecksum('XXHASH128'),
  },
);
