/** Parses the text of a config file, reporting YAML syntax errors with line and column. */
import path from 'node:path';
import { parseDocument } from 'yaml';
import { StowageError } from '../errors.js';
import { describeValue } from './issues.js';

/** How a config file is named in errors: relative to `cwd` when inside it, else absolute. */
export function fileLabel(absolute: string, cwd: string): string {
  const rel = path.relative(cwd, absolute);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : absolute;
}

/**
 * Parses YAML text into the raw (unvalidated) config mapping. An empty file is an empty
 * mapping.
 *
 * @param label how the file is named in errors (usually relative to the cwd)
 * @param file the absolute path, carried in the error details
 * @throws StowageError `E_CONFIG_INVALID` on a syntax error or a top level that is not a mapping
 */
export function parseYamlConfig(
  text: string,
  label: string,
  file: string,
): Record<string, unknown> {
  // uniqueKeys (the default) makes a repeated key an error instead of "last one wins".
  // merge: `<<: *anchor` copies a mapping's keys in (YAML 1.1's merge key, which YAML 1.2
  // parsers leave out unless asked), so that buckets can share settings.
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true, merge: true });
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0];
    const where = pos ? `${label}:${pos.line}:${pos.col}` : label;
    // yaml's message repeats the position and appends a code excerpt; keep the first clause.
    const reason = (first.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    throw new StowageError('E_CONFIG_INVALID', `${where}: invalid YAML: ${reason}`, {
      details: { file, line: pos?.line, column: pos?.col, yamlCode: first.code },
    });
  }
  let data: unknown;
  try {
    data = doc.toJS();
  } catch (err) {
    // toJS throws for alias bombs ("excessive alias count") and similar abuse.
    const reason = err instanceof Error ? err.message : String(err);
    throw new StowageError('E_CONFIG_INVALID', `${label}: invalid YAML: ${reason}`, {
      cause: err,
      details: { file },
    });
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new StowageError(
      'E_CONFIG_INVALID',
      `${label}: expected a mapping of settings at the top level, got ${describeValue(data)}`,
      { details: { file } },
    );
  }
  return data as Record<string, unknown>;
}
