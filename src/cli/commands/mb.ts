/** `stowage mb s3://bucket`: creates a bucket in the store's region. */
import type { Command } from 'commander';
import { createBucket } from '../../client/ops/index.js';
import { StowageError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { s3Arg } from '../store-format.js';
import { storeFor } from '../store.js';

/** `s3://bucket` (a trailing slash allowed); a URL with a key is a usage error. */
export function bucketArg(url: string): string {
  const where = s3Arg(url);
  if (where.key !== '') {
    throw new StowageError(
      'E_USAGE',
      `invalid bucket URL "${url}": expected s3://${where.bucket} without a key`,
      { details: { url } },
    );
  }
  return where.bucket;
}

/**
 * Registers `stowage mb`.
 *
 * @example
 * registerMbCommand(program, ctx); // stowage mb s3://renders --region eu-west-1
 */
export function registerMbCommand(program: Command, ctx: CliContext): void {
  program
    .command('mb')
    .description('make a bucket (in --region, else the store region)')
    .argument('<url>', 's3://bucket')
    .action(async (url: string) => {
      const bucket = bucketArg(url);
      const { session, store } = await storeFor(ctx);
      await createBucket(session, { bucket, region: store.region });
      ctx
        .output()
        .line(
          { type: 'make_bucket', bucket, region: store.region },
          () => `make_bucket: ${bucket}`,
        );
    });
}
