/**
 * bench/RESULTS.md: every bench replaces only its own section, between
 * `<!-- bench:<name> -->` and `<!-- /bench:<name> -->`, and writes the file formatted with
 * the repository's prettier, so that `npm run lint` accepts it as written.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const RESULTS_FILE = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '../RESULTS.md',
);

/** The file as it is now (a fresh heading when there is none yet). */
export function readResults() {
  return existsSync(RESULTS_FILE)
    ? readFileSync(RESULTS_FILE, 'utf8')
    : '# Benchmark results\n\nEach bench replaces only its own section.\n';
}

/** Replaces (or appends) section `name`; `section` includes its markers. */
export async function writeSection(name, section) {
  const old = readResults();
  const marked = new RegExp(`<!-- bench:${name} -->[\\s\\S]*?<!-- /bench:${name} -->`);
  let next = marked.test(old) ? old.replace(marked, section) : `${old.trimEnd()}\n\n${section}\n`;
  try {
    const prettier = await import('prettier');
    const config = (await prettier.resolveConfig(RESULTS_FILE)) ?? {};
    next = await prettier.format(next, { ...config, parser: 'markdown' });
  } catch {
    // unformatted is still correct
  }
  writeFileSync(RESULTS_FILE, next);
}
