/**
 * Bad input gets a clear StowageError naming what was wrong, before anything is sent
 * where possible: missing, directory, unreadable local files; a missing bucket or key;
 * bad options.
 */
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyObject, downloadFile, Pacer, uploadFile } from '../../src/transfer/index.js';
import { tempDir } from '../helpers/engine.js';
import { expectError } from '../helpers/expect-error.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { clientFor, countCommands, makeFile } from './helpers.js';

let srv: TestServer;
let client: S3Client;
let counts: Map<string, number>;
const { dir, cleanup } = tempDir('stowage-bad-');
const BUCKET = 'bad';
const pacer = new Pacer();

beforeAll(async () => {
  srv = await startTestServer();
  client = clientFor(srv.url);
  counts = countCommands(client);
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(async () => {
  client.destroy();
  await srv.close();
  cleanup();
});

const sent = () => [...counts.values()].reduce((a, b) => a + b, 0);

describe('uploadFile with bad local files', () => {
  it('a missing file is E_LOCAL_NOT_FOUND, before any request', async () => {
    const before = sent();
    const missing = path.join(dir, 'nope.png');
    const err = await expectError(
      uploadFile({ client, pacer, bucket: BUCKET, key: 'k', path: missing }),
      'E_LOCAL_NOT_FOUND',
      `cannot read ${missing}: no such file`,
    );
    expect(err.details).toEqual({ path: missing });
    expect(sent()).toBe(before);
  });

  it('a directory is E_LOCAL_NOT_A_FILE', async () => {
    const sub = path.join(dir, 'a-dir');
    mkdirSync(sub);
    await expectError(
      uploadFile({ client, pacer, bucket: BUCKET, key: 'k', path: sub }),
      'E_LOCAL_NOT_A_FILE',
      /a-dir: it is a directory, not a regular file/,
    );
  });

  it('an unreadable file is E_LOCAL_UNREADABLE', async () => {
    const { file } = makeFile(dir, 'secret.bin', 10);
    chmodSync(file, 0o000);
    // Root reads any file, so drop to "nobody" for the open (tests run as root in CI).
    const asRoot = process.geteuid?.() === 0;
    if (asRoot) process.seteuid!(65534);
    try {
      await expectError(
        uploadFile({ client, pacer, bucket: BUCKET, key: 'k', path: file }),
        'E_LOCAL_UNREADABLE',
        /secret\.bin: permission denied/,
      );
    } finally {
      if (asRoot) process.seteuid!(0);
    }
  });
});

describe('local file-system refusals name themselves', () => {
  const long = 'x'.repeat(300);

  it('a name longer than the file system allows is E_LOCAL_NAME_TOO_LONG, both ways', async () => {
    const source = path.join(dir, long);
    await expectError(
      uploadFile({ client, pacer, bucket: BUCKET, key: 'k', path: source }),
      'E_LOCAL_NAME_TOO_LONG',
      /x{300}: a name in the path is longer than the file system allows/,
    );
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'short', Body: 'bytes' }));
    await expectError(
      downloadFile({ client, pacer, bucket: BUCKET, key: 'short', path: path.join(dir, long) }),
      'E_LOCAL_NAME_TOO_LONG',
      /a name in the path is longer than the file system allows/,
    );
  });

  it('a download into a read-only file system is E_LOCAL_READ_ONLY and writes nothing', async () => {
    // A read-only tmpfs: needs root, as the CI runs (the test fails loudly otherwise).
    const ro = path.join(dir, 'ro');
    mkdirSync(ro);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,ro', 'tmpfs', ro]);
    try {
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'ro-k', Body: 'bytes' }));
      await expectError(
        downloadFile({ client, pacer, bucket: BUCKET, key: 'ro-k', path: path.join(ro, 'f') }),
        'E_LOCAL_READ_ONLY',
        /ro\/f.*: read-only file system/,
      );
      expect(readdirSync(ro)).toEqual([]);
    } finally {
      execFileSync('umount', [ro]);
    }
  });
});

describe('bad targets and options', () => {
  it('a missing bucket is E_NO_SUCH_BUCKET naming the object', async () => {
    const { file } = makeFile(dir, 'ok.bin', 10);
    await expectError(
      uploadFile({ client, pacer, bucket: 'no-such-bucket', key: 'k', path: file }),
      'E_NO_SUCH_BUCKET',
      /upload of .*ok\.bin to s3:\/\/no-such-bucket\/k failed: bucket "no-such-bucket" does not exist/,
    );
    await expectError(
      downloadFile({
        client,
        pacer,
        bucket: 'no-such-bucket',
        key: 'k',
        path: path.join(dir, 'x'),
      }),
      'E_NO_SUCH_BUCKET',
      /download of s3:\/\/no-such-bucket\/k failed: bucket no-such-bucket does not exist/,
    );
  });

  it('a missing key is E_NO_SUCH_KEY and creates no file', async () => {
    const target = path.join(dir, 'never', 'there.bin');
    await expectError(
      downloadFile({ client, pacer, bucket: BUCKET, key: 'missing/key', path: target }),
      'E_NO_SUCH_KEY',
      /^download of s3:\/\/bad\/missing\/key failed: does not exist$/,
    );
    await expectError(
      copyObject({
        client,
        pacer,
        source: { bucket: BUCKET, key: 'missing/key' },
        bucket: BUCKET,
        key: 'dst',
      }),
      'E_NO_SUCH_KEY',
    );
  });

  it('a directory as the download target is E_LOCAL_NOT_A_FILE', async () => {
    const { file } = makeFile(dir, 'src.bin', 10);
    await uploadFile({ client, pacer, bucket: BUCKET, key: 'src', path: file });
    const sub = path.join(dir, 'target-dir');
    mkdirSync(sub);
    await expectError(
      downloadFile({ client, pacer, bucket: BUCKET, key: 'src', path: sub }),
      'E_LOCAL_NOT_A_FILE',
      /cannot download to .*target-dir: it is not a regular file/,
    );
  });

  it('a key with a lone surrogate is refused before any request, for each transfer', async () => {
    const { file } = makeFile(dir, 'lone.bin', 10);
    const key = 'art/bad\ud800.png';
    const re =
      /key must be well-formed Unicode \(it has a lone surrogate\), got "art\/bad\\ud800\.png"/;
    await expectError(
      uploadFile({ client, pacer, bucket: BUCKET, key, path: file }),
      'E_INVALID_ARGUMENT',
      re,
    );
    await expectError(
      downloadFile({ client, pacer, bucket: BUCKET, key, path: path.join(dir, 'lone-out.bin') }),
      'E_INVALID_ARGUMENT',
      re,
    );
    await expectError(
      copyObject({ client, pacer, source: { bucket: BUCKET, key }, bucket: BUCKET, key: 'dst' }),
      'E_INVALID_ARGUMENT',
      /source\.key must be well-formed Unicode/,
    );
    expect(existsSync(path.join(dir, 'lone-out.bin'))).toBe(false);
  });

  it('bad options name the field and the value', async () => {
    const { file } = makeFile(dir, 'opts.bin', 10);
    const base = { client, pacer, bucket: BUCKET, key: 'k', path: file };
    await expectError(
      uploadFile({ ...base, key: '' }),
      'E_INVALID_ARGUMENT',
      /^key must be a non-empty key/,
    );
    await expectError(
      uploadFile({ ...base, partSizeBytes: 0 }),
      'E_INVALID_ARGUMENT',
      /^partSizeBytes must be/,
    );
    await expectError(
      uploadFile({ ...base, concurrency: 1.5 }),
      'E_INVALID_ARGUMENT',
      /^concurrency must be/,
    );
    await expectError(
      uploadFile({ ...base, sse: 'rot13' as 'AES256' }),
      'E_INVALID_ARGUMENT',
      /^sse must be "AES256" or "aws:kms", got "rot13"/,
    );
    await expectError(
      uploadFile({ ...base, sseKmsKeyId: 'k1' }),
      'E_INVALID_ARGUMENT',
      /^sseKmsKeyId must be given only with sse "aws:kms"/,
    );
    await expectError(
      uploadFile({ ...base, metadata: { note: 'café' } }),
      'E_INVALID_ARGUMENT',
      /^metadata\.note must be printable US-ASCII/,
    );
    await expectError(
      uploadFile({ ...base, metadata: { 'two words': 'x' } }),
      'E_INVALID_ARGUMENT',
      /^metadata name "two words" must be printable US-ASCII/,
    );
    // Tags by S3's rules, before any request (some stores answer a bare InvalidArgument).
    const eleven = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`t${i}`, 'v']));
    await expectError(
      uploadFile({ ...base, tags: eleven }),
      'E_BAD_REQUEST',
      /cannot be greater than 10/,
    );
    await expectError(
      uploadFile({ ...base, tags: { long: 'x'.repeat(300) } }),
      'E_INVALID_TAG',
      /the value of tag "long" must be a string of at most 256 characters/,
    );
    await expectError(
      uploadFile({ ...base, tags: { note: 'a&b' } }),
      'E_INVALID_TAG',
      /"a&b" \(letters, digits, spaces/,
    );
    await expectError(uploadFile({ ...base, tags: { 'aws:x': 'v' } }), 'E_INVALID_TAG', /aws:/);
    await expectError(
      copyObject({
        client,
        pacer,
        source: { bucket: BUCKET, key: 'src' },
        bucket: BUCKET,
        key: 'k',
        metadataDirective: 'MERGE' as 'COPY',
      }),
      'E_INVALID_ARGUMENT',
      /^metadataDirective must be "COPY" or "REPLACE"/,
    );
    expect(() => new Pacer({ rateLimit: -1 })).toThrow(
      /rateLimit must be a positive number, got -1/,
    );
  });

  it('a storage class the store rejects is E_INVALID_STORAGE_CLASS, not retried', async () => {
    const { file } = makeFile(dir, 'class.bin', 10);
    const before = counts.get('PutObjectCommand') ?? 0;
    await expectError(
      uploadFile({
        client,
        pacer,
        bucket: BUCKET,
        key: 'k',
        path: file,
        storageClass: 'COLD_AS_ICE',
      }),
      'E_INVALID_STORAGE_CLASS',
    );
    expect((counts.get('PutObjectCommand') ?? 0) - before).toBe(1);
  });
});
