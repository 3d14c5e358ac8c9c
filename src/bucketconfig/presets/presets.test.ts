import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configSchema } from '../../config/schema.js';
import { desiredState } from '../normalize.js';
import { validateBuckets } from '../validate.js';
import { getPreset, PRESETS, presetNames, STARTER_YAML } from './index.js';

const ALL = [...PRESETS.map((p) => [p.name, p.yaml] as const), ['starter', STARTER_YAML] as const];

describe('presets', () => {
  it.each(ALL)('%s expands to a desired state without errors', (_name, yaml) => {
    const config = configSchema.parse(parse(yaml));
    const buckets = desiredState(config);
    expect(buckets.length).toBeGreaterThan(0);
    expect(validateBuckets(config).errors).toEqual([]);
  });

  it('finds a preset by name and names the presets when there is none', () => {
    expect(presetNames()).toEqual(['ziggie', 'creative-pipeline', 'marketplace']);
    expect(getPreset('marketplace').name).toBe('marketplace');
    expect(() => getPreset('zig')).toThrow(
      'unknown preset "zig": expected one of ziggie, creative-pipeline, marketplace',
    );
  });
});
