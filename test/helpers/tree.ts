/** Reading a local directory tree whole, to compare what a tool wrote with what it was given. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Every file under `dir`, by path relative to it with `/` separators. */
export function readTree(dir: string, prefix = ''): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix + entry.name;
    const abs = path.join(dir, entry.name);
    if (entry.isDirectory()) for (const [k, v] of readTree(abs, `${rel}/`)) out.set(k, v);
    else out.set(rel, readFileSync(abs));
  }
  return out;
}
