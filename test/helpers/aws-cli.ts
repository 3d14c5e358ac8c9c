/**
 * aws-cli (Debian's /usr/bin/aws) pointed at one S3 target, isolated from the machine's own
 * ~/.aws: for tests that read back with `aws s3api` what stowage wrote.
 */
import path from 'node:path';
import { expect } from 'vitest';
import { runPeer, type RunResult } from './peers.js';

/** Debian's aws-cli (another `aws` may come first on PATH). */
export const AWS = '/usr/bin/aws';

/** Where aws-cli should talk to, and as whom. */
export interface AwsCliTarget {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

/** The environment of an aws-cli run with `home` as HOME and no config files. */
export function awsCliEnv(target: AwsCliTarget, home: string): Record<string, string> {
  return {
    HOME: home,
    AWS_ACCESS_KEY_ID: target.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: target.credentials.secretAccessKey,
    AWS_DEFAULT_REGION: target.region,
    AWS_CONFIG_FILE: path.join(home, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'no-credentials'),
    AWS_PAGER: '',
  };
}

/**
 * Runs `aws <args>` with `env` in `cwd`, whatever its exit code. A run that crashes inside
 * OpenSSL (SIGSEGV) is run once more, with a warning: Debian's aws-cli 2.9 on Python 3.11
 * and OpenSSL 3 now and then segfaults in libcrypto when its threads open TLS connections
 * at once (botocore#3164; seen here in the kernel log as `aws[…]: segfault … in
 * libcrypto.so.3` during an https download through nginx). A crash of the client is no
 * answer of the server's; a second crash, or any other failure, is returned as it is.
 */
export async function runAws(
  args: string[],
  env: Record<string, string>,
  cwd: string,
): Promise<RunResult> {
  const first = await runPeer(AWS, args, env, { cwd });
  if (first.signal !== 'SIGSEGV') return first;
  console.warn(`aws ${args.join(' ')} crashed (SIGSEGV in the client); running it once more`);
  return runPeer(AWS, args, env, { cwd });
}

/** A runner of `aws <args>` against `target`, whatever its exit code (see runAws). */
export function awsCli(
  target: AwsCliTarget,
  home: string,
): (...args: string[]) => Promise<RunResult> {
  const env = awsCliEnv(target, home);
  return (...args) => runAws(['--endpoint-url', target.endpoint, ...args], env, home);
}

/**
 * A runner of `aws <args> --output json` against `target` that expects exit 0 and returns
 * the parsed output (`{}` when it printed nothing).
 *
 * @example
 * const aws = awsJson(target, work);
 * await aws('s3api', 'get-bucket-acl', '--bucket', bucket);
 */
export function awsJson(
  target: AwsCliTarget,
  home: string,
): (...args: string[]) => Promise<Record<string, unknown>> {
  const run = awsCli(target, home);
  return async (...args) => {
    const r = await run(...args, '--output', 'json');
    expect(r.code, `aws ${args.join(' ')}\n${r.stderr}`).toBe(0);
    return r.stdout.trim() === '' ? {} : (JSON.parse(r.stdout) as Record<string, unknown>);
  };
}

/** {@link awsJson} for `aws s3api <args>`. */
export function awsS3api(
  target: AwsCliTarget,
  home: string,
): (...args: string[]) => Promise<Record<string, unknown>> {
  const json = awsJson(target, home);
  return (...args) => json('s3api', ...args);
}
