import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_ENV_VARS } from '../../src/config/load.js';
import { configKeyPaths } from '../../src/config/schema.js';

const doc = readFileSync(new URL('../../docs/config.md', import.meta.url), 'utf8');

describe('docs/config.md', () => {
  it('documents every config key by its dotted path', () => {
    const missing = configKeyPaths().filter((key) => !doc.includes(`\`${key}\``));
    expect(missing, `document in docs/config.md: ${missing.join(', ')}`).toEqual([]);
  });

  it('documents every environment variable the loader reads', () => {
    const missing = CONFIG_ENV_VARS.map((v) => v.name).filter(
      (name) => !doc.includes(`\`${name}\``),
    );
    expect(missing, `document in docs/config.md: ${missing.join(', ')}`).toEqual([]);
  });
});
