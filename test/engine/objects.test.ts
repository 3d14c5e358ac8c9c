import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { checksumBase64 } from '../../src/engine/checksums/index.js';
import type { ChecksumAlgorithm } from '../../src/engine/types.js';
import {
  inlineBlobIds,
  openTestEngine,
  patternBytes,
  readAll,
  streamOf,
} from '../helpers/engine.js';
import { expectError as expectCode } from '../helpers/expect-error.js';

let engine: Engine;
let dir: string;
let close: () => Promise<void>;

beforeEach(async () => {
  ({ engine, dir, close } = await openTestEngine());
  await engine.createBucket('bkt');
});
afterEach(async () => close());

const md5hex = (b: Buffer): string => createHash('md5').update(b).digest('hex');
const get = async (key: string, opts = {}): Promise<Buffer> =>
  readAll(engine.getObject('bkt', key, opts).body);

/**
 * Every file under blobs/ and tmp/ and every inline blob row — what a failed write must
 * not leave behind.
 */
function dataFiles(): string[] {
  const out: string[] = [];
  for (const sub of ['blobs', 'tmp']) {
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(path.join(d, e.name));
        else out.push(path.join(d, e.name));
      }
    };
    walk(path.join(dir, sub));
  }
  return [...out, ...inlineBlobIds(dir).map((id) => `inline:${id}`)];
}

describe('put and get', () => {
  it('stores bytes with an MD5 ETag, headers and metadata', async () => {
    const body = patternBytes(100_000);
    const r = await engine.putObject('bkt', 'k', body, {
      headers: {
        contentType: 'image/png',
        cacheControl: 'max-age=60',
        contentDisposition: 'inline',
      },
      metadata: { Owner: 'art-team' },
    });
    expect(r.etag).toBe(`"${md5hex(body)}"`);
    expect(r.versionId).toBe('null');
    const g = engine.getObject('bkt', 'k');
    expect(g.contentLength).toBe(body.length);
    expect((await readAll(g.body)).equals(body)).toBe(true);
    expect(g.info.headers).toEqual({
      contentType: 'image/png',
      cacheControl: 'max-age=60',
      contentDisposition: 'inline',
    });
    expect(g.info.metadata).toEqual({ owner: 'art-team' });
    expect(g.info.sha256).toBe(createHash('sha256').update(body).digest('hex'));
    expect(g.info.storageClass).toBe('STANDARD');
  });

  it('stores a 0-byte object without a blob file', async () => {
    const r = await engine.putObject('bkt', 'empty', Buffer.alloc(0));
    expect(r.etag).toBe('"d41d8cd98f00b204e9800998ecf8427e"');
    expect((await get('empty')).length).toBe(0);
    expect(engine.headObject('bkt', 'empty').size).toBe(0);
    expect(dataFiles()).toEqual([]);
  });

  it('accepts a stream of unknown length', async () => {
    const a = patternBytes(70_000, 3);
    const c = patternBytes(1_500_000, 4);
    await engine.putObject('bkt', 'streamed', streamOf(a, Buffer.alloc(0), c));
    expect((await get('streamed')).equals(Buffer.concat([a, c]))).toBe(true);
  });

  it('overwrites in an unversioned bucket and removes the old bytes', async () => {
    await engine.putObject('bkt', 'k', patternBytes(5000, 1));
    await engine.putObject('bkt', 'k', patternBytes(6000, 2));
    expect((await get('k')).equals(patternBytes(6000, 2))).toBe(true);
    // The old blob goes once the commit is durable (an fdatasync on the thread pool).
    await vi.waitFor(() => expect(dataFiles()).toHaveLength(1));
  });

  it('rejects a body shorter than its Content-Length and stores nothing', async () => {
    await expectCode(
      engine.putObject('bkt', 'short', streamOf(patternBytes(10)), { contentLength: 20 }),
      'E_INCOMPLETE_BODY',
      /10 of the declared 20/,
    );
    await expectCode(() => engine.headObject('bkt', 'short'), 'E_NO_SUCH_KEY');
    expect(dataFiles()).toEqual([]);
  });

  it('rejects a body longer than its Content-Length and stores nothing', async () => {
    await expectCode(
      engine.putObject('bkt', 'long', patternBytes(30), { contentLength: 20 }),
      'E_INVALID_REQUEST',
      /longer/,
    );
    expect(dataFiles()).toEqual([]);
  });

  it('rejects a body over the PUT size limit as soon as it crosses it', async () => {
    await close();
    ({ engine, dir, close } = await openTestEngine({ limits: { maxPutSizeBytes: 1000 } }));
    await engine.createBucket('bkt');
    await expectCode(
      engine.putObject('bkt', 'big', streamOf(patternBytes(800), patternBytes(800))),
      'E_ENTITY_TOO_LARGE',
    );
    await expectCode(
      engine.putObject('bkt', 'big', Buffer.alloc(0), { contentLength: 5000 }),
      'E_ENTITY_TOO_LARGE',
    );
    expect(dataFiles()).toEqual([]);
  });

  it('rejects a body stream that fails midway and keeps the old object', async () => {
    await engine.putObject('bkt', 'k', 'old');
    async function* broken(): AsyncGenerator<Buffer> {
      yield patternBytes(1000);
      throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    }
    await expectCode(engine.putObject('bkt', 'k', broken()), 'E_INCOMPLETE_BODY');
    expect((await get('k')).toString()).toBe('old');
  });

  it('honours an abort signal', async () => {
    const ac = new AbortController();
    async function* slow(): AsyncGenerator<Buffer> {
      yield patternBytes(1000);
      ac.abort();
      yield patternBytes(1000);
    }
    await expectCode(
      engine.putObject('bkt', 'k', slow(), { signal: ac.signal }),
      'E_INCOMPLETE_BODY',
    );
    expect(dataFiles()).toEqual([]);
  });

  it('fails on a missing bucket before reading the body', async () => {
    await expectCode(engine.putObject('nope', 'k', 'x'), 'E_NO_SUCH_BUCKET', /nope/);
  });
});

describe('integrity: Content-MD5 and x-amz-checksum-*', () => {
  const body = patternBytes(300_000, 9);

  it('accepts a matching Content-MD5 and rejects a wrong one with BadDigest, storing nothing', async () => {
    const good = createHash('md5').update(body).digest('base64');
    await engine.putObject('bkt', 'ok', body, { contentMd5: good });
    const wrong = createHash('md5').update('other').digest('base64');
    try {
      await engine.putObject('bkt', 'bad', body, { contentMd5: wrong });
      throw new Error('accepted');
    } catch (err) {
      expect((err as { code: string; s3Code: string }).code).toBe('E_BAD_DIGEST');
      expect((err as { s3Code: string }).s3Code).toBe('BadDigest');
    }
    await expectCode(() => engine.headObject('bkt', 'bad'), 'E_NO_SUCH_KEY');
    expect(dataFiles()).toHaveLength(1);
  });

  it('checks a signed SHA-256 (hex, any case) before Content-MD5, for objects and parts, storing nothing on a mismatch', async () => {
    const hex = createHash('sha256').update(body).digest('hex');
    await engine.putObject('bkt', 'sha', body, { sha256: hex.toUpperCase() });
    const wrongMd5 = createHash('md5').update('other').digest('base64');
    const other = createHash('sha256').update('other').digest('hex');
    await expectCode(
      engine.putObject('bkt', 'bad-sha', body, { sha256: other, contentMd5: wrongMd5 }),
      'E_CONTENT_SHA256_MISMATCH',
      /x-amz-content-sha256/,
    );
    await expectCode(() => engine.headObject('bkt', 'bad-sha'), 'E_NO_SUCH_KEY');
    const { uploadId } = await engine.createMultipartUpload('bkt', 'sha-mpu');
    await expectCode(
      engine.uploadPart('bkt', 'sha-mpu', uploadId, 1, body, { sha256: other }),
      'E_CONTENT_SHA256_MISMATCH',
    );
    expect(engine.listParts('bkt', 'sha-mpu', uploadId).parts).toEqual([]);
    await engine.uploadPart('bkt', 'sha-mpu', uploadId, 1, body, { sha256: hex });
    expect(engine.listParts('bkt', 'sha-mpu', uploadId).parts).toHaveLength(1);
    expect(dataFiles()).toHaveLength(2);
  });

  it('rejects a malformed Content-MD5 with InvalidDigest', async () => {
    await expectCode(
      engine.putObject('bkt', 'k', body, { contentMd5: 'not-base64!' }),
      'E_INVALID_DIGEST',
      /Content-MD5/,
    );
  });

  const algorithms: ChecksumAlgorithm[] = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'];
  for (const alg of algorithms) {
    it(`verifies and stores ${alg}`, async () => {
      const value = checksumBase64(alg, body);
      const r = await engine.putObject('bkt', `k-${alg}`, body, { checksums: { [alg]: value } });
      expect(r.checksums[alg]).toBe(value);
      expect(engine.headObject('bkt', `k-${alg}`).checksums[alg]).toBe(value);
      const wrong = checksumBase64(alg, Buffer.from('something else'));
      await expectCode(
        engine.putObject('bkt', `bad-${alg}`, body, { checksums: { [alg]: wrong } }),
        'E_CHECKSUM_MISMATCH',
        new RegExp(alg),
      );
      await expectCode(() => engine.headObject('bkt', `bad-${alg}`), 'E_NO_SUCH_KEY');
    });
  }

  it('computes a requested algorithm without a value', async () => {
    const r = await engine.putObject('bkt', 'k', body, { checksumAlgorithm: 'CRC32C' });
    expect(r.checksums.CRC32C).toBe(checksumBase64('CRC32C', body));
  });

  it('verifies a trailing checksum that arrives after the body', async () => {
    const value = checksumBase64('CRC32', body);
    await engine.putObject('bkt', 'trail', streamOf(body), {
      checksumAlgorithm: 'CRC32',
      checksums: Promise.resolve({ CRC32: value }),
    });
    expect(engine.headObject('bkt', 'trail').checksums.CRC32).toBe(value);
    await expectCode(
      engine.putObject('bkt', 'trail2', streamOf(body), {
        checksumAlgorithm: 'CRC32',
        checksums: Promise.resolve({ CRC32: 'AAAAAA==' }),
      }),
      'E_CHECKSUM_MISMATCH',
    );
    await expectCode(() => engine.headObject('bkt', 'trail2'), 'E_NO_SUCH_KEY');
  });

  it('rejects malformed checksum values and unknown algorithms', async () => {
    await expectCode(
      engine.putObject('bkt', 'k', body, { checksums: { CRC32: 'abc' } }),
      'E_INVALID_REQUEST',
      /crc32/,
    );
    // Right length of base64, wrong length of digest (6 bytes, not 4).
    await expectCode(
      engine.putObject('bkt', 'k', body, { checksums: { CRC32: 'a1b2c3d4' } }),
      'E_INVALID_REQUEST',
      /x-amz-checksum-crc32 header is invalid/,
    );
    await expectCode(
      engine.putObject('bkt', 'k', body, { checksums: { MD4: 'AAAA' } as never }),
      'E_INVALID_ARGUMENT',
      /MD4/,
    );
  });
});

describe('keys', () => {
  const hostile = [
    '../../../etc/passwd',
    '..',
    '.',
    '//double//slash//',
    '/leading',
    'trailing/',
    'with space and +plus & ampersand',
    'unicode/日本語/ファイル.png',
    'emoji/😀.txt',
    'control\u0001\u0007\ttab\nnewline',
    'percent%2F%00encoded',
    '\\windows\\path',
    'C:\\x',
    'a'.repeat(1024),
    'é'.repeat(512),
  ];
  it('stores every valid key as data, never as a path', async () => {
    // Every other body is over the inline limit, so both kinds of blob are made.
    const bodyOf = (i: number): string => `body-${i}`.padEnd(i % 2 ? 200_000 : 0, '.');
    for (const [i, key] of hostile.entries()) {
      await engine.putObject('bkt', key, bodyOf(i));
    }
    for (const [i, key] of hostile.entries()) {
      expect((await get(key)).toString()).toBe(bodyOf(i));
    }
    const listed = engine.listObjects('bkt').objects.map((o) => o.key);
    expect(new Set(listed)).toEqual(new Set(hostile));
    // Nothing outside blobs/ (named by random hex ids) was created.
    const stored = dataFiles().map((f) => path.basename(f));
    for (const f of stored) expect(f).toMatch(/^([0-9a-f]{32}|inline:j\d+)$/);
    expect(stored.filter((f) => f.startsWith('inline:'))).toHaveLength(
      Math.ceil(hostile.length / 2),
    );
    expect(stored.filter((f) => !f.startsWith('inline:'))).toHaveLength(
      Math.floor(hostile.length / 2),
    );
    expect(readdirSync(dir).sort()).toEqual([
      'LOCK',
      'LOCK.db',
      'blobs',
      'meta.db',
      'meta.db-shm',
      'meta.db-wal',
      'tmp',
    ]);
  });

  it('rejects an empty key, a key over 1024 bytes and a lone surrogate', async () => {
    await expectCode(engine.putObject('bkt', '', 'x'), 'E_INVALID_KEY', /empty/);
    await expectCode(engine.putObject('bkt', 'é'.repeat(513), 'x'), 'E_KEY_TOO_LONG', /1026 bytes/);
    await expectCode(engine.putObject('bkt', 'a\ud800b', 'x'), 'E_INVALID_KEY', /surrogate/);
    await expectCode(() => engine.headObject('bkt', 'x'.repeat(1025)), 'E_KEY_TOO_LONG');
  });
});

describe('ranges', () => {
  const body = patternBytes(1000, 5);
  beforeEach(async () => {
    await engine.putObject('bkt', 'r', body);
  });
  const cases: Array<[string, number, number]> = [
    ['bytes=0-0', 0, 0],
    ['bytes=0-99', 0, 99],
    ['bytes=990-', 990, 999],
    ['bytes=-10', 990, 999],
    ['bytes=500-5000', 500, 999],
    ['bytes=-5000', 0, 999],
    // The unit is case-insensitive (RFC 9110 §14.1).
    ['BYTES=0-1', 0, 1],
    ['Bytes=-10', 990, 999],
  ];
  for (const [header, start, end] of cases) {
    it(`serves ${header}`, async () => {
      const g = engine.getObject('bkt', 'r', { range: header });
      expect(g.range).toEqual({ start, end });
      expect(g.contentLength).toBe(end - start + 1);
      expect((await readAll(g.body)).equals(body.subarray(start, end + 1))).toBe(true);
    });
  }
  it('accepts a structured range', async () => {
    expect((await get('r', { range: { start: 10, end: 19 } })).equals(body.subarray(10, 20))).toBe(
      true,
    );
  });
  it('rejects unsatisfiable ranges with InvalidRange', async () => {
    await expectCode(
      () => engine.getObject('bkt', 'r', { range: 'bytes=1000-' }),
      'E_INVALID_RANGE',
      /1000 bytes/,
    );
    await expectCode(() => engine.getObject('bkt', 'r', { range: 'bytes=-0' }), 'E_INVALID_RANGE');
  });
  it('reads an empty object whole for a suffix range, and refuses it any other range', async () => {
    await engine.putObject('bkt', 'empty-range', Buffer.alloc(0));
    for (const range of ['bytes=-1', 'bytes=-100']) {
      const got = engine.getObject('bkt', 'empty-range', { range });
      expect([range, got.range, got.contentLength]).toEqual([range, undefined, 0]);
      expect((await readAll(got.body)).length).toBe(0);
    }
    for (const range of ['bytes=0-', 'bytes=0-0', 'bytes=-0']) {
      await expectCode(() => engine.getObject('bkt', 'empty-range', { range }), 'E_INVALID_RANGE');
    }
  });
  it('ignores a malformed Range header, as S3 does', async () => {
    expect((await get('r', { range: 'bytes=abc' })).length).toBe(1000);
    expect((await get('r', { range: 'bytes=5-2' })).length).toBe(1000);
  });
});

describe('conditional reads', () => {
  let etag: string;
  const t0 = new Date();
  beforeEach(async () => {
    etag = (await engine.putObject('bkt', 'c', 'hello')).etag;
  });
  const later = (): Date => new Date(Date.now() + 3_600_000);
  const earlier = (): Date => new Date(t0.getTime() - 3_600_000);

  it('If-Match', async () => {
    expect(engine.headObject('bkt', 'c', { conditions: { ifMatch: etag } }).etag).toBe(etag);
    expect(
      engine.headObject('bkt', 'c', { conditions: { ifMatch: etag.replaceAll('"', '') } }).etag,
    ).toBe(etag);
    expect(engine.headObject('bkt', 'c', { conditions: { ifMatch: '*' } }).etag).toBe(etag);
    await expectCode(
      () => engine.getObject('bkt', 'c', { conditions: { ifMatch: '"nope"' } }),
      'E_PRECONDITION_FAILED',
      /If-Match/,
    );
  });
  it('If-None-Match gives 304', async () => {
    await expectCode(
      () => engine.getObject('bkt', 'c', { conditions: { ifNoneMatch: etag } }),
      'E_NOT_MODIFIED',
    );
    expect(engine.headObject('bkt', 'c', { conditions: { ifNoneMatch: '"other"' } }).etag).toBe(
      etag,
    );
  });
  it('If-Modified-Since and If-Unmodified-Since', async () => {
    await expectCode(
      () => engine.getObject('bkt', 'c', { conditions: { ifModifiedSince: later() } }),
      'E_NOT_MODIFIED',
    );
    expect(engine.headObject('bkt', 'c', { conditions: { ifModifiedSince: earlier() } }).etag).toBe(
      etag,
    );
    await expectCode(
      () => engine.getObject('bkt', 'c', { conditions: { ifUnmodifiedSince: earlier() } }),
      'E_PRECONDITION_FAILED',
    );
    expect(engine.headObject('bkt', 'c', { conditions: { ifUnmodifiedSince: later() } }).etag).toBe(
      etag,
    );
  });
  it('applies RFC precedence: If-Match beats If-Unmodified-Since, If-None-Match beats If-Modified-Since', async () => {
    expect(
      engine.headObject('bkt', 'c', { conditions: { ifMatch: etag, ifUnmodifiedSince: earlier() } })
        .etag,
    ).toBe(etag);
    expect(
      engine.headObject('bkt', 'c', {
        conditions: { ifNoneMatch: '"x"', ifModifiedSince: later() },
      }).etag,
    ).toBe(etag);
  });
  it('conditional writes: If-None-Match * and If-Match', async () => {
    await expectCode(
      engine.putObject('bkt', 'c', 'x', { conditions: { ifNoneMatch: '*' } }),
      'E_PRECONDITION_FAILED',
    );
    await engine.putObject('bkt', 'new', 'x', { conditions: { ifNoneMatch: '*' } });
    await expectCode(
      engine.putObject('bkt', 'c', 'y', { conditions: { ifMatch: '"bad"' } }),
      'E_PRECONDITION_FAILED',
    );
    await engine.putObject('bkt', 'c', 'y', { conditions: { ifMatch: etag } });
    await expectCode(
      engine.putObject('bkt', 'missing', 'y', { conditions: { ifMatch: etag } }),
      'E_NO_SUCH_KEY',
    );
    expect((await get('c')).toString()).toBe('y');
  });
  it('only one of many concurrent If-None-Match: * writers wins', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        engine.putObject('bkt', 'race', `w${i}`, { conditions: { ifNoneMatch: '*' } }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });
});

describe('delete', () => {
  it('deletes, and deleting a missing key succeeds', async () => {
    await engine.putObject('bkt', 'k', 'x');
    expect(await engine.deleteObject('bkt', 'k')).toEqual({ deleteMarker: false });
    await expectCode(() => engine.headObject('bkt', 'k'), 'E_NO_SUCH_KEY');
    expect(await engine.deleteObject('bkt', 'k')).toEqual({ deleteMarker: false });
    await vi.waitFor(() => expect(dataFiles()).toEqual([]));
  });

  it('batch-deletes with a result per key', async () => {
    for (const k of ['a', 'b', 'c']) await engine.putObject('bkt', k, k);
    const r = await engine.deleteObjects('bkt', [
      { key: 'a' },
      { key: 'b' },
      { key: 'zz' },
      { key: '' },
    ]);
    expect(r.map((x) => [x.key, x.ok])).toEqual([
      ['a', true],
      ['b', true],
      ['zz', true],
      ['', false],
    ]);
    expect(engine.listObjects('bkt').objects.map((o) => o.key)).toEqual(['c']);
    // A version id this server could never have issued (an AWS one, say) is a version it
    // does not have, as S3 reports it per key; the object stays.
    const [aws] = await engine.deleteObjects('bkt', [
      { key: 'c', versionId: 'HPniJFCxqTsMuIH9KX8K8wEjNUgmABCD' },
    ]);
    expect(aws).toMatchObject({ key: 'c', ok: false, code: 'NoSuchVersion' });
    expect(engine.listObjects('bkt').objects.map((o) => o.key)).toEqual(['c']);
    await expectCode(engine.deleteObjects('bkt', []), 'E_MALFORMED_XML');
    await expectCode(
      engine.deleteObjects(
        'bkt',
        Array.from({ length: 1001 }, (_, i) => ({ key: `k${i}` })),
      ),
      'E_MALFORMED_XML',
      /1000/,
    );
  });

  it('a reader keeps streaming bytes of an object deleted under it', async () => {
    const body = patternBytes(3_000_000, 7);
    await engine.putObject('bkt', 'k', body);
    const g = engine.getObject('bkt', 'k');
    await engine.deleteObject('bkt', 'k');
    await new Promise((r) => setTimeout(r, 50));
    expect((await readAll(g.body)).equals(body)).toBe(true);
    await vi.waitFor(() => expect(dataFiles()).toEqual([]));
  });
});

describe('persistence', () => {
  it('everything survives close and reopen', async () => {
    const { Engine } = await import('../../src/engine/engine.js');
    await engine.putObject('bkt', 'k', patternBytes(4096), {
      metadata: { a: '1' },
      tags: { t: 'v' },
    });
    await engine.close();
    const again = await Engine.open({ dataDir: dir });
    try {
      const g = again.getObject('bkt', 'k');
      expect((await readAll(g.body)).equals(patternBytes(4096))).toBe(true);
      expect(g.info.metadata).toEqual({ a: '1' });
      expect(g.info.tags).toEqual({ t: 'v' });
      expect(again.recovery.uncleanShutdown).toBe(false);
    } finally {
      await again.close();
    }
    engine = await Engine.open({ dataDir: dir });
  });

  it('keeps bodies over the inline limit out of the database file', async () => {
    const marker = Buffer.from('UNIQUE-MARKER-'.repeat(10_000)); // 140,000 bytes > 128 KiB
    await engine.putObject('bkt', 'k', marker);
    const db = readFileSync(path.join(dir, 'meta.db-wal'));
    expect(db.includes(marker.subarray(0, 1000))).toBe(false);
    expect(inlineBlobIds(dir)).toEqual([]);
  });
});
