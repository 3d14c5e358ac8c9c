/** Encryption at rest in the engine: SSE-S3 and SSE-KMS through put, get, copy, multipart. */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SEGMENT_BYTES, sealedSize } from '../../src/engine/crypto/format.js';
import { Engine } from '../../src/engine/engine.js';
import type { ObjectEncryption } from '../../src/engine/types.js';
import Database from 'better-sqlite3';
import { inlineBlobIds, openTestEngine, patternBytes, readAll } from '../helpers/engine.js';
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

const SSE_S3: ObjectEncryption = { algorithm: 'AES256' };
const KMS: ObjectEncryption = { algorithm: 'aws:kms', kmsKeyId: 'game-key' };
const KMS_ARN = 'arn:aws:kms:us-east-1:000000000000:key/game-key';
const md5hex = (b: Buffer): string => createHash('md5').update(b).digest('hex');

function blobFiles(): string[] {
  const root = path.join(dir, 'blobs');
  return readdirSync(root).flatMap((s) =>
    readdirSync(path.join(root, s)).map((n) => path.join(root, s, n)),
  );
}

/**
 * True if any blob file, or the database with its WAL (where small bodies live), contains
 * a 64-byte sample of `plain` taken every 4 KiB.
 */
function plaintextOnDisk(plain: Buffer): boolean {
  const db = ['meta.db', 'meta.db-wal'].map((f) => path.join(dir, f)).filter((f) => existsSync(f));
  const files = [...blobFiles(), ...db].map((f) => readFileSync(f));
  for (let at = 0; at + 64 <= plain.byteLength; at += 4096) {
    const sample = plain.subarray(at, at + 64);
    if (files.some((f) => f.includes(sample))) return true;
  }
  return false;
}

const read = async (key: string, range?: string): Promise<Buffer> =>
  readAll(engine.getObject('vault', key, range ? { range } : {}).body);

describe('single PUT', () => {
  it.each([
    ['SSE-S3', SSE_S3, { algorithm: 'AES256' }],
    ['SSE-KMS', KMS, { algorithm: 'aws:kms', kmsKeyId: KMS_ARN }],
  ])('%s: bytes are sealed on disk, reads give the plaintext', async (_, setting, reported) => {
    const body = patternBytes(3 * SEGMENT_BYTES + 1000, 3);
    const r = await engine.putObject('vault', 'k', body, { encryption: setting });
    expect(r.encryption).toEqual(reported);
    expect(r.etag).toBe(`"${md5hex(body)}"`);
    expect(r.size).toBe(body.length);
    const head = engine.headObject('vault', 'k');
    expect(head.encryption).toEqual(reported);
    expect(head.size).toBe(body.length);
    expect(head.sha256).toBe(createHash('sha256').update(body).digest('hex'));
    expect(engine.listObjects('vault').objects[0]!.size).toBe(body.length);
    expect((await read('k')).equals(body)).toBe(true);
    const [file] = blobFiles();
    expect(statSync(file!).size).toBe(sealedSize(body.length));
    expect(plaintextOnDisk(body)).toBe(false);
    for (const [s, e] of [
      [0, 0],
      [SEGMENT_BYTES - 1, SEGMENT_BYTES],
      [SEGMENT_BYTES, SEGMENT_BYTES],
      [body.length - 1, body.length - 1],
    ] as const) {
      expect((await read('k', `bytes=${s}-${e}`)).equals(body.subarray(s, e + 1))).toBe(true);
    }
  });

  it('a body of several read batches (1 MiB each) reads back whole and across batch edges', async () => {
    const MIB = 1024 * 1024;
    const body = patternBytes(3 * MIB + 5 * SEGMENT_BYTES + 7, 5);
    await engine.putObject('vault', 'big', body, { encryption: SSE_S3 });
    expect((await read('big')).equals(body)).toBe(true);
    for (const [s, e] of [
      [MIB - 10, 2 * MIB + 10],
      [MIB, 3 * MIB - 1],
      [2 * MIB + 1, body.length - 1],
    ] as const) {
      expect((await read('big', `bytes=${s}-${e}`)).equals(body.subarray(s, e + 1))).toBe(true);
    }
  });

  it('bodies of several read batches read at once each come back whole', async () => {
    const MIB = 1024 * 1024;
    const bodies = [0, 1, 2].map((i) => patternBytes(2 * MIB + i * 777_777 + 3, 20 + i));
    for (const [i, body] of bodies.entries()) {
      await engine.putObject('vault', `w${i}`, body, { encryption: KMS });
    }
    const reads = await Promise.all(bodies.map((_, i) => read(`w${i}`)));
    reads.forEach((got, i) => expect(got.equals(bodies[i]!)).toBe(true));
    const [s, e] = [MIB + 5, bodies[2]!.length - 2];
    expect((await read('w2', `bytes=${s}-${e}`)).equals(bodies[2]!.subarray(s, e + 1))).toBe(true);
  });

  it('a file cut short after its first read batch is E_DATA_CORRUPT; a reader that stops early leaves no file open', async () => {
    // Several read batches: the cut lands after the first; a reader that breaks off after
    // one chunk must close the blob file all the same.
    const MIB = 1024 * 1024;
    const body = patternBytes(4 * MIB, 6);
    await engine.putObject('vault', 'cut', body, { encryption: SSE_S3 });
    const openFiles = (): number => readdirSync('/proc/self/fd').length;
    const before = openFiles();
    for (let i = 0; i < 20; i++) {
      for await (const chunk of engine.getObject('vault', 'cut').body) {
        expect(chunk.byteLength).toBeGreaterThan(0);
        break;
      }
    }
    await vi.waitFor(() => expect(openFiles()).toBeLessThanOrEqual(before));
    const [file] = blobFiles();
    writeFileSync(file!, readFileSync(file!).subarray(0, Math.floor(1.5 * MIB)));
    await expectError(read('cut'), 'E_DATA_CORRUPT', /truncated|shorter/);
    await expectError(read('cut', `bytes=${2 * MIB}-${3 * MIB}`), 'E_DATA_CORRUPT');
  });

  it('a plaintext PUT stays in the clear and reports no encryption', async () => {
    const body = patternBytes(5000, 9);
    const r = await engine.putObject('vault', 'plain', body);
    expect(r.encryption).toBeUndefined();
    expect(engine.headObject('vault', 'plain').encryption).toBeUndefined();
    expect(plaintextOnDisk(body)).toBe(true);
  });

  it('a small body kept in the database is sealed there too', async () => {
    const body = patternBytes(SEGMENT_BYTES + 5000, 10);
    await engine.putObject('vault', 'small', body, { encryption: KMS });
    expect(blobFiles()).toEqual([]);
    expect(inlineBlobIds(dir)).toHaveLength(1);
    expect(plaintextOnDisk(body)).toBe(false);
    expect((await read('small')).equals(body)).toBe(true);
    const [s, e] = [SEGMENT_BYTES - 10, SEGMENT_BYTES + 10];
    expect((await read('small', `bytes=${s}-${e}`)).equals(body.subarray(s, e + 1))).toBe(true);
    expect((await engine.check({ deep: true })).problems).toEqual([]);
  });

  it('an empty object keeps its setting and has no blob', async () => {
    const r = await engine.putObject('vault', 'empty', '', { encryption: SSE_S3 });
    expect(r.encryption).toEqual(SSE_S3);
    expect((await read('empty')).length).toBe(0);
    expect(engine.headObject('vault', 'empty').encryption).toEqual(SSE_S3);
  });

  it('keys live under keys/: the SSE-S3 master key and one file per KMS key id', async () => {
    await engine.putObject('vault', 'a', 'x', { encryption: SSE_S3 });
    await engine.putObject('vault', 'c', 'y', { encryption: KMS });
    await engine.putObject('vault', 'd', 'z', {
      encryption: { algorithm: 'aws:kms', kmsKeyId: KMS_ARN },
    });
    expect(statSync(path.join(dir, 'keys', 'sse-s3.key')).mode & 0o777).toBe(0o600);
    expect(readdirSync(path.join(dir, 'keys', 'kms'))).toHaveLength(1);
    await engine.putObject('vault', 'e', 'w', { encryption: { algorithm: 'aws:kms' } });
    expect(readdirSync(path.join(dir, 'keys', 'kms'))).toHaveLength(2);
    expect(engine.headObject('vault', 'e').encryption?.kmsKeyId).toBe(
      'arn:aws:kms:us-east-1:000000000000:alias/aws/s3',
    );
  });

  it('bad settings are refused before any byte is stored', async () => {
    await expectError(
      engine.putObject('vault', 'k', 'x', { encryption: { algorithm: 'AES512' as 'AES256' } }),
      'E_INVALID_ARGUMENT',
      /AES512/,
    );
    await expectError(
      engine.putObject('vault', 'k', 'x', { encryption: { algorithm: 'AES256', kmsKeyId: 'k' } }),
      'E_INVALID_ARGUMENT',
      /KMS key id/,
    );
    expect(blobFiles()).toEqual([]);
  });
});

/** Flips one bit of a stored blob: the one file, or the one inline row. */
function flipBit(at: number): void {
  const [file] = blobFiles();
  if (file) {
    const bytes = readFileSync(file);
    bytes[at] = bytes[at]! ^ 1;
    writeFileSync(file, bytes);
    return;
  }
  const db = new Database(path.join(dir, 'meta.db'));
  try {
    const row = db.prepare('SELECT id, data FROM inline_rows').get() as {
      id: string;
      data: Buffer;
    };
    row.data[at] = row.data[at]! ^ 1;
    db.prepare('UPDATE inline_rows SET data = ? WHERE id = ?').run(row.data, row.id);
  } finally {
    db.close();
  }
}

describe('damage and keys', () => {
  it.each([
    ['a file', 3 * SEGMENT_BYTES],
    ['an inline row', 2 * SEGMENT_BYTES],
  ])('a changed byte in %s is a read error and a deep check finds it', async (_, size) => {
    const body = patternBytes(size, 4);
    await engine.putObject('vault', 'k', body, { encryption: SSE_S3 });
    expect((await engine.check({ deep: true })).ok).toBe(true);
    expect(inlineBlobIds(dir)).toHaveLength(size > 128 * 1024 ? 0 : 1);
    flipBit(SEGMENT_BYTES + 100);
    await expectError(read('k'), 'E_DATA_CORRUPT', /authentication/);
    // The first segment is intact and still readable on its own.
    expect((await read('k', 'bytes=0-99')).equals(body.subarray(0, 100))).toBe(true);
    expect((await engine.check()).ok).toBe(true);
    const deep = await engine.check({ deep: true });
    expect(deep.ok).toBe(false);
    expect(deep.problems[0]).toMatchObject({
      kind: 'checksum',
      message: expect.stringMatching(/vault\/k/),
    });
  });

  it('a changed byte in a later read batch of a large file fails the reads that cover it', async () => {
    const MIB = 1024 * 1024;
    const body = patternBytes(4 * MIB + 999, 11);
    await engine.putObject('vault', 'k', body, { encryption: SSE_S3 });
    // Segment 50 (plaintext from 3.125 MiB) lies in the fourth read batch of a whole read.
    flipBit(50 * (SEGMENT_BYTES + 16) + 100);
    await expectError(read('k'), 'E_DATA_CORRUPT', /authentication/);
    await expectError(read('k', `bytes=${3 * MIB}-${4 * MIB}`), 'E_DATA_CORRUPT', /authentication/);
    const clean = `bytes=0-${3 * MIB - 1}`;
    expect((await read('k', clean)).equals(body.subarray(0, 3 * MIB))).toBe(true);
    // The failed streams let go of the blob: it can be deleted and its file goes.
    await engine.deleteObject('vault', 'k');
    await vi.waitFor(() => expect(blobFiles()).toEqual([]));
  });

  it('a key file that went missing is not made anew while objects were encrypted with it', async () => {
    const body = patternBytes(100_000, 9);
    await engine.putObject('vault', 'old', body, { encryption: SSE_S3 });
    await engine.putObject('vault', 'kms-old', body, { encryption: KMS });
    await engine.close();
    const s3Key = path.join(dir, 'keys', 'sse-s3.key');
    const saved = readFileSync(s3Key);
    const kmsFile = path.join(
      dir,
      'keys',
      'kms',
      `${createHash('sha256').update('game-key').digest('hex')}.key`,
    );
    const savedKms = readFileSync(kmsFile);
    rmSync(s3Key);
    rmSync(path.join(dir, 'keys', 'kms'), { recursive: true });
    // Without the SSE-S3 key the engine does not open: a server would answer 500 to every
    // object read and write while it said it was ready. An empty file is no key either.
    for (const damage of [() => undefined, () => writeFileSync(s3Key, '')]) {
      damage();
      await expect(Engine.open({ dataDir: dir, fsync: false })).rejects.toMatchObject({
        code: 'E_DATA_CORRUPT',
        message: expect.stringMatching(/sse-s3\.key (\(the SSE-S3 key\) is missing|has 0 bytes)/),
      });
    }
    rmSync(s3Key);
    await expect(Engine.open({ dataDir: dir, fsync: false })).rejects.toMatchObject({
      message: expect.stringMatching(/restore it from a backup/),
    });
    expect(existsSync(s3Key)).toBe(false);
    // Restored, the engine still does not open: the KMS key objects use is missing, and a
    // damaged one (a short file) is no key either.
    writeFileSync(s3Key, saved, { mode: 0o600 });
    await expect(Engine.open({ dataDir: dir, fsync: false })).rejects.toMatchObject({
      code: 'E_DATA_CORRUPT',
      message: expect.stringMatching(
        /keys\/kms\/[0-9a-f]{64}\.key \(the SSE-KMS key "game-key"\) is missing.*restore it from a backup/,
      ),
    });
    expect(existsSync(path.join(dir, 'keys', 'kms'))).toBe(false);
    mkdirSync(path.join(dir, 'keys', 'kms'));
    writeFileSync(kmsFile, Buffer.alloc(5));
    await expect(Engine.open({ dataDir: dir, fsync: false })).rejects.toMatchObject({
      code: 'E_DATA_CORRUPT',
      message: expect.stringMatching(/has 5 bytes, not 32 \(the SSE-KMS key "game-key"\)/),
    });
    // Restored, it opens, and the objects under both keys read back.
    writeFileSync(kmsFile, savedKms, { mode: 0o600 });
    engine = await Engine.open({ dataDir: dir, fsync: false });
    expect((await read('kms-old')).equals(body)).toBe(true);
    expect((await read('old')).equals(body)).toBe(true);
    await engine.putObject('vault', 'new', 'x', { encryption: SSE_S3 });
    // A key no object uses is still made on first need.
    await engine.putObject('vault', 'other-kms', 'x', {
      encryption: { algorithm: 'aws:kms', kmsKeyId: 'fresh-key' },
    });
  });

  it('a key no stored data uses any more may go missing: it is made anew on its next use', async () => {
    await engine.putObject('vault', 'gone', 'x', { encryption: KMS });
    await engine.deleteObject('vault', 'gone');
    await engine.close();
    rmSync(path.join(dir, 'keys', 'kms'), { recursive: true });
    engine = await Engine.open({ dataDir: dir, fsync: false });
    // Forgotten once found missing and unused: later opens do not look for it again.
    const recorded = () => {
      const db = new Database(path.join(dir, 'meta.db'), { readonly: true });
      try {
        return db.prepare('SELECT ref FROM encryption_keys').pluck().all();
      } finally {
        db.close();
      }
    };
    expect(recorded()).not.toContain('kms:game-key');
    await engine.putObject('vault', 'back', 'y', { encryption: KMS });
    expect(recorded()).toContain('kms:game-key');
    expect((await read('back')).toString()).toBe('y');
    expect(readdirSync(path.join(dir, 'keys', 'kms'))).toHaveLength(1);
  });

  it('a data directory from before the key record learns its keys from the stored envelopes', async () => {
    await engine.putObject('vault', 'kms', patternBytes(70_000, 3), { encryption: KMS });
    await engine.putObject('vault', 's3', 'x', { encryption: SSE_S3 });
    await engine.putObject('vault', 'clear', 'y');
    const up = await engine.createMultipartUpload('vault', 'mp', {
      encryption: { algorithm: 'aws:kms', kmsKeyId: 'upload-key' },
    });
    await engine.uploadPart('vault', 'mp', up.uploadId, 1, 'part');
    await engine.close();
    // Schema 7, as an older Stowage left it (its inline rows are not read here).
    const db = new Database(path.join(dir, 'meta.db'));
    db.exec(
      'DROP TABLE inline_rows; ALTER TABLE buckets DROP COLUMN object_lock; ALTER TABLE versions DROP COLUMN lock; ALTER TABLE uploads DROP COLUMN lock; DROP INDEX versions_live; DROP TABLE encryption_keys; ALTER TABLE uploads DROP COLUMN initiator; ALTER TABLE uploads DROP COLUMN base_seq; DELETE FROM schema_migrations WHERE version >= 8',
    );
    db.close();
    rmSync(path.join(dir, 'keys', 'kms'), { recursive: true });
    await expect(Engine.open({ dataDir: dir, fsync: false })).rejects.toMatchObject({
      code: 'E_DATA_CORRUPT',
      message: expect.stringMatching(/SSE-KMS key "(game-key|upload-key)"\) is missing/),
    });
    const after = new Database(path.join(dir, 'meta.db'), { readonly: true });
    const refs = after.prepare('SELECT ref FROM encryption_keys ORDER BY ref').pluck().all();
    after.close();
    expect(refs).toEqual(['kms:game-key', 'kms:upload-key', 's3']);
  });

  it('objects survive a reopen (keys are persistent)', async () => {
    const body = patternBytes(100_000, 5);
    await engine.putObject('vault', 'k', body, { encryption: KMS });
    await engine.close();
    engine = await Engine.open({ dataDir: dir, fsync: false });
    expect((await read('k')).equals(body)).toBe(true);
  });
});

describe('copy', () => {
  it('re-encrypts with the destination setting: sealed→clear, clear→sealed, S3→KMS in place', async () => {
    const body = patternBytes(150_000, 6);
    await engine.putObject('vault', 'src', body, { encryption: SSE_S3 });
    const clear = await engine.copyObject(
      { bucket: 'vault', key: 'src' },
      { bucket: 'vault', key: 'clear' },
    );
    expect(clear.encryption).toBeUndefined();
    expect(clear.etag).toBe(`"${md5hex(body)}"`);
    expect((await read('clear')).equals(body)).toBe(true);
    const sealed = await engine.copyObject(
      { bucket: 'vault', key: 'clear' },
      { bucket: 'vault', key: 'sealed' },
      { encryption: KMS },
    );
    expect(sealed.encryption).toEqual({ algorithm: 'aws:kms', kmsKeyId: KMS_ARN });
    expect((await read('sealed')).equals(body)).toBe(true);
    // Onto itself, changing only the encryption, is allowed (as in S3).
    const inPlace = await engine.copyObject(
      { bucket: 'vault', key: 'src' },
      { bucket: 'vault', key: 'src' },
      { encryption: KMS },
    );
    expect(inPlace.encryption?.algorithm).toBe('aws:kms');
    expect((await read('src')).equals(body)).toBe(true);
    await expectError(
      engine.copyObject(
        { bucket: 'vault', key: 'src' },
        { bucket: 'vault', key: 'src' },
        { encryption: KMS },
      ),
      'E_INVALID_REQUEST',
      /to itself/,
    );
  });
});

describe('multipart', () => {
  it('every part is sealed under its own key; reads and ranges cross part boundaries', async () => {
    const part = 100 * 1024;
    const body = patternBytes(2 * part + 7000, 8);
    const up = await engine.createMultipartUpload('vault', 'mp', { encryption: KMS });
    expect(up.encryption).toEqual({ algorithm: 'aws:kms', kmsKeyId: KMS_ARN });
    const p1 = await engine.uploadPart('vault', 'mp', up.uploadId, 1, body.subarray(0, part));
    expect(p1.encryption?.algorithm).toBe('aws:kms');
    await engine.putObject('vault', 'copy-src', body.subarray(part, 2 * part), {
      encryption: SSE_S3,
    });
    const p2 = await engine.uploadPartCopy('vault', 'mp', up.uploadId, 2, {
      bucket: 'vault',
      key: 'copy-src',
    });
    const p3 = await engine.uploadPart('vault', 'mp', up.uploadId, 3, body.subarray(2 * part));
    expect(engine.listParts('vault', 'mp', up.uploadId).upload.encryption?.algorithm).toBe(
      'aws:kms',
    );
    const done = await engine.completeMultipartUpload('vault', 'mp', up.uploadId, [
      { partNumber: 1, etag: p1.etag },
      { partNumber: 2, etag: p2.etag },
      { partNumber: 3, etag: p3.etag },
    ]);
    expect(done.encryption).toEqual({ algorithm: 'aws:kms', kmsKeyId: KMS_ARN });
    expect(engine.headObject('vault', 'mp').encryption?.kmsKeyId).toBe(KMS_ARN);
    expect((await read('mp')).equals(body)).toBe(true);
    const s = part - 10;
    const e = 2 * part + 10;
    expect((await read('mp', `bytes=${s}-${e}`)).equals(body.subarray(s, e + 1))).toBe(true);
    expect(
      (await readAll(engine.getObject('vault', 'mp', { partNumber: 2 }).body)).equals(
        body.subarray(part, 2 * part),
      ),
    ).toBe(true);
    expect(plaintextOnDisk(body)).toBe(false);
    expect((await engine.check({ deep: true })).ok).toBe(true);
  });
});
