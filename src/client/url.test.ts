import { describe, expect, it } from 'vitest';
import { expectError } from '../../test/helpers/expect-error.js';
import { bucketNameProblem, formatS3Url, isS3Url, parseLocation, parseS3Url } from './url.js';

describe('parseS3Url', () => {
  it('splits bucket and key, keeping the key literally', () => {
    expect(parseS3Url('s3://assets')).toEqual({ kind: 's3', bucket: 'assets', key: '' });
    expect(parseS3Url('s3://assets/')).toEqual({ kind: 's3', bucket: 'assets', key: '' });
    expect(parseS3Url('s3://assets/a/b%20c.png')).toEqual({
      kind: 's3',
      bucket: 'assets',
      key: 'a/b%20c.png',
    });
    expect(parseS3Url('s3://assets/dir/')).toEqual({ kind: 's3', bucket: 'assets', key: 'dir/' });
    expect(parseS3Url('s3://my.bucket-1/ünïcødé ✓')).toEqual({
      kind: 's3',
      bucket: 'my.bucket-1',
      key: 'ünïcødé ✓',
    });
  });

  it('rejects malformed URLs with E_USAGE naming the URL', async () => {
    await expectError(
      () => parseS3Url('s3:/x'),
      'E_USAGE',
      'invalid S3 URL "s3:/x": expected s3://bucket/key (two slashes',
    );
    await expectError(() => parseS3Url('s3:x/y'), 'E_USAGE', '"s3:x/y"');
    await expectError(
      () => parseS3Url('s3://'),
      'E_USAGE',
      'invalid S3 URL "s3://": the bucket name is empty',
    );
    await expectError(() => parseS3Url('s3:///key'), 'E_USAGE', 'the bucket name is empty');
    await expectError(() => parseS3Url('S3://bucket/k'), 'E_USAGE', 'lowercase');
    await expectError(() => parseS3Url('/tmp/x'), 'E_USAGE', 'expected s3://bucket/key');
  });

  it('rejects invalid bucket names and keys over 1024 bytes', async () => {
    await expectError(
      () => parseS3Url('s3://Assets/k'),
      'E_INVALID_BUCKET_NAME',
      '"s3://Assets/k": bucket name "Assets" may contain only',
    );
    await expectError(() => parseS3Url('s3://ab/k'), 'E_INVALID_BUCKET_NAME', '3 to 63');
    await expectError(() => parseS3Url('s3://a..b/k'), 'E_INVALID_BUCKET_NAME', 'adjacent dots');
    await expectError(
      () => parseS3Url('s3://192.168.1.1/k'),
      'E_INVALID_BUCKET_NAME',
      'IP address',
    );
    await expectError(() => parseS3Url('s3://under_score'), 'E_INVALID_BUCKET_NAME');
    expect(parseS3Url(`s3://b12/${'k'.repeat(1024)}`).key).toHaveLength(1024);
    // 512 two-byte characters plus one byte: 1025 bytes.
    await expectError(
      () => parseS3Url(`s3://b12/${'é'.repeat(512)}x`),
      'E_KEY_TOO_LONG',
      'the key is 1025 bytes',
    );
  });

  it('knows AWS bucket rules', () => {
    expect(bucketNameProblem('ziggie-cloud-backups')).toBeUndefined();
    expect(bucketNameProblem('-lead')).toMatch(/begin and end/);
    expect(bucketNameProblem('xn--punycode')).toMatch(/prefix/);
    expect(bucketNameProblem('name-s3alias')).toMatch(/suffix/);
  });
});

describe('parseLocation', () => {
  it('tells local paths from store URLs', () => {
    expect(parseLocation('./renders')).toEqual({ kind: 'local', path: './renders' });
    expect(parseLocation('/abs/file.png')).toEqual({ kind: 'local', path: '/abs/file.png' });
    expect(parseLocation('C:\\assets\\x.png')).toEqual({
      kind: 'local',
      path: 'C:\\assets\\x.png',
    });
    expect(parseLocation('file:name')).toEqual({ kind: 'local', path: 'file:name' });
    expect(parseLocation('s3://b12/x')).toEqual({ kind: 's3', bucket: 'b12', key: 'x' });
    expect(isS3Url('s3:/typo')).toBe(true);
    expect(isS3Url('./s3:/x')).toBe(false);
  });

  it('rejects empty paths, NUL bytes, malformed s3 URLs and other schemes', async () => {
    await expectError(() => parseLocation(''), 'E_USAGE', 'empty path');
    await expectError(() => parseLocation('a\0b'), 'E_USAGE', 'NUL');
    await expectError(() => parseLocation('s3:/x'), 'E_USAGE', '"s3:/x"');
    await expectError(
      () => parseLocation('gs://bucket/x'),
      'E_USAGE',
      'unsupported URL "gs://bucket/x"',
    );
    await expectError(() => parseLocation('https://host/b/k'), 'E_USAGE', 'unsupported URL');
  });
});

describe('formatS3Url', () => {
  it('round-trips with parseS3Url', () => {
    for (const url of ['s3://assets/', 's3://assets/a/b.png', 's3://assets/dir/']) {
      expect(formatS3Url(parseS3Url(url))).toBe(url);
    }
    expect(formatS3Url({ bucket: 'assets' })).toBe('s3://assets/');
  });
});
