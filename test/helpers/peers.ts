/**
 * Real S3 clients for interop tests, from Debian's packages. A missing client is
 * installed (we run as root here and in CI); if that fails the test fails loudly, it is
 * never skipped.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

let updated = false;

/** Wait for a concurrent apt/dpkg run (another test file installing its peer) instead of failing. */
const APT_LOCK_WAIT = ['-o', 'DPkg::Lock::Timeout=300'];

/** Makes sure each binary exists, installing its Debian package if not. */
export function ensureDebianPackages(binaries: Record<string, string>): void {
  const missing = Object.entries(binaries).filter(([bin]) => !existsSync(bin));
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map(([, pkg]) => pkg))];
  try {
    if (!updated) {
      execFileSync('apt-get', [...APT_LOCK_WAIT, 'update'], { stdio: 'pipe', timeout: 300_000 });
      updated = true;
    }
    execFileSync(
      'apt-get',
      [...APT_LOCK_WAIT, 'install', '-y', '--no-install-recommends', ...packages],
      {
        stdio: 'pipe',
        timeout: 600_000,
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      },
    );
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(
      `cannot install ${packages.join(', ')} (needed for interop tests): ${(err as Error).message}\n${stderr}`,
      { cause: err },
    );
  }
  for (const [bin, pkg] of missing) {
    if (!existsSync(bin)) throw new Error(`installed ${pkg} but ${bin} is still missing`);
  }
}

/** What a client process printed and how it exited. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The signal that ended the client, when one did (its code is then -1). */
  signal?: NodeJS.Signals;
}

/** Runs a client with a clean, explicit environment (no user config leaks in). */
export function runPeer(
  command: string,
  args: string[],
  env: Record<string, string>,
  options: { input?: string; timeoutMs?: number; cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', ...env },
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timeoutMs = options.timeoutMs ?? 120_000;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // A client killed by a signal has no exit code: its stderr says which signal, so a
      // failure reads "killed by SIGSEGV" (or the timeout's SIGKILL) rather than a bare -1.
      if (signal !== null) {
        const why = timedOut ? ` after the test's ${timeoutMs / 1000} s timeout` : '';
        stderr += `\n[${path.basename(command)} was killed by ${signal}${why}]`;
      }
      resolve({ code: code ?? -1, stdout, stderr, ...(signal !== null ? { signal } : {}) });
    });
    // A client that exits without reading its input (done, or failed: its exit code and
    // stderr say which) makes the write fail with EPIPE: not an error of the test's own.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}
