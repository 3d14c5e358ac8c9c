/**
 * `buckets: FILE` in stowage.yaml: the bucket declarations kept in a separate YAML file,
 * named relative to stowage.yaml. The file holds the buckets map itself, or a document
 * with a top-level `buckets:` key (so a whole stowage.yaml-style file works too).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { StowageError } from '../errors.js';
import { fileLabel, parseYamlConfig } from './yaml.js';

/** The included buckets map and the name its values are reported under. */
export interface IncludedBuckets {
  label: string;
  data: unknown;
}

/**
 * Reads the buckets file `ref` named by the config file at `configPath` (shown as
 * `configLabel`); `cwd` decides how the included file is named in errors.
 *
 * @throws StowageError `E_CONFIG_INVALID` when the file is missing, unreadable or not YAML.
 * @example
 * const { data } = await readIncludedBuckets('buckets.yaml', '/srv/stowage.yaml', 'stowage.yaml', '/srv');
 */
export async function readIncludedBuckets(
  ref: string,
  configPath: string,
  configLabel: string,
  cwd: string,
): Promise<IncludedBuckets> {
  const file = path.resolve(path.dirname(configPath), ref);
  const label = fileLabel(file, cwd);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(err)})`;
    throw new StowageError(
      'E_CONFIG_INVALID',
      `${configLabel}: buckets: the file ${label} it includes ${why}`,
      { cause: err, details: { file } },
    );
  }
  const doc = parseYamlConfig(text, label, file);
  const keys = Object.keys(doc);
  const data = keys.length === 1 && keys[0] === 'buckets' ? doc.buckets : doc;
  return { label, data };
}
