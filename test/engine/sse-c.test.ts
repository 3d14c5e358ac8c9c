/**
 * SSE-C in the engine: objects and parts sealed under a data key that only the customer's
 * key (sent with each request, never stored) unwraps; reads, copies and parts that do not
 * bring that key are refused before a byte is read or stored.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SEGMENT_BYTES } from '../../src/engine/crypto/format.js';
import { Engine } from '../../src/engine/engine.js';
import type { ObjectEncryption } from '../../src/engine/types.js';
import { bytesAtRest, openTestEngine, patternBytes, readAll } from '../helpers/engine.js';
import { expectError } from '../helpers/expect-error.js';

let engine: Engine;
let dir: string;
let close: () => Promise<void>;

beforeEach(async () => {
  ({ engine, dir, close } = await openTestEngine({
    fsync: false,
    limits: { minPartSizeBytes: 100 * 1024 },
  }));
  await engine.createBucket('vault');
});
afterEach(async () => close());

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('base64');
const KEY_A = randomBytes(32);
const KEY_B = randomBytes(32);
const sseC = (key: Buffer): ObjectEncryption => ({ algorithm: 'SSE-C', customerKeyMd5: md5(key) });

async function putSealed(key: string, body: Buffer, customerKey = KEY_A): Promise<void> {
  await engine.putObject('vault', key, body, { encryption: sseC(customerKey), customerKey });
}

describe('SSE-C objects', () => {
  it('are sealed at rest without the key, and read back whole and in ranges with it', async () => {
    const body = patternBytes(2 * SEGMENT_BYTES + 777, 5);
    const r = await engine.putObject('vault', 'k', body, {
      encryption: sseC(KEY_A),
      customerKey: KEY_A,
    });
    expect(r.encryption).toEqual({ algorithm: 'SSE-C', customerKeyMd5: md5(KEY_A) });
    const rest = bytesAtRest(dir);
    expect(rest.includes(body.subarray(SEGMENT_BYTES, SEGMENT_BYTES + 64))).toBe(false);
    expect(rest.includes(KEY_A)).toBe(false);
    expect(rest.includes(Buffer.from(KEY_A.toString('base64')))).toBe(false);
    const got = engine.getObject('vault', 'k', { customerKey: KEY_A });
    expect((await readAll(got.body)).equals(body)).toBe(true);
    const part = engine.getObject('vault', 'k', {
      customerKey: KEY_A,
      range: 'bytes=65530-131080',
    });
    expect((await readAll(part.body)).equals(body.subarray(65530, 131081))).toBe(true);
    expect(engine.headObject('vault', 'k', { customerKey: KEY_A }).encryption?.algorithm).toBe(
      'SSE-C',
    );
  });

  it('small bodies (kept in the database) are sealed too', async () => {
    const body = Buffer.from('a small secret the size of a config file\n');
    await putSealed('small', body);
    expect(bytesAtRest(dir).includes(body)).toBe(false);
    expect(
      (await readAll(engine.getObject('vault', 'small', { customerKey: KEY_A }).body)).equals(body),
    ).toBe(true);
  });

  it('are refused without the key (InvalidRequest) and with another (AccessDenied), GET and HEAD', async () => {
    await putSealed('k', Buffer.from('x'.repeat(5000)));
    for (const read of [
      (o: { customerKey?: Buffer }) => engine.getObject('vault', 'k', o),
      (o: { customerKey?: Buffer }) => engine.headObject('vault', 'k', o),
    ]) {
      await expectError(() => read({}), 'E_INVALID_REQUEST', /correct parameters must be provided/);
      await expectError(() => read({ customerKey: KEY_B }), 'E_ACCESS_DENIED', /does not match/);
      await expectError(() => read({ customerKey: KEY_A.subarray(0, 16) }), 'E_ACCESS_DENIED');
    }
  });

  it('a key sent for an object that is not SSE-C is InvalidRequest', async () => {
    await engine.putObject('vault', 'plain', Buffer.from('p'), {
      encryption: { algorithm: 'AES256' },
    });
    await expectError(
      () => engine.getObject('vault', 'plain', { customerKey: KEY_A }),
      'E_INVALID_REQUEST',
      /not applicable/,
    );
  });

  it('a write whose key is not the one its setting names stores nothing', async () => {
    await expect(
      engine.putObject('vault', 'k', Buffer.from('x'), {
        encryption: sseC(KEY_A),
        customerKey: KEY_B,
      }),
    ).rejects.toMatchObject({ code: 'E_ACCESS_DENIED' });
    await expect(
      engine.putObject('vault', 'k', Buffer.from('x'), { encryption: sseC(KEY_A) }),
    ).rejects.toMatchObject({ code: 'E_INVALID_REQUEST' });
    await expect(
      engine.putObject('vault', 'k', Buffer.from('x'), {
        encryption: { algorithm: 'SSE-C', customerKeyMd5: 'not an md5' },
        customerKey: KEY_A,
      }),
    ).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    expect(engine.listObjects('vault').objects).toEqual([]);
  });

  it('survive a restart: the same key reads them, and a deep check passes', async () => {
    const body = patternBytes(SEGMENT_BYTES + 10, 9);
    await putSealed('k', body);
    await engine.close();
    engine = await Engine.open({ dataDir: dir, fsync: false });
    expect(
      (await readAll(engine.getObject('vault', 'k', { customerKey: KEY_A }).body)).equals(body),
    ).toBe(true);
    const report = await engine.check({ deep: true });
    expect(report.problems).toEqual([]);
  });
});

describe('copies', () => {
  const body = patternBytes(SEGMENT_BYTES * 3, 2);
  beforeEach(async () => putSealed('src', body));

  it('need the source key; the copy takes its own encryption (another key, SSE-S3)', async () => {
    await expect(
      engine.copyObject({ bucket: 'vault', key: 'src' }, { bucket: 'vault', key: 'dst' }, {}),
    ).rejects.toMatchObject({ code: 'E_INVALID_REQUEST' });
    await expect(
      engine.copyObject(
        { bucket: 'vault', key: 'src' },
        { bucket: 'vault', key: 'dst' },
        { sourceCustomerKey: KEY_B },
      ),
    ).rejects.toMatchObject({ code: 'E_ACCESS_DENIED' });
    const c = await engine.copyObject(
      { bucket: 'vault', key: 'src' },
      { bucket: 'vault', key: 'dst' },
      { sourceCustomerKey: KEY_A, encryption: sseC(KEY_B), customerKey: KEY_B },
    );
    expect(c.encryption).toEqual(sseC(KEY_B));
    await expectError(
      () => engine.getObject('vault', 'dst', { customerKey: KEY_A }),
      'E_ACCESS_DENIED',
    );
    expect(
      (await readAll(engine.getObject('vault', 'dst', { customerKey: KEY_B }).body)).equals(body),
    ).toBe(true);
    await engine.copyObject(
      { bucket: 'vault', key: 'src' },
      { bucket: 'vault', key: 's3' },
      { sourceCustomerKey: KEY_A, encryption: { algorithm: 'AES256' } },
    );
    expect((await readAll(engine.getObject('vault', 's3').body)).equals(body)).toBe(true);
  });

  it('an object copied onto itself can change its key (key rotation)', async () => {
    await engine.copyObject(
      { bucket: 'vault', key: 'src' },
      { bucket: 'vault', key: 'src' },
      { sourceCustomerKey: KEY_A, encryption: sseC(KEY_B), customerKey: KEY_B },
    );
    expect(
      (await readAll(engine.getObject('vault', 'src', { customerKey: KEY_B }).body)).equals(body),
    ).toBe(true);
  });
});

describe('multipart uploads', () => {
  const size = 150 * 1024;
  const p1 = patternBytes(size, 11);
  const p2 = patternBytes(size, 12);

  it('every part needs the upload key; the object reads back with it', async () => {
    const up = await engine.createMultipartUpload('vault', 'mp', { encryption: sseC(KEY_A) });
    expect(up.encryption).toEqual(sseC(KEY_A));
    await expect(engine.uploadPart('vault', 'mp', up.uploadId, 1, p1, {})).rejects.toMatchObject({
      code: 'E_INVALID_REQUEST',
    });
    await expect(
      engine.uploadPart('vault', 'mp', up.uploadId, 1, p1, { customerKey: KEY_B }),
    ).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT', message: /did not match/ });
    const a = await engine.uploadPart('vault', 'mp', up.uploadId, 1, p1, { customerKey: KEY_A });
    expect(a.encryption).toEqual(sseC(KEY_A));
    const b = await engine.uploadPart('vault', 'mp', up.uploadId, 2, p2, { customerKey: KEY_A });
    const done = await engine.completeMultipartUpload('vault', 'mp', up.uploadId, [
      { partNumber: 1, etag: a.etag },
      { partNumber: 2, etag: b.etag },
    ]);
    expect(done.encryption).toEqual(sseC(KEY_A));
    const whole = Buffer.concat([p1, p2]);
    expect(bytesAtRest(dir).includes(p2.subarray(1000, 1064))).toBe(false);
    expect(
      (await readAll(engine.getObject('vault', 'mp', { customerKey: KEY_A }).body)).equals(whole),
    ).toBe(true);
    const second = engine.getObject('vault', 'mp', { customerKey: KEY_A, partNumber: 2 });
    expect((await readAll(second.body)).equals(p2)).toBe(true);
    await expectError(
      () => engine.getObject('vault', 'mp', { partNumber: 2 }),
      'E_INVALID_REQUEST',
    );
  });

  it('a key sent for a part of an upload that is not SSE-C is InvalidRequest', async () => {
    const up = await engine.createMultipartUpload('vault', 'mp', {});
    await expect(
      engine.uploadPart('vault', 'mp', up.uploadId, 1, p1, { customerKey: KEY_A }),
    ).rejects.toMatchObject({ code: 'E_INVALID_REQUEST' });
  });

  it('UploadPartCopy opens an SSE-C source with its key and seals the part with the upload key', async () => {
    await putSealed('src', p1, KEY_B);
    const up = await engine.createMultipartUpload('vault', 'mp', { encryption: sseC(KEY_A) });
    const src = { bucket: 'vault', key: 'src' };
    await expect(
      engine.uploadPartCopy('vault', 'mp', up.uploadId, 1, src, KEY_A),
    ).rejects.toMatchObject({ code: 'E_INVALID_REQUEST' });
    await expect(
      engine.uploadPartCopy('vault', 'mp', up.uploadId, 1, { ...src, customerKey: KEY_B }),
    ).rejects.toMatchObject({ code: 'E_INVALID_REQUEST' });
    const part = await engine.uploadPartCopy(
      'vault',
      'mp',
      up.uploadId,
      1,
      { ...src, customerKey: KEY_B },
      KEY_A,
    );
    await engine.completeMultipartUpload('vault', 'mp', up.uploadId, [
      { partNumber: 1, etag: part.etag },
    ]);
    expect(
      (await readAll(engine.getObject('vault', 'mp', { customerKey: KEY_A }).body)).equals(p1),
    ).toBe(true);
  });
});
