/** One printable line per planned action or result, aws-cli style ("(dryrun) upload: …"). */
import type { ItemResult } from './run-plan.js';

// Control characters are what must not reach a terminal raw.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f"\\]/;

/** Shows a key with newlines and control characters escaped. */
const show = (key: string): string => (UNSAFE.test(key) ? JSON.stringify(key) : key);

/**
 * The line for one result: `upload: photos/a.jpg (new)`, `(dryrun) delete: old.txt`,
 * `failed: x.bin: <message> (E_CODE)`, `skip: link (symbolic link (not followed))`.
 */
export function describeResult(r: ItemResult): string {
  const dry = r.dryrun ? '(dryrun) ' : '';
  if (r.status === 'failed')
    return `failed: ${show(r.key)}: ${r.error?.message ?? 'unknown error'} (${r.error?.code ?? 'E_INTERNAL'})`;
  if (r.status === 'skipped') return `skip: ${show(r.key)}${r.reason ? ` (${r.reason})` : ''}`;
  return `${dry}${r.action}: ${show(r.key)}${r.reason ? ` (${r.reason})` : ''}`;
}
