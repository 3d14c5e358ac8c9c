/**
 * Runs the CLI in-process against an S3 target of describeS3Targets: the embedded server by
 * `--endpoint-url` and AWS_* env, Ceph RGW by a stowage.yaml store carrying its quirks
 * (path-style, checksum policy) — the way a user would point stowage at each.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli, type CliResult } from './run-cli.js';
import type { S3Target } from './s3-targets.js';
import { storesYaml } from './store-yaml.js';

/**
 * A runner of `stowage <args>` for `target`, with HOME and the cwd at `home`; `stdin` is
 * what `-` reads (empty unless given).
 */
export function cliFor(
  target: S3Target,
  home: string,
): (args: string[], stdin?: AsyncIterable<Uint8Array>) => Promise<CliResult> {
  if (target.kind === 'stowage') {
    const env = {
      HOME: home,
      AWS_ACCESS_KEY_ID: target.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: target.credentials.secretAccessKey,
    };
    return (args, stdin) =>
      runCli(['--endpoint-url', target.endpoint, ...args], {
        env,
        cwd: home,
        ...(stdin ? { stdin } : {}),
      });
  }
  const file = path.join(home, `stowage-${target.kind}.yaml`);
  writeFileSync(
    file,
    storesYaml({
      rgw: {
        endpoint: target.endpoint,
        region: target.region,
        credentials: target.credentials,
        checksumPolicy: target.quirks.checksumPolicy,
      },
    }),
  );
  return (args, stdin) =>
    runCli(['--config', file, '--store', 'rgw', ...args], {
      env: { HOME: home },
      cwd: home,
      ...(stdin ? { stdin } : {}),
    });
}
