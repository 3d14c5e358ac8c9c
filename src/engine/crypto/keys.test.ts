import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keyRefOf, resolveEncryption } from './envelope.js';
import { KeyStore, kmsRef } from './keys.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'stowage-keys-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('KeyStore', () => {
  it('creates the SSE-S3 key on first need: 32 bytes, 0600, in a 0700 directory', async () => {
    const keys = new KeyStore(dir);
    const key = await keys.key('s3', true);
    expect(key.byteLength).toBe(32);
    const file = path.join(dir, 'keys', 'sse-s3.key');
    expect(keys.pathOf('s3')).toBe(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(dir, 'keys')).mode & 0o777).toBe(0o700);
    expect(await new KeyStore(dir).key('s3', false)).toEqual(key);
  });

  it('racing creators agree on one key', async () => {
    const stores = Array.from({ length: 8 }, () => new KeyStore(dir));
    const got = await Promise.all(stores.map((s) => s.key(kmsRef('race'), true)));
    for (const k of got) expect(k).toEqual(got[0]);
  });

  it('one key per KMS key name, under kms/<sha256>.key', async () => {
    const keys = new KeyStore(dir);
    const a = await keys.key(kmsRef('a'), true);
    const b = await keys.key(kmsRef('b'), true);
    expect(a).not.toEqual(b);
    expect(path.basename(keys.pathOf(kmsRef('a')))).toMatch(/^[0-9a-f]{64}\.key$/);
    expect(statSync(keys.pathOf(kmsRef('a'))).mode & 0o777).toBe(0o600);
  });

  it('a missing key is not invented for reading; a damaged one is refused', async () => {
    await expect(new KeyStore(dir).key('s3', false)).rejects.toMatchObject({
      code: 'E_DATA_CORRUPT',
    });
    const keys = new KeyStore(dir);
    await keys.key('s3', true);
    writeFileSync(keys.pathOf('s3'), Buffer.alloc(5));
    await expect(new KeyStore(dir).key('s3', false)).rejects.toMatchObject({
      code: 'E_DATA_CORRUPT',
      message: expect.stringMatching(/5 bytes/),
    });
  });
});

describe('resolveEncryption', () => {
  it('reports KMS key ids as ARNs, and the aws/s3 key when none is given', () => {
    expect(resolveEncryption({ algorithm: 'aws:kms', kmsKeyId: 'k1' }, 'eu-west-1')).toEqual({
      algorithm: 'aws:kms',
      kmsKeyId: 'arn:aws:kms:eu-west-1:000000000000:key/k1',
    });
    expect(resolveEncryption({ algorithm: 'aws:kms' }, 'us-east-1').kmsKeyId).toBe(
      'arn:aws:kms:us-east-1:000000000000:alias/aws/s3',
    );
    const arn = 'arn:aws:kms:us-west-2:123456789012:key/abc';
    expect(resolveEncryption({ algorithm: 'aws:kms:dsse', kmsKeyId: arn }, 'x').kmsKeyId).toBe(arn);
    // A bare id and its ARN use the same local key.
    expect(keyRefOf({ algorithm: 'aws:kms', kmsKeyId: arn })).toBe(kmsRef('abc'));
    expect(
      keyRefOf(resolveEncryption({ algorithm: 'aws:kms', kmsKeyId: 'abc' }, 'us-east-1')),
    ).toBe(kmsRef('abc'));
    // Bucket keys are a KMS feature; S3 does not report them for SSE-S3.
    expect(resolveEncryption({ algorithm: 'AES256', bucketKeyEnabled: true }, 'x')).toEqual({
      algorithm: 'AES256',
    });
    expect(
      resolveEncryption({ algorithm: 'aws:kms', bucketKeyEnabled: true }, 'x').bucketKeyEnabled,
    ).toBe(true);
  });

  it('refuses unknown algorithms, key ids without KMS, and malformed ids', () => {
    expect(() => resolveEncryption({ algorithm: 'AES128' as 'AES256' }, 'us-east-1')).toThrow(
      /AES128/,
    );
    expect(() => resolveEncryption({ algorithm: 'AES256', kmsKeyId: 'k' }, 'us-east-1')).toThrow(
      /only valid with aws:kms/,
    );
    expect(() => resolveEncryption({ algorithm: 'aws:kms', kmsKeyId: 'a b' }, 'us-east-1')).toThrow(
      /not a valid KMS key id/,
    );
    expect(() =>
      resolveEncryption({ algorithm: 'aws:kms', kmsKeyId: 'arn:aws:s3:::b' }, 'us-east-1'),
    ).toThrow(/not a valid KMS key ARN/);
  });
});
