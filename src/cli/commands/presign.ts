/** `stowage presign s3://bucket/key [--expires-in S] [--method GET|PUT]`: a presigned URL. */
import type { Command } from 'commander';
import {
  DEFAULT_PRESIGN_EXPIRES_SECONDS,
  MAX_PRESIGN_EXPIRES_SECONDS,
  presignUrl,
  type PresignMethod,
} from '../../client/ops/index.js';
import { StowageError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { intFlag, s3Arg } from '../store-format.js';
import { storeFor } from '../store.js';

interface PresignFlags {
  expiresIn: string;
  method: string;
  contentType?: string;
}

/**
 * Registers `stowage presign`.
 *
 * @example
 * registerPresignCommand(program, ctx); // stowage presign s3://assets/a.png --expires-in 600
 */
export function registerPresignCommand(program: Command, ctx: CliContext): void {
  program
    .command('presign')
    .description('print a URL that lets anyone holding it GET (or PUT) one object until it expires')
    .argument('<url>', 's3://bucket/key')
    .option(
      '--expires-in <seconds>',
      `validity in seconds, 1-${MAX_PRESIGN_EXPIRES_SECONDS} (7 days)`,
      String(DEFAULT_PRESIGN_EXPIRES_SECONDS),
    )
    .option('--method <method>', 'GET (download) or PUT (upload)', 'GET')
    .option('--content-type <type>', 'PUT only: the Content-Type the uploader must send')
    .action(async (url: string, o: PresignFlags) => {
      const where = s3Arg(url);
      const expiresIn = intFlag('--expires-in', o.expiresIn, 1, MAX_PRESIGN_EXPIRES_SECONDS);
      const method = o.method.toUpperCase();
      if (method !== 'GET' && method !== 'PUT') {
        throw new StowageError('E_USAGE', `invalid --method "${o.method}": expected GET or PUT`, {
          details: { method: o.method },
        });
      }
      if (o.contentType !== undefined && method !== 'PUT') {
        throw new StowageError('E_USAGE', '--content-type applies to --method PUT only');
      }
      const { session } = await storeFor(ctx);
      const signed = await presignUrl(session, {
        bucket: where.bucket,
        key: where.key,
        method: method as PresignMethod,
        expiresInSeconds: expiresIn,
        contentType: o.contentType,
      });
      const expiresAt = new Date(Date.now() + expiresIn * 1000).toISOString();
      ctx.output().line({ url: signed, method, expiresAt }, () => signed);
    });
}
