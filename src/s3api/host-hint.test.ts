import { describe, expect, it } from 'vitest';
import { virtualHostHints } from './host-hint.js';

describe('virtualHostHints', () => {
  const buckets = new Set(['photos', 'backup']);
  const hints = () => virtualHostHints('localhost', (b) => buckets.has(b));

  it('names the domain to set when a host outside the domain starts with a bucket name, once per host', () => {
    const hintFor = hints();
    expect(hintFor('photos.s3.studio.lan:9000')).toBe(
      'requests to host "photos.s3.studio.lan" are served path-style (the bucket is the first path segment), ' +
        'as "photos.s3.studio.lan" is not under server.virtualHostDomain "localhost"; it starts with the name of ' +
        'bucket "photos": if clients address buckets by host name, set server.virtualHostDomain to "s3.studio.lan"',
    );
    expect(hintFor('PHOTOS.s3.studio.lan')).toBeUndefined();
    expect(hintFor('backup.s3.studio.lan')).toMatch(/bucket "backup"/);
  });

  it('stays quiet for hosts that are the domain or under it, addresses, and names of no bucket', () => {
    const hintFor = hints();
    for (const host of [
      'photos.localhost:9000',
      'localhost:9000',
      '127.0.0.1:9000',
      '[::1]:9000',
      's3.studio.lan',
      'studio',
      undefined,
    ]) {
      expect(hintFor(host), String(host)).toBeUndefined();
    }
  });
});
