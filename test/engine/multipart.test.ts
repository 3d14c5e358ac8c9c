import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { checksumBase64, combineCrc } from '../../src/engine/checksums/index.js';
import { ManualClock, openTestEngine, patternBytes, readAll } from '../helpers/engine.js';
import { expectError as expectCode } from '../helpers/expect-error.js';

let engine: Engine;
let close: () => Promise<void>;
const MIN = 64 * 1024;

beforeEach(async () => {
  ({ engine, close } = await openTestEngine({ limits: { minPartSizeBytes: MIN } }));
  await engine.createBucket('mpu');
});
afterEach(async () => close());

/** S3's multipart ETag, computed independently: MD5 of the binary part MD5s, then -N. */
function multipartEtag(parts: Buffer[]): string {
  const md5s = Buffer.concat(parts.map((p) => createHash('md5').update(p).digest()));
  return `"${createHash('md5').update(md5s).digest('hex')}-${parts.length}"`;
}

async function upload(
  key: string,
  parts: Buffer[],
  opts = {},
): Promise<{ uploadId: string; etags: string[] }> {
  const { uploadId } = await engine.createMultipartUpload('mpu', key, opts);
  const etags: string[] = [];
  for (const [i, p] of parts.entries())
    etags.push((await engine.uploadPart('mpu', key, uploadId, i + 1, p)).etag);
  return { uploadId, etags };
}

describe('multipart uploads', () => {
  const parts = [patternBytes(MIN, 1), patternBytes(MIN + 17, 2), patternBytes(1000, 3)];

  it('completes into one object with S3 ETag, parts count and part reads', async () => {
    const { uploadId, etags } = await upload('obj', parts, {
      headers: { contentType: 'video/mp4' },
      metadata: { a: 'b' },
    });
    const r = await engine.completeMultipartUpload(
      'mpu',
      'obj',
      uploadId,
      etags.map((etag, i) => ({ partNumber: i + 1, etag })),
    );
    expect(r.etag).toBe(multipartEtag(parts));
    expect(r.size).toBe(parts.reduce((n, p) => n + p.length, 0));
    const g = engine.getObject('mpu', 'obj');
    expect((await readAll(g.body)).equals(Buffer.concat(parts))).toBe(true);
    expect(g.info.partsCount).toBe(3);
    expect(g.info.headers.contentType).toBe('video/mp4');
    expect(g.info.metadata).toEqual({ a: 'b' });
    const p2 = engine.getObject('mpu', 'obj', { partNumber: 2 });
    expect((await readAll(p2.body)).equals(parts[1]!)).toBe(true);
    await expectCode(
      () => engine.getObject('mpu', 'obj', { partNumber: 4 }),
      'E_INVALID_PART_NUMBER',
    );
    // A range across part boundaries.
    const start = MIN - 10;
    const end = MIN + 20;
    const ranged = await readAll(engine.getObject('mpu', 'obj', { range: { start, end } }).body);
    expect(ranged.equals(Buffer.concat(parts).subarray(start, end + 1))).toBe(true);
    expect(engine.listMultipartUploads('mpu').uploads).toEqual([]);
    expect((await engine.check()).ok).toBe(true);
  });

  it('enforces the real 5 MiB minimum by default', async () => {
    await close();
    ({ engine, close } = await openTestEngine());
    await engine.createBucket('mpu');
    const big = patternBytes(5 * 1024 * 1024, 4);
    const small = patternBytes(5 * 1024 * 1024 - 1, 5);
    const ok = await upload('ok', [big, patternBytes(10, 6)]);
    await engine.completeMultipartUpload(
      'mpu',
      'ok',
      ok.uploadId,
      ok.etags.map((etag, i) => ({ partNumber: i + 1, etag })),
    );
    const bad = await upload('bad', [small, patternBytes(10, 6)]);
    await expectCode(
      engine.completeMultipartUpload(
        'mpu',
        'bad',
        bad.uploadId,
        bad.etags.map((etag, i) => ({ partNumber: i + 1, etag })),
      ),
      'E_ENTITY_TOO_SMALL',
      /part 1 is 5242879 bytes/,
    );
  });

  it('rejects bad part lists with S3 codes and leaves the upload intact', async () => {
    const { uploadId, etags } = await upload('obj', parts);
    const list = etags.map((etag, i) => ({ partNumber: i + 1, etag }));
    await expectCode(
      engine.completeMultipartUpload('mpu', 'obj', uploadId, [list[1]!, list[0]!]),
      'E_INVALID_PART_ORDER',
    );
    await expectCode(
      engine.completeMultipartUpload('mpu', 'obj', uploadId, [list[0]!, list[0]!]),
      'E_INVALID_PART_ORDER',
    );
    // A part number no part can have is InvalidPart with S3's wording, not an order problem.
    for (const partNumber of [0, 10_001]) {
      await expectCode(
        engine.completeMultipartUpload('mpu', 'obj', uploadId, [{ partNumber, etag: etags[0]! }]),
        'E_INVALID_PART',
        /between 1 and 10000/,
      );
    }
    await expectCode(
      engine.completeMultipartUpload('mpu', 'obj', uploadId, [
        ...list,
        { partNumber: 9, etag: etags[0]! },
      ]),
      'E_INVALID_PART',
      /part 9/,
    );
    await expectCode(
      engine.completeMultipartUpload('mpu', 'obj', uploadId, [
        { partNumber: 1, etag: '"deadbeef"' },
      ]),
      'E_INVALID_PART',
      /ETag/,
    );
    await expectCode(engine.completeMultipartUpload('mpu', 'obj', uploadId, []), 'E_MALFORMED_XML');
    expect(engine.listParts('mpu', 'obj', uploadId).parts).toHaveLength(3);
  });

  it('rejects a small part that is not last', async () => {
    const { uploadId, etags } = await upload('obj', [patternBytes(100), patternBytes(MIN)]);
    await expectCode(
      engine.completeMultipartUpload(
        'mpu',
        'obj',
        uploadId,
        etags.map((etag, i) => ({ partNumber: i + 1, etag })),
      ),
      'E_ENTITY_TOO_SMALL',
    );
  });

  it('uses only the listed parts, and discards the others', async () => {
    const { uploadId, etags } = await upload('obj', parts);
    const r = await engine.completeMultipartUpload('mpu', 'obj', uploadId, [
      { partNumber: 1, etag: etags[0]! },
      { partNumber: 3, etag: etags[2]! },
    ]);
    expect(r.etag).toBe(multipartEtag([parts[0]!, parts[2]!]));
    await new Promise((res) => setTimeout(res, 50));
    expect((await engine.check()).ok).toBe(true);
  });

  it('re-uploading a part replaces it', async () => {
    const { uploadId } = await upload('obj', [parts[0]!]);
    const again = await engine.uploadPart('mpu', 'obj', uploadId, 1, parts[1]!);
    expect(engine.listParts('mpu', 'obj', uploadId).parts.map((p) => p.etag)).toEqual([again.etag]);
  });

  it('abort removes the upload and its bytes; later calls get NoSuchUpload', async () => {
    const { uploadId } = await upload('obj', parts);
    await engine.abortMultipartUpload('mpu', 'obj', uploadId);
    await expectCode(engine.uploadPart('mpu', 'obj', uploadId, 4, 'x'), 'E_NO_SUCH_UPLOAD');
    await expectCode(() => engine.listParts('mpu', 'obj', uploadId), 'E_NO_SUCH_UPLOAD');
    await expectCode(
      engine.completeMultipartUpload('mpu', 'obj', uploadId, [{ partNumber: 1, etag: 'x' }]),
      'E_NO_SUCH_UPLOAD',
    );
    await expectCode(engine.abortMultipartUpload('mpu', 'other-key', uploadId), 'E_NO_SUCH_UPLOAD');
    await new Promise((res) => setTimeout(res, 50));
    expect((await engine.check()).blobsChecked).toBe(0);
    expect((await engine.check()).ok).toBe(true);
  });

  it('a Complete repeated with the same parts gets the first answer, as from S3', async () => {
    // An SDK retries a Complete whose answer was lost (the commit went through): it must
    // learn its object is stored, not get NoSuchUpload and abort.
    const { uploadId, etags } = await upload('done', parts);
    const list = etags.map((etag, i) => ({ partNumber: i + 1, etag }));
    const first = await engine.completeMultipartUpload('mpu', 'done', uploadId, list);
    const again = await engine.completeMultipartUpload(
      'mpu',
      'done',
      uploadId,
      list.map((p) => ({ ...p, etag: p.etag.replaceAll('"', '') })),
    );
    expect(again).toEqual(first);
    expect(engine.listObjectVersions('mpu').versions.filter((v) => v.key === 'done')).toHaveLength(
      1,
    );
    // Not with other parts, another key, or a bucket made anew.
    await expectCode(
      engine.completeMultipartUpload('mpu', 'done', uploadId, list.slice(0, 2)),
      'E_NO_SUCH_UPLOAD',
    );
    await expectCode(
      engine.completeMultipartUpload('mpu', 'other', uploadId, list),
      'E_NO_SUCH_UPLOAD',
    );
    await engine.deleteObject('mpu', 'done');
    await engine.deleteBucket('mpu');
    await engine.createBucket('mpu');
    await expectCode(
      engine.completeMultipartUpload('mpu', 'done', uploadId, list),
      'E_NO_SUCH_UPLOAD',
    );
  });

  it('a Complete is remembered for a day, then a retry is NoSuchUpload', async () => {
    const clock = new ManualClock();
    const own = await openTestEngine({ clock, limits: { minPartSizeBytes: MIN } });
    try {
      await own.engine.createBucket('bkt');
      const { uploadId } = await own.engine.createMultipartUpload('bkt', 'k');
      const { etag } = await own.engine.uploadPart('bkt', 'k', uploadId, 1, 'only part');
      const list = [{ partNumber: 1, etag }];
      const first = await own.engine.completeMultipartUpload('bkt', 'k', uploadId, list);
      clock.advance(23 * 3600_000);
      expect(await own.engine.completeMultipartUpload('bkt', 'k', uploadId, list)).toEqual(first);
      clock.advance(2 * 3600_000);
      await expectCode(
        own.engine.completeMultipartUpload('bkt', 'k', uploadId, list),
        'E_NO_SUCH_UPLOAD',
      );
    } finally {
      await own.close();
    }
  });

  it('rejects bad part numbers and a wrong key for the upload', async () => {
    const { uploadId } = await engine.createMultipartUpload('mpu', 'obj');
    await expectCode(
      engine.uploadPart('mpu', 'obj', uploadId, 0, 'x'),
      'E_INVALID_ARGUMENT',
      /1 to 10000/,
    );
    await expectCode(engine.uploadPart('mpu', 'obj', uploadId, 10001, 'x'), 'E_INVALID_ARGUMENT');
    await expectCode(engine.uploadPart('mpu', 'obj', uploadId, 1.5, 'x'), 'E_INVALID_ARGUMENT');
    await expectCode(engine.uploadPart('mpu', 'other', uploadId, 1, 'x'), 'E_NO_SUCH_UPLOAD');
    await expectCode(engine.uploadPart('mpu', 'obj', 'no-such-upload', 1, 'x'), 'E_NO_SUCH_UPLOAD');
  });

  it('lists parts and uploads with paging', async () => {
    const { uploadId } = await upload(
      'obj',
      Array.from({ length: 5 }, (_, i) => patternBytes(10, i + 1)),
    );
    const p1 = engine.listParts('mpu', 'obj', uploadId, { maxParts: 2 });
    expect(p1.parts.map((p) => p.partNumber)).toEqual([1, 2]);
    expect(p1.isTruncated).toBe(true);
    const p2 = engine.listParts('mpu', 'obj', uploadId, {
      partNumberMarker: p1.nextPartNumberMarker!,
      maxParts: 10,
    });
    expect(p2.parts.map((p) => p.partNumber)).toEqual([3, 4, 5]);
    expect(p2.isTruncated).toBe(false);
    const u2 = await engine.createMultipartUpload('mpu', 'obj');
    await engine.createMultipartUpload('mpu', 'dir/a');
    await engine.createMultipartUpload('mpu', 'dir/b');
    const all = engine.listMultipartUploads('mpu');
    expect(all.uploads.map((u) => u.key)).toEqual(['dir/a', 'dir/b', 'obj', 'obj']);
    expect(all.uploads.slice(2).map((u) => u.uploadId)).toEqual([uploadId, u2.uploadId]);
    const rolled = engine.listMultipartUploads('mpu', { delimiter: '/' });
    expect(rolled.commonPrefixes).toEqual(['dir/']);
    const page = engine.listMultipartUploads('mpu', { maxUploads: 3 });
    expect(page.isTruncated).toBe(true);
    const rest = engine.listMultipartUploads('mpu', {
      keyMarker: page.nextKeyMarker!,
      uploadIdMarker: page.nextUploadIdMarker!,
    });
    expect(rest.uploads.map((u) => u.uploadId)).toEqual([u2.uploadId]);
  });

  it('upload listings resume after a marker upload that was aborted meanwhile, as a cleanup loop does', async () => {
    await engine.createBucket('mpu-abort');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await engine.createMultipartUpload('mpu-abort', 'k')).uploadId);
      await new Promise((done) => setTimeout(done, 2));
    }
    await engine.createMultipartUpload('mpu-abort', 'later');
    // IDs sort as their uploads were initiated.
    expect([...ids].sort()).toEqual(ids);
    const seen: string[] = [];
    let marker: { keyMarker?: string; uploadIdMarker?: string } = {};
    for (;;) {
      const page = engine.listMultipartUploads('mpu-abort', { maxUploads: 2, ...marker });
      for (const u of page.uploads) {
        seen.push(`${u.key}:${u.uploadId}`);
        await engine.abortMultipartUpload('mpu-abort', u.key, u.uploadId);
      }
      if (!page.isTruncated) break;
      marker = { keyMarker: page.nextKeyMarker!, uploadIdMarker: page.nextUploadIdMarker! };
    }
    expect(seen).toHaveLength(6);
    expect(engine.listMultipartUploads('mpu-abort').uploads).toEqual([]);
    // Uploads made at once (within a millisecond) still sort as made, and a loop that
    // aborts what it lists, one at a time, reaches every one of them.
    const many = await Promise.all(
      Array.from({ length: 40 }, () => engine.createMultipartUpload('mpu-abort', 'same')),
    );
    const listed = engine.listMultipartUploads('mpu-abort', { prefix: 'same' }).uploads;
    expect(listed.map((u) => u.uploadId)).toEqual([...listed.map((u) => u.uploadId)].sort());
    expect(listed).toHaveLength(40);
    let cursor: { keyMarker?: string; uploadIdMarker?: string } = {};
    let aborted = 0;
    for (;;) {
      const page = engine.listMultipartUploads('mpu-abort', {
        prefix: 'same',
        maxUploads: 1,
        ...cursor,
      });
      for (const u of page.uploads) {
        await engine.abortMultipartUpload('mpu-abort', u.key, u.uploadId);
        aborted++;
      }
      if (!page.isTruncated) break;
      cursor = { keyMarker: page.nextKeyMarker!, uploadIdMarker: page.nextUploadIdMarker! };
    }
    expect(aborted).toBe(many.length);
    // A marker ID that never existed: the uploads whose IDs sort after it.
    const a = (await engine.createMultipartUpload('mpu-abort', 'k')).uploadId;
    await new Promise((done) => setTimeout(done, 2));
    const b = (await engine.createMultipartUpload('mpu-abort', 'k')).uploadId;
    // Of an upload ID's form ('z' sorts last of base64url), made in a's microsecond.
    const between = `${a.slice(0, 14)}${'z'.repeat(22)}`;
    expect(
      engine
        .listMultipartUploads('mpu-abort', { keyMarker: 'k', uploadIdMarker: between })
        .uploads.map((u) => u.uploadId),
    ).toEqual([b]);
    // So is an ID of the form made before IDs began with the time (32 random characters).
    expect(
      engine
        .listMultipartUploads('mpu-abort', { keyMarker: 'k', uploadIdMarker: '-'.repeat(32) })
        .uploads.map((u) => u.uploadId),
    ).toEqual([a, b]);
  });

  it("refuses an upload-id-marker that is not of an upload ID's form, as S3 does", async () => {
    await engine.createMultipartUpload('mpu', 'm');
    for (const marker of ['garbage', `${'0'.repeat(14)}${'a'.repeat(21)}`, `${'a'.repeat(32)}~`]) {
      for (const keyMarker of ['m', 'zz']) {
        let err: unknown;
        try {
          engine.listMultipartUploads('mpu', { keyMarker, uploadIdMarker: marker });
        } catch (e) {
          err = e;
        }
        expect(err, marker).toMatchObject({
          code: 'E_INVALID_ARGUMENT',
          message: expect.stringContaining('Invalid uploadId marker'),
          details: { argumentName: 'upload-id-marker', argumentValue: marker },
        });
      }
    }
  });

  it('answers max-parts=0 with no parts and a complete page', async () => {
    const { uploadId } = await upload('zero', [patternBytes(10, 1), patternBytes(10, 2)]);
    const page = engine.listParts('mpu', 'zero', uploadId, { maxParts: 0 });
    expect(page.parts).toEqual([]);
    expect(page.isTruncated).toBe(false);
    expect(page.nextPartNumberMarker).toBeUndefined();
  });

  it('upload part copy takes a byte range of another object', async () => {
    const src = patternBytes(3 * MIN, 8);
    await engine.putObject('mpu', 'src', src);
    const { uploadId } = await engine.createMultipartUpload('mpu', 'dst');
    const a = await engine.uploadPartCopy('mpu', 'dst', uploadId, 1, {
      bucket: 'mpu',
      key: 'src',
      range: `bytes=0-${MIN - 1}`,
    });
    const b = await engine.uploadPartCopy('mpu', 'dst', uploadId, 2, {
      bucket: 'mpu',
      key: 'src',
      range: { start: 2 * MIN, end: 3 * MIN - 1 },
    });
    await engine.completeMultipartUpload('mpu', 'dst', uploadId, [
      { partNumber: 1, etag: a.etag },
      { partNumber: 2, etag: b.etag },
    ]);
    const out = await readAll(engine.getObject('mpu', 'dst').body);
    expect(out.equals(Buffer.concat([src.subarray(0, MIN), src.subarray(2 * MIN)]))).toBe(true);
    await expectCode(
      engine.uploadPartCopy('mpu', 'dst', uploadId, 1, { bucket: 'mpu', key: 'src' }),
      'E_NO_SUCH_UPLOAD',
    );
  });

  it('upload part copy refuses a range that is inverted or leaves the source', async () => {
    await engine.putObject('mpu', 'src6', patternBytes(6000, 9));
    const { uploadId } = await engine.createMultipartUpload('mpu', 'dst6');
    // A range starting past the end is S3's InvalidRequest (AWS-recorded in LocalStack's
    // test_upload_part_copy_range snapshot: bytes=100-200 on a 10-byte source).
    await expect(
      engine.uploadPartCopy('mpu', 'dst6', uploadId, 1, {
        bucket: 'mpu',
        key: 'src6',
        range: 'bytes=6000-6001',
      }),
    ).rejects.toMatchObject({ code: 'E_INVALID_REQUEST' });
    for (const range of ['bytes=10-5', 'bytes=5000-6000', 'bytes=-100']) {
      await expect(
        engine.uploadPartCopy('mpu', 'dst6', uploadId, 1, { bucket: 'mpu', key: 'src6', range }),
      ).rejects.toMatchObject({
        code: 'E_INVALID_ARGUMENT',
        message: `the copy range "${range}" is not valid for a source object of 6000 bytes: it must be bytes=first-last with first <= last <= 5999`,
      });
    }
    expect(engine.listParts('mpu', 'dst6', uploadId).parts).toEqual([]);
    const last = await engine.uploadPartCopy('mpu', 'dst6', uploadId, 1, {
      bucket: 'mpu',
      key: 'src6',
      range: 'bytes=5999-5999',
    });
    expect(last.size).toBe(1);
  });

  it('a part with a wrong Content-MD5 or checksum is rejected and not stored', async () => {
    const { uploadId } = await engine.createMultipartUpload('mpu', 'obj', {
      checksumAlgorithm: 'CRC32',
    });
    await expectCode(
      engine.uploadPart('mpu', 'obj', uploadId, 1, parts[0]!, {
        contentMd5: createHash('md5').update('x').digest('base64'),
      }),
      'E_BAD_DIGEST',
    );
    await expectCode(
      engine.uploadPart('mpu', 'obj', uploadId, 1, parts[0]!, {
        checksums: { CRC32: checksumBase64('CRC32', Buffer.from('x')) },
      }),
      'E_CHECKSUM_MISMATCH',
    );
    expect(engine.listParts('mpu', 'obj', uploadId).parts).toEqual([]);
  });

  it('composite checksums: checksum of part checksums, -N', async () => {
    const { uploadId } = await engine.createMultipartUpload('mpu', 'obj', {
      checksumAlgorithm: 'SHA256',
    });
    const done = [];
    for (const [i, p] of parts.slice(0, 2).entries())
      done.push(await engine.uploadPart('mpu', 'obj', uploadId, i + 1, p));
    // As S3 requires, a COMPOSITE upload's Complete names each part's checksum.
    await expectCode(
      engine.completeMultipartUpload(
        'mpu',
        'obj',
        uploadId,
        done.map((p, i) => ({ partNumber: i + 1, etag: p.etag })),
      ),
      'E_INVALID_REQUEST',
    );
    const r = await engine.completeMultipartUpload(
      'mpu',
      'obj',
      uploadId,
      done.map((p, i) => ({ partNumber: i + 1, etag: p.etag, checksums: p.checksums })),
    );
    const raw = Buffer.concat(
      parts.slice(0, 2).map((p) => createHash('sha256').update(p).digest()),
    );
    expect(r.checksums.SHA256).toBe(`${createHash('sha256').update(raw).digest('base64')}-2`);
    expect(r.checksumType).toBe('COMPOSITE');
  });

  it('full-object CRC checksums equal the CRC of the whole object and are verified', async () => {
    for (const alg of ['CRC32', 'CRC32C', 'CRC64NVME'] as const) {
      const { uploadId, etags } = await upload(`obj-${alg}`, parts, {
        checksumAlgorithm: alg,
        checksumType: 'FULL_OBJECT',
      });
      const whole = checksumBase64(alg, Buffer.concat(parts));
      const list = etags.map((etag, i) => ({ partNumber: i + 1, etag }));
      await expectCode(
        engine.completeMultipartUpload('mpu', `obj-${alg}`, uploadId, list, {
          checksums: { [alg]: checksumBase64(alg, Buffer.from('x')) },
        }),
        'E_CHECKSUM_MISMATCH',
      );
      const r = await engine.completeMultipartUpload('mpu', `obj-${alg}`, uploadId, list, {
        checksums: { [alg]: whole },
      });
      expect(r.checksums[alg]).toBe(whole);
      expect(r.checksumType).toBe('FULL_OBJECT');
    }
    expect(combineCrc).toBeTypeOf('function');
  });

  it('rejects invalid checksum type combinations', async () => {
    await expectCode(
      engine.createMultipartUpload('mpu', 'k', {
        checksumAlgorithm: 'SHA1',
        checksumType: 'FULL_OBJECT',
      }),
      'E_INVALID_REQUEST',
    );
    await expectCode(
      engine.createMultipartUpload('mpu', 'k', { checksumType: 'COMPOSITE' }),
      'E_INVALID_REQUEST',
    );
    await expectCode(
      engine.createMultipartUpload('mpu', 'k', {
        checksumAlgorithm: 'CRC64NVME',
        checksumType: 'COMPOSITE',
      }),
      'E_INVALID_REQUEST',
    );
  });

  it('a completed upload in a versioned bucket gets a version id', async () => {
    await engine.putBucketVersioning('mpu', 'Enabled');
    const { uploadId, etags } = await upload('obj', parts.slice(2));
    const r = await engine.completeMultipartUpload('mpu', 'obj', uploadId, [
      { partNumber: 1, etag: etags[0]! },
    ]);
    expect(r.versionId).toMatch(/^[0-9a-f]{32}$/);
  });
});
