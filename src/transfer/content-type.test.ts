import { describe, expect, it } from 'vitest';
import { contentTypeFor } from './content-type.js';

describe('contentTypeFor', () => {
  it('names the asset types a game loader asks for, as aws-cli does', () => {
    expect(contentTypeFor('tex/hero.KTX2')).toBe('image/ktx2');
    expect(contentTypeFor('tex/old.ktx')).toBe('image/ktx');
    expect(contentTypeFor('env/sky.hdr')).toBe('image/vnd.radiance');
    expect(contentTypeFor('sfx/hit.opus')).toBe('audio/ogg');
    expect(contentTypeFor('models/ship.mtl')).toBe('model/mtl');
    expect(contentTypeFor('models/ship.glb')).toBe('model/gltf-binary');
    expect(contentTypeFor('backup.unknownext')).toBe('application/octet-stream');
  });
});
