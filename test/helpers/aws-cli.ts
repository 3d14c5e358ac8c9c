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

/** A runner of `aws <args>` against `target`, whatever its exit code. */
export function awsCli(
  target: AwsCliTarget,
  home: string,
): (...args: string[]) => Promise<RunResult> {
  const env = awsCliEnv(target, home);
  return (...args) =>
    runPeer(AWS, ['--endpoint-url', target.endpoint, ...args], env, { cwd: home });
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
