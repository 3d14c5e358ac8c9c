import { describe, expect, it } from 'vitest';
import { parseRestoreHeader } from './restore-header.js';

describe('parseRestoreHeader', () => {
  it('reads x-amz-restore as S3 writes it', () => {
    expect(parseRestoreHeader(undefined)).toBeUndefined();
    expect(parseRestoreHeader('ongoing-request="true"')).toEqual({ ongoing: true });
    expect(
      parseRestoreHeader('ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"'),
    ).toEqual({ ongoing: false, expiry: new Date('2012-12-21T00:00:00Z') });
  });
});
