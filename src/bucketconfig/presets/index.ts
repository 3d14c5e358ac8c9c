/**
 * The starting files of `stowage init`: the presets that reproduce the seeds' bucket designs
 * and the starter written without `--preset`. Each is a whole, commented stowage.yaml that
 * `stowage validate` accepts as written.
 */
import { StowageError } from '../../errors.js';
import { creativePipelinePreset } from './creative-pipeline.js';
import { marketplacePreset } from './marketplace.js';
import type { Preset } from './types.js';
import { ziggiePreset } from './ziggie.js';

export { STARTER_YAML } from './starter.js';
export type { Preset } from './types.js';

/** Every preset, in the order `stowage init --help` lists them. */
export const PRESETS: readonly Preset[] = [ziggiePreset, creativePipelinePreset, marketplacePreset];

/** The names `--preset` accepts. */
export function presetNames(): string[] {
  return PRESETS.map((p) => p.name);
}

/**
 * The preset called `name`.
 *
 * @throws StowageError `E_INVALID_ARGUMENT` (exit 2) listing the presets when there is none.
 * @example
 * const { yaml } = getPreset('ziggie');
 */
export function getPreset(name: string): Preset {
  const preset = PRESETS.find((p) => p.name === name);
  if (preset) return preset;
  throw new StowageError(
    'E_INVALID_ARGUMENT',
    `unknown preset "${name}": expected one of ${presetNames().join(', ')}`,
    { details: { preset: name, presets: presetNames() } },
  );
}
