import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const exec = promisify(execFile);

describe('bin/stowage.cjs (subprocess)', () => {
  beforeAll(() => {
    // `npm test` builds first; running vitest alone needs `npm run build` beforehand.
    if (!existsSync(`${root}dist/cli/main.js`)) {
      throw new Error('dist/cli/main.js is missing: run `npm run build` before this test');
    }
  });

  it('prints the version', async () => {
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string };
    const { stdout, stderr } = await exec(process.execPath, ['bin/stowage.cjs', '--version'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '' },
    });
    expect(stdout).toBe(`${pkg.version}\n`);
    expect(stderr).toBe('');
  });

  it('exits 2 on an unknown command', async () => {
    const failure = await exec(process.execPath, ['bin/stowage.cjs', 'frobnicate'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '' },
    }).then(
      () => undefined,
      (err: unknown) => err as { code: number; stderr: string },
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toContain("unknown command 'frobnicate'");
  });
});
