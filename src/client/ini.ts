/**
 * The INI dialect of ~/.aws/config and ~/.aws/credentials, as botocore reads it: `[section]`
 * headers, `key = value` lines, full-line `#`/`;` comments, and one level of nesting where a
 * `key =` line with no value is followed by indented `sub = value` lines (`s3 =` then
 * `  addressing_style = path`). Nested keys are stored as `parent.sub`.
 */
import { StowageError } from '../errors.js';

/** Section name -> key -> value. Keys are lower-cased; values are trimmed. */
export type IniSections = Record<string, Record<string, string>>;

/**
 * Parses INI text. A line that is neither a header, a comment, nor `key = value` is an error
 * naming the file and line: a half-read credentials file must not silently lose a key.
 *
 * @example
 * parseIni('[profile dev]\nregion = eu-west-1\ns3 =\n  addressing_style = path\n', 'config');
 * // { 'profile dev': { region: 'eu-west-1', 's3.addressing_style': 'path' } }
 */
export function parseIni(text: string, fileLabel: string): IniSections {
  const sections: IniSections = Object.create(null) as IniSections;
  let current: Record<string, string> | undefined;
  let parent: string | undefined;
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return;
    const header = /^\[([^\]]+)\]\s*(?:[#;].*)?$/.exec(trimmed);
    if (header?.[1]) {
      const name = header[1].trim().replace(/\s+/g, ' ');
      current = sections[name] ??= Object.create(null) as Record<string, string>;
      parent = undefined;
      return;
    }
    const eq = trimmed.indexOf('=');
    if (current === undefined || eq <= 0) {
      throw new StowageError(
        'E_CONFIG_INVALID',
        `${fileLabel}:${index + 1}: expected "[section]" or "key = value"${current === undefined ? ' inside a section' : ''}`,
        { details: { file: fileLabel, line: index + 1 } },
      );
    }
    const key = trimmed.slice(0, eq).trim().toLowerCase();
    const value = trimmed.slice(eq + 1).trim();
    const indented = /^\s/.test(raw);
    if (indented && parent !== undefined) {
      current[`${parent}.${key}`] = value;
      return;
    }
    // `s3 =` with nothing after it opens a nested block for the indented lines below.
    parent = value === '' ? key : undefined;
    if (value !== '') current[key] = value;
  });
  return sections;
}
