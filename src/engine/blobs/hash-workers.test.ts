import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { inlineHasher, workerHasher } from './hash-workers.js';

const md5 = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Feeds `body` in chunks of the given sizes (cycled), awaiting backpressure when asked. */
async function feed(
  hasher: ReturnType<typeof workerHasher>,
  body: Buffer,
  sizes: number[],
  awaitEach: boolean,
): Promise<void> {
  let at = 0;
  for (let i = 0; at < body.length; i++) {
    const n = sizes[i % sizes.length]!;
    const p = hasher.update(body.subarray(at, at + n));
    if (awaitEach && p) await p;
    at += n;
  }
}

describe('workerHasher (shared ring, two workers)', () => {
  it('matches node:crypto for bodies larger than the ring, chunked unevenly', async () => {
    const body = randomBytes(20 * 1024 * 1024 + 12_345);
    const h = workerHasher();
    await feed(h, body, [65_536, 1, 1_048_577, 3_000_001], true);
    const d = await h.digest();
    expect(d.md5.toString('hex')).toBe(md5(body));
    expect(d.sha256.toString('hex')).toBe(sha256(body));
  });

  it('keeps chunk order when the caller does not wait for backpressure', async () => {
    const body = randomBytes(24 * 1024 * 1024);
    const h = workerHasher();
    await feed(h, body, [5 * 1024 * 1024 + 7], false);
    const d = await h.digest();
    expect(d.md5.toString('hex')).toBe(md5(body));
  });

  it('hashes concurrent bodies apart, and a discarded one frees its share of the ring', async () => {
    const bodies = [randomBytes(9 * 1024 * 1024), randomBytes(3 * 1024 * 1024 + 1)];
    const dropped = workerHasher();
    await feed(dropped, randomBytes(6 * 1024 * 1024), [1024 * 1024], false);
    dropped.discard();
    dropped.discard();
    const results = await Promise.all(
      bodies.map(async (b, i) => {
        const h = workerHasher();
        await feed(h, b, [i === 0 ? 65_536 : 100_000], true);
        return h.digest();
      }),
    );
    results.forEach((d, i) => {
      expect(d.md5.toString('hex')).toBe(md5(bodies[i]!));
      expect(d.sha256.toString('hex')).toBe(sha256(bodies[i]!));
    });
  });

  it('coalesces small chunks of one body but keeps interleaved bodies apart and in order', async () => {
    const a = randomBytes(3 * 1024 * 1024 + 5);
    const b = randomBytes(2 * 1024 * 1024 + 3);
    const [ha, hb] = [workerHasher(), workerHasher()];
    // Alternate 4 KiB and 1 KiB pieces of the two bodies without waiting, as two requests
    // whose socket reads interleave would.
    const waits: Array<Promise<void>> = [];
    for (let at = 0; at < Math.max(a.length, b.length); at += 4096) {
      const pa = at < a.length ? ha.update(a.subarray(at, at + 4096)) : undefined;
      if (pa) waits.push(pa);
      for (let k = at; k < Math.min(at + 4096, b.length); k += 1024) {
        const pb = hb.update(b.subarray(k, Math.min(k + 1024, at + 4096)));
        if (pb) waits.push(pb);
      }
    }
    await Promise.all(waits);
    const [da, db] = await Promise.all([ha.digest(), hb.digest()]);
    expect(da.md5.toString('hex')).toBe(md5(a));
    expect(da.sha256.toString('hex')).toBe(sha256(a));
    expect(db.md5.toString('hex')).toBe(md5(b));
    expect(db.sha256.toString('hex')).toBe(sha256(b));
  });

  it('a body discarded with bytes not yet handed to the workers still frees the ring', async () => {
    const dropped = workerHasher();
    await dropped.update(randomBytes(512 * 1024)); // below one message: held back
    dropped.discard();
    // A body larger than the whole ring only completes if those bytes were released.
    const body = randomBytes(12 * 1024 * 1024);
    const h = workerHasher();
    await feed(h, body, [64 * 1024], true);
    expect((await h.digest()).md5.toString('hex')).toBe(md5(body));
  });

  it('gives the same digests as the inline hasher for an empty body', async () => {
    const [w, i] = [workerHasher(), inlineHasher()];
    const [a, b] = await Promise.all([w.digest(), i.digest()]);
    expect(a).toEqual(b);
  });
});
