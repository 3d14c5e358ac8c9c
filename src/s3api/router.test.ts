import { describe, expect, it } from 'vitest';
import { bucketNamed, hostnameOf } from './router.js';

describe('host names', () => {
  it('drop the port, the case and the dot that ends a fully qualified name', () => {
    expect(hostnameOf('Photos.S3.Studio.LAN.:9000')).toBe('photos.s3.studio.lan');
    expect(hostnameOf('localhost')).toBe('localhost');
    expect(hostnameOf('.')).toBe('.');
    expect(hostnameOf(undefined)).toBe('');
  });

  it('a fully qualified host (trailing dot) names its bucket as the plain one does', () => {
    // It was served path-style, with a hint to set the domain already set.
    expect(bucketNamed('/a.png', 'vh-plain.s3.studio.lan.:9000', 's3.studio.lan')).toBe('vh-plain');
    expect(bucketNamed('/a.png', 'vh-plain.s3.studio.lan:9000', 's3.studio.lan')).toBe('vh-plain');
    expect(bucketNamed('/b/a.png', 's3.studio.lan.:9000', 's3.studio.lan')).toBe('b');
  });
});
