/** A python3 that can import boto3, for the boto3 interop tests. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ensureDebianPackages } from './peers.js';

/** The interpreter (its real path, not a pyenv shim) of a python3 that imports `modules`. */
function findPython(modules: readonly string[]): string | undefined {
  const candidates = new Set<string>();
  for (const dir of (process.env.PATH ?? '').split(path.delimiter))
    if (dir) candidates.add(path.join(dir, 'python3'));
  candidates.add('/root/.pyenv/shims/python3');
  candidates.add('/usr/bin/python3');
  const passThrough = Object.fromEntries(
    ['HOME', 'PYENV_ROOT', 'PYENV_VERSION'].flatMap((k) =>
      process.env[k] ? [[k, process.env[k]!]] : [],
    ),
  );
  for (const candidate of candidates) {
    if (!existsSync(candidate)) continue;
    try {
      const code = `import ${[...modules, 'sys'].join(', ')}; print(sys.executable)`;
      const exe = execFileSync(candidate, ['-c', code], {
        env: { ...passThrough, PATH: `${path.dirname(candidate)}:/usr/bin:/bin`, LANG: 'C.UTF-8' },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 30_000,
      }).trim();
      if (exe && existsSync(exe)) return exe;
    } catch {
      // Not all of them here; try the next.
    }
  }
  return undefined;
}

/** A python3 with boto3, installing Debian's python3-boto3 if none has it; never skips. */
export function pythonWithBoto3(): string {
  return pythonWith({ boto3: 'python3-boto3' });
}

/**
 * A python3 that imports every module named (module -> the Debian package that has it),
 * installing the packages into Debian's python3 if no interpreter has them all; never skips.
 */
export function pythonWith(modules: Record<string, string>): string {
  ensureDebianPackages({ '/usr/bin/python3': 'python3' });
  const names = Object.keys(modules);
  let python = findPython(names);
  if (!python) {
    ensureDebianPackages(
      Object.fromEntries(
        Object.entries(modules).map(([m, pkg]) => [
          `/usr/lib/python3/dist-packages/${m}/__init__.py`,
          pkg,
        ]),
      ),
    );
    python = findPython(names);
  }
  if (!python) {
    throw new Error(`no python3 that imports ${names.join(', ')}, even after installing them`);
  }
  return python;
}

/** A clean environment for a boto3 script: no user config, no instance metadata look-ups. */
export function boto3Env(python: string, home: string): Record<string, string> {
  return {
    HOME: home,
    PATH: `${path.dirname(python)}:/usr/bin:/bin`,
    AWS_CONFIG_FILE: path.join(home, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/**
 * Python source that defines `s3_client(endpoint, access_key, secret_key, verify=None,
 * **config)`: the boto3 S3 client the interop scripts use (us-east-1, SigV4, path-style).
 * `verify` is boto3's (a CA bundle path, or False); `config` adds to its Config (e.g.
 * `retries={"max_attempts": 1}`). Put it at the top of a script: `${BOTO3_CLIENT}`.
 */
export const BOTO3_CLIENT = String.raw`import boto3
from botocore.client import Config

def s3_client(endpoint, access_key, secret_key, verify=None, **config):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name="us-east-1",
        verify=verify,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, **config),
    )
`;
